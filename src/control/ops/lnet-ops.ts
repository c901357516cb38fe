/**
 * Configuring LNet itself (LNET_CMD_CONFIGURE): `lnetctl lnet configure [--all]`,
 * `lnet unconfigure`, `lctl network up|down`; and what lctl asks of a running LNet
 * (list_nids, which_nid, conn_list, peer_list).
 */
import { formatNid } from '../../nid/nid-string.js';
import { tryParseNet, netType, formatNet } from '../../nid/net.js';
import { LndType } from '../../nid/lnd-type.js';
import { nidEquals, nidIsLo0, nidNet } from '../../nid/nid.js';
import { tryParseNid } from '../../nid/nid-string.js';
import { formatProcessId } from '../../nid/process-id.js';
import { ControlError } from '../protocol.js';
import { map } from '../../cli/yaml/doc.js';
import { printable } from '../../cli/yaml/output.js';
import type { ModParamsMode } from '../lnet-module.js';
import { oneOf, optBool, optStr, optStrs, type Args } from './args.js';
import type { OpContext, OpRegistry } from './registry.js';

export interface LNetStatus {
  configured: boolean;
  nids: string[];
  /** A plain `lnetctl lnet configure` made later configures skip module-parameter networks. */
  skipModParams: boolean;
  socket: string;
  pid: number;
  ncpt: number;
}

function status(ctx: OpContext): LNetStatus {
  const m = ctx.module;
  return {
    configured: m.running,
    nids: m.running ? m.lnet!.nids().map(formatNid) : [],
    skipModParams: m.skipModParams,
    socket: ctx.socket,
    pid: process.pid,
    ncpt: m.ncpt,
  };
}

/** lnetctl list_nids / LNET_CMD_NETS dump reduced to NIDs (0@lo first). */
function listNids(ctx: OpContext, a: Args): { nids: string[] } {
  const lnet = ctx.module.requireLNet('Unspecific failure');
  const netText = optStr(a, 'net');
  const net = netText === undefined ? undefined : tryParseNet(netText);
  if (netText !== undefined && net === undefined) throw new ControlError('ENOENT', 'cannot parse net');
  const all = optBool(a, 'all');
  const nids = lnet.nids().filter((n) => (net === undefined || nidNet(n) === net) && (all || !nidIsLo0(n)));
  return { nids: nids.map(formatNid) };
}

/**
 * LNetDist for each NID (lctl which_nid): distance 0/1 for a local NID, 1 on a local net,
 * hops + 1 through a route; order 0 for 0@lo, 1 for a local NID, 2.. by local NI position.
 */
function nidDistances(ctx: OpContext, a: Args): { nid: string; distance: number; order: number }[] {
  const lnet = ctx.module.requireLNet();
  const out: { nid: string; distance: number; order: number }[] = [];
  for (const text of optStrs(a, 'nids') ?? []) {
    const nid = tryParseNid(text);
    if (!nid) throw new ControlError('EINVAL', `Can't parse NID ${text}`);
    const nis = lnet.core.nis;
    const local = nis.find((ni) => nidEquals(ni.nid, nid));
    if (local) {
      out.push({ nid: formatNid(nid), distance: 1, order: nidIsLo0(nid) ? 0 : 1 });
      continue;
    }
    const idx = nis.findIndex((ni) => ni.net === nidNet(nid));
    if (idx >= 0) {
      out.push({ nid: formatNid(nid), distance: 1, order: 2 + idx });
      continue;
    }
    const routes = lnet.routes.list({ net: nidNet(nid) });
    if (routes.length > 0) {
      const hops = Math.min(...routes.map((r) => (r.hops < 0 ? 1 : r.hops)));
      out.push({ nid: formatNid(nid), distance: hops + 1, order: 2 + nis.length });
    }
    // Unreachable NIDs are left out (LNetDist's -EHOSTUNREACH).
  }
  return out;
}

/** socklnd's connections (lctl --net tcp conn_list) and peers (peer_list). */
function connections(ctx: OpContext, a: Args): unknown {
  const lnet = ctx.module.requireLNet();
  const netText = optStr(a, 'net');
  const net = netText === undefined ? undefined : tryParseNet(netText);
  const lnd = ctx.module.socklnd;
  if (!lnd || (net !== undefined && netType(net) !== LndType.SOCKLND)) return { conns: [] };
  const conns = lnd
    .connections()
    .filter((c) => net === undefined || nidNet(c.ni) === net)
    .map((c) => ({
      peer: formatProcessId({ nid: c.peer, pid: c.pid }),
      net: formatNet(nidNet(c.ni)),
      type: c.type,
      local: c.local,
      remote: c.remote,
      passive: c.passive,
    }));
  void lnet;
  return { conns };
}

/**
 * `lnetctl debug recovery --local|--peer` (LNET_CMD_DBG_RECOV): the NIDs on the local NI or
 * peer NI recovery queue as `Local NI recovery:` / `nid-0: …`; nothing for an empty queue.
 */
function debugRecovery(ctx: OpContext, a: Args): unknown {
  const lnet = ctx.module.requireLNet();
  const peer = oneOf(a, 'type', ['local', 'peer'], 'local') === 'peer';
  const nids = peer ? lnet.core.recovery.peerQueue.map((l) => l.nid) : lnet.core.recovery.localQueue.map((ni) => ni.nid);
  if (nids.length === 0) return null;
  const entries = nids.map((n, i) => [`nid-${i}`, formatNid(n)] as const);
  return printable(map([[peer ? 'Peer NI recovery' : 'Local NI recovery', map(entries)]]), 'libyaml6');
}

export function registerLNetOps(r: OpRegistry): void {
  r.add('debug.recovery', (ctx, a) => debugRecovery(ctx, a), false);
  r.add('lnet.configure', async (ctx, a) => {
    const mode = oneOf<ModParamsMode>(a, 'mode', ['skip', 'load', 'unless-skipped'], 'skip');
    await ctx.module.configure(mode, optBool(a, 'large'));
    return status(ctx);
  });
  r.add('lnet.unconfigure', async (ctx) => {
    await ctx.module.unconfigure();
    return status(ctx);
  });
  r.add('lnet.status', (ctx) => status(ctx), false);
  r.add('nids.list', (ctx, a) => listNids(ctx, a), false);
  r.add('nids.distance', (ctx, a) => nidDistances(ctx, a), false);
  r.add('conns.list', (ctx, a) => connections(ctx, a), false);
}
