/**
 * The global settings `lnetctl set` changes and `global show` prints, with the kernel's
 * validation: the sysfs set handlers of lnet/lnet/api-ni.c and router.c (sensitivity_set,
 * transaction_to_set, retry_count_set, intf_max_set, discovery_set, …) after liblnetconfig's
 * own checks (response_tracking 0..3, recovery_limit >= 0, max_recovery_ping_interval > 0).
 */
import { Errno } from './errno.js';
import { LNetError } from './errors.js';
import { LNET_INTERFACES_MAX_DEFAULT, LNET_INTERFACES_MIN } from './config/lnet-params.js';
import { lndTimeout, type CoreParams } from './core/params.js';

/** `global show`, in its order. */
export interface GlobalSettings {
  numa_range: number;
  max_interfaces: number;
  discovery: number;
  drop_asym_route: number;
  retry_count: number;
  transaction_timeout: number;
  health_sensitivity: number;
  recovery_interval: number;
  router_sensitivity: number;
  lnd_timeout: number;
  response_tracking: number;
  recovery_limit: number;
  max_recovery_ping_interval: number;
}

export type GlobalName = Exclude<keyof GlobalSettings, 'lnd_timeout'>;

export const GLOBAL_NAMES: readonly GlobalName[] = [
  'numa_range',
  'max_interfaces',
  'discovery',
  'drop_asym_route',
  'retry_count',
  'transaction_timeout',
  'health_sensitivity',
  'recovery_interval',
  'router_sensitivity',
  'response_tracking',
  'recovery_limit',
  'max_recovery_ping_interval',
];

export function isGlobalName(s: string): s is GlobalName {
  return (GLOBAL_NAMES as readonly string[]).includes(s);
}

export function globalsOf(p: CoreParams): GlobalSettings {
  return {
    numa_range: p.numa_range,
    max_interfaces: p.lnet_interfaces_max,
    discovery: p.lnet_peer_discovery_disabled ? 0 : 1,
    drop_asym_route: p.drop_asym_route,
    retry_count: p.retry_count,
    transaction_timeout: p.transaction_timeout,
    health_sensitivity: p.health_sensitivity,
    // Deprecated: the kernel ignores writes and keeps reporting the load-time value.
    recovery_interval: p.recovery_interval,
    router_sensitivity: p.router_sensitivity,
    lnd_timeout: lndTimeout(p),
    response_tracking: p.response_tracking,
    recovery_limit: p.recovery_limit,
    max_recovery_ping_interval: p.max_recovery_ping_interval,
  };
}

/**
 * How a refused setting is reported (liblnetconfig's cYAML error): `add:` / `- <entity>:` /
 * `errno` / `descr`. `errno` is liblnetconfig's rc: −61 (LUSTRE_CFG_RC_GENERIC_ERR) when the
 * sysfs write failed, −22 when liblnetconfig refused the value itself, −errno for ioctls.
 */
export class GlobalSettingError extends LNetError {
  constructor(
    readonly entity: string,
    readonly rc: number,
    /** Exactly as printed after `descr: ` (liblnetconfig embeds the double quotes). */
    readonly descr: string,
    code: 'EINVAL' | 'ENODATA' | 'ERANGE' | 'EBUSY' = rc === -Errno.ENODATA ? 'ENODATA' : rc === -Errno.ERANGE ? 'ERANGE' : 'EINVAL',
  ) {
    super(code, descr.replace(/^"|"$/g, ''));
    this.name = 'GlobalSettingError';
  }
}

/** What a sysfs write failure looks like: errno −61 and strerror of the kernel's EINVAL. */
function sysfsRefused(entity: string, what: string): GlobalSettingError {
  return new GlobalSettingError(entity, -Errno.ENODATA, `"cannot configure ${what}: Invalid argument"`);
}

/** The sysfs parameters lnetctl writes as "%d" and the kernel reads with kstrtoul: negatives fail. */
function unsigned(v: number, entity: string, what: string): number {
  if (!Number.isInteger(v) || v < 0) throw sysfsRefused(entity, what);
  return v;
}

/** C int truncation of the long lnetctl parsed (its snprintf("%d")). */
function toInt(v: number): number {
  return Number(BigInt.asIntN(32, BigInt(Math.trunc(v))));
}

/**
 * Apply `lnetctl set <name> <value>` to `p` (mutated) as lnetctl and the kernel would, or throw
 * GlobalSettingError with the error document's contents. Returns the names whose values changed.
 */
export function setGlobal(p: CoreParams, name: GlobalName, value: number): GlobalName[] {
  const v = toInt(value);
  switch (name) {
    case 'health_sensitivity': {
      const n = unsigned(v, 'health_sensitivity', 'health sensitivity');
      if (n > 1000) throw sysfsRefused('health_sensitivity', 'health sensitivity');
      const changed: GlobalName[] = ['health_sensitivity'];
      // Health off means no resends either (sensitivity_set).
      if (p.health_sensitivity !== 0 && n === 0 && p.retry_count !== 0) {
        p.retry_count = 0;
        changed.push('retry_count');
      }
      p.health_sensitivity = n;
      return changed;
    }
    case 'recovery_interval':
      // recovery_interval_set only warns that the parameter is deprecated.
      return [];
    case 'max_recovery_ping_interval':
      if (v <= 0) throw new GlobalSettingError('maximum recovery ping interval', -Errno.EINVAL, '"must be strictly positive"');
      p.max_recovery_ping_interval = v;
      return [name];
    case 'discovery':
      p.lnet_peer_discovery_disabled = v ? 0 : 1;
      return [name];
    case 'drop_asym_route':
      p.drop_asym_route = v ? 1 : 0;
      return [name];
    case 'transaction_timeout': {
      const n = unsigned(v, 'transaction_timeout', 'transaction timeout');
      if (n <= p.retry_count || n === 0) throw sysfsRefused('transaction_timeout', 'transaction timeout');
      p.transaction_timeout = n;
      return [name];
    }
    case 'retry_count': {
      const n = unsigned(v, 'retry_count', 'retry count');
      if (p.health_sensitivity === 0 && n > 0) throw sysfsRefused('retry_count', 'retry count');
      if (n > p.transaction_timeout) throw sysfsRefused('retry_count', 'retry count');
      p.retry_count = n;
      return [name];
    }
    case 'max_interfaces':
      // intf_max_set: too small is not an error, it falls back to the default.
      p.lnet_interfaces_max = v < LNET_INTERFACES_MIN ? LNET_INTERFACES_MAX_DEFAULT : v;
      return [name];
    case 'response_tracking':
      if (v < 0 || v > 3) throw new GlobalSettingError('response_tracking', -Errno.EINVAL, '"Valid values are: 0, 1, 2, or 3"');
      p.response_tracking = v;
      return [name];
    case 'recovery_limit':
      if (v < 0) throw new GlobalSettingError('recovery_limit', -Errno.EINVAL, '"Must be greater than or equal to 0"');
      p.recovery_limit = v;
      return [name];
    case 'router_sensitivity': {
      const n = unsigned(v, 'router_sensitivity', 'router health sensitivity');
      if (n > 100) throw sysfsRefused('router_sensitivity', 'router health sensitivity');
      p.router_sensitivity = n;
      return [name];
    }
    case 'numa_range':
      // An ioctl with a __u32 value: anything goes, negatives wrap.
      p.numa_range = v >>> 0;
      return [name];
  }
}
