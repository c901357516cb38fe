/**
 * Which local networks the lnet module parameters ask for (lnet/lnet/api-ni.c
 * lnet_get_networks, then lnet_parse_networks): `networks` and `ip2nets` are exclusive; ip2nets
 * is matched against the local interfaces; with neither, the default is "tcp".
 */
import { LNetError } from '../errors.js';
import { matchIp2nets, type Ip2netsOptions } from './ip2nets.js';
import type { LocalInterface } from './local-interfaces.js';
import { parseNetworks, type NetSpec, type NetworksOptions } from './networks.js';

export interface ModparamNetworks {
  /** The networks= string the kernel ends up parsing. */
  readonly networks: string;
  readonly source: 'networks' | 'ip2nets' | 'default';
  readonly nets: readonly NetSpec[];
}

/**
 * Throws LNetError EINVAL when both are set, ENOENT when ip2nets matches nothing, and
 * ParseError (EINVAL) for syntax errors in either string.
 */
export function modparamNetworks(
  params: { readonly networks: string; readonly ip2nets: string },
  interfaces: readonly LocalInterface[],
  opts: NetworksOptions & Ip2netsOptions = {},
): ModparamNetworks {
  if (params.networks !== '' && params.ip2nets !== '')
    throw new LNetError('EINVAL', "specify either 'networks' or 'ip2nets', not both");
  if (params.ip2nets !== '') {
    const networks = matchIp2nets(params.ip2nets, interfaces, opts).networks;
    return { networks, source: 'ip2nets', nets: parseNetworks(networks, opts) };
  }
  const networks = params.networks !== '' ? params.networks : 'tcp';
  return { networks, source: params.networks !== '' ? 'networks' : 'default', nets: parseNetworks(networks, opts) };
}
