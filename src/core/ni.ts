import { netType, type Net } from '../nid/net.js';
import { LndType } from '../nid/lnd-type.js';
import type { Nid } from '../nid/nid.js';
import { ElementStats, NiHealthStats } from './counters.js';
import type { Lnd } from './lnd.js';
import type { LNetMsg } from './msg.js';
import { LNET_MAX_HEALTH_VALUE } from './peer-ni.js';
import { LNET_MAX_SELECTION_PRIORITY } from './peer-net.js';
import { NiStatus } from '../wire/ping-buffer.js';

/** Tunables every NI has (`lnet_ioctl_config_lnd_cmn_tunables`). */
export interface NiTunables {
  peer_timeout: number;
  peer_credits: number;
  peer_buffer_credits: number;
  credits: number;
}

/** `struct lnet_tx_queue`: per-CPT NI tx credits and the FIFO of messages waiting for one. */
export class TxQueue {
  credits: number;
  minCredits: number;
  readonly maxCredits: number;
  readonly delayed: LNetMsg[] = [];

  constructor(credits: number) {
    this.credits = this.minCredits = this.maxCredits = credits;
  }
}

export type NiState = 'up' | 'down';

/**
 * lnet_ni_get_status_locked: what `net show` prints and ping buffers carry. 0@lo is always
 * up; an NI whose link failed is down; otherwise its status (down at health 0).
 */
export function niStatus(ni: NetworkInterface): 'up' | 'down' {
  if (netType(ni.net) === LndType.LOLND) return 'up';
  if (ni.fatalError || ni.state !== 'up') return 'down';
  return ni.status === NiStatus.DOWN ? 'down' : 'up';
}

/** `struct lnet_ni`: a local network interface, as the core and its LND see it. */
export class NetworkInterface {
  /** NI tx credits across all CPT queues (ni_tx_credits). */
  get txCredits(): number {
    let n = 0;
    for (const q of this.txQueues) n += q.credits;
    return n;
  }

  nid: Nid;
  state: NiState = 'down';
  /** Per-CPT tx queues; credits are divided among them. */
  txQueues: TxQueue[] = [];
  readonly stats = new ElementStats();
  /** Health counters, with ping_count / next_ping of recovery (ni_ping_count, ni_next_ping). */
  readonly health = new NiHealthStats();
  healthValue = LNET_MAX_HEALTH_VALUE;
  /**
   * ni_status: what our ping buffer advertises for this NI (NiStatus.UP / DOWN). It turns
   * DOWN when health reaches 0 and UP when it is back at 1000.
   */
  status: number = NiStatus.UP;
  /** ni_fatal_error_on: the LND saw the link go (the NI is then DOWN whatever its health). */
  fatalError = false;
  /** ni_sel_priority (UDSP `--src NID --priority`). */
  selPriority = LNET_MAX_SELECTION_PRIORITY;
  /** On the local NI recovery queue; `recoveryState` holds its PENDING/FAILED bits. */
  inRecovery = false;
  recoveryState = 0;
  /** Times selected (ni_seq): the round-robin tie breaker. */
  seq = 0;
  /** Monotonic ms when the NI came up; the LND's incarnation comes from wall time. */
  startedAt = 0;
  /** The LND's own per-NI state. */
  lndData: unknown;

  constructor(
    readonly net: Net,
    nid: Nid,
    readonly lnd: Lnd,
    readonly tunables: NiTunables,
    /** Interface names (socklnd: eth0 …). */
    readonly interfaces: string[],
    /** LND-specific tunables (conns_per_peer, timeout, tos, …). */
    readonly lndTunables: Record<string, number | string>,
    /** CPTs the NI is bound to. */
    readonly cpts: number[],
  ) {
    this.nid = nid;
  }
}
