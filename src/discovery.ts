import { LNetError } from './errors.js';
import { Peer, PeerState } from './core/peer.js';
import type { LNetEvent } from './core/event.js';
import type { LNet, Target } from './lnet.js';
import { nidKey, type Nid } from './nid/nid.js';
import { pingPeerNids } from './ping.js';
import { formatNid, parseNid } from './nid/nid-string.js';
import { expandNidRangeText } from './nid/nid-range.js';
import { LNET_PID_LUSTRE, type ProcessId } from './nid/process-id.js';
import { decodePingInfo, LNET_PING_INFO_MIN_SIZE, PingFeature, type DecodedPingInfo } from './wire/ping-buffer.js';
import { WireError } from './wire/wire-error.js';

const PING_MATCHBITS = 0x8000000000000000n;

/**
 * Discovery (peer.c): learn a peer's NIDs with a ping, tell it ours with a push, and answer a
 * push with one of our own when the pusher has not seen our current buffer. The peer records
 * live in `lnet.core.peerTable`, keyed by every NID the peer advertised.
 */
export class Discovery {
  constructor(private readonly lnet: LNet) {
    lnet.core.pushTarget.onPush = (data, ev) => this.onPush(data, ev);
  }

  private get table(): Map<string, Peer> {
    return this.lnet.core.peerTable;
  }

  peer(nid: Nid): Peer | undefined {
    return this.table.get(nidKey(nid));
  }

  private peerFor(nid: Nid, pid: number): Peer {
    let p = this.peer(nid);
    if (!p) {
      p = new Peer(nid, pid);
      this.table.set(nidKey(nid), p);
    }
    return p;
  }

  /** lnet_peer_data_present: merge a ping reply or push into the peer record. */
  private merge(peer: Peer, info: DecodedPingInfo, size: number): void {
    const nids = pingPeerNids(info);
    peer.seqno = info.nis[0]?.status ?? 0;
    peer.features = info.features;
    peer.dataBytes = Math.max(size, LNET_PING_INFO_MIN_SIZE);
    if (info.features & PingFeature.MULTI_RAIL) {
      peer.state |= PeerState.MULTI_RAIL;
      if (nids.length > 0) {
        // An MR peer is known by its first advertised NID, unless the primary was locked by config.
        if (!(peer.state & PeerState.LOCK_PRIMARY)) peer.primaryNid = nids[0]!;
        peer.nids = nids;
      }
    } else peer.state &= ~PeerState.MULTI_RAIL;
    if (!(info.features & PingFeature.DISCOVERY)) peer.state |= PeerState.NO_DISCOVERY;
    else peer.state &= ~PeerState.NO_DISCOVERY;
    for (const n of peer.nids) this.table.set(nidKey(n), peer);
    peer.state |= PeerState.NIDS_UPTODATE;
  }

  private discoveryEnabled(): boolean {
    const p = this.lnet.core.params;
    return p.discovery !== 0 && p.lnet_peer_discovery_disabled === 0;
  }

  /** Push our ping buffer to the peer (PUT with ACK on the reserved portal), if it needs it. */
  private async push(peer: Peer, to: ProcessId, timeoutMs: number): Promise<void> {
    const seq = this.lnet.core.pingTarget.seqno;
    // lnet_peer_needs_push: not while a push is in flight, and only a buffer the peer has not seen.
    if (!peer.multiRail || peer.state & (PeerState.NO_DISCOVERY | PeerState.PUSH_SENT) || !this.discoveryEnabled() || peer.pushedSeqno === seq)
      return;
    peer.state |= PeerState.PUSH_SENT;
    try {
      await this.lnet.putAsync({
        target: to,
        portal: 0,
        matchBits: PING_MATCHBITS,
        data: Buffer.from(this.lnet.core.pingTarget.buffer),
        timeoutMs,
      });
      peer.pushedSeqno = seq;
    } catch (e) {
      peer.state |= PeerState.PUSH_FAILED;
      throw e;
    } finally {
      peer.state &= ~PeerState.PUSH_SENT;
    }
  }

  /** `lnetctl discover`: ping, merge, push; the peer ends DISCOVERED. */
  async discover(target: Target, timeoutMs = this.lnet.core.params.transaction_timeout * 1000): Promise<Peer> {
    const id = this.lnet.parseTarget(target);
    const peer = this.peerFor(id.nid, id.pid);
    peer.state |= PeerState.DISCOVERING;
    peer.state &= ~(PeerState.PING_FAILED | PeerState.PUSH_FAILED);
    try {
      let reply;
      try {
        peer.state |= PeerState.PING_SENT;
        reply = await this.lnet.getAsync({
          target: id,
          portal: 0,
          matchBits: PING_MATCHBITS,
          sink: Math.max(peer.dataBytes, LNET_PING_INFO_MIN_SIZE),
          timeoutMs,
        });
      } catch (e) {
        peer.state |= PeerState.PING_FAILED;
        throw e;
      } finally {
        peer.state &= ~PeerState.PING_SENT;
      }
      const info = decodePingInfo(reply.data);
      if (info instanceof WireError) throw new LNetError('EPROTO', `bad ping reply from ${formatNid(id.nid)}: ${info.message}`);
      this.merge(peer, info, reply.rlength);
      await this.push(peer, id, timeoutMs);
      peer.state |= PeerState.DISCOVERED;
      return peer;
    } finally {
      peer.state &= ~PeerState.DISCOVERING;
    }
  }

  /** A push arrived: merge it, then push back if the pusher has not seen our current buffer. */
  private onPush(data: Uint8Array, ev: LNetEvent): void {
    const info = decodePingInfo(data);
    if (info instanceof WireError) {
      this.lnet.core.countError();
      this.lnet.core.log('warn', `ignoring a malformed push from ${formatNid(ev.source.nid)}: ${info.message}`);
      return;
    }
    const from: ProcessId = { nid: ev.initiator.nid, pid: info.pid || LNET_PID_LUSTRE };
    const peer = this.peerFor(from.nid, from.pid);
    this.merge(peer, info, ev.rlength);
    if (!this.discoveryEnabled()) return;
    // Reply to the NID the push came from: it is the one with a working path now.
    const to: ProcessId = { nid: ev.source.nid, pid: from.pid };
    void this.push(peer, to, this.lnet.core.params.transaction_timeout * 1000).then(
      () => {
        peer.state |= PeerState.DISCOVERED;
      },
      (e: unknown) => this.lnet.core.log('warn', `push back to ${formatNid(to.nid)} failed: ${String(e)}`),
    );
  }

  // ------------------------------------------------------------ configured peers

  /** Every peer once (the table holds each under all of its NIDs). */
  list(): Peer[] {
    return [...new Set(this.table.values())];
  }

  /**
   * `lnetctl peer add --prim_nid P [--nid RANGES] [--non_mr] [--lock_prim]` (peer.c
   * lnet_add_peer_ni): a configured peer, Multi-Rail unless --non_mr, its NIDs expanded from
   * ranges. EEXIST for a NID another peer owns, EPERM for a Multi-Rail mismatch.
   */
  add(o: { primNid: string; nids?: readonly string[]; nonMr?: boolean; lockPrim?: boolean }): Peer {
    const prim = parseNid(o.primNid, { flavor: 'userspace' });
    if (prim.type === 0xff) throw new LNetError('EINVAL', 'the primary NID must be a real NID');
    const mr = !o.nonMr;
    const nids = (o.nids ?? []).flatMap((r) => expandNidRangeText(r, 65536, { flavor: 'userspace' }));
    let peer = this.peer(prim);
    if (peer) {
      if (nidKey(peer.primaryNid) !== nidKey(prim))
        throw new LNetError('ENODEV', `${formatNid(prim)} is not the primary NID of its peer (${formatNid(peer.primaryNid)})`);
      if (peer.multiRail !== mr) throw new LNetError('EPERM', `peer ${formatNid(prim)} is ${peer.multiRail ? '' : 'not '}Multi-Rail`);
    }
    for (const nid of nids) {
      const owner = this.peer(nid);
      if (owner && owner !== peer) throw new LNetError('EEXIST', `${formatNid(nid)} already belongs to peer ${formatNid(owner.primaryNid)}`);
    }
    if (!peer) {
      peer = new Peer(prim, LNET_PID_LUSTRE);
      this.table.set(nidKey(prim), peer);
    }
    peer.state |= PeerState.CONFIGURED | (mr ? PeerState.MULTI_RAIL : 0) | (o.lockPrim ? PeerState.LOCK_PRIMARY : 0);
    for (const nid of nids) {
      if (peer.nids.some((n) => nidKey(n) === nidKey(nid))) continue;
      peer.nids.push(nid);
      this.table.set(nidKey(nid), peer);
    }
    return peer;
  }

  /**
   * `lnetctl peer del --prim_nid P [--nid RANGES] [--force]`: remove NIDs from a peer, or the
   * whole peer. A locked primary NID goes only with `force` (EPERM otherwise).
   */
  del(o: { primNid: string; nids?: readonly string[]; force?: boolean }): void {
    const prim = parseNid(o.primNid, { flavor: 'userspace' });
    const peer = this.peer(prim);
    if (!peer) throw new LNetError('ENOENT', `no peer ${formatNid(prim)}`);
    if (nidKey(peer.primaryNid) !== nidKey(prim)) throw new LNetError('ENODEV', `${formatNid(prim)} is not a primary NID`);
    const nids = o.nids?.length ? o.nids.flatMap((r) => expandNidRangeText(r, 65536, { flavor: 'userspace' })) : [...peer.nids];
    for (const nid of nids) {
      const k = nidKey(nid);
      if (k === nidKey(peer.primaryNid) && peer.state & PeerState.LOCK_PRIMARY && !o.force)
        throw new LNetError('EPERM', `the primary NID ${formatNid(nid)} is locked; use force`);
    }
    for (const nid of nids) {
      const k = nidKey(nid);
      if (this.table.get(k) !== peer) continue;
      this.table.delete(k);
      peer.nids = peer.nids.filter((n) => nidKey(n) !== k);
    }
    // What remains of the peer is known by its next NID.
    if (peer.nids.length > 0 && !peer.nids.some((n) => nidKey(n) === nidKey(peer.primaryNid))) peer.primaryNid = peer.nids[0]!;
  }
}
