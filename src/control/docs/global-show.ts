import { map, type DocMap } from '../../cli/yaml/doc.js';
import { printable, type PrintableDoc } from '../../cli/yaml/output.js';
import type { LNetCounters } from '../../core/counters.js';
import { lndTimeout, type CoreParams } from '../../core/params.js';

/** `discovery` is the inverse of lnet_peer_discovery_disabled (either switch turns it off). */
export function discoveryEnabled(p: CoreParams): boolean {
  return p.discovery !== 0 && p.lnet_peer_discovery_disabled === 0;
}

/** The `global:` mapping, keys in jt_show_global's order (config.md §5.6). */
export function globalNode(p: CoreParams): DocMap {
  return map([
    ['numa_range', p.numa_range],
    ['max_interfaces', p.lnet_interfaces_max],
    ['discovery', discoveryEnabled(p) ? 1 : 0],
    ['drop_asym_route', p.drop_asym_route],
    ['retry_count', p.retry_count],
    ['transaction_timeout', p.transaction_timeout],
    ['health_sensitivity', p.health_sensitivity],
    ['recovery_interval', p.recovery_interval],
    ['router_sensitivity', p.router_sensitivity],
    ['lnd_timeout', lndTimeout(p)],
    ['response_tracking', p.response_tracking],
    ['recovery_limit', p.recovery_limit],
    ['max_recovery_ping_interval', p.max_recovery_ping_interval],
  ]);
}

/** `lnetctl global show` (cYAML). */
export function buildGlobalShow(p: CoreParams): PrintableDoc {
  return printable(map([['global', globalNode(p)]]), 'cyaml');
}

/** The `statistics:` keys of `lnetctl stats show`, in lustre_lnet_show_stats' order. */
export const STATS_KEYS = [
  'msgs_alloc',
  'msgs_max',
  'rst_alloc',
  'errors',
  'send_count',
  'resend_count',
  'response_timeout_count',
  'local_interrupt_count',
  'local_dropped_count',
  'local_aborted_count',
  'local_no_route_count',
  'local_timeout_count',
  'local_error_count',
  'remote_dropped_count',
  'remote_error_count',
  'remote_timeout_count',
  'network_timeout_count',
  'failed_resends',
  'successful_resends',
  'recv_count',
  'route_count',
  'drop_count',
  'send_length',
  'recv_length',
  'route_length',
  'drop_length',
] as const satisfies readonly (keyof LNetCounters)[];

/** `lnetctl stats show` (cYAML). */
export function buildStatsShow(c: LNetCounters): PrintableDoc {
  return printable(map([['statistics', map(STATS_KEYS.map((k) => [k, c[k]] as const))]]), 'cyaml');
}
