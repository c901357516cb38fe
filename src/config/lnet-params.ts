/**
 * Every lnet.ko module parameter of 2.17.0 (module_param lines in lnet/lnet/api-ni.c, router.c,
 * acceptor.c, lib-ptl.c, lib-move.c, lib-cpt.c, module.c), with the kernel's defaults as
 * /sys/module/lnet/parameters shows them (recorded: interop/kernel-2.17.0/
 * 02-ping-discover-A-module-params.txt) and the kernel's setters.
 *
 * The custom setters depend on each other and on order, exactly as at insmod, where the
 * parameters are set left to right: lnet_transaction_timeout must stay above
 * lnet_retry_count, lnet_retry_count cannot be raised while health is off, and turning
 * health off (lnet_health_sensitivity=0) zeroes lnet_retry_count.
 */
import {
  need,
  readUlong,
  setCharp,
  setEnumCharp,
  setInt,
  setUint,
  toU32,
  type TunableSpec,
} from './tunable-spec.js';
import { kstrtoint, kstrtoul } from './kstrtox.js';

export type AcceptMode = 'secure' | 'all' | 'none';
export type ForwardingMode = '' | 'enabled' | 'disabled';

export interface LNetParams {
  readonly networks: string;
  readonly ip2nets: string;
  readonly routes: string;
  readonly config_on_load: number;
  readonly enable_sysctl_setup: number;
  readonly rnet_htable_size: number;
  readonly use_tcp_bonding: number;
  readonly lnet_numa_range: number;
  readonly lnet_health_sensitivity: number;
  readonly lnet_recovery_interval: number;
  readonly lnet_recovery_limit: number;
  readonly lnet_max_recovery_ping_interval: number;
  readonly lnet_interfaces_max: number;
  readonly lnet_peer_discovery_disabled: number;
  readonly lnet_drop_asym_route: number;
  readonly lnet_transaction_timeout: number;
  readonly lnet_retry_count: number;
  readonly lnet_response_tracking: number;
  readonly lock_prim_nid: number;
  readonly local_nid_dist_zero: number;
  readonly portal_rotor: number;
  readonly accept: AcceptMode;
  readonly accept_port: number;
  readonly accept_port_bulk: number;
  readonly accept_backlog: number;
  readonly accept_timeout: number;
  readonly forwarding: ForwardingMode;
  readonly tiny_router_buffers: number;
  readonly small_router_buffers: number;
  readonly large_router_buffers: number;
  readonly peer_buffer_credits: number;
  readonly auto_down: number;
  readonly check_routers_before_use: number;
  readonly avoid_asym_router_failure: number;
  readonly dead_router_check_interval: number;
  readonly live_router_check_interval: number;
  readonly alive_router_check_interval: number;
  readonly router_ping_timeout: number;
  readonly router_sensitivity_percentage: number;
  readonly cpu_npartitions: number;
  readonly cpu_pattern: string;
}

/** LNET_MAX_HEALTH_VALUE */
export const LNET_MAX_HEALTH_VALUE = 1000;
/** LNET_INTERFACES_MIN and LNET_INTERFACES_MAX_DEFAULT */
export const LNET_INTERFACES_MIN = 16;
export const LNET_INTERFACES_MAX_DEFAULT = 200;
/** LNET_REMOTE_NETS_HASH_DEFAULT / _MAX */
export const LNET_REMOTE_NETS_HASH_DEFAULT = 128;
export const LNET_REMOTE_NETS_HASH_MAX = 1 << 16;
const INT_MIN = -2147483648;

type Spec = TunableSpec<LNetParams>;
type Base = Omit<Spec, 'module' | 'set' | 'limits' | 'checkedAt'> & Partial<Pick<Spec, 'set' | 'limits' | 'checkedAt'>>;

function spec(s: Base): Spec {
  const set =
    s.set ?? (s.type === 'charp' ? setCharp<LNetParams>(s.name) : s.type === 'uint' ? setUint<LNetParams>(s.name) : setInt<LNetParams>(s.name));
  return { module: 'lnet', limits: '', checkedAt: 'set', ...s, set };
}

export const LNET_TUNABLES: readonly Spec[] = [
  spec({ name: 'ip2nets', type: 'charp', default: '', writable: false, description: 'LNET network <- IP table (Deprecated)' }),
  spec({ name: 'routes', type: 'charp', default: '', writable: false, description: 'routes to non-local networks (Deprecated)' }),
  spec({ name: 'networks', type: 'charp', default: '', writable: false, description: 'local networks' }),
  spec({
    name: 'rnet_htable_size',
    type: 'int',
    default: LNET_REMOTE_NETS_HASH_DEFAULT,
    writable: false,
    description: 'size of remote network hash table',
    limits: `<= 0 means ${LNET_REMOTE_NETS_HASH_DEFAULT}; clamped to ${LNET_REMOTE_NETS_HASH_MAX} at startup`,
  }),
  spec({ name: 'use_tcp_bonding', type: 'int', default: 0, writable: false, description: 'use_tcp_bonding parameter has been removed' }),
  spec({ name: 'lnet_numa_range', type: 'uint', default: 0, writable: false, description: 'NUMA range to consider during Multi-Rail selection' }),
  spec({
    name: 'lnet_health_sensitivity',
    type: 'int',
    default: 100,
    writable: true,
    description: 'Value to decrement the health value by on error',
    limits: `0..${LNET_MAX_HEALTH_VALUE}; setting 0 (health off) also sets lnet_retry_count to 0`,
    set: (text, c, fail) => {
      const v = readUlong(text, fail);
      if (v > BigInt(LNET_MAX_HEALTH_VALUE)) fail(`must be 0..${LNET_MAX_HEALTH_VALUE}`);
      const patch: { -readonly [K in keyof LNetParams]?: LNetParams[K] } = { lnet_health_sensitivity: Number(v) };
      if (c.lnet_health_sensitivity !== 0 && v === 0n && c.lnet_retry_count !== 0) patch.lnet_retry_count = 0;
      return patch;
    },
  }),
  spec({
    name: 'lnet_recovery_interval',
    type: 'int',
    default: 1,
    writable: true,
    description: 'DEPRECATED - Interval to recover unhealthy interfaces in seconds',
    limits: 'deprecated: any value is accepted and ignored',
    set: (_text, _c, _fail, warn) => {
      warn("'lnet_recovery_interval' has been deprecated");
      return {};
    },
  }),
  spec({
    name: 'lnet_recovery_limit',
    type: 'uint',
    default: 0,
    writable: true,
    description: 'How long to attempt recovery of unhealthy peer interfaces in seconds. Set to 0 to allow indefinite recovery',
  }),
  spec({
    name: 'lnet_max_recovery_ping_interval',
    type: 'int',
    default: 900,
    writable: true,
    description: 'The max interval between LNet recovery pings, in seconds',
    limits: 'at least 1',
    set: (text, _c, fail) => {
      const v = readUlong(text, fail);
      if (v === 0n) fail('must be strictly positive');
      return { lnet_max_recovery_ping_interval: toU32(v) };
    },
  }),
  spec({
    name: 'lnet_interfaces_max',
    type: 'int',
    default: LNET_INTERFACES_MAX_DEFAULT,
    writable: true,
    description: 'Maximum number of interfaces in a node.',
    limits: `values below ${LNET_INTERFACES_MIN} become ${LNET_INTERFACES_MAX_DEFAULT}`,
    set: (text, _c, fail, warn) => {
      let v = Number(need(kstrtoint(text), 'an int', fail));
      if (v < LNET_INTERFACES_MIN) {
        warn(`max interfaces provided are too small, setting to ${LNET_INTERFACES_MAX_DEFAULT}`);
        v = LNET_INTERFACES_MAX_DEFAULT;
      }
      return { lnet_interfaces_max: v };
    },
  }),
  spec({
    name: 'lnet_peer_discovery_disabled',
    type: 'int',
    default: 0,
    writable: true,
    description: 'Set to 1 to disable peer discovery on this node.',
    limits: 'any non-zero value is stored as 1',
    set: (text, _c, fail) => ({ lnet_peer_discovery_disabled: readUlong(text, fail) !== 0n ? 1 : 0 }),
  }),
  spec({
    name: 'lnet_drop_asym_route',
    type: 'int',
    default: 0,
    writable: true,
    description: 'Set to 1 to drop asymmetrical route messages.',
    set: (text, _c, fail) => ({ lnet_drop_asym_route: toU32(readUlong(text, fail)) }),
  }),
  spec({
    name: 'lnet_transaction_timeout',
    type: 'int',
    default: 150,
    writable: true,
    description: 'Maximum number of seconds to wait for a peer response.',
    limits: 'at least 1 and greater than lnet_retry_count',
    set: (text, c, fail) => {
      const v = readUlong(text, fail);
      if (v <= BigInt(c.lnet_retry_count) || v === 0n)
        fail(`must be greater than lnet_retry_count (${c.lnet_retry_count}); set lnet_retry_count first to lower it`);
      return { lnet_transaction_timeout: toU32(v) };
    },
  }),
  spec({
    name: 'lnet_retry_count',
    type: 'int',
    default: 2,
    writable: true,
    description: 'Maximum number of times to retry transmitting a message',
    limits: 'at most lnet_transaction_timeout; only 0 while lnet_health_sensitivity is 0',
    set: (text, c, fail) => {
      const v = readUlong(text, fail);
      if (c.lnet_health_sensitivity === 0 && v > 0n) fail('cannot be set while the health feature is off (lnet_health_sensitivity=0)');
      if (v > BigInt(c.lnet_transaction_timeout))
        fail(`must not exceed lnet_transaction_timeout (${c.lnet_transaction_timeout})`);
      return { lnet_retry_count: toU32(v) };
    },
  }),
  spec({
    name: 'lnet_response_tracking',
    type: 'int',
    default: 3,
    writable: true,
    description: '(0|1|2|3) LNet Internal Only|GET Reply only|PUT ACK only|Full Tracking (default)',
    limits: '0..3',
    set: (text, _c, fail) => {
      const r = kstrtoul(text);
      // This setter reports every unreadable value as EINVAL, overflow included.
      if (!r.ok) return fail('not a number 0..3');
      if (r.value > 3n) fail('must be 0..3');
      return { lnet_response_tracking: Number(r.value) };
    },
  }),
  spec({ name: 'lock_prim_nid', type: 'int', default: 1, writable: false, description: 'Whether nid passed down by Lustre is locked as primary' }),
  spec({
    name: 'accept',
    type: 'charp',
    default: 'secure',
    writable: false,
    description: 'Accept connections (secure|all|none)',
    limits: 'secure, all or none',
    checkedAt: 'startup',
    set: setEnumCharp<LNetParams>('accept', ['secure', 'all', 'none']),
  }),
  spec({ name: 'accept_port', type: 'int', default: 988, writable: false, description: "Acceptor's port for control conns (same on all nodes)" }),
  spec({ name: 'accept_port_bulk', type: 'int', default: 988, writable: false, description: "Acceptor's port for bulk conns (same on all nodes)" }),
  spec({ name: 'accept_backlog', type: 'int', default: 127, writable: false, description: "Acceptor's listen backlog" }),
  spec({ name: 'accept_timeout', type: 'int', default: 5, writable: true, description: "Acceptor's timeout (seconds)" }),
  spec({ name: 'cpu_npartitions', type: 'int', default: 0, writable: false, description: '# of CPU partitions' }),
  spec({ name: 'cpu_pattern', type: 'charp', default: 'N', writable: false, description: 'CPU partitions pattern' }),
  spec({ name: 'local_nid_dist_zero', type: 'int', default: 1, writable: false, description: 'Reserved' }),
  spec({
    name: 'portal_rotor',
    type: 'int',
    default: 3,
    writable: true,
    description: 'redirect PUTs to different cpu-partitions',
    limits: '0 off, 1 on, 2 routed only (round robin), 3 routed only (hashed); other values act as 2',
  }),
  spec({ name: 'config_on_load', type: 'int', default: 0, writable: false, description: 'configure network at module load' }),
  spec({ name: 'enable_sysctl_setup', type: 'int', default: 0, writable: true, description: 'enable sysctl parameters for large systems' }),
  spec({
    name: 'forwarding',
    type: 'charp',
    default: '',
    writable: false,
    description: 'Explicitly enable/disable forwarding between networks',
    limits: "'' (route only when a local NID is a gateway in routes=), enabled or disabled",
    checkedAt: 'startup',
    set: setEnumCharp<LNetParams>('forwarding', ['', 'enabled', 'disabled']),
  }),
  spec({
    name: 'tiny_router_buffers',
    type: 'int',
    default: 0,
    writable: false,
    description: '# of 0 payload messages to buffer in the router',
    limits: '0 means 2048; negative fails startup when routing is enabled',
  }),
  spec({
    name: 'small_router_buffers',
    type: 'int',
    default: 0,
    writable: false,
    description: '# of small (1 page) messages to buffer in the router',
    limits: '0 means 16384; negative fails startup when routing is enabled',
  }),
  spec({
    name: 'large_router_buffers',
    type: 'int',
    default: 0,
    writable: false,
    description: '# of large messages to buffer in the router',
    limits: '0 means 1024; negative fails startup when routing is enabled',
  }),
  spec({
    name: 'peer_buffer_credits',
    type: 'int',
    default: 0,
    writable: false,
    description: '# router buffer credits per peer',
    limits: "<= 0 means the net's peer_credits",
  }),
  spec({ name: 'auto_down', type: 'int', default: 1, writable: false, description: 'Automatically mark peers down on comms error' }),
  spec({
    name: 'check_routers_before_use',
    type: 'int',
    default: 0,
    writable: false,
    description: 'Assume routers are down and ping them before use',
  }),
  spec({
    name: 'avoid_asym_router_failure',
    type: 'int',
    default: 1,
    writable: true,
    description: 'Avoid asymmetrical router failures (0 to disable)',
  }),
  spec({
    name: 'dead_router_check_interval',
    type: 'int',
    default: INT_MIN,
    writable: false,
    description: '(DEPRECATED - Use alive_router_check_interval)',
    limits: 'deprecated: stored, never used',
  }),
  spec({
    name: 'live_router_check_interval',
    type: 'int',
    default: INT_MIN,
    writable: false,
    description: '(DEPRECATED - Use alive_router_check_interval)',
    limits: 'deprecated: stored, never used',
  }),
  spec({
    name: 'alive_router_check_interval',
    type: 'int',
    default: 60,
    writable: true,
    description: 'Seconds between live router health checks (<= 0 to disable)',
  }),
  spec({
    name: 'router_ping_timeout',
    type: 'int',
    default: 50,
    writable: true,
    description: 'Seconds to wait for the reply to a router health query',
  }),
  spec({
    name: 'router_sensitivity_percentage',
    type: 'int',
    default: 100,
    writable: true,
    description: '(Deprecated) How healthy a gateway should be to be used in percent',
    limits: '0..100',
    set: (text, _c, fail) => {
      const v = readUlong(text, fail);
      if (v > 100n) fail('must be 0..100');
      return { router_sensitivity_percentage: Number(v) };
    },
  }),
];

export const DEFAULT_LNET_PARAMS: LNetParams = Object.freeze(
  Object.fromEntries(LNET_TUNABLES.map((s) => [s.name, s.default])) as unknown as LNetParams,
);

/** lnet_lnd_timeout: the LND timeout LNet derives, max((timeout - 1) / (retries + 1), 1). */
export function lnetLndTimeout(p: Pick<LNetParams, 'lnet_transaction_timeout' | 'lnet_retry_count'>): number {
  return Math.max(Math.floor((p.lnet_transaction_timeout - 1) / (p.lnet_retry_count + 1)), 1);
}
