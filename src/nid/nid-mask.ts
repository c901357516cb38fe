/**
 * CIDR NID masks of NID-range expressions: `10.1.0.0/16`, `2001:db8::/64`, a bare IPv6
 * address (= /128). Follows parse_nidmask / match_nidmask / print_nidmask of
 * lnet/lnet/nidstrings.c (kernel) and libcfs/libcfs/util/nidstrings.c (userspace).
 */
import { formatIPv4, formatIPv6, parseIPv4Strict, parseIPv6 } from './ip.js';
import { kstrtouint, strim } from './kstrto.js';
import type { LndInfo } from './lnd-type.js';
import { parseNidAddress, type NidParseOptions } from './nid-string.js';
import type { Nid } from './nid.js';

type Words = readonly [number, number, number, number];

export interface NidMask {
  readonly family: 4 | 6;
  /** The address as written (host-order words; IPv4 uses word 0). Printed back unmasked. */
  readonly addr: Words;
  readonly prefixLen: number;
  readonly netmask: Words;
  /** addr & netmask */
  readonly network: Words;
}

/** True when the address part of a NID range is CIDR / IPv6: a ':' anywhere, or a '/' not inside brackets. */
export function looksLikeNidMask(addr: string): boolean {
  const slash = addr.indexOf('/');
  return addr.includes(':') || (slash >= 0 && !addr.includes(']', slash));
}

function maskWords(family: 4 | 6, len: number): Words {
  const w = [0, 1, 2, 3].map((i) => {
    const bits = family === 4 ? (i === 0 ? len : 0) : Math.max(0, Math.min(32, len - 32 * i));
    return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  });
  return w as unknown as Words;
}

export function makeNidMask(family: 4 | 6, addr: Words, prefixLen: number): NidMask {
  const netmask = maskWords(family, prefixLen);
  const network = addr.map((a, i) => (a & netmask[i]!) >>> 0) as unknown as Words;
  return { family, addr, prefixLen, netmask, network };
}

/**
 * parse_nidmask. Returns the mask or a reason. The kernel reads the prefix as decimal and the
 * address with rpc_pton, for any LND; userspace reads the prefix as a C number and the address
 * with the LND's size-aware parser (tcp and efa only: loopback and link-local refused, hostnames
 * resolved through `opts.resolve`).
 */
export function parseNidMask(lnd: LndInfo, text: string, opts: NidParseOptions = {}): NidMask | string {
  const slash = text.indexOf('/');
  const v6 = text.includes(':');
  let prefixLen = 128; // an IPv6 address without a length is a single host
  if (slash >= 0) {
    const max = v6 ? 128 : 32;
    const p = text.slice(slash + 1);
    const n = opts.flavor === 'userspace' ? kstrtouint(strim(p), 0) : kstrtouint(p, 10);
    if (n === undefined || n < 1 || n > max) return `prefix length '${p}' must be 1-${max}`;
    prefixLen = n;
  } else if (!v6) {
    return 'an IPv4 netmask needs a prefix length';
  }
  const addrText = slash >= 0 ? text.slice(0, slash) : text;
  if (opts.flavor === 'userspace') {
    if (lnd.addrKind !== 'ip') return `network type ${lnd.name} does not support netmasks`;
    const a = parseNidAddress(lnd, addrText, opts);
    if (!a.ok) return `bad netmask address '${addrText}': ${a.reason}`;
    return makeNidMask(a.size === 0 ? 4 : 6, a.w, prefixLen);
  }
  if (addrText.includes(':')) {
    const w = parseIPv6(addrText);
    if (!w) return `bad IPv6 address '${addrText}'`;
    const words = [0, 2, 4, 6].map((i) => ((w[i]! << 16) | w[i + 1]!) >>> 0) as unknown as Words;
    return makeNidMask(6, words, prefixLen);
  }
  const a = parseIPv4Strict(addrText);
  if (a === undefined) return `bad IPv4 address '${addrText}'`;
  // A /len above 32 on an IPv4 address is only possible when ':' appeared after the '/'.
  if (prefixLen > 32) return `prefix length ${prefixLen} is too long for IPv4`;
  return makeNidMask(4, [a, 0, 0, 0], prefixLen);
}

/**
 * match_nidmask: only LNDs with a netmask matcher (tcp, o2ib) ever match; a 4-byte NID
 * against an IPv4 mask, a 16-byte NID against an IPv6 mask.
 */
export function nidMaskMatch(m: NidMask, lnd: LndInfo, nid: Nid): boolean {
  if (!lnd.netmask) return false;
  if (m.family === 4) return nid.size === 0 && ((nid.addr0 & m.netmask[0]) >>> 0) === m.network[0];
  if (nid.size !== 12) return false;
  const w = [nid.addr0, nid.addr1, nid.addr2, nid.addr3];
  return w.every((x, i) => ((x & m.netmask[i]!) >>> 0) === m.network[i]);
}

/** The address part as print_nidmask writes it: `10.1.2.3/16`, `2001:db8::/64`, `2001:db8::1` (/128 omitted). */
export function formatNidMask(m: NidMask, omitPrefix = false): string {
  const a =
    m.family === 4 ? formatIPv4(m.addr[0]) : formatIPv6(m.addr.flatMap((x) => [x >>> 16, x & 0xffff]));
  const max = m.family === 4 ? 32 : 128;
  return m.prefixLen < max && !omitPrefix ? `${a}/${m.prefixLen}` : a;
}
