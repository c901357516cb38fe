/**
 * `lctl get_param` and `lctl list_param` (lustre_cfg.c jt_lcfg_getparam / jt_lcfg_listparam)
 * over the LNet parameter files lnetd offers (`params.read`: cpu_partition_table,
 * cpu_partition_distance, lnet_lnd_timeout). Patterns are shell globs as lctl's glob() takes
 * them; with lnetd not running the files do not exist, as with the lnet module unloaded.
 */
import { DaemonUnreachable } from '../../control/client.js';
import type { ParamFile } from '../../control/ops/param-ops.js';
import { ControlError } from '../../control/protocol.js';
import { getoptLong, type LongOption } from '../getopt.js';
import type { Io } from '../lnetctl/context.js';
import { strerror } from '../strerror.js';

const CMD_HELP = -3;
const ENOENT = 2;
/** Where the kernel's lnet module puts these files (what `-p` prints). */
const DEBUGFS_LNET = '/sys/kernel/debug/lnet';

export interface ParamHost {
  readonly io: Io;
  call<T>(op: string, args?: Record<string, unknown>): Promise<T>;
}

interface Opts {
  noName: boolean;
  onlyName: boolean;
  classify: boolean;
  path: boolean;
  writable: boolean;
  onlyDir: boolean;
}

const LONG_GET: readonly LongOption[] = [
  { name: 'dshbak', hasArg: 'none', val: 'b' },
  { name: 'color', hasArg: 'required', val: 'c' },
  { name: 'classify', hasArg: 'none', val: 'F' },
  { name: 'header', hasArg: 'none', val: 'H' },
  { name: 'links', hasArg: 'none', val: 'l' },
  { name: 'no-links', hasArg: 'none', val: 'L' },
  { name: 'no-name', hasArg: 'none', val: 'n' },
  { name: 'only-name', hasArg: 'none', val: 'N' },
  { name: 'merge', hasArg: 'none', val: 'm' },
  { name: 'no-merge', hasArg: 'none', val: 'M' },
  { name: 'path', hasArg: 'none', val: 'p' },
  { name: 'readable', hasArg: 'none', val: 'r' },
  { name: 'recursive', hasArg: 'none', val: 'R' },
  { name: 'only-tunable', hasArg: 'none', val: 't' },
  { name: 'writable', hasArg: 'none', val: 'w' },
];

const LONG_LIST: readonly LongOption[] = [
  ...LONG_GET.filter((o) => !['H', 'n', 'N'].includes(o.val)),
  { name: 'only-dir', hasArg: 'none', val: 'D' },
];

function parseOpts(h: ParamHost, argv: string[], list: boolean): { opts: Opts; patterns: string[] } | undefined {
  const g = getoptLong(argv, list ? 'bc:DFlLmMprRtw' : 'bc:FHlLnNmMprRtw', list ? LONG_LIST : LONG_GET, h.io.err);
  const opts: Opts = { noName: false, onlyName: list, classify: false, path: false, writable: false, onlyDir: false };
  for (const o of g.opts) {
    if (o.opt === '?') return undefined;
    if (o.opt === 'c' && !['auto', 'always', 'never'].includes(o.arg ?? '')) return undefined;
    if (o.opt === 'n') opts.noName = true;
    else if (o.opt === 'N') opts.onlyName = true;
    else if (o.opt === 'F') opts.classify = true;
    else if (o.opt === 'p') opts.path = true;
    else if (o.opt === 'w' || o.opt === 't') opts.writable = true;
    else if (o.opt === 'D') opts.onlyDir = true;
    // -b, -c, -H, -l, -L, -m, -M, -r, -R change nothing for flat read-only files.
  }
  if (g.operands.length === 0) return undefined;
  return { opts, patterns: g.operands };
}

/** fnmatch(3) without flags: `*`, `?`, `[...]` (with `!`/`^` negation and ranges), `\` escapes. */
export function globMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < pattern.length) re += escape(pattern[++i]!);
    else if (c === '[') {
      const close = pattern.indexOf(']', i + (pattern[i + 1] === '!' || pattern[i + 1] === '^' ? 3 : 2));
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const neg = body.startsWith('!') || body.startsWith('^');
      if (neg) body = body.slice(1);
      re += `[${neg ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else re += escape(c);
  }
  return new RegExp(`${re}$`, 's').test(name);
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** display_name: the name, or the path with -p; -F marks writable files with '='. */
function displayName(p: ParamFile, o: Opts): string {
  const name = o.path ? `${DEBUGFS_LNET}/${p.name}` : p.name;
  return o.classify && (p.mode & 0o200) !== 0 ? `${name}=` : name;
}

async function readAll(h: ParamHost): Promise<ParamFile[]> {
  try {
    return (await h.call<{ params: ParamFile[] }>('params.read')).params;
  } catch (e) {
    // No lnetd is no lnet module: none of its files exist.
    if (e instanceof DaemonUnreachable) return [];
    throw e;
  }
}

function matches(files: ParamFile[], pattern: string): ParamFile[] {
  // lctl turns the dotted parameter form into a path; these files sit at the top level.
  const path = pattern.replace(/\./g, '/');
  return files.filter((f) => globMatch(path, f.name));
}

/** read_param: the value, after `name=` (a newline first when the value is long or several lines). */
function readParam(h: ParamHost, p: ParamFile, o: Opts): number {
  if (p.errno !== undefined || p.value === undefined) {
    h.io.err(`error: read_param: '${DEBUGFS_LNET}/${p.name}': ${strerror(p.errno ?? -5)}\n`);
    return p.errno ?? -5;
  }
  const buf = p.value;
  if (buf === '') return 0;
  if (!o.noName) {
    const name = displayName(p, o);
    const long = buf.slice(0, -1).includes('\n') || buf.length + name.length >= 80;
    h.io.out(`${name}=${long ? '\n' : ''}`);
  }
  h.io.out(buf);
  return 0;
}

async function display(h: ParamHost, argv: string[], list: boolean): Promise<number> {
  const parsed = parseOpts(h, argv, list);
  if (!parsed) return CMD_HELP;
  const { opts, patterns } = parsed;
  let files: ParamFile[];
  try {
    files = await readAll(h);
  } catch (e) {
    const c = e instanceof ControlError ? e : new ControlError('EIO', String(e));
    h.io.err(`error: ${argv[0]}: ${c.descr}\n`);
    return c.errno;
  }
  let rc = 0;
  for (const pattern of patterns) {
    const found = matches(files, pattern);
    if (found.length === 0) {
      h.io.err(`error: ${list ? 'list_param' : 'get_param'}: param_path '${pattern}': ${strerror(-ENOENT)}\n`);
      if (rc === 0) rc = -ENOENT;
      continue;
    }
    for (const p of found) {
      if (opts.onlyDir || (opts.writable && (p.mode & 0o200) === 0)) continue;
      if (opts.onlyName) {
        h.io.out(`${displayName(p, opts)}\n`);
        continue;
      }
      const r = readParam(h, p, opts);
      if (r !== 0 && rc === 0) rc = r;
    }
  }
  return rc;
}

/** jt_lcfg_getparam */
export function getParam(h: ParamHost, argv: string[]): Promise<number> {
  return display(h, argv, false);
}

/** jt_lcfg_listparam */
export function listParam(h: ParamHost, argv: string[]): Promise<number> {
  return display(h, argv, true);
}
