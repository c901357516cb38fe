/**
 * User-defined selection policies (`lnetctl udsp add|del|show`) over the UDSP engine of the
 * core (src/core/udsp.ts), reported as liblnetconfig_udsp.c reports them: its own argument
 * checks as cYAML errors with rc -22, the kernel's refusals as "cannot add udsp: <strerror>"
 * with rc = errno (positive, as lustre_lnet_add_udsp keeps it), del failures with rc -1.
 */
import { Errno } from '../../errno.js';
import { LNetError } from '../../errors.js';
import type { UdspRuleInfo } from '../../core/udsp.js';
import { cyamlErrorDoc, DocumentError, strerror } from '../docs/error-docs.js';
import type { UdspRuleInput as UdspDocRule } from '../docs/inputs.js';
import { buildUdspShow } from '../docs/udsp-show.js';
import type { LNetModule } from '../lnet-module.js';
import { optBool, optInt, optStr, type Args } from './args.js';
import type { OpRegistry } from './registry.js';

function udspError(cmd: 'add' | 'show', rc: number, text: string): DocumentError {
  const descr = `"${text}"`;
  return new DocumentError('EINVAL', text, cyamlErrorDoc(cmd, 'udsp', rc, descr), rc & 0xff);
}

/** The rules in the shape the udsp documents take. */
export function udspDocRules(rules: readonly UdspRuleInfo[]): UdspDocRule[] {
  return rules.map((r) => ({
    idx: r.idx,
    ...(r.src !== undefined ? { src: r.src } : {}),
    ...(r.dst !== undefined ? { dst: r.dst } : {}),
    ...(r.rte !== undefined ? { rte: r.rte } : {}),
    ...(r.action ? { priority: r.action.priority } : {}),
  }));
}

/** lustre_lnet_add_udsp's checks, then the kernel's (IOC_LIBCFS_ADD_UDSP). */
export function udspAdd(m: LNetModule, a: { src?: string; dst?: string; rte?: string; priority?: number; idx?: number }): void {
  const { src, dst, rte } = a;
  if (!(src || dst || rte)) throw udspError('add', -Errno.EINVAL, 'Missing required argument(s)');
  if (src && rte && dst) throw udspError('add', -Errno.EINVAL, 'The combination of src, dst and rte is not supported');
  if (src && rte) throw udspError('add', -Errno.EINVAL, 'src and rte cannot be combined');
  if (!m.lnet || !m.running) throw udspError('add', Errno.EINVAL, `cannot add udsp: ${strerror(Errno.EINVAL)}`);
  try {
    m.lnet.core.udsp.add({
      ...(src !== undefined ? { src } : {}),
      ...(dst !== undefined ? { dst } : {}),
      ...(rte !== undefined ? { rte } : {}),
      ...(a.priority !== undefined && a.priority >= 0 ? { priority: a.priority } : {}),
      ...(a.idx !== undefined && a.idx >= 0 ? { idx: a.idx } : {}),
    });
  } catch (e) {
    if (!(e instanceof LNetError)) throw e;
    const parse = /failed to parse (src|dst|rte) parameter/.exec(e.message);
    if (parse) throw udspError('add', -Errno.EINVAL, `failed to parse ${parse[1]} parameter`);
    throw udspError('add', -e.errno, `cannot add udsp: ${strerror(e.errno)}`);
  }
}

function udspDel(m: LNetModule, a: Args): void {
  const idx = optBool(a, 'all') ? -1 : (optInt(a, 'idx') ?? -1);
  if (!m.lnet || !m.running) throw udspError('add', -1, `cannot del udsp: ${strerror(Errno.EINVAL)}`);
  try {
    m.lnet.core.udsp.del(idx < 0 ? 'all' : idx);
  } catch (e) {
    throw udspError('add', -1, `cannot del udsp: ${strerror(e instanceof LNetError ? e.errno : -Errno.EINVAL)}`);
  }
}

function udspShow(m: LNetModule, a: Args): unknown {
  if (!m.lnet || !m.running) throw udspError('show', -Errno.EINVAL, `cannot get udsp: ${strerror(Errno.EINVAL)}`);
  const idx = optInt(a, 'idx');
  const rules = udspDocRules(m.lnet.core.udsp.list());
  // An index with no rule is ENOENT, which lustre_lnet_show_udsp treats as "nothing to show".
  return buildUdspShow(rules, idx !== undefined && idx >= 0 ? idx : undefined);
}

export function registerUdspOps(r: OpRegistry): void {
  r.add('udsp.add', (ctx, a) =>
    udspAdd(ctx.module, {
      ...(optStr(a, 'src') !== undefined ? { src: optStr(a, 'src')! } : {}),
      ...(optStr(a, 'dst') !== undefined ? { dst: optStr(a, 'dst')! } : {}),
      ...(optStr(a, 'rte') !== undefined ? { rte: optStr(a, 'rte')! } : {}),
      ...(optInt(a, 'priority') !== undefined ? { priority: optInt(a, 'priority')! } : {}),
      ...(optInt(a, 'idx') !== undefined ? { idx: optInt(a, 'idx')! } : {}),
    }),
  );
  r.add('udsp.del', (ctx, a) => udspDel(ctx.module, a));
  r.add('udsp.show', (ctx, a) => udspShow(ctx.module, a), false);
}
