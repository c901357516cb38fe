/**
 * The rest of lnetctl: `udsp add|del|show`, `debug recovery|peer|nidlist`, `fault …`,
 * `cpt-of-nid`, `service-id`, `setup-mrrouting`, `setup-sysctl`.
 */
import { cptOfNid } from '../../cpt/cpt-of-nid.js';
import { map, seq } from '../yaml/doc.js';
import { printable } from '../yaml/output.js';
import { expandNidRangeText } from '../../nid/nid-range.js';
import { formatNid, tryParseNid } from '../../nid/nid-string.js';
import { parseLong } from '../getopt.js';
import type { Ctx } from './context.js';
import { DEBUG_HELP, FAULT_DELAY_HELP, FAULT_DROP_HELP, FAULT_HELP, NET_HELP, UDSP_HELP } from './help-texts.js';
import { checkCmd, flag, getopt, printHelp, req } from './util.js';

export async function udspAdd(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, UDSP_HELP, 'udsp', 'add', 0, argv);
  if (rc0) return rc0;
  const r = getopt(ctx, argv, 's:d:r:p:i:', [req('src', 's'), req('dst', 'd'), req('rte', 'r'), req('priority', 'p'), req('idx', 'i')]);
  const args: Record<string, unknown> = {};
  for (const o of r.opts) {
    if (o.opt === 's') args.src = o.arg;
    else if (o.opt === 'd') args.dst = o.arg;
    else if (o.opt === 'r') args.rte = o.arg;
    else if (o.opt === 'p' || o.opt === 'i') {
      const v = parseLong(o.arg);
      if (v === undefined || v < 0) {
        ctx.io.out(`Invalid ${o.opt === 'p' ? 'priority' : 'index'} "${o.arg}"\n`);
        return -22;
      }
      args[o.opt === 'p' ? 'priority' : 'idx'] = v;
    } else {
      printHelp(ctx.io, UDSP_HELP, 'udsp', 'add');
      return 0;
    }
  }
  if (args.src === undefined && args.dst === undefined && args.rte === undefined) {
    printHelp(ctx.io, UDSP_HELP, 'udsp', 'add');
    return 0;
  }
  try {
    await ctx.call('udsp.add', args);
    return 0;
  } catch (e) {
    return ctx.fail(e, 'add', 'udsp');
  }
}

export async function udspDel(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, UDSP_HELP, 'udsp', 'del', 0, argv);
  if (rc0) return rc0;
  const r = getopt(ctx, argv, 'ai:', [flag('all', 'a'), req('idx', 'i')]);
  let all = false;
  let idx = -2;
  for (const o of r.opts) {
    if (o.opt === 'a') all = true;
    else if (o.opt === 'i') {
      const v = parseLong(o.arg);
      if (v === undefined || v < -1) {
        ctx.io.out(`Invalid index "${o.arg}"\n`);
        return -22;
      }
      idx = v;
    } else {
      printHelp(ctx.io, UDSP_HELP, 'udsp', 'del');
      return 0;
    }
  }
  if (all && idx !== -2) {
    ctx.io.out('Cannot combine --all with --idx\n');
    return -22;
  }
  if (!all && idx === -2) {
    ctx.io.out('Must specify --idx or --all\n');
    return -22;
  }
  try {
    await ctx.call('udsp.del', all ? { all: true } : { idx });
    return 0;
  } catch (e) {
    return ctx.fail(e, 'del', 'udsp');
  }
}

export async function udspShow(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, UDSP_HELP, 'udsp', 'show', 0, argv);
  if (rc0) return rc0;
  const r = getopt(ctx, argv, 'i:', [req('idx', 'i')]);
  const args: Record<string, unknown> = {};
  for (const o of r.opts) {
    if (o.opt === 'i') {
      const v = parseLong(o.arg);
      if (v === undefined || v < -1) {
        ctx.io.out(`Invalid index "${o.arg}"\n`);
        return -22;
      }
      args.idx = v;
    } else {
      // (lnetctl prints net show's help here)
      printHelp(ctx.io, NET_HELP, 'net', 'show');
      return 0;
    }
  }
  try {
    ctx.print(await ctx.call('udsp.show', args));
    return 0;
  } catch (e) {
    return ctx.fail(e, 'show', 'udsp');
  }
}

/** `debug recovery --local|--peer`: the NIs waiting on a recovery queue. */
export async function debugRecovery(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, DEBUG_HELP, 'debug', 'recovery', 0, argv);
  if (rc0) return rc0;
  const r = getopt(ctx, argv, 'lp', [flag('local', 'l'), flag('peer', 'p')]);
  let type: 'local' | 'peer' | undefined;
  for (const o of r.opts) {
    if (o.opt === 'l') type = 'local';
    else if (o.opt === 'p') type = 'peer';
    else return 0;
  }
  if (!type) return -22;
  try {
    ctx.print(await ctx.call('debug.recovery', { type }));
    return 0;
  } catch (e) {
    return ctx.fail(e, 'show', 'debug');
  }
}

/** `debug peer --nid N`: the kernel dumps the peer to its debug log; lnetd logs nothing more. */
export async function debugPeer(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, DEBUG_HELP, 'debug', 'peer', 0, argv);
  if (rc0) return rc0;
  getopt(ctx, argv, 'k', [req('nid', 'k')]);
  return 0;
}

/** `debug nidlist LIST [NID]`: the NIDs a nidlist expands to (lustre_lnet_debug_nidlist). */
export async function debugNidlist(ctx: Ctx, argv: string[]): Promise<number> {
  if (argv.length < 2) {
    ctx.io.err('Missing nidlist argument\n');
    return -22;
  }
  if (argv.length > 3) {
    ctx.io.err('Too many arguments\n');
    return -22;
  }
  try {
    const nids = argv[1]!.split(/\s+/).filter((s) => s !== '').flatMap((r) => expandNidRangeText(r, 4096, { flavor: 'userspace' }));
    for (const n of nids) ctx.io.out(`${formatNid(n)}\n`);
    return 0;
  } catch (e) {
    ctx.io.err(`${e instanceof Error ? e.message.replace(/^[A-Z]+: /, '') : String(e)}\n`);
    return -22;
  }
}

/** `cpt-of-nid NID…`: the CPT each NID hashes to on this node (lnet_cpt_of_nid). */
export async function cptOfNidCmd(ctx: Ctx, argv: string[]): Promise<number> {
  if (argv.length < 2) {
    printHelp(ctx.io, [['cpt-of-nid', 'Calculate the CPTs associated with NIDs\n usage:\n\tlnetctl cpt-of-nid nid[ nid ...]\n']], '', 'cpt-of-nid');
    return -22;
  }
  let ncpt: number;
  try {
    ncpt = (await ctx.call<{ ncpt: number }>('lnet.status')).ncpt;
  } catch (e) {
    return ctx.fail(e, 'show', 'cpt-of-nid');
  }
  const items = [];
  for (const text of argv.slice(1)) {
    const nid = tryParseNid(text, { flavor: 'userspace' });
    if (!nid) return ctx.fail(new Error(`cannot parse NID '${text}'`), 'show', 'cpt-of-nid');
    items.push(map([['nid', formatNid(nid)], ['cpt', cptOfNid(nid, ncpt)]]));
  }
  ctx.print(printable(map([['cpt-of-nid', seq(items)]]), 'libyaml6'));
  return 0;
}

/** Fault injection (net_fault.c) is not in ulnet: the commands exist and say so. */
function faultGroup(name: 'drop' | 'delay'): (ctx: Ctx, argv: string[]) => Promise<number> {
  const table = name === 'drop' ? FAULT_DROP_HELP : FAULT_DELAY_HELP;
  return async (ctx, argv) => {
    if (argv.length < 2) {
      printHelp(ctx.io, table, `fault ${name}`);
      return -22;
    }
    const sub = argv[1]!;
    if (!table.some(([n]) => n === sub)) {
      ctx.io.err(`${ctx.prog}: '${sub}' is not a valid command. See '${ctx.prog} --list-commands'.\n`);
      return -1;
    }
    ctx.io.err(`${ctx.prog}: fault ${name} ${sub}: LNet fault injection is not available in ulnet: Operation not supported\n`);
    return -95;
  };
}

export const faultDrop = faultGroup('drop');
export const faultDelay = faultGroup('delay');
export { FAULT_HELP };

/** Host set-up helpers of the kernel tools: nothing for a userspace LNet to change. */
export async function noHostSetup(): Promise<number> {
  return 0;
}

/** `service-id`: htobe64(RDMA_PS_TCP << 16 | ko2iblnd service 987), printed as the host's u64. */
export async function serviceId(ctx: Ctx): Promise<number> {
  const be = Buffer.alloc(8);
  be.writeBigUInt64BE((0x0106n << 16n) + 987n);
  ctx.io.out(`service_id:\n    value: 0x${be.readBigUInt64LE().toString(16)}\n`);
  return 0;
}
