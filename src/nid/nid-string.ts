import { ParseError } from '../errors.js';
import {
  formatIPv4,
  formatIPv6,
  isIPv6LinkLocal,
  isIPv6Loopback,
  parseIPv4Pton,
  parseIPv4Scanf,
  parseIPv4Strict,
  parseIPv6,
} from './ip.js';
import { lndInfo, LndType, type LndInfo } from './lnd-type.js';
import { lookupNet, makeNet, netNum, netType, type Net } from './net.js';
import { LNET_ANY_NID, makeNid, nidIsAny, type Nid } from './nid.js';

/** Resolves a hostname to an IPv4 address (dotted), as getaddrinfo(AF_INET) would. */
export type HostResolver = (host: string) => string | undefined;

export interface NidParseOptions {
  /**
   * `kernel` (default) follows lnet/lnet/nidstrings.c, used for module parameters: no hostnames,
   * and any IP is accepted. `userspace` follows libcfs/libcfs/util/nidstrings.c, used by lnetctl
   * and lctl: it refuses 127.0.0.1, ::1 and fe80::/10 on tcp and efa, and resolves hostnames
   * through `resolve`.
   */
  flavor?: 'kernel' | 'userspace';
  resolve?: HostResolver;
}

type AddrResult = { ok: true; size: number; w: [number, number, number, number] } | { ok: false; reason: string };

const fail = (reason: string): AddrResult => ({ ok: false, reason });
const v4 = (a: number): AddrResult => ({ ok: true, size: 0, w: [a >>> 0, 0, 0, 0] });

function resolveHost(s: string, opts: NidParseOptions): number | undefined {
  if (opts.flavor !== 'userspace' || !opts.resolve || !/^[A-Za-z]/.test(s)) return undefined;
  const r = opts.resolve(s);
  return r === undefined ? undefined : parseIPv4Strict(r);
}

/** The per-LND str2addr: what `addr` means depends on the LND's address kind. */
export function parseNidAddress(lnd: LndInfo, s: string, opts: NidParseOptions = {}): AddrResult {
  switch (lnd.addrKind) {
    case 'lo':
      // libcfs_lo_str2addr accepts any text as address 0.
      return v4(0);
    case 'num': {
      // sscanf("0x%x") / sscanf("%u"): leading zeros are fine, so do not cap the digit count.
      const m = /^(?:0[xX]([0-9a-fA-F]+)|([0-9]+))$/.exec(s);
      if (!m) return fail('expected a decimal or 0x-hex number');
      const n = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
      if (n > 0xffffffff) return fail('number out of range');
      return v4(n);
    }
    case 'ipv4': {
      const a = parseIPv4Scanf(s) ?? resolveHost(s, opts);
      return a === undefined ? fail('expected an IPv4 address') : v4(a);
    }
    case 'ip': {
      // glibc inet_pton refuses leading zeros in an octet; the kernel's in4_pton does not.
      const a = opts.flavor === 'userspace' ? parseIPv4Pton(s) : parseIPv4Strict(s);
      if (a !== undefined) {
        if (opts.flavor === 'userspace' && a === 0x7f000001) return fail('loopback address not allowed');
        return v4(a);
      }
      const w = parseIPv6(s);
      if (w) {
        if (opts.flavor === 'userspace' && (isIPv6Loopback(w) || isIPv6LinkLocal(w)))
          return fail('loopback and link-local IPv6 addresses are not allowed');
        return {
          ok: true,
          size: 12,
          w: [
            ((w[0]! << 16) | w[1]!) >>> 0,
            ((w[2]! << 16) | w[3]!) >>> 0,
            ((w[4]! << 16) | w[5]!) >>> 0,
            ((w[6]! << 16) | w[7]!) >>> 0,
          ],
        };
      }
      const h = resolveHost(s, opts);
      return h === undefined ? fail('expected an IPv4 or IPv6 address') : v4(h);
    }
  }
}

function parseNidOrError(str: string, opts: NidParseOptions): Nid | ParseError {
  const at = str.indexOf('@');
  let net: Net;
  let lnd: LndInfo;
  let addrText: string;
  if (at >= 0) {
    const r = lookupNet(str.slice(at + 1));
    if ('error' in r) return new ParseError('NID', str, at + 1 + r.position, r.error);
    net = r.net;
    lnd = r.lnd;
    addrText = str.slice(0, at);
  } else {
    if (str === '<?>') return LNET_ANY_NID;
    // No '@' means tcp (net 0), in both the kernel and userspace parsers.
    net = makeNet(LndType.SOCKLND, 0);
    lnd = lndInfo(LndType.SOCKLND)!;
    addrText = str;
  }
  const a = parseNidAddress(lnd, addrText, opts);
  if (!a.ok) return new ParseError('NID', str, 0, a.reason);
  return makeNid(netType(net), netNum(net), a.w[0], a.size, a.w[1], a.w[2], a.w[3]);
}

/** libcfs_strnid. Throws ParseError (EINVAL). */
export function parseNid(str: string, opts: NidParseOptions = {}): Nid {
  const r = parseNidOrError(str, opts);
  if (r instanceof ParseError) throw r;
  return r;
}

export function tryParseNid(str: string, opts: NidParseOptions = {}): Nid | undefined {
  const r = parseNidOrError(str, opts);
  return r instanceof ParseError ? undefined : r;
}

/** libcfs_stranynid: `*` is ANY. */
export function parseAnyNid(str: string, opts: NidParseOptions = {}): Nid {
  return str === '*' ? LNET_ANY_NID : parseNid(str, opts);
}

/** Like parseNid, but resolves hostnames with the system resolver (IPv4, as getaddrinfo(AF_INET)). */
export async function parseNidAsync(str: string, opts: Omit<NidParseOptions, 'resolve'> = {}): Promise<Nid> {
  const direct = tryParseNid(str, { ...opts, flavor: opts.flavor ?? 'userspace' });
  if (direct) return direct;
  const at = str.indexOf('@');
  const host = at >= 0 ? str.slice(0, at) : str;
  let resolved: string | undefined;
  if (/^[A-Za-z]/.test(host)) {
    const { lookup } = await import('node:dns/promises');
    resolved = await lookup(host, { family: 4 }).then(
      (r) => r.address,
      () => undefined,
    );
  }
  return parseNid(str, { flavor: 'userspace', ...opts, resolve: (h) => (h === host ? resolved : undefined) });
}

function formatAddr(nid: Nid, lnd: LndInfo): string {
  if (lnd.addrKind === 'ip') {
    if (nid.size === 0) return formatIPv4(nid.addr0);
    if (nid.size === 12) {
      const w = [nid.addr0, nid.addr1, nid.addr2, nid.addr3].flatMap((x) => [x >>> 16, x & 0xffff]);
      return formatIPv6(w);
    }
    return ''; // libcfs_ip_addr2str_size prints nothing for other sizes
  }
  if (lnd.addrKind === 'ipv4') return formatIPv4(nid.addr0);
  return String(nid.addr0);
}

/** libcfs_nidstr: `192.168.1.2@tcp`, `2001:db8::5@tcp1`, `0@lo`, `<?>` for ANY. */
export function formatNid(nid: Nid): string {
  if (nidIsAny(nid)) return '<?>';
  const lnd = lndInfo(nid.type);
  const netStr = lnd ? (nid.num === 0 ? lnd.name : `${lnd.name}${nid.num}`) : `<${nid.type}:${nid.num}>`;
  if (lnd) return `${formatAddr(nid, lnd)}@${netStr}`;
  const words = Math.min(4, Math.floor((nid.size + 4 + 3) / 4));
  const hex = [nid.addr0, nid.addr1, nid.addr2, nid.addr3].slice(0, words).map((x) => x.toString(16));
  return `${hex.join(':')}@${netStr}`;
}
