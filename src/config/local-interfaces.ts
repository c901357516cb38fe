/**
 * The node's IP interfaces as config.c sees them (lnet/lnet/lib-socket.c lnet_inet_enumerate):
 * loopback and down devices are skipped; every IPv4 address of a device counts, but only the
 * first IPv6 address that is not link-local (temporary addresses are skipped too, which a
 * plain address list cannot show).
 */
import type { networkInterfaces } from 'node:os';
import { parseIPv4Strict, parseIPv6 } from '../nid/ip.js';

export interface LocalInterface {
  readonly name: string;
  /** Textual IPv4 or IPv6 addresses, in the order the system lists them. */
  readonly addresses: readonly string[];
  /** IFF_UP; default true. */
  readonly up?: boolean;
  /** IFF_LOOPBACK; default false. */
  readonly loopback?: boolean;
}

export interface EnumeratedAddress {
  readonly interface: string;
  readonly family: 4 | 6;
  /** IPv4: the address. IPv6: 8 16-bit words. */
  readonly v4?: number;
  readonly v6?: readonly number[];
}

/**
 * lnet_inet_enumerate. Addresses that are not valid IP text are ignored (a device cannot
 * hold them). `v6First` is the kernel's large-NID ordering flag.
 */
export function enumerateAddresses(ifaces: readonly LocalInterface[], v6First = false): EnumeratedAddress[] {
  const out: EnumeratedAddress[] = [];
  for (const ifc of ifaces) {
    if (ifc.loopback === true || ifc.up === false) continue;
    const v4: EnumeratedAddress[] = [];
    let v6: EnumeratedAddress | undefined;
    for (const text of ifc.addresses) {
      const a = parseIPv4Strict(text);
      if (a !== undefined) {
        v4.push({ interface: ifc.name, family: 4, v4: a });
        continue;
      }
      // Node reports link-local addresses with a zone suffix (fe80::1%eth0).
      const w = parseIPv6(text.replace(/%.*$/, ''));
      if (w && v6 === undefined && (w[0]! & 0xffc0) !== 0xfe80) v6 = { interface: ifc.name, family: 6, v6: w };
    }
    if (v6First && v6) out.push(v6);
    out.push(...v4);
    if (!v6First && v6) out.push(v6);
  }
  return out;
}

/**
 * The u32 config.c matches ip2nets patterns against: the IPv4 address, or for an IPv6 entry
 * the first 32 bits of the address (the kernel reads `li_ipaddr`, which overlays the first
 * word of the IPv6 address in its union).
 */
export function ip2netsMatchAddress(a: EnumeratedAddress): number {
  if (a.family === 4) return a.v4! >>> 0;
  return ((a.v6![0]! << 16) | a.v6![1]!) >>> 0;
}

/** Adapt `os.networkInterfaces()` (which lists only interfaces that have addresses). */
export function localInterfacesFromOs(ifaces: ReturnType<typeof networkInterfaces>): LocalInterface[] {
  const out: LocalInterface[] = [];
  for (const [name, infos] of Object.entries(ifaces)) {
    if (!infos || infos.length === 0) continue;
    out.push({ name, addresses: infos.map((i) => i.address), loopback: infos.every((i) => i.internal) });
  }
  return out;
}
