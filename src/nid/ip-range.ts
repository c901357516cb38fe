/**
 * IPv4 address-range expressions: four dot-separated expression lists, each bounded 0..255
 * (lnet/lnet/nidstrings.c cfs_ip_addr_parse / cfs_ip_addr_match; expansion order follows
 * libcfs/libcfs/util/nidstrings.c cfs_ip_addr_range_gen).
 */
import { LNetError, ParseError } from '../errors.js';
import { exprListCount, exprListMatch, formatExprList, parseExprList, type ExprList } from './expr-list.js';
import { isCSpace } from './kstrto.js';

/** One expression list per octet, most significant first. */
export type IpAddrRange = readonly [ExprList, ExprList, ExprList, ExprList];

const WHAT = 'IP address range';

/**
 * cfs_ip_addr_parse: split at every '.', trim each part, and parse it as an expression list
 * over 0..255. Exactly four non-empty parts. Throws ParseError (EINVAL).
 */
export function parseIpAddrRange(text: string): IpAddrRange {
  const parts = text.split('.');
  const out: ExprList[] = [];
  let at = 0;
  for (const raw of parts) {
    let a = 0;
    let b = raw.length;
    while (a < b && isCSpace(raw[a])) a++;
    while (b > a && isCSpace(raw[b - 1])) b--;
    if (a === b) throw new ParseError(WHAT, text, at + a, 'empty octet');
    if (out.length === 4) throw new ParseError(WHAT, text, at - 1, 'more than four octets');
    try {
      out.push(parseExprList(raw.slice(a, b), 0, 255));
    } catch (e) {
      // Re-anchor the error on the whole address so the position is meaningful.
      if (e instanceof ParseError) throw new ParseError(WHAT, text, at + a + e.position, `octet ${out.length + 1}: ${e.reason}`);
      throw e;
    }
    at += raw.length + 1;
  }
  if (out.length !== 4) throw new ParseError(WHAT, text, text.length, `expected 4 octets, found ${out.length}`);
  return out as unknown as IpAddrRange;
}

/** cfs_ip_addr_match: `addr` is the host-order u32 (192.168.1.2 = 0xc0a80102). */
export function ipAddrRangeMatch(range: IpAddrRange, addr: number): boolean {
  const a = addr >>> 0;
  return (
    exprListMatch(range[0], a >>> 24) &&
    exprListMatch(range[1], (a >>> 16) & 0xff) &&
    exprListMatch(range[2], (a >>> 8) & 0xff) &&
    exprListMatch(range[3], a & 0xff)
  );
}

/** How many addresses the range yields (duplicates included), without expanding it. */
export function ipAddrRangeCount(range: IpAddrRange): number {
  return range.reduce((n, el) => n * exprListCount(el), 1);
}

function octetValues(el: ExprList): number[] {
  const out: number[] = [];
  for (const r of el) for (let v = r.lo; v <= r.hi; v += r.stride) out.push(v);
  return out;
}

/**
 * cfs_ip_addr_range_gen: every address, first octet outermost, each octet's ranges in list
 * order (duplicates kept). More than `limit` addresses throws LNetError E2BIG before any work.
 */
export function ipAddrRangeExpand(range: IpAddrRange, limit: number): number[] {
  const n = ipAddrRangeCount(range);
  if (n > limit) throw new LNetError('E2BIG', `IP address range has ${n} addresses, more than ${limit}`);
  const [o0, o1, o2, o3] = range.map(octetValues) as [number[], number[], number[], number[]];
  const out: number[] = [];
  for (const a of o0) for (const b of o1) for (const c of o2) for (const d of o3) out.push(((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
  return out;
}

/** libcfs_ip_addr_range_print: `192.168.0.[1-8]`, `10.[1,3].*` prints `10.[1,3].[0-255]`. */
export function formatIpAddrRange(range: IpAddrRange): string {
  return range.map(formatExprList).join('.');
}
