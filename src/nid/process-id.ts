import { ParseError } from '../errors.js';
import { formatNid, parseNid, type NidParseOptions } from './nid-string.js';
import type { Nid } from './nid.js';

export const LNET_PID_ANY = 0xffffffff;
export const LNET_PID_RESERVED = 0xf0000000;
export const LNET_PID_USERFLAG = 0x80000000;
/** The pid of every kernel LNet instance. */
export const LNET_PID_LUSTRE = 12345;

/** `struct lnet_processid` */
export interface ProcessId {
  readonly nid: Nid;
  readonly pid: number;
}

/** libcfs_idstr: `12345-1.2.3.4@tcp`, `U<pid>-nid` for a userspace peer, `LNET_PID_ANY-nid`. */
export function formatProcessId(id: ProcessId): string {
  if (id.pid >>> 0 === LNET_PID_ANY) return `LNET_PID_ANY-${formatNid(id.nid)}`;
  const user = (id.pid & LNET_PID_USERFLAG) !== 0;
  return `${user ? 'U' : ''}${(id.pid & ~LNET_PID_USERFLAG) >>> 0}-${formatNid(id.nid)}`;
}

/**
 * `[u|U]pid-nid` as lctl ping takes it, or a bare NID (pid undefined). A `U` prefix sets
 * LNET_PID_USERFLAG.
 */
export function parseProcessId(str: string, opts: NidParseOptions = {}): { nid: Nid; pid: number | undefined } {
  const m = /^([uU]?)([0-9]+)-(.*)$/s.exec(str);
  if (!m) return { nid: parseNid(str, opts), pid: undefined };
  const pid = Number(m[2]);
  if (m[2]!.length > 10 || pid > 0xffffffff) throw new ParseError('process id', str, m[1]!.length, 'pid out of range');
  return { nid: parseNid(m[3]!, opts), pid: (m[1] ? pid | LNET_PID_USERFLAG : pid) >>> 0 };
}
