/**
 * Discovery predicates on a peer's state bits (lib-lnet.h lnet_peer_needs_ping /
 * lnet_peer_needs_push, peer.c lnet_peer_is_uptodate_locked / lnet_is_discovery_disabled).
 * Pure functions, shared by the core's send path and by discovery.
 */
import { PeerState, type Peer } from './peer.js';

/** lnet_is_discovery_disabled_locked: off here, or the peer is not MR or has it off. */
export function isDiscoveryDisabled(peer: Peer, disabledLocally: boolean): boolean {
  if (disabledLocally) return true;
  return !(peer.state & PeerState.MULTI_RAIL) || (peer.state & PeerState.NO_DISCOVERY) !== 0;
}

/** lnet_peer_needs_ping */
export function needsPing(peer: Peer): boolean {
  return (peer.state & PeerState.FORCE_PING) !== 0 || !(peer.state & PeerState.NIDS_UPTODATE);
}

/** lnet_peer_needs_push: an MR peer that has not acknowledged our current ping buffer. */
export function needsPush(peer: Peer, ourSeqno: number, disabledLocally: boolean): boolean {
  const s = peer.state;
  if (!(s & PeerState.MULTI_RAIL) || s & PeerState.MARK_DELETED || s & PeerState.PUSH_SENT) return false;
  if (s & PeerState.FORCE_PUSH) return true;
  if (s & PeerState.NO_DISCOVERY || disabledLocally) return false;
  return peer.pushedSeqno < ourSeqno;
}

/** lnet_peer_is_uptodate_locked: discovered, NIDs up to date, nothing forced or pending. */
export function isUptodate(peer: Peer, ourSeqno: number, disabledLocally: boolean): boolean {
  const s = peer.state;
  if (s & (PeerState.DISCOVERING | PeerState.FORCE_PING | PeerState.FORCE_PUSH | PeerState.REDISCOVER)) return false;
  if (needsPush(peer, ourSeqno, disabledLocally)) return false;
  return (s & PeerState.DISCOVERED) !== 0 && (s & PeerState.NIDS_UPTODATE) !== 0;
}
