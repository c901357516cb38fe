/**
 * What the document builders need that the LNet instance does not hold itself: the route
 * table, the router buffer pools and routing state, UDSP rules and the per-NID UDSP
 * information. Their owners (the daemon's route table, the UDSP engine) conform to these.
 */
import type { Net } from '../../nid/net.js';
import type { Nid } from '../../nid/nid.js';

/** One route (`struct lnet_route` as `route show` prints it). */
export interface RouteInput {
  /** The remote net. */
  readonly net: Net;
  readonly gateway: Nid;
  /** 1..255, or -1 (LNET_UNDEFINED_HOPS). */
  readonly hops: number;
  readonly priority: number;
  /** lnet_is_route_alive: printed `state: up` / `down`. */
  readonly alive: boolean;
  /**
   * lr_single_hop: the router checker saw the gateway with an NI on the remote net. Routes start
   * `multi-hop` (every recorded route printed multi-hop).
   */
  readonly singleHop?: boolean;
}

/** One router buffer pool of one CPT (`struct lnet_rtrbufpool`, lnetctl routing show). */
export interface RouterBufferPoolInput {
  readonly npages: number;
  readonly nbuffers: number;
  readonly credits: number;
  readonly mincredits: number;
}

export interface RouterCptPoolsInput {
  readonly tiny: RouterBufferPoolInput;
  readonly small: RouterBufferPoolInput;
  readonly large: RouterBufferPoolInput;
}

/** LNET_ROUTING_* of lib-types.h: what `routing show` prints as `enable:`. */
export enum RoutingState {
  DISABLED = 0,
  ENABLED = 1,
  STOPPING = 2,
  STARTING = 3,
}

export interface RoutingInput {
  /** The raw routing state (0 disabled, 1 enabled, 2 stopping, 3 starting). */
  readonly state: number;
  /**
   * The router buffer pools, one entry per CPT; empty (or absent) while the kernel has none
   * (routing never enabled since LNet started), in which case `routing show` prints nothing
   * and export leaves `routing:` and `buffers:` out.
   */
  readonly cpts?: readonly RouterCptPoolsInput[];
}

/** One UDSP rule as `udsp show` prints it (liblnetconfig_udsp.c lustre_lnet_show_udsp). */
export interface UdspRuleInput {
  readonly idx: number;
  /** The matching expressions as lnetctl prints them (`tcp`, `1.1.1.1@tcp`, `192.168.1.[1-10]@tcp`). */
  readonly src?: string;
  readonly dst?: string;
  readonly rte?: string;
  /** The priority action (the only action 2.17 has); undefined: no action block. */
  readonly priority?: number;
}

/** `udsp info` of a local or peer NI (lnet_udsp_get_construct_info): -1 when no rule applies. */
export interface UdspInfo {
  readonly netPriority: number;
  readonly nidPriority: number;
  /** Preferred gateway NIDs of a peer NI (printed as `Preferred gateway NIDs:` / `NID-0: …`). */
  readonly preferredGateways?: readonly string[];
  /** Preferred source NIDs (printed as `Preferred source NIDs:`). */
  readonly preferredSources?: readonly string[];
}

/** The UDSP engine's view of one NID; `remote` is true for peer NIs. */
export type UdspInfoSource = (nid: Nid, remote: boolean) => UdspInfo | undefined;

/** The router pools the kernel creates when routing is first enabled, for `ncpt` CPTs. */
export function defaultRouterPools(
  ncpt: number,
  totals: { tiny: number; small: number; large: number } = { tiny: 2048, small: 16384, large: 1024 },
  largePages = 256,
): RouterCptPoolsInput[] {
  const n = Math.max(1, ncpt);
  const pool = (total: number, npages: number): RouterBufferPoolInput => {
    const per = Math.floor(total / n);
    return { npages, nbuffers: per, credits: per, mincredits: per };
  };
  return Array.from({ length: n }, () => ({
    tiny: pool(totals.tiny, 0),
    small: pool(totals.small, 1),
    large: pool(totals.large, largePages),
  }));
}
