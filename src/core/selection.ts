/**
 * Multi-rail path selection (lib-move.c lnet_select_pathway and the send cases it dispatches
 * to): which local NI sends and which peer NI receives.
 *
 * - Source given (responses always: an ACK or REPLY leaves from the NI the request came in
 *   on, for the NID it came from): that NI, that peer NI.
 * - Non-MR peer (or a recovery ping): the NID given; the local NI the peer prefers on that
 *   net (for a non-MR peer, the first one used, kept), else the best NI on that net.
 * - MR peer: the best peer net among those on our local nets (peer net health, then its
 *   UDSP priority, then our net's health and priority, then round robin of peer nets and of
 *   local nets), the best NI on it (lnet_get_best_ni: not failed, health, UDSP priority,
 *   credits, round robin), then the best peer NI for that NI (lnet_select_peer_ni: health,
 *   UDSP priority, preferred by that NI, credits, round robin).
 * - No local net reaches the peer: routing (LNetCore.routeSend), else EHOSTUNREACH.
 *
 * A PUT or GET to a peer with a single path (one peer NI on one net, one NI of ours up there)
 * skips all this while nothing changes (path-cache.ts): every comparison would pick that path.
 *
 * The NUMA and GPU criteria of lnet_get_best_ni compare equal here: this LNet has no device
 * NUMA placement or GPU memory.
 */
import { Errno } from '../errno.js';
import type { Net } from '../nid/net.js';
import { nidEquals, nidIsAny, nidNet, type Nid } from '../nid/nid.js';
import { LNET_PID_USERFLAG } from '../nid/process-id.js';
import { formatNid } from '../nid/nid-string.js';
import { LNetMsgType } from '../wire/lnet-msg-type.js';
import { LNET_RESERVED_PORTAL } from './constants.js';
import type { LNetCore } from './lnet-core.js';
import type { LNetMsg } from './msg.js';
import type { NetworkInterface } from './ni.js';
import { LNET_MAX_SELECTION_PRIORITY, type PeerNet } from './peer-net.js';
import { PeerNiState, type PeerNi } from './peer-ni.js';
import type { Peer } from './peer.js';

/** `struct lnet_net` as selection needs it: UDSP priority and round-robin sequence. */
export class LocalNet {
  /** net_sel_priority (UDSP `--src net --priority`). */
  selPriority = LNET_MAX_SELECTION_PRIORITY;
  /** net_seq */
  seq = 0;
  /** net_rtr_pref_nids: gateways preferred for this net (UDSP router rules on a net). */
  rtrPrefNids: Nid[] = [];
  constructor(readonly net: Net) {}
}

/** A response (ACK, REPLY) goes back the way its request came. */
export function isResponse(msg: LNetMsg): boolean {
  return msg.type === LNetMsgType.ACK || msg.type === LNetMsgType.REPLY;
}

/** lnet_reserved_msg: a PUT or GET on the reserved portal (pings and pushes). */
export function isReservedMsg(msg: LNetMsg): boolean {
  return (msg.type === LNetMsgType.PUT || msg.type === LNetMsgType.GET) && msg.hdr.ptlIndex === LNET_RESERVED_PORTAL;
}

/**
 * lnet_msg_discovery: only a PUT or GET off the reserved portal may start discovery. Nor
 * does one to a userspace peer (pid with LNET_PID_USERFLAG): it accepts no connection, so
 * it could never be pinged; it is reached over the connections it opened.
 */
export function msgTriggersDiscovery(msg: LNetMsg): boolean {
  return !(isReservedMsg(msg) || isResponse(msg) || (msg.target.pid & LNET_PID_USERFLAG) !== 0);
}

export class Selection {
  private readonly nets = new Map<Net, LocalNet>();
  /** ln_net_seq */
  private netSeq = 0;

  constructor(private readonly core: LNetCore) {}

  /** The last localNet lookup: sends mostly go out on one net. */
  private lastNet: LocalNet | undefined;

  /** The selection state of one of our nets (created on first use). */
  localNet(net: Net): LocalNet {
    const last = this.lastNet;
    if (last !== undefined && last.net === net) return last;
    let ln = this.nets.get(net);
    if (!ln) {
      ln = new LocalNet(net);
      this.nets.set(net, ln);
    }
    this.lastNet = ln;
    return ln;
  }

  /** Our up NIs on `net` (never 0@lo). */
  nisOn(net: Net): NetworkInterface[] {
    return this.core.nis.filter((ni) => this.isUpOn(ni, net));
  }

  /** An NI of `net` that can send now: up, and not 0@lo. (A test, not a list: loops use it per send.) */
  isUpOn(ni: NetworkInterface, net: Net): boolean {
    return ni.net === net && ni.state === 'up' && ni !== this.core.loNi;
  }

  hasLocalNet(net: Net): boolean {
    for (const ni of this.core.nis) if (ni.net === net && ni !== this.core.loNi) return true;
    return false;
  }

  /** lnet_get_net_healthv_locked: the best health of the net's NIs whose link is up. */
  netHealth(net: Net): number {
    let best = 0;
    for (const ni of this.core.nis) if (this.isUpOn(ni, net) && !ni.fatalError && ni.healthValue > best) best = ni.healthValue;
    return best;
  }

  /**
   * lnet_select_pathway: choose the path, then send on it. Returns 0 (sent, queued, or
   * finalized) or a negative errno (nothing was committed).
   */
  send(self: Nid | undefined, msg: LNetMsg, lpni: PeerNi): number {
    const peer = lpni.peerNet.peer;
    // An MR PUT or GET with no source asked for (the usual send) here; the other cases in
    // sendFixed (kept apart so this stays small enough for V8 to inline).
    if (!peer.multiRail || msg.recovery || (self !== undefined && !nidIsAny(self)) || isResponse(msg)) return this.sendFixed(self, msg, lpni);
    const ni = this.bestNiOnLocalNet(peer);
    if (!ni) return this.core.noRoute(msg, lpni, undefined);
    const best = this.selectPeerNi(ni, peer.net(ni.net)!, undefined);
    if (!best) return -Errno.EFAULT;
    return this.sendVia(msg, ni, best);
  }

  /** send with the path fixed by a source NID, a non-MR peer (or a recovery ping), or a response. */
  private sendFixed(self: Nid | undefined, msg: LNetMsg, lpni: PeerNi): number {
    const core = this.core;
    const dst = msg.target.nid;
    const srcSpec = self !== undefined && !nidIsAny(self);
    const mr = lpni.peerNet.peer.multiRail && !msg.recovery;
    let ni: NetworkInterface | undefined;
    if (srcSpec) {
      ni = core.findNi(self);
      if (!ni) {
        core.log('error', `can't send to ${formatNid(dst)}: src ${formatNid(self)} is not a local NID`);
        return -Errno.EINVAL;
      }
      if (!this.localDst(self, dst)) return core.noRoute(msg, lpni, ni);
      if (!mr) this.setNonMrPref(lpni, ni, msg);
    } else if (!mr) {
      if (!this.localDst(undefined, dst)) return core.noRoute(msg, lpni, undefined);
      ni = this.preferredBestNi(lpni, msg);
      if (!ni) {
        core.log('debug', `no path to ${formatNid(dst)}: no NI up on its net`);
        return -Errno.EHOSTUNREACH;
      }
      this.setNonMrPref(lpni, ni, msg);
    } else {
      // A response to an MR peer.
      if (!this.localDst(undefined, dst)) return core.noRoute(msg, lpni, undefined);
      ni = this.bestNi(lpni.peerNet, undefined);
      if (!ni) return -Errno.EHOSTUNREACH;
    }
    return this.sendVia(msg, ni, lpni);
  }

  /** The path is chosen: bump the round-robin sequences, address the message, send it. */
  private sendVia(msg: LNetMsg, ni: NetworkInterface, best: PeerNi): number {
    if (ni.state !== 'up') return -Errno.EHOSTUNREACH;
    this.chosen(ni, best);
    // The target is replaced, never mutated (the SEND event may share it): a new one only
    // when the peer NI chosen is not the NID asked for.
    if (!nidEquals(msg.target.nid, best.nid)) msg.target = { nid: best.nid, pid: msg.target.pid };
    msg.hdr.destNid = best.nid;
    return this.core.sendOn(msg, ni, best);
  }

  /**
   * Is `dst` on a local net: the net of the source NI asked for, or any of ours? (Worked out
   * only on the branches of send that need it: an MR PUT or GET does not.)
   */
  private localDst(src: Nid | undefined, dst: Nid): boolean {
    return src !== undefined ? nidNet(src) === nidNet(dst) : this.hasLocalNet(nidNet(dst));
  }

  /** lnet_handle_send's sequence bumps: the next send to this peer prefers the others. */
  chosen(ni: NetworkInterface, lpni: PeerNi): void {
    const lpn = lpni.peerNet;
    const peer = lpn.peer;
    peer.sendSeq++;
    lpn.seq = peer.sendSeq;
    lpni.seq = lpn.seq;
    this.netSeq++;
    const ln = this.localNet(ni.net);
    ln.seq = this.netSeq;
    ni.seq = ln.seq;
  }

  /**
   * lnet_find_best_ni_on_local_net: among the peer's nets that are ours, the healthiest peer
   * net, then by its priority, our net's health and priority, then round robin; then the best
   * NI on it.
   */
  bestNiOnLocalNet(peer: Peer): NetworkInterface | undefined {
    // One peer net: the comparisons below would take it whatever they found.
    if (peer.nets.length === 1) {
      const lpn = peer.nets[0]!;
      return this.hasLocalNet(lpn.net) ? this.bestNi(lpn, undefined) : undefined;
    }
    let bestLpn: PeerNet | undefined;
    let bestNet: LocalNet | undefined;
    let bLpnH = 0;
    let bLpnP = LNET_MAX_SELECTION_PRIORITY;
    let bNetH = 0;
    let bNetP = LNET_MAX_SELECTION_PRIORITY;
    for (const lpn of peer.nets) {
      if (!this.hasLocalNet(lpn.net)) continue;
      const net = this.localNet(lpn.net);
      const lpnH = lpn.healthValue;
      const netH = this.netHealth(lpn.net);
      let take = !bestLpn || !bestNet;
      if (!take) {
        if (bLpnH !== lpnH) take = lpnH > bLpnH;
        else if (bLpnP !== lpn.selPriority) take = lpn.selPriority < bLpnP;
        else if (bNetH !== netH) take = netH > bNetH;
        else if (bNetP !== net.selPriority) take = net.selPriority < bNetP;
        else if (bestLpn!.seq !== lpn.seq) take = lpn.seq < bestLpn!.seq;
        else take = bestNet!.seq > net.seq;
      }
      if (take) {
        bNetH = netH;
        bNetP = net.selPriority;
        bLpnH = lpnH;
        bLpnP = lpn.selPriority;
        bestLpn = lpn;
        bestNet = net;
      }
    }
    return bestLpn ? this.bestNi(bestLpn, undefined) : undefined;
  }

  /**
   * lnet_get_best_ni over our NIs on the peer net's net: link up before link down, then
   * health, UDSP priority, tx credits, and the lower selection sequence (round robin).
   */
  bestNi(lpn: PeerNet, current: NetworkInterface | undefined): NetworkInterface | undefined {
    if (lpn.peerNis.length === 0) return current;
    let best = current;
    for (const ni of this.core.nis) {
      if (!this.isUpOn(ni, lpn.net)) continue;
      if (!best) {
        best = ni;
        continue;
      }
      if (ni.fatalError !== best.fatalError) {
        if (!ni.fatalError) best = ni;
        continue;
      }
      if (ni.healthValue !== best.healthValue) {
        if (ni.healthValue > best.healthValue) best = ni;
        continue;
      }
      if (ni.selPriority !== best.selPriority) {
        if (ni.selPriority < best.selPriority) best = ni;
        continue;
      }
      const c = ni.txCredits;
      const bc = best.txCredits;
      if (c !== bc) {
        if (c > bc) best = ni;
        continue;
      }
      if (best.seq > ni.seq) best = ni;
    }
    return best;
  }

  /**
   * lnet_select_peer_ni: the peer NI on `lpn` for sending from `ni`: health, UDSP priority,
   * preferred by `ni` (NID-pair rules), tx credits, then the lower sequence.
   */
  selectPeerNi(ni: NetworkInterface | undefined, lpn: PeerNet, current: PeerNi | undefined): PeerNi | undefined {
    // A lone peer NI and nothing to compare it with: it is taken whatever its preference.
    if (current === undefined && lpn.peerNis.length === 1) return lpn.peerNis[0];
    let best = current;
    let bestPref = false;
    for (const lpni of lpn.peerNis) {
      const pref = ni ? isPreferred(lpni, ni.nid) : false;
      let take = !best;
      if (!take) {
        const b = best!;
        if (lpni.healthValue !== b.healthValue) take = lpni.healthValue > b.healthValue;
        else if (lpni.selPriority !== b.selPriority) take = lpni.selPriority < b.selPriority;
        else if (pref !== bestPref) take = pref;
        else if (lpni.txCredits !== b.txCredits) take = lpni.txCredits > b.txCredits;
        else take = b.seq > lpni.seq;
      }
      if (take) {
        best = lpni;
        bestPref = pref;
      }
    }
    return best;
  }

  /**
   * lnet_select_preferred_best_ni: a non-MR peer is always reached from the same local NI
   * on each net (pings and pushes on the reserved portal excepted), else the best NI there.
   */
  preferredBestNi(lpni: PeerNi, msg: LNetMsg): NetworkInterface | undefined {
    if (!isReservedMsg(msg)) {
      for (const other of lpni.peerNet.peerNis) {
        if (other.prefNids.length === 0) continue;
        const ni = this.core.findNi(other.prefNids[0]!);
        if (ni && ni.state === 'up') return ni;
        break;
      }
    }
    return this.bestNi(lpni.peerNet, undefined);
  }

  /** lnet_set_non_mr_pref_nid: the first local NID used for a non-MR peer sticks. */
  private setNonMrPref(lpni: PeerNi, ni: NetworkInterface, msg: LNetMsg): void {
    if (lpni.peerNet.peer.multiRail || isResponse(msg) || lpni.prefNids.length > 0) return;
    lpni.prefNids = [ni.nid];
    lpni.state |= PeerNiState.NON_MR_PREF;
  }
}

/** lnet_peer_is_pref_nid_locked */
export function isPreferred(lpni: PeerNi, nid: Nid): boolean {
  for (const p of lpni.prefNids) if (nidEquals(p, nid)) return true;
  return false;
}
