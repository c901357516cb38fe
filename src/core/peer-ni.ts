import { type Nid } from '../nid/nid.js';
import type { Net } from '../nid/net.js';
import { NiStatus } from '../wire/ping-buffer.js';
import { ElementStats, PeerNiHealthStats } from './counters.js';
import type { LNetMsg } from './msg.js';
import { LNET_MAX_SELECTION_PRIORITY, type PeerNet } from './peer-net.js';

/** LNET_MAX_HEALTH_VALUE */
export const LNET_MAX_HEALTH_VALUE = 1000;

/** `lpni_state` bits. */
export enum PeerNiState {
  NON_MR_PREF = 1 << 0,
  RECOVERY_PENDING = 1 << 1,
  RECOVERY_FAILED = 1 << 2,
  DELETING = 1 << 3,
}

/**
 * `struct lnet_peer_ni`: one interface of a peer, with the local credit accounting for
 * traffic to it (socklnd has no wire credits; these are bookkeeping), its health, UDSP
 * selection data and statistics. It always belongs to a PeerNet of a Peer.
 */
export class PeerNi {
  txCredits: number;
  minTxCredits: number;
  readonly maxTxCredits: number;
  rtrCredits: number;
  minRtrCredits: number;
  readonly maxRtrCredits: number;
  /** Messages waiting for a peer tx credit, FIFO. */
  readonly txQueue: LNetMsg[] = [];
  /** Bytes queued (lpni_txqnob). */
  txQnob = 0;
  readonly stats = new ElementStats();
  /** Health counters, with ping_count / next_ping of recovery (lpni_ping_count, lpni_next_ping). */
  readonly health = new PeerNiHealthStats();
  healthValue = LNET_MAX_HEALTH_VALUE;
  /** Times selected (lpni_seq): the round-robin tie breaker. */
  seq = 0;
  refcount = 1;
  /** lpni_state (PeerNiState bits). */
  state = 0;
  /** lpni_ns_status: the status the peer last advertised for this NID in a ping or push. */
  nsStatus: number = NiStatus.UP;
  /** lpni_sel_priority (UDSP `--dst NID --priority`). */
  selPriority = LNET_MAX_SELECTION_PRIORITY;
  /**
   * lpni_pref: local NIDs this peer NI prefers (UDSP NID-pair rules; for a non-MR peer, the
   * one local NID first used to reach it, flagged NON_MR_PREF).
   */
  prefNids: Nid[] = [];
  /** lpni_rtr_pref_nids: gateways preferred to reach this peer NI (UDSP router rules). */
  rtrPrefNids: Nid[] = [];
  /** The peer net this NI is on (set by the peer table when it is attached). */
  peerNet!: PeerNet;
  /** On the peer NI recovery queue. */
  inRecovery = false;
  /** lpni_last_alive: monotonic seconds when a message last came from this NID (0: never). */
  lastAlive = 0;

  constructor(
    readonly nid: Nid,
    readonly net: Net,
    credits: number,
    rtrCredits: number,
  ) {
    this.txCredits = this.minTxCredits = this.maxTxCredits = credits;
    this.rtrCredits = this.minRtrCredits = this.maxRtrCredits = rtrCredits;
  }

  /** Primary NID of the peer this NI belongs to. */
  get primaryNid(): Nid {
    return this.peerNet.peer.primaryNid;
  }
}
