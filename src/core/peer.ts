import type { Nid } from '../nid/nid.js';

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
  LOCK_PRIMARY = 1 << 20,
}

/**
 * `struct lnet_peer`: a node, known by its primary NID, with the NIDs it advertised. (The
 * per-NI credit state is in PeerNi.)
 */
export class Peer {
  state = 0;
  /** The peer's NIDs in its ping buffer's order (primary first). */
  nids: Nid[];
  /** Its ping buffer sequence number as last seen (0: never). */
  seqno = 0;
  /** Our ping buffer sequence number this peer has been pushed (0: none). */
  pushedSeqno = 0;
  /** Feature bits of its last ping buffer. */
  features = 0;
  /** The size its last ping buffer needed (a re-ping asks for at least this much). */
  dataBytes = 0;

  constructor(
    public primaryNid: Nid,
    readonly pid: number,
  ) {
    this.nids = [primaryNid];
  }

  get multiRail(): boolean {
    return (this.state & PeerState.MULTI_RAIL) !== 0;
  }
}
