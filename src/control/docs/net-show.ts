import { dq, map, seq, type DocInput, type DocMap } from '../../cli/yaml/doc.js';
import { printable, type PrintableDoc } from '../../cli/yaml/output.js';
import type { LNetCore } from '../../core/lnet-core.js';
import type { NetworkInterface } from '../../core/ni.js';
import { lndTimeout } from '../../core/params.js';
import { LndType } from '../../nid/lnd-type.js';
import { formatNet, netType, parseNet, type Net } from '../../nid/net.js';
import { nidIsLo0 } from '../../nid/nid.js';
import { formatNid } from '../../nid/nid-string.js';
import { lnetDownError, noSuchNetError } from './error-docs.js';
import type { UdspInfoSource } from './inputs.js';
import { msgStatsNode, statisticsNode, udspInfoNode } from './stats-nodes.js';

/** What the builders read from an LNet instance (an `LNet` satisfies it). */
export interface LNetView {
  readonly core: LNetCore;
}

export interface NetShowOptions {
  /** `--net`: only this net (a name like `tcp1`, or a Net). */
  net?: string | Net;
  /** `-v [level]`: the genl version, 0..4 (export uses 2, export --backup 1). */
  verbose?: number;
  /** The export --backup form (NLM_F_DUMP_FILTERED): no lo, no nid/status/stats/dev cpt, no LND timeout. */
  backup?: boolean;
  udspInfo?: UdspInfoSource;
}

/** socklnd's lnd tunables of a fresh node (ksocklnd defaults). */
const SOCKLND_DEFAULTS = { conns_per_peer: 1, timeout: 50, tos: -1 };
/** o2iblnd's, with peer_credits 8 (04-o2ib-rxe-A-net-show-v4.yaml). */
const O2IBLND_DEFAULTS = {
  peercredits_hiw: 4,
  concurrent_sends: 8,
  fmr_pool_size: 512,
  fmr_flush_trigger: 384,
  fmr_cache: 1,
  ntx: 512,
  conns_per_peer: 1,
  timeout: 50,
  tos: -1,
};

/** The local NIs grouped by net, nets in the order they came up (the kernel's ln_nets). */
export function netsInOrder(core: LNetCore): { net: Net; nis: NetworkInterface[] }[] {
  const out: { net: Net; nis: NetworkInterface[] }[] = [];
  for (const ni of core.nis) {
    let g = out.find((x) => x.net === ni.net);
    if (!g) out.push((g = { net: ni.net, nis: [] }));
    g.nis.push(ni);
  }
  return out;
}

const isLo = (ni: NetworkInterface): boolean => nidIsLo0(ni.nid) || netType(ni.net) === LndType.LOLND;

function tunableNumber(v: number | string | undefined, dflt: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return dflt;
}

/** `lnd tunables:` (ksocknal_nl_get / kiblnd_nl_get); undefined for LNDs that have none (lo). */
function lndTunablesNode(ni: NetworkInterface, core: LNetCore, backup: boolean): DocMap | undefined {
  const t = ni.lndTunables;
  const type = netType(ni.net);
  if (type === LndType.SOCKLND) {
    // The socklnd timeout is sock_timeout, or lnd_timeout when sock_timeout is 0.
    let timeout = tunableNumber(t['timeout'], SOCKLND_DEFAULTS.timeout);
    if (timeout === 0) timeout = lndTimeout(core.params);
    return map([
      ['conns_per_peer', tunableNumber(t['conns_per_peer'], SOCKLND_DEFAULTS.conns_per_peer)],
      ['timeout', backup ? undefined : timeout],
      ['tos', tunableNumber(t['tos'], SOCKLND_DEFAULTS.tos)],
    ]);
  }
  if (type === LndType.O2IBLND) {
    const d = O2IBLND_DEFAULTS;
    const v = (k: keyof typeof d): number => tunableNumber(t[k], d[k]);
    return map([
      ['peercredits_hiw', v('peercredits_hiw')],
      ['concurrent_sends', v('concurrent_sends')],
      // Obsolete; the kernel always reports the flag set.
      ['map_on_demand', true],
      ['fmr_pool_size', v('fmr_pool_size')],
      ['fmr_flush_trigger', v('fmr_flush_trigger')],
      ['fmr_cache', v('fmr_cache')],
      ['ntx', v('ntx')],
      ['conns_per_peer', v('conns_per_peer')],
      ['timeout', backup ? undefined : v('timeout')],
      ['tos', v('tos')],
    ]);
  }
  return undefined;
}

/** `CPT: "[0,1]"`: the NI's CPTs (every CPT when it is not bound), as the kernel's quoted string. */
function cptNode(ni: NetworkInterface, core: LNetCore): DocInput {
  const cpts = ni.cpts.length > 0 ? ni.cpts : Array.from({ length: core.ncpt }, (_, i) => i);
  return dq(`[${cpts.join(',')}]`);
}

function niNode(ni: NetworkInterface, core: LNetCore, version: number, backup: boolean, udsp?: UdspInfoSource): DocMap {
  const lo = isLo(ni);
  const entries: [string, DocInput | undefined][] = [];
  if (!backup) {
    entries.push(['nid', formatNid(ni.nid)]);
    entries.push(['status', lo || ni.state === 'up' ? 'up' : 'down']);
  }
  if (!lo && ni.interfaces.length > 0) entries.push(['interfaces', map(ni.interfaces.map((name, i) => [String(i), name] as const))]);
  if (version > 0) {
    if (!backup) {
      entries.push(['statistics', statisticsNode(ni.stats)]);
      if (version >= 4) entries.push(['udsp info', udspInfoNode(udsp?.(ni.nid, false))]);
      if (version >= 2) {
        entries.push(['sent_stats', msgStatsNode(ni.stats.send)]);
        entries.push(['received_stats', msgStatsNode(ni.stats.recv)]);
        entries.push(['dropped_stats', msgStatsNode(ni.stats.drop)]);
        const h = ni.health;
        entries.push([
          'health stats',
          map([
            ['fatal_error', h.fatal_error],
            // The lo NI's health is never set: 0 (02-ping-discover-A-net-show-v3.yaml).
            ['health value', lo ? 0 : ni.healthValue],
            ['interrupts', h.interrupts],
            ['dropped', h.dropped],
            ['aborted', h.aborted],
            ['no route', h.no_route],
            ['timeouts', h.timeouts],
            ['error', h.error],
            ['ping_count', h.ping_count],
            ['next_ping', h.next_ping],
          ]),
        ]);
      }
    }
    const tu = ni.tunables;
    entries.push([
      'tunables',
      map([
        ['peer_timeout', tu.peer_timeout],
        ['peer_credits', tu.peer_credits],
        ['peer_buffer_credits', tu.peer_buffer_credits],
        ['credits', tu.credits],
      ]),
    ]);
    entries.push(['lnd tunables', lo ? undefined : lndTunablesNode(ni, core, backup)]);
    // ni_dev_cpt: the lo NI's is 0, a socket NI's CFS_CPT_ANY (-1) unless its device has a NUMA node.
    if (!backup) entries.push(['dev cpt', lo ? 0 : -1]);
    entries.push(['CPT', cptNode(ni, core)]);
  }
  return map(entries);
}

function resolveNet(n: string | Net): Net {
  return typeof n === 'number' ? n : parseNet(n);
}

/**
 * The `net:` document of `lnetctl net show` (lnet_net_show_dump): one item per net, its NIs
 * under `local NI(s)`, keys by verbose level (config.md §5.2). Throws the kernel's error
 * document for a `--net` that is not configured; null when there is nothing to print
 * (export --backup of a node with only lo).
 */
export function buildNetShow(lnet: LNetView, opts: NetShowOptions = {}): PrintableDoc | null {
  const core = lnet.core;
  if (core.state !== 'running') throw lnetDownError('net');
  const version = Math.max(0, Math.min(4, Math.trunc(opts.verbose ?? 0)));
  const backup = opts.backup ?? false;
  const want = opts.net === undefined ? undefined : resolveNet(opts.net);
  const items: DocMap[] = [];
  for (const { net, nis } of netsInOrder(core)) {
    if (want !== undefined && net !== want) continue;
    if (backup && netType(net) === LndType.LOLND) continue;
    items.push(
      map([
        ['net type', formatNet(net)],
        ['local NI(s)', seq(nis.map((ni) => niNode(ni, core, version, backup, opts.udspInfo)))],
      ]),
    );
  }
  if (items.length === 0) {
    if (backup) return null;
    throw noSuchNetError();
  }
  return printable(map([['net', seq(items)]]), 'libyaml6');
}
