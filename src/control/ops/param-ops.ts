/**
 * The LNet parameters lctl reads (`lctl get_param`, `list_param`): the files the kernel's lnet
 * module puts under debugfs (lnet_debugfs.c) that mean something for lnetd. Each is read
 * whole, as lctl reads a file; a read error comes back as its errno instead of a value.
 */
import { readCptDistanceParam, readCptTableParam } from '../../cpt/cpt-table.js';
import { lndTimeout } from '../../core/params.js';
import { LNetError } from '../../errors.js';
import { Errno } from '../../errno.js';
import type { LNetModule } from '../lnet-module.js';
import type { OpRegistry } from './registry.js';

export interface ParamFile {
  name: string;
  /** The file's mode bits, as debugfs shows them (0444 read-only). */
  mode: number;
  value?: string;
  /** Negative errno when reading fails. */
  errno?: number;
}

interface ParamSpec {
  name: string;
  mode: number;
  read: (m: LNetModule) => string;
}

/** In lnet_debugfs.c's table order. */
const PARAMS: readonly ParamSpec[] = [
  { name: 'cpu_partition_table', mode: 0o444, read: (m) => readCptTableParam(m.cptTable) },
  { name: 'cpu_partition_distance', mode: 0o444, read: (m) => readCptDistanceParam(m.cptTable) },
  // debugfs_doint: the int and a newline.
  { name: 'lnet_lnd_timeout', mode: 0o444, read: (m) => `${lndTimeout(m.liveParams)}\n` },
];

function readParams(m: LNetModule): { params: ParamFile[] } {
  return {
    params: PARAMS.map((p) => {
      try {
        return { name: p.name, mode: p.mode, value: p.read(m) };
      } catch (e) {
        const errno = e instanceof LNetError ? e.errno : -Errno.EIO;
        return { name: p.name, mode: p.mode, errno };
      }
    }),
  };
}

export function registerParamOps(r: OpRegistry): void {
  r.add('params.read', (ctx) => readParams(ctx.module), false);
}
