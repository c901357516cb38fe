import { nidEquals, nidKey, nidNet, type Nid } from '../nid/nid.js';
import type { Net } from '../nid/net.js';
import { LNET_PID_LUSTRE } from '../nid/process-id.js';
import { Peer, PeerState } from './peer.js';
import { PeerNet } from './peer-net.js';
import { PeerNi, PeerNiState } from './peer-ni.js';

/** What the table needs from its LNet instance. */
export interface PeerTableEnv {
  /** Tx and router credits of a new peer NI on `net`; undefined when no local NI is on it. */
  creditsFor(net: Net): { credits: number; rtrCredits: number } | undefined;
  /** A peer NI was created (UDSP rules are applied to it). */
  onNewPeerNi?(lpni: PeerNi): void;
}

/**
 * The peer table (peer.c `ln_peer_tables`): every peer NI by NID (the lpni hash) and the
 * peer → peer_net → peer_ni tree. `lpnis` and `peerByNid` always agree: a NID in one is in
 * the other, and `lpnis.get(k).peerNet.peer === peerByNid.get(k)`.
 */
export class PeerTable {
  /** Every peer NI, by nidKey (the kernel's lpni hash). */
  readonly lpnis = new Map<string, PeerNi>();
  /** The peer owning each NID, by nidKey. */
  readonly peerByNid = new Map<string, Peer>();
  /** Bumped on every change of the tree, so callers can cache lookups. */
  version = 0;

  constructor(private readonly env: PeerTableEnv) {}

  lpni(nid: Nid): PeerNi | undefined {
    return this.lpnis.get(nidKey(nid));
  }

  peer(nid: Nid): Peer | undefined {
    return this.peerByNid.get(nidKey(nid));
  }

  /** Every peer once, in creation order of their first NID. */
  list(): Peer[] {
    return [...new Set(this.peerByNid.values())];
  }

  get size(): number {
    return this.lpnis.size;
  }

  /** lnet_peer_ni_traffic_add: a NID seen in traffic gets a peer (state 0) of its own. */
  trafficAdd(nid: Nid): PeerNi {
    const have = this.lpni(nid);
    if (have) return have;
    const peer = new Peer(nid, LNET_PID_LUSTRE);
    return this.attach(peer, nid);
  }

  /** A new peer known by `primary` (lnet_peer_alloc + its primary NID). */
  createPeer(primary: Nid, pid = LNET_PID_LUSTRE, state = 0): Peer {
    const peer = new Peer(primary, pid);
    peer.state = state;
    this.addNid(peer, primary);
    return peer;
  }

  /**
   * lnet_peer_add_nid, in part: attach `nid` to `peer`. A NID of another peer moves over
   * (its peer NI with its credits and health); when it was that peer's primary NID, what is
   * left of the other peer moves too, and its held messages with it: the two were one node.
   * Returns the peer NI.
   */
  addNid(peer: Peer, nid: Nid): PeerNi {
    const lpni = this.lpni(nid);
    if (lpni) {
      const other = lpni.peerNet.peer;
      if (other === peer) return lpni;
      if (nidEquals(other.primaryNid, nid)) {
        this.mergeInto(other, peer);
        return this.lpni(nid)!;
      }
      this.detach(lpni);
      if (other.nets.length === 0) {
        peer.pending.push(...other.pending.splice(0));
        this.forget(other);
      }
    }
    return this.attach(peer, nid, lpni);
  }

  /** Move every NI and held message of `from` to `into`, then forget `from`. */
  mergeInto(from: Peer, into: Peer): void {
    if (from === into) return;
    // The primary NID's net first, as lnet_peer_attach_peer_ni keeps it.
    for (const lpn of [...from.nets]) for (const lpni of [...lpn.peerNis]) {
      this.detach(lpni);
      this.attach(into, lpni.nid, lpni);
    }
    into.pending.push(...from.pending.splice(0));
    if (from.state & PeerState.LOCK_PRIMARY && !(into.state & PeerState.LOCK_PRIMARY)) {
      into.state |= PeerState.LOCK_PRIMARY;
      into.primLockTs = from.primLockTs;
    }
    this.forget(from);
  }

  /** lnet_peer_del_nid: take `nid` off its peer; a peer left with no NID is gone. */
  removeNid(nid: Nid): PeerNi | undefined {
    const lpni = this.lpni(nid);
    if (!lpni) return undefined;
    const peer = lpni.peerNet.peer;
    this.detach(lpni);
    this.lpnis.delete(nidKey(nid));
    this.peerByNid.delete(nidKey(nid));
    lpni.state |= PeerNiState.DELETING; // recovery drops it
    if (peer.nets.length === 0) this.forget(peer);
    else if (nidEquals(peer.primaryNid, nid)) peer.primaryNid = peer.nets[0]!.peerNis[0]!.nid;
    this.version++;
    return lpni;
  }

  /** lnet_peer_del: every NID of the peer. */
  removePeer(peer: Peer): void {
    for (const nid of peer.nids) this.removeNid(nid);
    this.forget(peer);
  }

  /** Make `nid` (already one of the peer's NIDs) the primary, its net and NI first. */
  setPrimary(peer: Peer, nid: Nid): void {
    peer.primaryNid = nid;
    const lpni = this.lpni(nid);
    if (!lpni || lpni.peerNet.peer !== peer) return;
    const lpn = lpni.peerNet;
    lpn.peerNis.splice(lpn.peerNis.indexOf(lpni), 1);
    lpn.peerNis.unshift(lpni);
    peer.nets.splice(peer.nets.indexOf(lpn), 1);
    peer.nets.unshift(lpn);
    this.version++;
  }

  clear(): void {
    for (const p of this.list()) this.forget(p);
    this.lpnis.clear();
    this.peerByNid.clear();
    this.version++;
  }

  private forget(peer: Peer): void {
    peer.removed = true;
    for (const [k, p] of this.peerByNid) if (p === peer) this.peerByNid.delete(k);
    this.version++;
  }

  /** lnet_peer_attach_peer_ni */
  private attach(peer: Peer, nid: Nid, existing?: PeerNi): PeerNi {
    const net = nidNet(nid);
    let lpni = existing;
    const isNew = !lpni;
    if (!lpni) {
      const c = this.env.creditsFor(net) ?? { credits: 0, rtrCredits: 0 };
      lpni = new PeerNi(nid, net, c.credits, c.rtrCredits);
    }
    const primary = nidEquals(peer.primaryNid, nid);
    let lpn = peer.net(net);
    if (!lpn) {
      lpn = new PeerNet(net, peer);
      if (primary) peer.nets.unshift(lpn);
      else peer.nets.push(lpn);
    }
    lpni.peerNet = lpn;
    if (primary) lpn.peerNis.unshift(lpni);
    else lpn.peerNis.push(lpni);
    peer.removed = false;
    const k = nidKey(nid);
    this.lpnis.set(k, lpni);
    this.peerByNid.set(k, peer);
    this.version++;
    if (isNew) this.env.onNewPeerNi?.(lpni);
    return lpni;
  }

  /** lnet_peer_detach_peer_ni_locked: off its peer net (and the net off the peer if empty). */
  private detach(lpni: PeerNi): void {
    const lpn = lpni.peerNet;
    const i = lpn.peerNis.indexOf(lpni);
    if (i >= 0) lpn.peerNis.splice(i, 1);
    if (lpn.peerNis.length === 0) {
      const peer = lpn.peer;
      const j = peer.nets.indexOf(lpn);
      if (j >= 0) peer.nets.splice(j, 1);
    }
    this.version++;
  }
}
