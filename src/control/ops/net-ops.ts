/**
 * Local networks (LNET_CMD_NETS): `lnetctl net add|del|set|show` with the kernel's checks and
 * extack texts (api-ni.c lnet_net_cmd, lnet_genl_parse_local_ni, lnet_dyn_add_ni/del_ni/del_net).
 */
import { networkInterfaces } from 'node:os';
import { Errno } from '../../errno.js';
import { LNetError } from '../../errors.js';
import { matchIp2nets } from '../../config/ip2nets.js';
import { enumerateAddresses } from '../../config/local-interfaces.js';
import { parseNetworks } from '../../config/networks.js';
import type { NiTunables } from '../../core/ni.js';
import type { LNetNetConfig } from '../../lnet.js';
import { LndType } from '../../nid/lnd-type.js';
import { formatNet, LNET_NET_ANY, lookupNet, netType, type Net } from '../../nid/net.js';
import { formatNid, tryParseNid } from '../../nid/nid-string.js';
import { nidNet, type Nid } from '../../nid/nid.js';
import { parseIPv4Strict } from '../../nid/ip.js';
import { netlinkError, cyamlError, quoted } from '../docs/error-docs.js';
import { buildNetShow } from '../docs/net-show.js';
import { udspInfoSource } from '../show.js';
import type { LNetModule } from '../lnet-module.js';
import { optBool, optInt, optInts, optObj, optStr, optStrs, type Args } from './args.js';
import type { OpRegistry } from './registry.js';

/** libcfs_str2net: LNET_NET_ANY for what does not parse. */
function str2net(text: string): Net {
  const r = lookupNet(text.trim());
  return 'error' in r ? LNET_NET_ANY : r.net;
}

const addError = (errno: number, descr: string) => netlinkError('add', 'net', -Math.abs(errno), descr);
const delError = (errno: number, descr: string) => netlinkError('del', 'net', -Math.abs(errno), descr);

/** The host interface holding (or whose subnet holds) an address: what the kernel names the NI by. */
export function interfaceForAddress(address: string): string | undefined {
  const all = networkInterfaces();
  for (const [name, infos] of Object.entries(all)) if (infos?.some((i) => i.address === address)) return name;
  const a = parseIPv4Strict(address);
  if (a === undefined) return undefined;
  for (const [name, infos] of Object.entries(all))
    for (const i of infos ?? []) {
      if (i.family !== 'IPv4') continue;
      const base = parseIPv4Strict(i.address);
      const mask = parseIPv4Strict(i.netmask);
      if (base !== undefined && mask !== undefined && ((base & mask) >>> 0) === ((a & mask) >>> 0)) return name;
    }
  return undefined;
}

function hostHasInterface(name: string): boolean {
  return networkInterfaces()[name] !== undefined;
}

function tunablesOf(a: Args): Partial<NiTunables> | undefined {
  const t = optObj(a, 'tunables');
  if (!t) return undefined;
  const out: Partial<NiTunables> = {};
  // The kernel keeps the LND default for what is unset (-1) or, for credits, not positive.
  const pt = optInt(t, 'peer_timeout');
  if (pt !== undefined && pt >= 0) out.peer_timeout = pt;
  for (const k of ['peer_credits', 'peer_buffer_credits', 'credits'] as const) {
    const v = optInt(t, k);
    if (v !== undefined && v > 0) out[k] = v;
  }
  return out;
}

function lndTunablesOf(a: Args): Record<string, number> | undefined {
  const t = optObj(a, 'lndTunables');
  if (!t) return undefined;
  const out: Record<string, number> = {};
  const cpp = optInt(t, 'conns_per_peer');
  // ksocknal_nl_set: 0..127 (0: from the link speed).
  if (cpp !== undefined && cpp > 127) throw addError(Errno.ERANGE, 'failed to parse lnd tunables');
  if (cpp !== undefined && cpp > -1) out.conns_per_peer = cpp;
  const tos = optInt(t, 'tos');
  if (tos !== undefined) {
    if (tos < -1 || tos > 0xff) throw addError(Errno.EINVAL, 'failed to parse lnd tunables');
    out.tos = tos;
  }
  return out;
}

/** lnet_dyn_add_ni's failures with the extack netlink sends back. */
function addFailure(e: unknown): never {
  if (e instanceof LNetError) {
    switch (e.code) {
      case 'ENOENT':
        throw addError(Errno.ENOENT, 'cannot parse net');
      case 'ERANGE':
        throw addError(Errno.ERANGE, 'invalid CPT set');
      case 'ENOSPC':
        throw addError(Errno.ENOSPC, 'too many NIs, check lnet_interfaces_max');
      // No such interface, or an address this host does not have: the LND cannot start (ENETDOWN).
      case 'ENODEV':
      case 'EADDRNOTAVAIL':
        throw addError(Errno.ENETDOWN, 'cannot add LNet NI');
      default:
        throw addError(Errno[e.code as keyof typeof Errno] ?? Errno.EIO, 'cannot add LNet NI');
    }
  }
  throw e;
}

/**
 * `net add`: `net` (with `interfaces`) or `nid`, or `ip2net`; tunables, lnd tunables, CPTs.
 * One NI per interface, as lnetctl sends one local NI per `--if` entry.
 */
async function netAdd(m: LNetModule, a: Args): Promise<{ nids: string[] }> {
  const lnet = m.requireLNet();
  const ip2net = optStr(a, 'ip2net');
  const tunables = tunablesOf(a);
  const lndTunables = lndTunablesOf(a);
  const cpts = optInts(a, 'cpts');
  if (cpts?.some((c) => c < 0 || c >= m.ncpt)) throw addError(Errno.ERANGE, 'invalid CPT value');
  const configs: LNetNetConfig[] = [];
  if (ip2net !== undefined) {
    // lnet_handle_legacy_ip2nets: the rules against this host's interfaces, every match added.
    let nets;
    // The rules select nets, not interfaces: an NI the selected text names no interface for
    // goes on the first interface lnet_inet_enumerate lists (lnet_inet_select's default).
    const ifs = m.interfaces();
    const firstIf = enumerateAddresses(ifs)[0]?.interface;
    try {
      const networks = matchIp2nets(ip2net, ifs).networks;
      nets = parseNetworks(networks, { cptCount: m.ncpt });
    } catch {
      throw addError(Errno.EINVAL, 'cannot setup ip2nets');
    }
    // A net that exists takes the new NIs (lnet_startup_lndnet); an NI it already has (same
    // interface, so the same NID) is EEXIST, and the request fails with the ip2nets extack.
    const ip2netConfigs: LNetNetConfig[] = [];
    for (const spec of nets) {
      ip2netConfigs.push({
        net: formatNet(spec.net),
        tunables,
        nis: spec.nis.map((ni) => ({
          ...(ni.interface ? { interfaces: [ni.interface] } : firstIf ? { interfaces: [firstIf] } : {}),
          ...(ni.cpts ? { cpts: [...ni.cpts] } : cpts ? { cpts } : {}),
          ...(lndTunables ? { lndTunables } : {}),
        })),
      });
    }
    const added: string[] = [];
    for (const c of ip2netConfigs) {
      try {
        for (const ni of await lnet.addNet(c)) added.push(formatNid(ni.nid));
      } catch (e) {
        throw addError(e instanceof LNetError ? e.errno : Errno.EIO, 'cannot setup ip2nets');
      }
    }
    return { nids: added };
  } else {
    const nidText = optStr(a, 'nid');
    let nid: Nid | undefined;
    let net: Net;
    if (nidText !== undefined) {
      nid = tryParseNid(nidText.trim());
      if (!nid) throw addError(Errno.EINVAL, 'unsupported NID');
      net = nidNet(nid);
    } else {
      const netText = optStr(a, 'net');
      if (netText === undefined) throw addError(Errno.EINVAL, 'interface / NID is missing');
      net = str2net(netText);
    }
    if (net === LNET_NET_ANY || !(netType(net) in LndType)) throw addError(Errno.ENOENT, 'cannot parse net');
    if (netType(net) === LndType.LOLND) throw addError(Errno.ENODEV, 'setting @lo not allowed');
    if (netType(net) !== LndType.SOCKLND) throw addError(Errno.EINVAL, 'LND type not supported');
    const ifaces = optStrs(a, 'interfaces') ?? [];
    if (!nid && ifaces.length === 0) throw addError(Errno.EINVAL, 'interface / NID is missing');
    if (nid) {
      const addr = formatNid(nid).replace(/@[^@]*$/, '');
      const ifname = ifaces[0] ?? interfaceForAddress(addr);
      configs.push({
        net: formatNet(net),
        tunables,
        nis: [{ nid: formatNid(nid), ...(ifname ? { interfaces: [ifname] } : {}), ...(cpts ? { cpts } : {}), ...(lndTunables ? { lndTunables } : {}) }],
      });
    } else {
      for (const ifname of ifaces)
        if (!hostHasInterface(ifname)) throw addError(Errno.ENETDOWN, 'cannot add LNet NI');
      configs.push({
        net: formatNet(net),
        tunables,
        nis: ifaces.map((ifname) => ({ interfaces: [ifname], ...(cpts ? { cpts } : {}), ...(lndTunables ? { lndTunables } : {}) })),
      });
    }
  }
  const added: string[] = [];
  for (const c of configs) {
    try {
      for (const ni of await lnet.addNet(c)) added.push(formatNid(ni.nid));
    } catch (e) {
      addFailure(e);
    }
  }
  return { nids: added };
}

/** `net del`: a whole net, the NI with a NID, or the NI on an interface of a net. */
async function netDel(m: LNetModule, a: Args): Promise<void> {
  const lnet = m.requireLNet();
  const nidText = optStr(a, 'nid');
  const ifaces = optStrs(a, 'interfaces') ?? [];
  if (nidText !== undefined) {
    const nid = tryParseNid(nidText.trim());
    if (!nid) throw delError(Errno.EINVAL, 'unsupported NID');
    if (netType(nidNet(nid)) === LndType.LOLND) throw delError(Errno.ENODEV, 'setting @lo not allowed');
    try {
      await lnet.delNi(nid);
    } catch {
      throw delError(Errno.ENOENT, 'cannot del LNet NI');
    }
    return;
  }
  const netText = optStr(a, 'net');
  if (netText === undefined) throw delError(Errno.ENODEV, 'interface / NID is missing');
  const net = str2net(netText);
  if (net !== LNET_NET_ANY && netType(net) === LndType.LOLND) throw delError(Errno.ENODEV, 'setting @lo not allowed');
  if (ifaces.length === 0) {
    try {
      await lnet.delNet(formatNet(net));
    } catch {
      throw delError(Errno.EINVAL, 'cannot del network');
    }
    return;
  }
  const nis = lnet.core.nis.filter((ni) => ni.net === net);
  if (nis.length === 0) throw delError(Errno.ENODEV, "LNet net doesn't exist");
  for (const ifname of ifaces) {
    const ni = nis.find((x) => x.interfaces[0] === ifname);
    if (!ni) throw delError(Errno.ENODEV, 'cannot del LNet NI');
    await lnet.delNi(ni.nid);
  }
}

/**
 * `net set`: `health` (one NI or `all`), `connsPerPeer` (socklnd NIs), `lndTimeout` (the
 * LND's timeout module parameter, through sysfs: a cYAML error on failure).
 */
async function netSet(m: LNetModule, a: Args): Promise<void> {
  const lnet = m.requireLNet();
  const nidText = optStr(a, 'nid');
  const all = optBool(a, 'all');
  const health = optInt(a, 'health');
  const cpp = optInt(a, 'connsPerPeer');
  const lndTimeout = optInt(a, 'lndTimeout');
  const netText = optStr(a, 'net');
  if (lndTimeout !== undefined && lndTimeout > -1) {
    const net = netText === undefined ? LNET_NET_ANY : str2net(netText);
    if (net === LNET_NET_ANY || netType(net) !== LndType.SOCKLND) {
      const lnd = net === LNET_NET_ANY ? '?' : (formatNet(net).replace(/\d+$/, '') || '?');
      throw cyamlError('set', 'lnd_timeout', 'EINVAL', quoted(`Net ${lnd} does not accept a LND timeout`));
    }
    // ksocklnd's sock_timeout: every socket NI reports it as its `timeout` lnd tunable.
    for (const ni of lnet.core.nis) if (netType(ni.net) === LndType.SOCKLND) ni.lndTunables.timeout = lndTimeout;
    // The LND reads its params each time it arms a deadline: new connections use the new value.
    if (m.socklnd) (m.socklnd.params as { sock_timeout: number }).sock_timeout = lndTimeout;
    return;
  }
  if (all && nidText !== undefined) throw netlinkError('set', 'net', -Errno.EINVAL, 'cannot set both --all and --nid');
  if ((health === undefined || health < 0) && (cpp === undefined || cpp < 0)) return;
  if (cpp !== undefined && cpp > 127) throw netlinkError('set', 'net', -Errno.ERANGE, 'failed to parse lnd tunables');
  // Without --nid the request names LNET_NET_ANY and reaches every NI, --all or not.
  let nid: Nid | undefined;
  if (nidText !== undefined) {
    nid = tryParseNid(nidText.trim());
    if (!nid) throw netlinkError('set', 'net', -Errno.EINVAL, 'unsupported NID');
    if (!lnet.core.findNi(nid)) throw netlinkError('set', 'net', -Errno.ENOENT, 'cannot find NI');
  }
  if (health !== undefined && health > -1) lnet.setNiHealth(health, nid);
  if (cpp !== undefined && cpp > -1)
    for (const ni of lnet.core.nis)
      if (netType(ni.net) === LndType.SOCKLND && (!nid || ni.nid === lnet.core.findNi(nid)?.nid)) ni.lndTunables.conns_per_peer = cpp;
}

function netShow(m: LNetModule, a: Args): unknown {
  const lnet = m.lnet;
  const net = optStr(a, 'net');
  if (net !== undefined && str2net(net) === LNET_NET_ANY) throw netlinkError('show', 'net', -Errno.ENOENT, 'Unspecific failure');
  if (!lnet || !m.running) throw netlinkError('show', 'net', -Errno.ENETDOWN, 'Unspecific failure');
  return buildNetShow(lnet, {
    ...(net !== undefined ? { net: str2net(net) } : {}),
    verbose: optInt(a, 'verbose') ?? 0,
    backup: optBool(a, 'backup'),
    udspInfo: udspInfoSource(lnet),
  });
}

export function registerNetOps(r: OpRegistry): void {
  r.add('net.add', (ctx, a) => netAdd(ctx.module, a));
  r.add('net.del', (ctx, a) => netDel(ctx.module, a));
  r.add('net.set', (ctx, a) => netSet(ctx.module, a));
  r.add('net.show', (ctx, a) => netShow(ctx.module, a), false);
}
