/**
 * NID-range lists (`cfs_parse_nidlist` and friends in lnet/lnet/nidstrings.c; expansion and
 * min/max from libcfs/libcfs/util/nidstrings.c):
 *
 *   nidlist   := nidrange { ' ' nidrange }
 *   nidrange  := addrrange '@' net
 *   addrrange := '*' | netmask | ipv6-addr | ipv4-range | numaddr-range
 *
 * Ranges on the same net are merged into one entry, in order of first appearance, which is
 * also the order they print in.
 */
import { LNetError, ParseError } from '../errors.js';
import { addrRangeCount, addrRangeExpand, addrRangeMatch, formatAddrRange, parseAddrRange, type AddrRange } from './addr-range.js';
import { kstrtouint, strim } from './kstrto.js';
import { LND_TABLE, lndInfo, type LndInfo } from './lnd-type.js';
import { formatNidMask, looksLikeNidMask, nidMaskMatch, parseNidMask, type NidMask } from './nid-mask.js';
import type { NidParseOptions } from './nid-string.js';
import { makeNid, type Nid } from './nid.js';

export interface NidRange {
  readonly type: number;
  /** As written; the kernel accepts any u32 here, and a number above 65535 simply matches nothing. */
  readonly netNum: number;
  /** `*@net` was given. */
  readonly all: boolean;
  readonly masks: readonly NidMask[];
  readonly addrs: readonly AddrRange[];
}
export type NidRangeList = readonly NidRange[];

const WHAT = 'NID range';

interface Building {
  type: number;
  netNum: number;
  all: boolean;
  masks: NidMask[];
  addrs: AddrRange[];
}

/** add_nidrange's net lookup: LND name by prefix, then an optional kstrtouint(base 0) number. */
function parseRangeNet(net: string): { lnd: LndInfo; num: number } | string {
  const lnd = LND_TABLE.find((l) => net.startsWith(l.name));
  if (!lnd) return `unknown network type '${net}'`;
  const rest = net.slice(lnd.name.length);
  if (rest === '') return { lnd, num: 0 };
  const num = kstrtouint(rest, 0);
  return num === undefined ? `bad network number '${rest}'` : { lnd, num };
}

/**
 * cfs_parse_nidlist. Tokens are separated by single spaces only (extra spaces are skipped);
 * at least one range is required. `flavor: 'userspace'` follows lnetctl's copy: netmasks only on
 * tcp/efa, with loopback/link-local refused and hostnames resolved. Throws ParseError (EINVAL).
 */
export function parseNidRange(text: string, opts: NidParseOptions = {}): NidRangeList {
  const out: Building[] = [];
  let at = 0;
  for (const tok of text.split(' ')) {
    const start = at;
    at += tok.length + 1;
    if (tok === '') continue;
    const fail = (off: number, reason: string): never => {
      throw new ParseError(WHAT, text, start + off, reason);
    };
    const sep = tok.indexOf('@');
    if (sep < 0) fail(0, `'${tok}' has no '@'`);
    const net = strim(tok.slice(sep + 1));
    if (net === '' || net.includes('@')) fail(sep + 1, `malformed network '${net}'`);
    const n = parseRangeNet(net);
    if (typeof n === 'string') return fail(sep + 1, n);
    let nr = out.find((r) => r.type === n.lnd.type && r.netNum === n.num);
    if (!nr) {
      nr = { type: n.lnd.type, netNum: n.num, all: false, masks: [], addrs: [] };
      out.push(nr);
    }
    const rawAddr = tok.slice(0, sep);
    const addr = strim(rawAddr);
    const addrAt = rawAddr.indexOf(addr.charAt(0));
    if (looksLikeNidMask(addr)) {
      const m = parseNidMask(n.lnd, addr, opts);
      if (typeof m === 'string') fail(Math.max(0, addrAt), m);
      else nr.masks.push(m);
    } else if (addr === '*') {
      nr.all = true;
    } else {
      try {
        nr.addrs.push(parseAddrRange(n.lnd, addr));
      } catch (e) {
        if (e instanceof ParseError) fail(Math.max(0, addrAt) + e.position, `${e.what} '${addr}': ${e.reason}`);
        throw e;
      }
    }
  }
  if (out.length === 0) throw new ParseError(WHAT, text, 0, 'no NID ranges');
  return out;
}

/** cfs_match_nid. (Address ranges only match 4-byte NIDs; the kernel would test an IPv6 NID's first word.) */
export function nidRangeMatches(list: NidRangeList, nid: Nid): boolean {
  for (const nr of list) {
    if (nr.type !== nid.type || nr.netNum !== nid.num) continue;
    if (nr.all) return true;
    const lnd = lndInfo(nr.type)!;
    if (nr.masks.some((m) => nidMaskMatch(m, lnd, nid))) return true;
    if (nid.size === 0 && nr.addrs.some((a) => addrRangeMatch(a, nid.addr0))) return true;
  }
  return false;
}

function formatNet(nr: NidRange): string {
  const name = lndInfo(nr.type)!.name;
  return nr.netNum === 0 ? `@${name}` : `@${name}${nr.netNum}`;
}

/**
 * cfs_print_nidlist: per net, `*@net` alone, else its masks then its address ranges, all
 * space-separated. (The kernel asserts when `*` was combined with other ranges on one net.)
 */
export function formatNidRange(list: NidRangeList): string {
  const parts: string[] = [];
  for (const nr of list) {
    const net = formatNet(nr);
    if (nr.all) {
      parts.push(`*${net}`);
      continue;
    }
    for (const m of nr.masks) parts.push(`${formatNidMask(m)}${net}`);
    for (const a of nr.addrs) parts.push(`${formatAddrRange(a)}${net}`);
  }
  return parts.join(' ');
}

function checkExpandable(nr: NidRange): void {
  const where = formatNet(nr);
  if (nr.all) throw new LNetError('EINVAL', `'*${where}' cannot be expanded into NIDs`);
  if (nr.masks.length > 0) throw new LNetError('EINVAL', `netmask '${formatNidMask(nr.masks[0]!)}${where}' cannot be expanded into NIDs`);
  if (nr.netNum > 0xffff) throw new LNetError('EINVAL', `network number ${nr.netNum} is out of range`);
}

/** How many NIDs nidRangeExpand would return (throws as it would for `*` and masks). */
export function nidRangeCount(list: NidRangeList): number {
  let n = 0;
  for (const nr of list) {
    checkExpandable(nr);
    for (const a of nr.addrs) n += addrRangeCount(a);
  }
  return n;
}

/**
 * cfs_expand_nidlist: every NID, nets in list order, addresses in generation order, duplicates
 * kept. The kernel silently skips `*@net` and netmasks (yielding nothing for them); here they
 * throw LNetError EINVAL, and more than `limit` NIDs throws E2BIG before expanding.
 */
export function nidRangeExpand(list: NidRangeList, limit: number): Nid[] {
  const n = nidRangeCount(list);
  if (n > limit) throw new LNetError('E2BIG', `NID range specifies ${n} NIDs, more than the ${limit} allowed`);
  const out: Nid[] = [];
  for (const nr of list)
    for (const a of nr.addrs) for (const addr of addrRangeExpand(a, limit)) out.push(makeNid(nr.type, nr.netNum, addr));
  return out;
}

/**
 * lustre_lnet_parse_nidstr (what `lnetctl peer add --nid` etc. do): refuse any '*', parse,
 * expand. Errors carry lnetctl's wording.
 */
export function expandNidRangeText(text: string, limit: number, opts: NidParseOptions = {}): Nid[] {
  const star = text.indexOf('*');
  if (star >= 0) throw new ParseError(WHAT, text, star, `asterisk not allowed in nidstring '${text}'`);
  const list = parseNidRange(text, opts);
  const n = nidRangeCount(list);
  if (n > limit)
    throw new LNetError('E2BIG', `'${text}' specifies more than the ${limit} NIDs allowed by this operation`);
  return nidRangeExpand(list, limit);
}

/** cfs_nidmask_get_length: the prefix length when the list holds exactly one netmask, else 0. */
export function nidRangeMaskLength(list: NidRangeList): number {
  const masks = list.flatMap((nr) => nr.masks);
  return masks.length === 1 ? masks[0]!.prefixLen : 0;
}

/** cfs_nidmask_get_base_nidstr: `addr@net` of the single netmask (no prefix), else undefined. */
export function nidRangeMaskBase(list: NidRangeList): string | undefined {
  const withMasks = list.filter((nr) => nr.masks.length > 0);
  if (withMasks.length !== 1 || withMasks[0]!.masks.length !== 1) return undefined;
  const nr = withMasks[0]!;
  return `${formatNidMask(nr.masks[0]!, true)}${formatNet(nr)}`;
}

/** One address range's [min, max] as cfs_ip_ar_min_max / cfs_num_ar_min_max see it. */
function addrMinMax(a: AddrRange): [number, number] {
  if (a.kind === 'num') {
    if (a.list.length !== 1) throw new LNetError('EINVAL', 'min/max needs a single range per address');
    return [a.list[0]!.lo, a.list[0]!.hi];
  }
  let min = 0;
  let max = 0;
  let ranged = false;
  for (const el of a.ip) {
    if (el.length !== 1) throw new LNetError('EINVAL', 'min/max needs a single range per octet');
    const r = el[0]!;
    // Contiguous only: after a ranged octet every later octet must be the full 0-255.
    if (ranged && (r.lo !== 0 || r.hi !== 255)) throw new LNetError('ERANGE', 'IP range is not contiguous');
    if (r.stride !== 1) throw new LNetError('ERANGE', 'IP range with a stride is not contiguous');
    if (r.lo !== r.hi) ranged = true;
    min = min * 256 + r.lo;
    max = max * 256 + r.hi;
  }
  return [min, max];
}

/**
 * cfs_nidrange_find_min_max: the lowest and highest NID of a single-net range list, on the
 * first range's net. IP nets: `*` is 0.0.0.0-255.255.255.255; ranges must be contiguous
 * (ERANGE) with one range per octet (EINVAL). Netmasks and several nets are refused (EINVAL).
 * Unlike the kernel, an address range starting at 0 is not mistaken for "no minimum yet".
 */
export function nidRangeMinMax(list: NidRangeList): { min: Nid; max: Nid } {
  if (list.length !== 1) throw new LNetError('EINVAL', 'min/max needs exactly one network');
  const nr = list[0]!;
  if (nr.netNum > 0xffff) throw new LNetError('EINVAL', `network number ${nr.netNum} is out of range`);
  if (nr.masks.length > 0) throw new LNetError('EINVAL', 'min/max of a netmask range is not supported');
  let min = 0;
  let max = 0;
  if (nr.all) {
    const ip = lndInfo(nr.type)!.addrKind;
    if (ip === 'num' || ip === 'lo') throw new LNetError('EINVAL', 'min/max of *@net needs an IP network');
    max = 0xffffffff;
  } else {
    nr.addrs.forEach((a, i) => {
      const [lo, hi] = addrMinMax(a);
      min = i === 0 ? lo : Math.min(min, lo);
      max = i === 0 ? hi : Math.max(max, hi);
    });
  }
  return { min: makeNid(nr.type, nr.netNum, min), max: makeNid(nr.type, nr.netNum, max) };
}
