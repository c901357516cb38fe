/** `lnetctl lnet configure|unconfigure` and `lnetctl net add|del|show|set` (lnetctl.c jt_config_lnet, jt_add_ni, …). */
import { DaemonUnreachable } from '../../control/client.js';
import { ControlError, errorReport } from '../../control/protocol.js';
import { lnetConfigureError } from '../../control/docs/error-docs.js';
import { parseExprList, exprListValues } from '../../nid/expr-list.js';
import { parseLong, verboseLevel } from '../getopt.js';
import type { Ctx } from './context.js';
import { LNET_HELP, NET_HELP } from './help-texts.js';
import { checkCmd, flag, getopt, opt, printHelp, req } from './util.js';

export async function lnetConfigure(ctx: Ctx, argv: string[]): Promise<number> {
  const rc = checkCmd(ctx, LNET_HELP, 'lnet', 'configure', 0, argv);
  if (rc) return rc;
  const r = getopt(ctx, argv, 'al', [flag('all', 'a'), flag('large', 'l')]);
  let all = false;
  let large = false;
  for (const o of r.opts) {
    if (o.opt === 'a') all = true;
    else if (o.opt === 'l') large = true;
    else return 0;
  }
  return configureCall(ctx, 'lnet.configure', { mode: all ? 'load' : 'skip', large });
}

export async function lnetUnconfigure(ctx: Ctx, argv: string[]): Promise<number> {
  const rc = checkCmd(ctx, LNET_HELP, 'lnet', 'unconfigure', 0, argv);
  if (rc) return rc;
  return configureCall(ctx, 'lnet.unconfigure', {});
}

/** LNET_CMD_CONFIGURE: a failure prints `configure:` / `-     lnet:` with "LNet configure error: …". */
async function configureCall(ctx: Ctx, op: string, args: Record<string, unknown>): Promise<number> {
  try {
    await ctx.call(op, args);
    return 0;
  } catch (e) {
    if (e instanceof DaemonUnreachable) return ctx.unreachable(e);
    if (e instanceof ControlError && !errorReport(e)) {
      const doc = lnetConfigureError(e.errno, e.descr);
      ctx.print(doc.document, 'stderr');
      return e.errno || -22;
    }
    return ctx.fail(e, 'add', 'lnet');
  }
}

/** lustre_lnet_parse_interfaces: `eth0,eth1` (a `[cpts]` suffix per interface is accepted and ignored here). */
function parseInterfaces(text: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of text) {
    if (c === '[') depth++;
    if (c === ']') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  const names = out.map((s) => s.replace(/\[.*\]$/, '').trim());
  if (depth !== 0 || names.some((n) => n === '' || n.length > 15)) return undefined;
  return names;
}

/** cfs_expr_list_parse(optarg, 0, UINT_MAX) expanded; undefined when it does not parse (lnetctl then ignores --cpt). */
function parseCpts(text: string): number[] | undefined {
  try {
    return exprListValues(parseExprList(text.trim(), 0, 0xffffffff), 4096);
  } catch {
    return undefined;
  }
}

export async function netAdd(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, NET_HELP, 'net', 'add', 0, argv);
  if (rc0) return rc0;
  const r = getopt(ctx, argv, 'a:b:c:i:k:m:n:p:r:s:t:T:', [
    req('auth-key', 'a'),
    req('peer-buffer-credits', 'b'),
    req('peer-credits', 'c'),
    req('if', 'i'),
    flag('skip-mr-route-setup', 'k'),
    req('conns-per-peer', 'm'),
    req('net', 'n'),
    req('nid', 'N'),
    req('ip2net', 'p'),
    req('credits', 'r'),
    req('cpt', 's'),
    req('peer-timeout', 't'),
    req('traffic-class', 'T'),
    req('tos', 'S'),
  ]);
  let net: string | undefined;
  let nid: string | undefined;
  let ip2net: string | undefined;
  let interfaces: string[] = [];
  let cpts: number[] | undefined;
  const tun: Record<string, number> = {};
  const lndTun: Record<string, number> = {};
  for (const o of r.opts) {
    const num = (): number | undefined => parseLong(o.arg);
    switch (o.opt) {
      case 'a':
      case 'T':
      case 'k':
        break; // kfilnd keys, and the ksocklnd-config route setup ulnet does not do
      case 'b':
        if (num() !== undefined) tun.peer_buffer_credits = num()!;
        break;
      case 'c':
        if (num() !== undefined) tun.peer_credits = num()!;
        break;
      case 'r':
        if (num() !== undefined) tun.credits = num()!;
        break;
      case 't':
        if (num() !== undefined) tun.peer_timeout = num()!;
        break;
      case 'm':
        if (num() !== undefined) lndTun.conns_per_peer = num()!;
        break;
      case 'i':
      case 'N': {
        const list = parseInterfaces(o.arg!);
        if (!list) return ctx.cyamlError('ni', 'add', -1, o.opt === 'i' ? 'bad interface list' : 'bad NID list');
        if (o.opt === 'i') interfaces = list;
        else nid = list[0];
        break;
      }
      case 'n':
        net = o.arg;
        break;
      case 'p':
        ip2net = o.arg;
        break;
      case 's':
        cpts = parseCpts(o.arg!);
        break;
      case 'S': {
        const tos = num();
        if (tos === undefined || tos < -1 || tos > 0xff) {
          ctx.cyamlError('ni', 'add', -1, 'Invalid ToS argument');
          return -22;
        }
        lndTun.tos = tos;
        break;
      }
      default:
        printHelp(ctx.io, NET_HELP, 'net', 'add');
        return 0;
    }
  }
  if (nid !== undefined && net !== undefined) {
    ctx.io.out('--net is invalid with --nid option\n');
    return -22;
  }
  if (ip2net === undefined && net === undefined && nid === undefined) {
    ctx.io.out("missing mandatory parameters in NI config: 'network'\n");
    return -22;
  }
  if (ip2net === undefined && nid === undefined && interfaces.length === 0) {
    ctx.io.out('creating a local NI needs at least one interface\n');
    return -22;
  }
  try {
    await ctx.call('net.add', {
      ...(net !== undefined ? { net } : {}),
      ...(nid !== undefined ? { nid } : {}),
      ...(ip2net !== undefined ? { ip2net } : {}),
      ...(interfaces.length > 0 ? { interfaces } : {}),
      ...(cpts ? { cpts } : {}),
      ...(Object.keys(tun).length > 0 ? { tunables: tun } : {}),
      ...(Object.keys(lndTun).length > 0 ? { lndTunables: lndTun } : {}),
    });
    return 0;
  } catch (e) {
    return ctx.fail(e, 'add', 'net');
  }
}

export async function netDel(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, NET_HELP, 'net', 'del', 0, argv);
  if (rc0) return rc0;
  const r = getopt(ctx, argv, 'n:i:', [req('net', 'n'), req('if', 'i'), req('nid', 'N')]);
  let net: string | undefined;
  let nid: string | undefined;
  let interfaces: string[] = [];
  for (const o of r.opts) {
    if (o.opt === 'n') net = o.arg;
    else if (o.opt === 'N' || o.opt === 'i') {
      const list = parseInterfaces(o.arg!);
      if (!list) return ctx.cyamlError('ni', o.opt === 'N' ? 'del' : 'add', -1, o.opt === 'N' ? 'bad NID list' : 'bad interface list');
      if (o.opt === 'N') nid = list[0];
      else interfaces = list;
    } else {
      printHelp(ctx.io, NET_HELP, 'net', 'del');
      return 0;
    }
  }
  if (nid !== undefined && net !== undefined) {
    ctx.io.out('--net is invalid with --nid option\n');
    return -22;
  }
  if (net === undefined && nid === undefined) {
    ctx.io.out("missing mandatory parameters in NI config: 'network'\n");
    return -22;
  }
  try {
    await ctx.call('net.del', { ...(net !== undefined ? { net } : {}), ...(nid !== undefined ? { nid } : {}), ...(interfaces.length ? { interfaces } : {}) });
    return 0;
  } catch (e) {
    return ctx.fail(e, 'del', 'net');
  }
}

export async function netShow(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, NET_HELP, 'net', 'show', 0, argv);
  if (rc0) return rc0;
  const r = getopt(ctx, argv, 'n:v', [req('net', 'n'), opt('verbose', 'v')], ['v']);
  let net: string | undefined;
  let verbose = 0;
  for (const o of r.opts) {
    if (o.opt === 'n') net = o.arg;
    else if (o.opt === 'v') verbose = verboseLevel(o);
    else {
      printHelp(ctx.io, NET_HELP, 'net', 'show');
      return 0;
    }
  }
  try {
    ctx.print(await ctx.call('net.show', { ...(net !== undefined ? { net } : {}), verbose }));
    return 0;
  } catch (e) {
    return ctx.fail(e, 'show', 'net');
  }
}

/** set_value_helper for `net set` and `peer set`. */
export async function setValue(ctx: Ctx, argv: string[], kind: 'net' | 'peer'): Promise<number> {
  const r = getopt(ctx, argv, 'ai:l:m:n:s:t:', [
    flag('all', 'a'),
    req('net', 'i'),
    req('lnd-timeout', 'l'),
    req('conns-per-peer', 'm'),
    req('nid', 'n'),
    req('state', 's'),
    req('health', 't'),
  ]);
  const args: Record<string, unknown> = {};
  const fail = (text: string): number => ctx.cyamlError('net', 'set', -22, `"${text}"`);
  let lndTimeout = -1;
  for (const o of r.opts) {
    switch (o.opt) {
      case 'a':
        args.all = true;
        break;
      case 'i':
        args.net = o.arg;
        if (!/^[a-z]+[0-9]*$/i.test(o.arg!.trim())) return fail(`Invalid network type: ${o.arg}`);
        break;
      case 'l':
        lndTimeout = Number.parseInt(o.arg!, 10) || 0;
        if (lndTimeout < 0) return fail(`Invalid LND timeout value '${o.arg}', must be >= 0`);
        break;
      case 'm':
        if (kind === 'net' && parseLong(o.arg) !== undefined) args.connsPerPeer = parseLong(o.arg);
        break;
      case 'n':
        args.nid = o.arg;
        break;
      case 's':
        if (kind === 'peer' && parseLong(o.arg) !== undefined) args.state = parseLong(o.arg);
        break;
      case 't':
        if (parseLong(o.arg) !== undefined) args.health = parseLong(o.arg);
        break;
      default:
        return fail('Invalid option or missing argument');
    }
  }
  if (lndTimeout >= 0) {
    if (args.net === undefined) return fail('Specified --lnd-timeout without --net option');
    args.lndTimeout = lndTimeout;
  }
  try {
    await ctx.call(kind === 'net' ? 'net.set' : 'peer.set', args);
    return 0;
  } catch (e) {
    return ctx.fail(e, 'set', kind);
  }
}

export async function netSet(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, NET_HELP, 'net', 'set', 0, argv);
  if (rc0) return rc0;
  return setValue(ctx, argv, 'net');
}
