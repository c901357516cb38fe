import { type Nid } from '../nid/nid.js';
import type { Net } from '../nid/net.js';
import { ElementStats, PeerNiHealthStats } from './counters.js';
import type { LNetMsg } from './msg.js';

/** LNET_MAX_HEALTH_VALUE */
export const LNET_MAX_HEALTH_VALUE = 1000;

/**
 * `struct lnet_peer_ni`: one interface of a peer, with the local credit accounting for
 * traffic to it (socklnd has no wire credits; these are bookkeeping).
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
  readonly health = new PeerNiHealthStats();
  healthValue = LNET_MAX_HEALTH_VALUE;
  /** Times selected (lpni_seq): the round-robin tie breaker. */
  seq = 0;
  refcount = 1;
  /** Primary NID of the peer this NI belongs to. */
  primaryNid: Nid;

  constructor(
    readonly nid: Nid,
    readonly net: Net,
    credits: number,
    rtrCredits: number,
  ) {
    this.txCredits = this.minTxCredits = this.maxTxCredits = credits;
    this.rtrCredits = this.minRtrCredits = this.maxRtrCredits = rtrCredits;
    this.primaryNid = nid;
  }
}
