/**
 * The address half of a NID range, as each LND's nf_parse_addrlist reads it
 * (lnet/lnet/nidstrings.c): IP LNDs take an IPv4 range (cfs_ip_addr_parse), numeric LNDs and
 * `lo` take one expression list over 0..0xffffffff (libcfs_num_parse).
 */
import { LNetError } from '../errors.js';
import { exprListCount, exprListMatch, exprListValues, formatExprList, parseExprList, type ExprList } from './expr-list.js';
import { ipAddrRangeCount, ipAddrRangeExpand, ipAddrRangeMatch, parseIpAddrRange, formatIpAddrRange, type IpAddrRange } from './ip-range.js';
import type { LndInfo } from './lnd-type.js';

export type AddrRange = { readonly kind: 'ip'; readonly ip: IpAddrRange } | { readonly kind: 'num'; readonly list: ExprList };

/** MAX_NUMERIC_VALUE */
export const MAX_NUMERIC_ADDR = 0xffffffff;

export const lndUsesIpRanges = (lnd: LndInfo): boolean => lnd.addrKind === 'ip' || lnd.addrKind === 'ipv4';

/** nf_parse_addrlist. Throws ParseError (EINVAL) positioned within `text`. */
export function parseAddrRange(lnd: LndInfo, text: string): AddrRange {
  return lndUsesIpRanges(lnd)
    ? { kind: 'ip', ip: parseIpAddrRange(text) }
    : { kind: 'num', list: parseExprList(text, 0, MAX_NUMERIC_ADDR) };
}

/** nf_match_addr on a host-order 32-bit address. */
export function addrRangeMatch(r: AddrRange, addr: number): boolean {
  return r.kind === 'ip' ? ipAddrRangeMatch(r.ip, addr) : exprListMatch(r.list, addr >>> 0);
}

export function addrRangeCount(r: AddrRange): number {
  return r.kind === 'ip' ? ipAddrRangeCount(r.ip) : exprListCount(r.list);
}

/** nf_expand_addrrange, in generation order; more than `limit` throws LNetError E2BIG. */
export function addrRangeExpand(r: AddrRange, limit: number): number[] {
  if (r.kind === 'ip') return ipAddrRangeExpand(r.ip, limit);
  const n = exprListCount(r.list);
  if (n > limit) throw new LNetError('E2BIG', `address range has ${n} addresses, more than ${limit}`);
  return exprListValues(r.list, limit);
}

/** nf_print_addrlist */
export function formatAddrRange(r: AddrRange): string {
  return r.kind === 'ip' ? formatIpAddrRange(r.ip) : formatExprList(r.list);
}
