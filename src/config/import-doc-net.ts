/**
 * `net:` and `ip2nets:` sequences of an import document (lnetctl.c handle_net_config_sequence,
 * handle_cpt_sequence; liblnetconfig.c lustre_lnet_add_intf_descr, lustre_lnet_add_ip_range,
 * lustre_lnet_match_ip_to_intf), and resolving a rule against the node's interfaces.
 */
import { Errno } from '../errno.js';
import type { NiTunables } from '../core/ni.js';
import { parseExprList, exprListValues } from '../nid/expr-list.js';
import { parseIPv4Strict, parseIPv6 } from '../nid/ip.js';
import { ipAddrRangeMatch, parseIpAddrRange } from '../nid/ip-range.js';
import { LndType } from '../nid/lnd-type.js';
import { netType, tryParseNet, type Net } from '../nid/net.js';
import type { LocalInterface } from './local-interfaces.js';
import type { ImportInterface, ImportIpRange, ImportNetRule } from './import-doc-ops.js';
import { parseLong, type YNode } from './import-doc-values.js';

/** LNET_MAX_STR_LEN (interface strings) and IFNAMSIZ for the name part. */
const LNET_MAX_STR_LEN = 128;
const IFNAMSIZ = 16;
const UINT_MAX = 0xffffffff;

/** A refusal with lnetctl's errno and text (printed as an `import` error document). */
export class ImportRefusal extends Error {
  constructor(
    readonly errno: number,
    readonly descr: string,
  ) {
    super(descr);
  }
}

const refuse = (errno: number, descr: string): never => {
  throw new ImportRefusal(errno, descr);
};

/** yaml_lnet_extract_long: a key's number, or lnetctl's "no value"/"invalid value" refusal. */
export function extractLong(key: string, v: YNode | undefined): number {
  const text = v && v.t === 'scalar' ? v.text : '';
  if (text.length === 0) refuse(-Errno.EINVAL, `no value specified for key '${key}'`);
  const n = parseLong(text);
  if (n === undefined) refuse(-Errno.EINVAL, `invalid value '${text}' for key '${key}'`);
  return n!;
}

/** lustre_lnet_add_intf_descr: `name` or `name[cpt-expr]`. */
export function parseInterface(text: string): ImportInterface | undefined {
  if (text.length >= LNET_MAX_STR_LEN) return undefined;
  const open = text.indexOf('[');
  if (open < 0) return text.length >= IFNAMSIZ ? undefined : { name: text };
  if (text.indexOf(']') < 0 || open >= IFNAMSIZ) return undefined;
  try {
    const list = parseExprList(text.slice(open), 0, UINT_MAX);
    return { name: text.slice(0, open), cpts: exprListValues(list, 4096) };
  } catch {
    return undefined;
  }
}

/** lustre_lnet_add_ip_range: an IPv4 pattern, or an IPv6 address with an optional /1..128. */
export function parseIpRange(text: string): ImportIpRange | undefined {
  if (text.includes(':')) {
    const slash = text.indexOf('/');
    const addr = slash < 0 ? text : text.slice(0, slash);
    let prefixLen = 128;
    if (slash >= 0) {
      const p = text.slice(slash + 1);
      if (!/^[0-9]+$/.test(p) || Number(p) < 1 || Number(p) > 128) return undefined;
      prefixLen = Number(p);
    }
    const words = parseIPv6(addr);
    return words ? { family: 6, text, words, prefixLen } : undefined;
  }
  try {
    return { family: 4, text, range: parseIpAddrRange(text) };
  } catch {
    return undefined;
  }
}

/** A `key: {k: v, …}` list (interfaces, ip-range) as its scalar values; -EINVAL unless a mapping of scalars. */
function scalarValues(v: YNode | undefined): string[] | undefined {
  if (!v || v.t !== 'map') return undefined;
  const out: string[] = [];
  for (const [, x] of v.entries) {
    if (x.t !== 'scalar') return undefined;
    out.push(x.text);
  }
  return out;
}

/** handle_cpt_sequence: `CPT: "[0,1]"` or `CPT: [0-1]` (each flow item read as `[item]`). */
function parseCpts(v: YNode): number[] {
  const values = (text: string): number[] => {
    try {
      return exprListValues(parseExprList(text, 0, UINT_MAX), 4096);
    } catch {
      return refuse(-Errno.EINVAL, `Unable to parse CPT '${text.startsWith('[') && v.t === 'seq' ? text.slice(1, -1) : text}'`);
    }
  };
  if (v.t === 'scalar') return values(v.text);
  if (v.t !== 'seq') return refuse(-Errno.EINVAL, 'Unable to parse CPT configuration');
  if (v.items.length === 0 || v.items[0]!.t !== 'scalar') return refuse(-Errno.ENODATA, 'Missing CPT configuration');
  const out: number[] = [];
  for (const item of v.items) {
    if (item.t !== 'scalar') refuse(-Errno.EINVAL, 'Malformed CPT configuration');
    const text = (item as { text: string }).text;
    try {
      out.push(...exprListValues(parseExprList(`[${text}]`, 0, UINT_MAX), 4096));
    } catch {
      refuse(-Errno.EINVAL, `Unable to parse CPT '${text}'`);
    }
  }
  return out;
}

const CMN_TUNABLES: Record<string, keyof NiTunables> = {
  peer_timeout: 'peer_timeout',
  peer_credits: 'peer_credits',
  peer_buffer_credits: 'peer_buffer_credits',
  credits: 'credits',
};

/**
 * One item of a `net:` or `ip2nets:` sequence. lnetctl reads the item's scalars in order,
 * at any depth: the first must be `net type` (`net-spec` for ip2nets); `interfaces`,
 * `ip-range`, `tunables`, `lnd tunables` and `CPT` are taken wherever they appear (so every
 * `local NI(s)` entry's interfaces join one rule); anything else is ignored.
 */
export function parseNetItem(item: YNode, isIp2nets: boolean, warnings: string[]): ImportNetRule {
  let net: Net | undefined;
  const interfaces: ImportInterface[] = [];
  const ipRanges: ImportIpRange[] = [];
  let tunables: Partial<NiTunables> | undefined;
  let lndTunables: { conns_per_peer?: number; tos?: number } | undefined;
  let cpts: number[] | undefined;

  const visit = (key: string, value: YNode): void => {
    if (net === undefined) {
      const want = isIp2nets ? 'net-spec' : 'net type';
      if (key !== want) refuse(-Errno.EINVAL, `Malformed input. Expect '${want}' found '${key}'`);
    }
    switch (key) {
      case 'net-spec':
      case 'net type': {
        const text = value.t === 'scalar' ? value.text : '';
        const n = tryParseNet(text);
        if (n === undefined || n === 0xffffffff) refuse(-Errno.EINVAL, `Invalid network ID '${text}'`);
        net = n;
        // init_lnd_tunables: socklnd and o2iblnd start with tos -1.
        const type = netType(n!);
        if (type === LndType.SOCKLND || type === LndType.O2IBLND) lndTunables = { ...lndTunables, tos: lndTunables?.tos ?? -1 };
        return;
      }
      case 'interfaces': {
        const list = scalarValues(value);
        if (!list) refuse(-Errno.EINVAL, 'Failed to parse interfaces list rc = -22');
        for (const s of list!) {
          const intf = parseInterface(s);
          if (!intf) refuse(-Errno.EINVAL, 'Failed to parse interfaces list rc = -22');
          interfaces.push(intf!);
        }
        return;
      }
      case 'local NI(s)':
        if (isIp2nets) refuse(-Errno.EINVAL, "local NI(s)' not valid for ip2nets");
        return walk(value);
      case 'ip-range': {
        if (!isIp2nets) refuse(-Errno.EINVAL, "'ip-range' only valid for ip2nets");
        const list = scalarValues(value);
        if (!list) refuse(-Errno.EINVAL, 'Failed to parse ip-range list rc = -22');
        for (const s of list!) {
          const r = parseIpRange(s);
          if (!r) refuse(-Errno.EINVAL, 'Failed to parse ip-range list rc = -22');
          ipRanges.push(r!);
        }
        return;
      }
      case 'tunables': {
        if (value.t !== 'map') refuse(-Errno.EINVAL, 'Failed to parse tunables rc = -22');
        for (const [k, v] of (value as Extract<YNode, { t: 'map' }>).entries) {
          const num = extractLong(k, v);
          const field = Object.hasOwn(CMN_TUNABLES, k) ? CMN_TUNABLES[k] : undefined;
          if (field) tunables = { ...tunables, [field]: num };
          else warnings.push(`Ignoring unrecognized key '${k}' for 'tunables'`);
        }
        return;
      }
      case 'lnd tunables': {
        if (value.t !== 'map') refuse(-Errno.EINVAL, 'Failed to parse lnd tunables rc = -22');
        const type = netType(net!);
        for (const [k, v] of (value as Extract<YNode, { t: 'map' }>).entries) {
          const num = extractLong(k, v);
          if (k === 'conns_per_peer' || k === 'tos') {
            if (type === LndType.SOCKLND || type === LndType.O2IBLND) lndTunables = { ...lndTunables, [k]: num };
          } else warnings.push(`Ignoring unrecognized key '${k}' for 'lnd tunables'`);
        }
        return;
      }
      case 'CPT':
        cpts = parseCpts(value);
        return;
      default:
        return walk(value);
    }
  };
  const walk = (n: YNode): void => {
    if (n.t === 'map') for (const [k, v] of n.entries) visit(k, v);
    else if (n.t === 'seq') for (const i of n.items) walk(i);
    else if (net === undefined && n.text.length > 0) visit(n.text, { t: 'scalar', text: '', quoted: false });
  };
  walk(item);
  if (net === undefined) refuse(-Errno.EINVAL, isIp2nets ? "Malformed input. Expect 'net-spec' found ''" : "Malformed input. Expect 'net type' found ''");
  return {
    source: isIp2nets ? 'ip2nets' : 'net',
    net: net!,
    interfaces,
    ipRanges,
    ...(tunables ? { tunables } : {}),
    ...(lndTunables ? { lndTunables } : {}),
    ...(cpts ? { cpts } : {}),
  };
}

// ------------------------------------------------------------------------ resolution

/** What a rule resolves to on this node: the interfaces to configure, or why none. */
export type RuleResolution = { readonly interfaces: readonly ImportInterface[] } | { readonly noMatch: string };

function addressMatches(addr: string, ranges: readonly ImportIpRange[]): boolean {
  const v4 = parseIPv4Strict(addr);
  if (v4 !== undefined) return ranges.some((r) => r.family === 4 && ipAddrRangeMatch(r.range, v4));
  const w = parseIPv6(addr);
  if (!w) return false;
  return ranges.some((r) => {
    if (r.family !== 6) return false;
    for (let bit = 0; bit < r.prefixLen; bit++) {
      const word = bit >> 4;
      const mask = 0x8000 >> (bit & 15);
      if ((w[word]! & mask) !== (r.words[word]! & mask)) return false;
    }
    return true;
  });
}

/**
 * lustre_lnet_match_ip_to_intf: no interfaces and no ranges take the first UP interface with an
 * IPv4 address (not `lo`); ranges without interfaces take every UP interface with an address in
 * them; named interfaces must each exist, be UP and (with ranges) have an address in them.
 */
export function resolveNetRule(rule: ImportNetRule, ifaces: readonly LocalInterface[]): RuleResolution {
  const up = (i: LocalInterface): boolean => i.up !== false;
  if (rule.interfaces.length === 0 && rule.ipRanges.length === 0) {
    const first = ifaces.find((i) => up(i) && i.name !== 'lo' && i.addresses.some((a) => parseIPv4Strict(a) !== undefined));
    return first ? { interfaces: [{ name: first.name }] } : { noMatch: 'No UP interfaces were found' };
  }
  if (rule.interfaces.length === 0) {
    const names = ifaces.filter((i) => up(i) && i.addresses.some((a) => addressMatches(a, rule.ipRanges))).map((i) => ({ name: i.name }));
    return names.length > 0 ? { interfaces: names } : { noMatch: 'IP pattern(s) do not match available interfaces' };
  }
  for (const want of rule.interfaces) {
    const dev = ifaces.find((i) => i.name === want.name);
    if (!dev) {
      // kfilnd devices (cxiN) need not be network interfaces.
      if (netType(rule.net) === LndType.KFILND && rule.ipRanges.length === 0 && /^cxi\d+/.test(want.name)) continue;
      return { noMatch: `No interface matching '${want.name}'` };
    }
    if (!up(dev)) return { noMatch: `Matched interface '${want.name}' is not UP` };
    if (rule.ipRanges.length > 0 && !dev.addresses.some((a) => addressMatches(a, rule.ipRanges)))
      return { noMatch: `Interface '${want.name}' doesn't match an IP pattern` };
  }
  return { interfaces: rule.interfaces };
}
