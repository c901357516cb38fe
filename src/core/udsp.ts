/**
 * UDSP, user-defined selection policies (lnet/lnet/udsp.c, liblnetconfig_udsp.c): an ordered
 * list of rules that set selection priorities and preferences, used by selection.ts.
 *
 * Rule kinds (what `lnetctl udsp add` makes of its options):
 * - `--src NET|NIDS [--priority P]`: our net's priority (a net), or our NIs' (NIDs). Default P 0.
 * - `--dst NET|NIDS [--priority P]`: a peer net's priority, or peer NIs'. Default P 0.
 * - `--src NIDS --dst NET|NIDS`: NID pair: our NIs matching src become preferred local NIs of
 *   the peer NIs matching dst (a src with no address matches no NI, as in the kernel).
 * - `--dst NET|NIDS --rte NIDS`: router rule: gateways (their primary NID) matching rte become
 *   preferred gateways of the peer NIs matching dst (needs routes: see `gateways` below).
 * Priority 0 is the highest; no rule means the lowest (LNET_MAX_SELECTION_PRIORITY, shown −1).
 * A NID pair or router rule given a priority, or an `--rte` alone, is kept but does nothing, as
 * in the kernel. Rules apply in reverse list order, so the first matching rule wins; adding a
 * rule re-applies them all, deleting one only reverts what that one set (the kernel's order).
 *
 * API (LNetCore.udsp; `lnetctl udsp add/del/show` and `-v 4` udsp info are built on it):
 *   add({ src?, dst?, rte?, priority?, idx? })  insert at idx (default: append); EINVAL for a
 *                                               bad descriptor or combination, EALREADY for a
 *                                               rule that exists (a priority rule with a new
 *                                               priority updates it instead)
 *   del(idx)   / del('all')                     ENOENT for an unknown index
 *   list()     → UdspRuleInfo[]                 idx, src/dst/rte as lnetctl prints them, action
 *   get(idx)   → UdspRuleInfo | undefined
 *   niInfo(ni) / peerNiInfo(lpni)               `udsp info` of net show / peer show -v 4
 *   gateways                                    set by routing: the primary NIDs of gateways
 */
import { LNetError, ParseError } from '../errors.js';
import type { Net } from '../nid/net.js';
import { nidEquals, nidIsAny, type Nid } from '../nid/nid.js';
import { formatNidParts, netRangeMatch, nidPartsMatch, parseNidParts, type NidParts } from '../nid/net-range.js';
import { netType } from '../nid/net.js';
import type { LNetCore } from './lnet-core.js';
import type { NetworkInterface } from './ni.js';
import { LNET_MAX_SELECTION_PRIORITY, type PeerNet } from './peer-net.js';
import { PeerNiState, type PeerNi } from './peer-ni.js';

export type UdspAction = { type: 'priority'; priority: number } | { type: 'pref' };

/** One rule as stored (`struct lnet_udsp`). */
export interface UdspRule {
  src: NidParts | undefined;
  dst: NidParts | undefined;
  rte: NidParts | undefined;
  action: UdspAction;
}

/** What `udsp add` takes. Descriptors are NID-range text: `tcp`, `tcp1`, `192.168.1.[1-5]@tcp`. */
export interface UdspRuleInput {
  src?: string;
  dst?: string;
  rte?: string;
  /** ≥ 0; 0 is the highest priority. */
  priority?: number;
  /** Insert before the rule at this index (default: append). */
  idx?: number;
}

/** A rule as `lnetctl udsp show` prints it. */
export interface UdspRuleInfo {
  idx: number;
  src?: string;
  dst?: string;
  rte?: string;
  /** Only for priority rules (`action: priority: N`). */
  action?: { priority: number };
}

/** `udsp info` of an NI or peer NI: priorities (−1 when no rule set one) and preferred NIDs. */
export interface UdspInfo {
  netPriority: number;
  nidPriority: number;
  /** Peer NIs: the local NIDs they prefer (NID-pair rules, or a non-MR peer's first NI). */
  prefNids: Nid[];
  /** Preferred gateways (router rules). */
  prefRtrNids: Nid[];
}

/** LNET_MAX_SELECTION_PRIORITY prints as −1 (a u32 read as int). */
const shown = (p: number): number => (p === LNET_MAX_SELECTION_PRIORITY ? -1 : p);

function sameParts(a: NidParts | undefined, b: NidParts | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Does the peer NI match `m`: by NID, or (for a net descriptor) by its peer net. */
function lpniMatches(m: NidParts, lpni: PeerNi, lpn: PeerNet | undefined): boolean {
  if (nidPartsMatch(m, lpni.nid)) return true;
  return !!lpn && !m.addr && netRangeMatch(m.net, lpn.net);
}

export class Udsp {
  private readonly rules: UdspRule[] = [];
  /** The primary NIDs of our routes' gateways (routing sets it; none without routes). */
  gateways: () => Nid[] = () => [];

  constructor(private readonly core: LNetCore) {}

  /** `lnetctl udsp add` (lustre_lnet_add_udsp + lnet_udsp_add_policy), then every rule re-applied. */
  add(input: UdspRuleInput): void {
    const { src, dst, rte } = input;
    if (!src && !dst && !rte) throw new LNetError('EINVAL', 'Missing required argument(s): one of src, dst or rte');
    if (src && rte && dst) throw new LNetError('EINVAL', 'The combination of src, dst and rte is not supported');
    if (src && rte) throw new LNetError('EINVAL', 'src and rte cannot be combined');
    if (input.priority !== undefined && !(Number.isInteger(input.priority) && input.priority >= 0 && input.priority <= 0xfffffffe))
      throw new LNetError('EINVAL', `Invalid priority "${input.priority}"`);
    if (input.idx !== undefined && !(Number.isInteger(input.idx) && input.idx >= 0)) throw new LNetError('EINVAL', `Invalid index "${input.idx}"`);
    let action: UdspAction = input.priority !== undefined ? { type: 'priority', priority: input.priority } : { type: 'pref' };
    // A lone src or dst without a priority means priority 0.
    if (!rte && (!!dst !== !!src) && action.type !== 'priority') action = { type: 'priority', priority: 0 };
    const parse = (what: string, text: string | undefined): NidParts | undefined => {
      if (text === undefined) return undefined;
      try {
        return parseNidParts(text);
      } catch (e) {
        const why = e instanceof ParseError ? `: ${e.reason}` : '';
        throw new LNetError('EINVAL', `failed to parse ${what} parameter '${text}'${why}`);
      }
    };
    const rule: UdspRule = { src: parse('src', src), dst: parse('dst', dst), rte: parse('rte', rte), action };
    for (const r of this.rules) {
      if (!sameParts(r.src, rule.src) || !sameParts(r.dst, rule.dst) || !sameParts(r.rte, rule.rte)) continue;
      if (r.action.type === 'priority' && rule.action.type === 'priority' && r.action.priority !== rule.action.priority) {
        r.action = rule.action;
        this.applyAll();
        return;
      }
      throw new LNetError('EALREADY', 'the rule exists');
    }
    const at = input.idx !== undefined && input.idx < this.rules.length ? input.idx : this.rules.length;
    this.rules.splice(at, 0, rule);
    this.applyAll();
  }

  /** `lnetctl udsp del --idx N | --all` (lnet_udsp_del_policy): revert what the rule set. */
  del(idx: number | 'all'): void {
    if (idx === 'all' || idx < 0) {
      for (const r of this.rules.splice(0)) this.apply(r, true);
      return;
    }
    const [r] = this.rules.splice(idx, 1);
    if (!r) throw new LNetError('ENOENT', `no UDSP rule at index ${idx}`);
    this.apply(r, true);
  }

  list(): UdspRuleInfo[] {
    return this.rules.map((r, idx) => this.info(r, idx));
  }

  get(idx: number): UdspRuleInfo | undefined {
    const r = this.rules[idx];
    return r && this.info(r, idx);
  }

  get size(): number {
    return this.rules.length;
  }

  private info(r: UdspRule, idx: number): UdspRuleInfo {
    return {
      idx,
      ...(r.src ? { src: formatNidParts(r.src) } : {}),
      ...(r.dst ? { dst: formatNidParts(r.dst) } : {}),
      ...(r.rte ? { rte: formatNidParts(r.rte) } : {}),
      ...(r.action.type === 'priority' ? { action: { priority: r.action.priority } } : {}),
    };
  }

  niInfo(ni: NetworkInterface): UdspInfo {
    const net = this.core.selection.localNet(ni.net);
    return { netPriority: shown(net.selPriority), nidPriority: shown(ni.selPriority), prefNids: [], prefRtrNids: [...net.rtrPrefNids] };
  }

  peerNiInfo(lpni: PeerNi): UdspInfo {
    return {
      netPriority: shown(lpni.peerNet.selPriority),
      nidPriority: shown(lpni.selPriority),
      prefNids: [...lpni.prefNids],
      prefRtrNids: [...lpni.rtrPrefNids],
    };
  }

  // ------------------------------------------------------------ application

  /** lnet_udsp_apply_policies(NULL): every rule, the last first, on everything. */
  applyAll(): void {
    for (let i = this.rules.length - 1; i >= 0; i--) this.apply(this.rules[i]!, false);
  }

  /** lnet_udsp_apply_policies_on_ni / _on_net: a new NI (and its net) gets the rules. */
  applyToNi(ni: NetworkInterface): void {
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const r = this.rules[i]!;
      if (r.src && !r.dst && r.action.type === 'priority') {
        this.prioOnNet(r.src, ni.net, r.action.priority);
        if (nidPartsMatch(r.src, ni.nid)) ni.selPriority = r.action.priority;
      }
    }
  }

  /** lnet_udsp_apply_policies_on_lpn / _on_lpni: a new peer NI gets the rules. */
  applyToPeerNi(lpni: PeerNi): void {
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const r = this.rules[i]!;
      const kind = this.kind(r);
      if (!kind || kind === 'src') continue;
      const m = r.dst!;
      if (kind === 'dst' && !m.addr && netRangeMatch(m.net, lpni.peerNet.net)) lpni.peerNet.selPriority = (r.action as { priority: number }).priority;
      if (nidPartsMatch(m, lpni.nid)) this.onLpni(r, kind, lpni, false);
    }
  }

  /** Which kind of rule it is, or undefined for one the kernel ignores (bad action or parts). */
  private kind(r: UdspRule): 'pair' | 'router' | 'dst' | 'src' | undefined {
    if (r.dst && r.src) return r.action.type === 'pref' ? 'pair' : undefined;
    if (r.dst && r.rte) return r.action.type === 'pref' ? 'router' : undefined;
    if (r.dst) return r.action.type === 'priority' ? 'dst' : undefined;
    if (r.src) return r.action.type === 'priority' ? 'src' : undefined;
    return undefined;
  }

  /** lnet_udsp_apply_single_policy with every callback. */
  private apply(r: UdspRule, revert: boolean): void {
    const kind = this.kind(r);
    if (!kind) return;
    const prio = revert ? LNET_MAX_SELECTION_PRIORITY : r.action.type === 'priority' ? r.action.priority : 0;
    if (kind === 'src') {
      // lnet_udsp_apply_rule_on_nis: a net rule sets the net's priority, a NID rule its NIs'.
      const m = r.src!;
      const nets = new Set<Net>(this.core.nis.filter((ni) => ni !== this.core.loNi).map((ni) => ni.net));
      for (const net of nets) {
        if (netType(net) !== m.net.type) continue;
        if (!m.addr) {
          this.prioOnNet(m, net, prio);
          continue;
        }
        for (const ni of this.core.nis) if (ni.net === net && nidPartsMatch(m, ni.nid)) ni.selPriority = prio;
      }
      return;
    }
    // lnet_udsp_apply_rule_on_lpnis
    const m = r.dst!;
    for (const peer of this.core.peerTab.list()) {
      for (const lpn of peer.nets) {
        if (netType(lpn.net) !== m.net.type) continue;
        if (kind === 'dst' && !m.addr) {
          // A net rule: the peer net's priority, not its NIs'.
          if (netRangeMatch(m.net, lpn.net)) lpn.selPriority = prio;
          continue;
        }
        for (const lpni of lpn.peerNis) if (lpniMatches(m, lpni, lpn)) this.onLpni(r, kind, lpni, revert);
      }
    }
  }

  /** lnet_udsp_apply_prio_rule_on_net: a net descriptor sets that local net's priority. */
  private prioOnNet(m: NidParts, net: Net, prio: number): void {
    if (!m.addr && netRangeMatch(m.net, net)) this.core.selection.localNet(net).selPriority = prio;
  }

  /** lnet_udsp_apply_rule_on_lpni after the match. */
  private onLpni(r: UdspRule, kind: 'pair' | 'router' | 'dst', lpni: PeerNi, revert: boolean): void {
    if (kind === 'dst') {
      lpni.selPriority = revert ? LNET_MAX_SELECTION_PRIORITY : (r.action as { priority: number }).priority;
      return;
    }
    if (kind === 'pair') {
      // lnet_udsp_apply_ni_list: the first matching NI clears the list, then each is added.
      const src = r.src!;
      let cleared = false;
      for (const ni of this.core.nis) {
        if (ni === this.core.loNi || netType(ni.net) !== src.net.type || !nidPartsMatch(src, ni.nid)) continue;
        if (!cleared || revert) {
          lpni.prefNids = [];
          lpni.state &= ~PeerNiState.NON_MR_PREF;
          cleared = true;
          if (revert) continue;
        }
        this.addPref(lpni, lpni.prefNids, ni.nid);
      }
      return;
    }
    // lnet_udsp_apply_rte_list_on_lpni: gateways of our routes whose primary NID matches.
    const rte = r.rte!;
    let cleared = false;
    for (const gw of this.gateways()) {
      if (!nidPartsMatch(rte, gw)) continue;
      if (!cleared || revert) {
        lpni.rtrPrefNids = [];
        cleared = true;
        if (revert) continue;
      }
      if (!lpni.rtrPrefNids.some((n) => nidEquals(n, gw))) lpni.rtrPrefNids.push(gw);
    }
  }

  /** lnet_peer_add_pref_nid: a non-MR peer NI keeps a single preferred NID. */
  private addPref(lpni: PeerNi, list: Nid[], nid: Nid): void {
    if (nidIsAny(nid) || list.some((n) => nidEquals(n, nid))) return;
    if (list.length > 0 && !lpni.peerNet.peer.multiRail) return;
    list.push(nid);
  }
}
