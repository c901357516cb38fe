import type { Net } from '../nid/net.js';
import type { Peer } from './peer.js';
import type { PeerNi } from './peer-ni.js';

/** LNET_MAX_SELECTION_PRIORITY: "no UDSP priority" (u32 max; lnetctl prints it as −1). */
export const LNET_MAX_SELECTION_PRIORITY = 0xffffffff;

/**
 * `struct lnet_peer_net`: a peer's NIs on one LNet network. Selection first picks the best
 * peer net (by its best peer NI's health, then UDSP priority), then a peer NI on it.
 */
export class PeerNet {
  /** The peer NIs on this net, the peer's primary NID first. */
  readonly peerNis: PeerNi[] = [];
  /** lpn_sel_priority (UDSP `--dst net --priority`). */
  selPriority = LNET_MAX_SELECTION_PRIORITY;
  /** lpn_seq: the peer's send sequence when this net was last used (round robin). */
  seq = 0;

  constructor(
    readonly net: Net,
    public peer: Peer,
  ) {}

  /** lpn_healthv: the best health of its peer NIs (lnet_update_peer_net_healthv). */
  get healthValue(): number {
    let best = 0;
    for (const lpni of this.peerNis) if (lpni.healthValue > best) best = lpni.healthValue;
    return best;
  }
}
