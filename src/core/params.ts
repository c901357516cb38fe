/**
 * The lnet module parameters the core acts on, with the kernel's defaults (core.md §12;
 * recorded in 02-ping-discover-A-module-params.txt).
 */
export interface CoreParams {
  /** Seconds before an unanswered ACK/REPLY or an unsent message times out. */
  transaction_timeout: number;
  retry_count: number;
  /** 0 none, 1 GET, 2 PUT, 3 both. */
  response_tracking: number;
  health_sensitivity: number;
  recovery_interval: number;
  recovery_limit: number;
  lnet_interfaces_max: number;
  discovery: number;
  drop_asym_route: number;
  routing: number;
  lnet_peer_discovery_disabled: number;
  /** lnet_numa_range: NUMA distance treated as equal in NI selection. */
  numa_range: number;
  /** router_sensitivity_percentage */
  router_sensitivity: number;
  /** lnet_max_recovery_ping_interval: cap (s) of the recovery ping backoff. */
  max_recovery_ping_interval: number;
}

export const DEFAULT_CORE_PARAMS: CoreParams = {
  transaction_timeout: 150,
  retry_count: 2,
  response_tracking: 3,
  health_sensitivity: 100,
  recovery_interval: 1,
  recovery_limit: 0,
  lnet_interfaces_max: 200,
  discovery: 1,
  drop_asym_route: 0,
  routing: 0,
  lnet_peer_discovery_disabled: 0,
  numa_range: 0,
  router_sensitivity: 100,
  max_recovery_ping_interval: 900,
};

/** lnd_timeout as `global show` prints it: (transaction_timeout − 1) / (retry_count + 1). */
export function lndTimeout(p: CoreParams): number {
  return Math.floor((p.transaction_timeout - 1) / (p.retry_count + 1));
}
