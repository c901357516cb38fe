import { nidEquals, type Nid } from '../nid/nid.js';
import type { NetworkInterface } from './ni.js';
import type { PeerNi } from './peer-ni.js';

/**
 * The path of the last PUT or GET sent with no source NID asked for, kept while selection
 * could only choose it again: the peer has one peer NI, on one net, where exactly one NI of
 * ours is up. lnet_select_pathway's comparisons (health, UDSP priorities, credits, round
 * robin) then have nothing to compare, and a send to the same NID object skips them.
 *
 * What could change the answer ends it: a change of the peer tree (the peer table's version),
 * our NIs starting or stopping (the core clears the cache), and, checked per message, the
 * peer's MR state with a non-MR peer's preferred NI (LNetCore.cachedPathHolds).
 */
export class PathCache {
  /** The target NID the path was chosen for. */
  nid: Nid | undefined;
  lpni: PeerNi | undefined;
  ni: NetworkInterface | undefined;
  /** The tx queue (CPT) of `ni` the peer NI's messages use. */
  cpt = 0;
  /** The peer table's version when the path was chosen. */
  peerVersion = -1;
  /** Sends that took the cached path (tests, tools). */
  hits = 0;

  /**
   * Is the cached path for `nid`, chosen at the peer table's `peerVersion`? (The same NID
   * object first: callers mostly reuse their targets.)
   */
  holds(nid: Nid, peerVersion: number): boolean {
    if (this.peerVersion !== peerVersion) return false;
    const mine = this.nid;
    return mine === nid || (mine !== undefined && nidEquals(mine, nid));
  }

  set(nid: Nid, lpni: PeerNi, ni: NetworkInterface, cpt: number, peerVersion: number): void {
    this.nid = nid;
    this.lpni = lpni;
    this.ni = ni;
    this.cpt = cpt;
    this.peerVersion = peerVersion;
  }

  clear(): void {
    this.nid = undefined;
    this.lpni = undefined;
    this.ni = undefined;
    this.peerVersion = -1;
  }
}
