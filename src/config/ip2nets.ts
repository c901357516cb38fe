/**
 * The `ip2nets=` module parameter (lnet/lnet/config.c lnet_parse_ip2nets, lnet_match_networks,
 * lnet_match_network_tokens, lnet_splitnets):
 *
 *   ip2nets := entry { (';' | '\n' | '\r') entry }     '#' comments to the end of its entry
 *   entry   := netspecs ip-range { ' ' ip-range }         netspecs: networks= syntax, no spaces
 *
 * Every entry with a pattern matching a local address contributes its netspecs; they are
 * joined with ',' into a `networks=` string. Patterns are IPv4 ranges only (cfs_ip_addr_parse);
 * an IPv6 interface address takes part through its first 32 bits, as in the kernel. A net
 * named twice within one entry is EINVAL; the same net from two matching entries is not
 * checked here (lnet_parse_networks then merges them).
 */
import { LNetError, ParseError } from '../errors.js';
import { parseIpAddrRange, ipAddrRangeMatch, type IpAddrRange } from '../nid/ip-range.js';
import { lookupNet, type Net } from '../nid/net.js';
import { enumerateAddresses, ip2netsMatchAddress, type LocalInterface } from './local-interfaces.js';
import { parseNetworks, type NetSpec, type NetworksOptions } from './networks.js';
import { LNET_SINGLE_TEXTBUF_NOB, TextBufBudget, splitEntries, type TextEntry } from './text-bufs.js';

export interface Ip2netsPattern {
  readonly text: string;
  /** Offset in the ip2nets string. */
  readonly position: number;
  readonly range: IpAddrRange;
}

export interface Ip2netsEntry {
  /** The entry's text (whitespace normalised to spaces). */
  readonly text: string;
  readonly position: number;
  /** The netspec token, unparsed: it is only checked when the entry matches, as in the kernel. */
  readonly netspec: string;
  readonly patterns: readonly Ip2netsPattern[];
}

export interface Ip2netsMatch {
  readonly networks: string;
  /** The entries that matched, with their netspecs split one per net. */
  readonly entries: readonly { entry: Ip2netsEntry; netspecs: readonly string[] }[];
  /** The kernel's fixed buffer cut the joined string (4095 characters). */
  readonly truncated: boolean;
}

const WHAT = 'ip2nets';
/** The kernel joins matches into a static LNET_SINGLE_TEXTBUF_NOB buffer. */
const NETWORKS_MAX = LNET_SINGLE_TEXTBUF_NOB - 1;

function entriesOf(text: string, budget: TextBufBudget): TextEntry[] {
  const entries = splitEntries(text, budget);
  if (!entries) throw new ParseError(WHAT, text, 0, 'an entry is too long or there are too many entries (text buffers exhausted)');
  return entries;
}

/** lnet_match_network_tokens, parse half: split an entry into its netspec and IP patterns. */
function parseEntry(text: string, e: { text: string; position: number }): Ip2netsEntry {
  const tokens: { t: string; at: number }[] = [];
  const re = /[^ ]+/g;
  for (let m = re.exec(e.text); m; m = re.exec(e.text)) tokens.push({ t: m[0], at: m.index });
  const [net, ...rest] = tokens;
  const patterns = rest.map(({ t, at }) => {
    try {
      return { text: t, position: e.position + at, range: parseIpAddrRange(t) };
    } catch (err) {
      if (err instanceof ParseError)
        throw new ParseError(WHAT, text, e.position + at + err.position, `bad IP address pattern '${t}': ${err.reason}`);
      throw err;
    }
  });
  return { text: e.text, position: e.position, netspec: net?.t ?? '', patterns };
}

/**
 * Parse every entry and its IP patterns (what the kernel checks whatever the interfaces).
 * Throws ParseError (EINVAL).
 */
export function parseIp2nets(text: string): Ip2netsEntry[] {
  return entriesOf(text, new TextBufBudget()).map((e) => parseEntry(text, e));
}

/** lnet_netspec2net: the net name is everything before the first '('. */
function netspecNet(spec: string): Net | undefined {
  const paren = spec.indexOf('(');
  const r = lookupNet(paren < 0 ? spec : spec.slice(0, paren));
  return 'error' in r ? undefined : r.net;
}

/** lnet_splitnets: cut a netspec token at the commas outside its interface list. */
function splitNetspecs(text: string, entry: Ip2netsEntry, budget: TextBufBudget): string[] {
  const fail = (offset: number, reason: string): never => {
    throw new ParseError(WHAT, text, entry.position + offset, reason);
  };
  const pieces: { spec: string; net: Net }[] = [];
  let rest = entry.netspec;
  let offset = 0;
  for (;;) {
    let sep = rest.indexOf(',');
    const paren = rest.indexOf('(');
    if (sep >= 0 && paren >= 0 && paren < sep) {
      const close = rest.indexOf(')', paren + 1);
      if (close < 0 || !(close + 1 === rest.length || rest[close + 1] === ','))
        fail(offset + paren, `interface list of '${rest}' must end with ')' followed by ',' or nothing`);
      sep = close + 1 === rest.length ? -1 : close + 1;
    }
    const spec = sep >= 0 ? rest.slice(0, sep) : rest;
    const net = netspecNet(spec);
    if (net === undefined) fail(offset, `unrecognised network '${spec}'`);
    if (pieces.some((p) => p.net === net)) fail(offset, `network '${spec}' appears twice in one entry`);
    pieces.push({ spec, net: net! });
    if (sep < 0) break;
    offset += sep + 1;
    rest = rest.slice(sep + 1);
    if (budget.alloc(rest.length) === undefined) throw new LNetError('ENOMEM', 'ip2nets: text buffers exhausted splitting networks');
  }
  return pieces.map((p) => p.spec);
}

export interface Ip2netsOptions {
  /** Order IPv6 addresses first (the kernel does when large NIDs are in use). No effect on the result. */
  v6First?: boolean;
}

/**
 * lnet_parse_ip2nets: the `networks=` string that ip2nets selects for these interfaces.
 * Throws ParseError (EINVAL) for bad syntax, LNetError ENOENT when there is no usable local
 * address or no entry matches.
 */
export function matchIp2nets(text: string, interfaces: readonly LocalInterface[], opts: Ip2netsOptions = {}): Ip2netsMatch {
  const addrs = enumerateAddresses(interfaces, opts.v6First).map(ip2netsMatchAddress);
  if (addrs.length === 0) throw new LNetError('ENOENT', 'no local IP interfaces for ip2nets to match');

  const budget = new TextBufBudget();
  const entries = entriesOf(text, budget);
  let networks = '';
  let truncated = false;
  const matched: { entry: Ip2netsEntry; netspecs: string[] }[] = [];
  for (const e of entries) {
    const entry = parseEntry(text, e);
    const hit = entry.patterns.some((p) => addrs.some((a) => ipAddrRangeMatch(p.range, a)));
    if (!hit) {
      budget.free(e.nob);
      continue;
    }
    const netspecs = splitNetspecs(text, entry, budget);
    for (const spec of netspecs) {
      const piece = networks.length === 0 ? spec : `,${spec}`;
      if (networks.length + piece.length > NETWORKS_MAX) truncated = true;
      networks = (networks + piece).slice(0, NETWORKS_MAX);
    }
    matched.push({ entry, netspecs });
  }
  if (matched.length === 0) throw new LNetError('ENOENT', 'ip2nets does not match any local IP interfaces');
  return { networks, entries: matched, truncated };
}

/** matchIp2nets, then parse the result as lnet_parse_networks does. */
export function ip2netsToNetSpecs(
  text: string,
  interfaces: readonly LocalInterface[],
  opts: Ip2netsOptions & NetworksOptions = {},
): NetSpec[] {
  return parseNetworks(matchIp2nets(text, interfaces, opts).networks, opts);
}
