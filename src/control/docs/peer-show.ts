import { map, seq, type DocInput, type DocMap } from '../../cli/yaml/doc.js';
import { printable, type PrintableDoc } from '../../cli/yaml/output.js';
import type { ElementStats } from '../../core/counters.js';
import { ElementStats as Stats, PeerNiHealthStats } from '../../core/counters.js';
import type { LNetCore } from '../../core/lnet-core.js';
import { LNET_MAX_HEALTH_VALUE, type PeerNi } from '../../core/peer-ni.js';
import { nidIsLo0, nidKey, nidNet, type Nid } from '../../nid/nid.js';
import { formatNid, parseNid } from '../../nid/nid-string.js';
import { lnetDownError, noSuchPeerError } from './error-docs.js';
import type { RouteInput, UdspInfoSource } from './inputs.js';
import type { LNetView } from './net-show.js';
import { msgStatsNode, statisticsNode, udspInfoNode } from './stats-nodes.js';

export interface PeerShowOptions {
  /** `--nid`: the peer owning this NID (any of its NIDs). */
  nid?: string | Nid;
  /** `-v [level]`: the genl version, 0..4 (export uses 3, export --backup 0). */
  verbose?: number;
  /** The export --backup form: no peer NI `state`. */
  backup?: boolean;
  /** Routes: their gateways are peers too (route add creates them), and routers show up/down. */
  routes?: readonly RouteInput[];
  /** The raw routing state; non-zero turns on peer aliveness (`state: up/down`). Default: the core's `routing` parameter. */
  routingState?: number;
  /** Whether a peer NI is alive (lpni_ns_status), when the owner of that knowledge has it. */
  aliveness?: (nid: Nid) => boolean | undefined;
  udspInfo?: UdspInfoSource;
}

/** One peer as peer show lists it. */
export interface PeerEntry {
  readonly primaryNid: Nid;
  readonly multiRail: boolean;
  /** lp_state bits (`peer state:` at -v 3). */
  readonly state: number;
  /** Its NIDs, grouped by net in the order the nets first appear (lp_peer_nets), primary's net first. */
  readonly nids: readonly Nid[];
}

/** Peer NI figures, from the core's peer NI or, for a NID nothing was sent to yet, as the kernel creates it. */
interface PeerNiView {
  readonly maxTxCredits: number;
  readonly txCredits: number;
  readonly minTxCredits: number;
  readonly txQnob: number;
  readonly rtrCredits: number;
  readonly minRtrCredits: number;
  readonly refcount: number;
  readonly stats: ElementStats;
  readonly health: PeerNiHealthStats;
  readonly healthValue: number;
  readonly onLocalNet: boolean;
}

function groupByNet(nids: readonly Nid[]): Nid[] {
  const nets: number[] = [];
  const by = new Map<number, Nid[]>();
  for (const n of nids) {
    const net = nidNet(n);
    let l = by.get(net);
    if (!l) {
      by.set(net, (l = []));
      nets.push(net);
    }
    if (!l.some((x) => nidKey(x) === nidKey(n))) l.push(n);
  }
  return nets.flatMap((net) => by.get(net)!);
}

/**
 * The peers in the order the kernel lists them (peer table order = creation order): peers the
 * core created by sending or receiving (peer NIs) in the order they appeared, each discovered or
 * configured peer at the place of its first peer NI, then configured peers nothing was sent to,
 * then route gateways the core does not know yet.
 */
export function peersInOrder(core: LNetCore, routes: readonly RouteInput[] = []): PeerEntry[] {
  const out: PeerEntry[] = [];
  const emitted = new Set<object>();
  const seenNids = new Set<string>();
  const addRecord = (p: { primaryNid: Nid; multiRail: boolean; state: number; nids: readonly Nid[] }): void => {
    if (emitted.has(p)) return;
    emitted.add(p);
    // Ulnet keeps the primary among the NIDs; after a delete it may not be, then it leads.
    const has = p.nids.some((n) => nidKey(n) === nidKey(p.primaryNid));
    const finalNids = groupByNet(has ? p.nids : [p.primaryNid, ...p.nids]);
    for (const n of finalNids) seenNids.add(nidKey(n));
    out.push({ primaryNid: p.primaryNid, multiRail: p.multiRail, state: p.state, nids: finalNids });
  };
  for (const [key, lpni] of core.peers) {
    if (seenNids.has(key) || nidIsLo0(lpni.nid)) continue;
    const rec = core.peerTable.get(key);
    if (rec) addRecord(rec);
    else {
      seenNids.add(key);
      out.push({ primaryNid: lpni.nid, multiRail: false, state: 0, nids: [lpni.nid] });
    }
  }
  for (const rec of core.peerTable.values()) addRecord(rec);
  for (const r of routes) {
    const key = nidKey(r.gateway);
    if (seenNids.has(key)) continue;
    seenNids.add(key);
    out.push({ primaryNid: r.gateway, multiRail: false, state: 0, nids: [r.gateway] });
  }
  return out;
}

function peerNiView(core: LNetCore, nid: Nid): PeerNiView {
  const net = nidNet(nid);
  const localNi = core.nis.find((ni) => ni.net === net && ni !== core.loNi);
  const lpni: PeerNi | undefined = core.peers.get(nidKey(nid));
  const maxTx = localNi ? localNi.tunables.peer_credits : 0;
  if (lpni) {
    return {
      maxTxCredits: maxTx,
      txCredits: lpni.txCredits,
      minTxCredits: lpni.minTxCredits,
      txQnob: lpni.txQnob,
      rtrCredits: lpni.rtrCredits,
      minRtrCredits: lpni.minRtrCredits,
      refcount: lpni.refcount,
      stats: lpni.stats,
      health: lpni.health,
      healthValue: lpni.healthValue,
      onLocalNet: localNi !== undefined,
    };
  }
  // lnet_peer_ni_alloc: credits from the local net's tunables; a NID on a net this node has no
  // NI on gets none and holds an extra reference (refcount 2, 05-cli-behaviours.txt).
  const rtr = localNi ? localNi.tunables.peer_buffer_credits || localNi.tunables.peer_credits : 0;
  return {
    maxTxCredits: maxTx,
    txCredits: maxTx,
    minTxCredits: maxTx,
    txQnob: 0,
    rtrCredits: rtr,
    minRtrCredits: rtr,
    refcount: localNi ? 1 : 2,
    stats: new Stats(),
    health: new PeerNiHealthStats(),
    healthValue: LNET_MAX_HEALTH_VALUE,
    onLocalNet: localNi !== undefined,
  };
}

/**
 * lnet_is_peer_ni_alive without the kernel's lpni_ns_status: a peer NI starts up
 * (check_routers_before_use is 0), goes down when sends to it fail, and is up again once it
 * is heard from.
 */
function guessAlive(v: PeerNiView): boolean {
  if (v.stats.recv.total() > 0) return true;
  const h = v.health;
  return h.dropped + h.timeout + h.error + h.network_timeout === 0 && v.healthValue >= LNET_MAX_HEALTH_VALUE;
}

function peerNiNode(core: LNetCore, nid: Nid, isRouter: boolean, version: number, opts: PeerShowOptions, routing: number): DocMap {
  const v = peerNiView(core, nid);
  const entries: [string, DocInput | undefined][] = [['nid', formatNid(nid)]];
  if (version >= 4) entries.push(['udsp info', udspInfoNode(opts.udspInfo?.(nid, true))]);
  if (!opts.backup) {
    const peerTimeout = core.nis.find((ni) => ni.net === nidNet(nid) && ni !== core.loNi)?.tunables.peer_timeout ?? 0;
    const aliveness = routing !== 0 && v.onLocalNet && peerTimeout > 0;
    const state = isRouter || aliveness ? ((opts.aliveness?.(nid) ?? guessAlive(v)) ? 'up' : 'down') : 'NA';
    entries.push(['state', state]);
  }
  if (version >= 1) {
    entries.push(['max_ni_tx_credits', v.maxTxCredits]);
    entries.push(['available_tx_credits', v.txCredits]);
    entries.push(['min_tx_credits', v.minTxCredits]);
    entries.push(['tx_q_num_of_buf', v.txQnob]);
    entries.push(['available_rtr_credits', v.rtrCredits]);
    entries.push(['min_rtr_credits', v.minRtrCredits]);
    entries.push(['refcount', v.refcount]);
    entries.push(['statistics', statisticsNode(v.stats)]);
    if (version >= 2) {
      entries.push(['sent_stats', msgStatsNode(v.stats.send)]);
      entries.push(['received_stats', msgStatsNode(v.stats.recv)]);
      entries.push(['dropped_stats', msgStatsNode(v.stats.drop)]);
      const h = v.health;
      entries.push([
        'health stats',
        map([
          ['health value', v.healthValue],
          ['dropped', h.dropped],
          ['timeout', h.timeout],
          ['error', h.error],
          ['network timeout', h.network_timeout],
          ['ping_count', h.ping_count],
          ['next_ping', h.next_ping],
        ]),
      ]);
    }
  }
  return map(entries);
}

function selectPeers(core: LNetCore, opts: PeerShowOptions): PeerEntry[] {
  const all = peersInOrder(core, opts.routes);
  if (opts.nid === undefined) return all;
  const nid = typeof opts.nid === 'string' ? parseNid(opts.nid, { flavor: 'userspace' }) : opts.nid;
  const key = nidKey(nid);
  const p = all.find((e) => e.nids.some((n) => nidKey(n) === key));
  if (!p) throw noSuchPeerError();
  return [p];
}

/**
 * The `peer:` document of `lnetctl peer show` (lnet_peer_ni_show_dump, config.md §5.3); null
 * when there are no peers (the kernel's "No peers found" is printed as nothing). An unknown
 * `--nid` throws the kernel's error document.
 */
export function buildPeerShow(lnet: LNetView, opts: PeerShowOptions = {}): PrintableDoc | null {
  const core = lnet.core;
  if (core.state !== 'running') throw lnetDownError('peer');
  const version = Math.max(0, Math.min(4, Math.trunc(opts.verbose ?? 0)));
  const routing = opts.routingState ?? core.params.routing;
  const gateways = new Set((opts.routes ?? []).map((r) => nidKey(r.gateway)));
  const peers = selectPeers(core, opts);
  if (peers.length === 0) return null;
  const items = peers.map((p) => {
    const isRouter = p.nids.some((n) => gateways.has(nidKey(n)));
    return map([
      ['primary nid', formatNid(p.primaryNid)],
      ['Multi-Rail', p.multiRail],
      ['peer state', version >= 3 && !opts.backup ? p.state >>> 0 : undefined],
      ['peer ni', seq(p.nids.map((n) => peerNiNode(core, n, isRouter, version, opts, routing)))],
    ]);
  });
  return printable(map([['peer', seq(items)]]), 'libyaml6');
}

/** `lnetctl peer list`: `peer list:` / `-     nid: <primary>` per peer (netlink path, indent 6); null for none. */
export function buildPeerList(lnet: LNetView, opts: Pick<PeerShowOptions, 'routes'> = {}): PrintableDoc | null {
  const core = lnet.core;
  if (core.state !== 'running') throw lnetDownError('peer');
  const peers = peersInOrder(core, opts.routes);
  if (peers.length === 0) return null;
  return printable(map([['peer list', seq(peers.map((p) => map([['nid', formatNid(p.primaryNid)]])))]]), 'libyaml6');
}
