import type { Net } from '../nid/net.js';
import type { Nid } from '../nid/nid.js';
import type { LNetMsg } from './msg.js';
import type { PeerNet } from './peer-net.js';

/** `lp_state` bits of `struct lnet_peer` (lib-types.h), as `peer show -v` prints the sum. */
export enum PeerState {
  MULTI_RAIL = 1 << 0,
  NO_DISCOVERY = 1 << 1,
  ROUTER_ENABLED = 1 << 2,
  CONFIGURED = 1 << 3,
  DISCOVERED = 1 << 4,
  REDISCOVER = 1 << 5,
  DISCOVERING = 1 << 6,
  DATA_PRESENT = 1 << 7,
  NIDS_UPTODATE = 1 << 8,
  PING_SENT = 1 << 9,
  PUSH_SENT = 1 << 10,
  PING_FAILED = 1 << 11,
  PUSH_FAILED = 1 << 12,
  FORCE_PING = 1 << 13,
  FORCE_PUSH = 1 << 14,
  RTR_NI_FORCE_DEL = 1 << 15,
  RTR_DISCOVERY = 1 << 16,
  RTR_DISCOVERED = 1 << 17,
  MARK_DELETION = 1 << 18,
  MARK_DELETED = 1 << 19,
  LOCK_PRIMARY = 1 << 20,
  BAD_CONFIG = 1 << 21,
}

/**
 * `struct lnet_peer`: a node, known by its primary NID, with its NIs grouped by net
 * (peer → peer_net → peer_ni, see PeerNet and PeerNi). Created by traffic (state 0, one NID),
 * by configuration (`peer add`), and filled in by discovery.
 */
export class Peer {
  state = 0;
  /** lp_peer_nets: the primary NID's net first. */
  readonly nets: PeerNet[] = [];
  /** Its ping buffer sequence number as last seen (lp_peer_seqno; 0: never). */
  seqno = 0;
  /** Our ping buffer sequence number this peer has acknowledged (lp_node_seqno; 0: none). */
  pushedSeqno = 0;
  /** Feature bits of its last ping buffer. */
  features = 0;
  /** The size its last ping buffer needed (a re-ping asks for at least this much). */
  dataBytes = 0;
  /** lp_send_seq: bumped on every send to this peer (round robin of its nets and NIs). */
  sendSeq = 0;
  /** lp_dc_pendq: messages held until discovery of this peer completes. */
  readonly pending: LNetMsg[] = [];
  /** lp_dc_error: the errno (negative) of the last failed discovery, 0 if none. */
  dcError = 0;
  /** When the primary NID was locked (lp_prim_lock_ts), to settle which lock came first. */
  primLockTs = 0;
  /** The peer has been removed from the table (a merge or a delete); do not use. */
  removed = false;

  constructor(
    public primaryNid: Nid,
    readonly pid: number,
  ) {}

  get multiRail(): boolean {
    return (this.state & PeerState.MULTI_RAIL) !== 0;
  }

  /** Every NID of the peer, net by net, the primary first. */
  get nids(): Nid[] {
    const out: Nid[] = [];
    for (const lpn of this.nets) for (const lpni of lpn.peerNis) out.push(lpni.nid);
    return out;
  }

  /** lp_nnis */
  get nnis(): number {
    let n = 0;
    for (const lpn of this.nets) n += lpn.peerNis.length;
    return n;
  }

  /** lnet_peer_get_net_locked */
  net(net: Net): PeerNet | undefined {
    for (const lpn of this.nets) if (lpn.net === net) return lpn;
    return undefined;
  }
}
