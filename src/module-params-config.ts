import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { LNetError } from './errors.js';
import { loadModprobeConfig, type ConfigSource, type LoadedModuleParams } from './config/modprobe.js';
import { modparamNetworks } from './config/modparam-networks.js';
import { localInterfacesFromOs, type LocalInterface } from './config/local-interfaces.js';
import type { CoreParams } from './core/params.js';
import { lndInfo } from './nid/lnd-type.js';
import { formatNet, netType } from './nid/net.js';
import { parseIPv4Strict } from './nid/ip.js';
import type { LNetConfig, LNetNetConfig } from './lnet.js';

/** Where module parameters come from: modprobe-style text or file, and/or an insmod argument string. */
export interface ModuleParamsSource {
  /** `options lnet networks="tcp0(eth0)"` lines, as in /etc/modprobe.d/lustre.conf. */
  modprobe?: string;
  /** A modprobe-style file to read. */
  file?: string;
  /** Arguments as on an insmod command line, per module: `{ lnet: 'networks=tcp0(eth0)' }`. */
  args?: Partial<Record<'lnet' | 'ksocklnd' | 'ko2iblnd', string>>;
  /** The host's interfaces (default: os.networkInterfaces()). */
  interfaces?: LocalInterface[];
}

/**
 * Turn module parameters into an LNet configuration the way the kernel does at `lctl network
 * up`: networks= (or ip2nets= matched against the interfaces, or `tcp` when neither is set),
 * each NI's NID from its interface's IPv4 address (the first usable interface when none is named).
 */
export function configFromModuleParams(
  src: ModuleParamsSource,
  base: Omit<LNetConfig, 'nets'> = {},
): { config: LNetConfig; params: LoadedModuleParams } {
  const sources: ConfigSource[] = [];
  if (src.file !== undefined) sources.push({ file: src.file, text: readFileSync(src.file, 'utf8') });
  if (src.modprobe !== undefined) sources.push({ file: '<modprobe text>', text: src.modprobe });
  const loaded = loadModprobeConfig(sources, { commandLine: src.args ?? {} });
  const ifaces = src.interfaces ?? localInterfacesFromOs(networkInterfaces());
  const nets = netsFromModuleParams(loaded, ifaces, base.ncpt ?? 1);
  const params = coreParamsFromModuleParams(loaded);
  return { config: { ...base, nets, params: { ...params, ...base.params } }, params: loaded };
}

/**
 * The networks the lnet module parameters bring up on a host with `ifaces` (networks=, or
 * ip2nets= matched against the interfaces, or `tcp`), each NI's NID from its interface's IPv4
 * address (the first usable interface when none is named).
 */
export function netsFromModuleParams(loaded: LoadedModuleParams, ifaces: readonly LocalInterface[], ncpt = 1): LNetNetConfig[] {
  const chosen = modparamNetworks(loaded.lnet, ifaces, { cptCount: ncpt });
  return chosen.nets.map((spec) => {
    const ipLnd = lndInfo(netType(spec.net))?.addrKind !== 'num';
    return {
      net: formatNet(spec.net),
      nis: spec.nis.map((ni) => {
        const iface = ni.interface ?? defaultInterface(ifaces)?.name;
        if (iface === undefined) throw new LNetError('ENODEV', `no usable interface for ${formatNet(spec.net)}; name one, e.g. networks="tcp(eth0)"`);
        const found = ifaces.find((i) => i.name === iface);
        if (!found) throw new LNetError('ENODEV', `interface ${iface} for ${formatNet(spec.net)} does not exist on this host`);
        const v4 = found.addresses.find((a) => parseIPv4Strict(a) !== undefined);
        if (ipLnd && v4 === undefined) throw new LNetError('EADDRNOTAVAIL', `interface ${iface} has no IPv4 address for ${formatNet(spec.net)}`);
        return { interfaces: [iface], ...(ipLnd ? { nid: `${v4}@${formatNet(spec.net)}` } : {}), ...(ni.cpts ? { cpts: [...ni.cpts] } : {}) };
      }),
    };
  });
}

/** The core parameters the lnet module parameters set. */
export function coreParamsFromModuleParams(loaded: LoadedModuleParams): Partial<CoreParams> {
  const l = loaded.lnet;
  return {
    transaction_timeout: l.lnet_transaction_timeout,
    retry_count: l.lnet_retry_count,
    response_tracking: l.lnet_response_tracking,
    health_sensitivity: l.lnet_health_sensitivity,
    recovery_interval: l.lnet_recovery_interval,
    recovery_limit: l.lnet_recovery_limit,
    lnet_interfaces_max: l.lnet_interfaces_max,
    drop_asym_route: l.lnet_drop_asym_route,
    lnet_peer_discovery_disabled: l.lnet_peer_discovery_disabled,
    numa_range: l.lnet_numa_range,
    max_recovery_ping_interval: l.lnet_max_recovery_ping_interval,
    router_sensitivity: l.router_sensitivity_percentage,
  };
}

/** socklnd's default: the first up, non-loopback interface with an IPv4 address. */
function defaultInterface(ifaces: readonly LocalInterface[]): LocalInterface | undefined {
  return ifaces.find((i) => !i.loopback && i.up !== false && i.addresses.some((a) => parseIPv4Strict(a) !== undefined));
}
