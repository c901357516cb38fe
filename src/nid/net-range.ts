/**
 * Net ranges and NID "parts" as UDSP rules use them: `tcp`, `tcp1`, `tcp*`, `o2ib[1-3]`,
 * `192.168.1.[1-5]@tcp[1,2]`. Parsing follows parse_net_range / cfs_parse_nid_parts
 * (libcfs/libcfs/util/nidstrings.c, userspace only: cfs_parse_nidlist does not take net
 * ranges); matching follows cfs_match_net / cfs_match_nid_net (lnet/lnet/nidstrings.c);
 * printing follows cfs_expr2str and lustre_lnet_nid_descr2str (liblnetconfig_udsp.c).
 */
import { ParseError } from '../errors.js';
import { addrRangeMatch, parseAddrRange, type AddrRange } from './addr-range.js';
import { exprListMatch, parseExprList, type ExprList } from './expr-list.js';
import { isCSpace } from './kstrto.js';
import { LND_TABLE, lndInfo } from './lnd-type.js';
import { netNum, netType, type Net } from './net.js';
import type { Nid } from './nid.js';

export interface NetRange {
  readonly type: number;
  /** Net numbers; empty for a bare LND name, which stands for net number 0 only. */
  readonly nums: ExprList;
}

/** A UDSP NID descriptor: a net range and, optionally, an address range on it. */
export interface NidParts {
  readonly net: NetRange;
  readonly addr: AddrRange | undefined;
}

/**
 * parse_net_range: an LND name, then nothing, a number, `*`, or a bracketed list (`*` may not
 * precede the bracket). Net numbers are bounded only by u32, as in the source. Unlike the
 * source, text between the name and '[' (`tcpX[1]`) is refused instead of ignored.
 */
export function parseNetRange(text: string): NetRange {
  const lnd = LND_TABLE.find((l) => text.startsWith(l.name));
  if (!lnd) throw new ParseError('net range', text, 0, 'unknown network type');
  const rest = text.slice(lnd.name.length);
  const bracket = rest.indexOf('[');
  const star = rest.indexOf('*');
  if (bracket >= 0 && star >= 0 && star < bracket)
    throw new ParseError('net range', text, lnd.name.length + star, "'*' before '['");
  if (bracket > 0) throw new ParseError('net range', text, lnd.name.length, 'junk between network name and [');
  if (rest === '') return { type: lnd.type, nums: [] };
  try {
    return { type: lnd.type, nums: parseExprList(rest, 0, 0xffffffff) };
  } catch (e) {
    if (e instanceof ParseError) throw new ParseError('net range', text, lnd.name.length + e.position, e.reason);
    throw e;
  }
}

/** cfs_match_net: same LND type, and the net number is in the list (an empty list means 0). */
export function netRangeMatch(range: NetRange, net: Net): boolean {
  if (netType(net) !== range.type) return false;
  const num = netNum(net);
  return range.nums.length === 0 ? num === 0 : exprListMatch(range.nums, num);
}

/**
 * cfs_parse_nid_parts: `net-range` alone, or `addr-range '@' net-range` with the address read
 * by the net's LND (IPv4 ranges for IP LNDs, one expression list otherwise; no `*` shorthand
 * and no netmasks here). Leading whitespace before the address is skipped.
 */
export function parseNidParts(text: string): NidParts {
  let lead = 0;
  while (lead < text.length && isCSpace(text[lead])) lead++;
  if (lead === text.length) throw new ParseError('NID descriptor', text, lead, 'empty');
  if (text[lead] === '@') throw new ParseError('NID descriptor', text, lead, 'missing address before @');
  const at = text.indexOf('@', lead);
  if (at < 0) return { net: parseNetRange(text), addr: undefined };
  let net: NetRange;
  try {
    net = parseNetRange(text.slice(at + 1));
  } catch (e) {
    if (e instanceof ParseError) throw new ParseError('NID descriptor', text, at + 1 + e.position, e.reason);
    throw e;
  }
  let end = at;
  while (end > lead && isCSpace(text[end - 1])) end--;
  try {
    return { net, addr: parseAddrRange(lndInfo(net.type)!, text.slice(lead, end)) };
  } catch (e) {
    if (e instanceof ParseError) throw new ParseError('NID descriptor', text, lead + e.position, e.reason);
    throw e;
  }
}

/**
 * cfs_match_nid_net: needs an address range; the NID's address and net must both match.
 * (4-byte NIDs only: the kernel would test an IPv6 NID's first address word.)
 */
export function nidPartsMatch(parts: NidParts, nid: Nid): boolean {
  if (!parts.addr || nid.type !== parts.net.type || nid.size !== 0) return false;
  return addrRangeMatch(parts.addr, nid.addr0) && netRangeMatch(parts.net, ((nid.type << 16) | nid.num) >>> 0 as Net);
}

/**
 * cfs_expr2str, quirks included: a single value prints as `N`, ranges open a bracket only when
 * they come first in their list, and lists join with '.'. So `[3-5,7]` prints `[3-5,7]` but
 * `[1,3-5]` prints `1.3-5]` and `[1,2]` prints `1.2`, exactly as lnetctl shows them.
 */
export function formatExprListsUdsp(lists: readonly ExprList[]): string {
  let s = '';
  for (const el of lists) {
    let bracket = false;
    el.forEach((r, i) => {
      if (r.lo === r.hi) s += `${r.lo}.`;
      else {
        s += `${i === 0 ? '[' : ''}${r.lo}-${r.hi}${r.stride > 1 ? `/${r.stride}` : ''},`;
        bracket = true;
      }
    });
    if (bracket) s = `${s.slice(0, -1)}].`;
  }
  return lists.length > 0 ? s.slice(0, -1) : s;
}

/** lustre_lnet_nid_descr2str: `addr@lnd` + net numbers, e.g. `192.168.1.[1-5]@tcp1`, `o2ib[1-3]`. */
export function formatNidParts(parts: NidParts | undefined): string {
  if (!parts || parts.net.type === 0) return 'NA';
  const addrLists = !parts.addr ? [] : parts.addr.kind === 'ip' ? [...parts.addr.ip] : [parts.addr.list];
  const addr = formatExprListsUdsp(addrLists);
  const name = lndInfo(parts.net.type)?.name ?? `<${parts.net.type}:0>`;
  const nums = parts.net.nums.length > 0 ? formatExprListsUdsp([parts.net.nums]) : '';
  return `${addr === '' ? '' : `${addr}@`}${name}${nums}`;
}

/** formatNetRange: the net half alone (`tcp`, `tcp1`, `o2ib[1-3]`). */
export function formatNetRange(range: NetRange): string {
  return formatNidParts({ net: range, addr: undefined });
}
