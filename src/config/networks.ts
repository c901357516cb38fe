/**
 * The `networks=` module parameter (lnet/lnet/config.c lnet_parse_networks):
 *
 *   networks := netspec { ',' netspec }
 *   netspec  := net [ '(' iface { ',' iface } ')' ] [ '[' cpt-list ']' ]
 *   iface    := name [ '[' cpt-list ']' ]
 *
 * The result is the kernel's net list: one entry per distinct net, in first-seen order, each
 * with its NIs in order. A net named twice is merged (`tcp(eth0),tcp(eth1)` is one net with two
 * NIs); the same interface twice on one net is an error; `lo` is skipped (it is implicit).
 */
import { ParseError } from '../errors.js';
import { exprListCount, parseExprList, type ExprList } from '../nid/expr-list.js';
import { isCSpace } from '../nid/kstrto.js';
import { LndType } from '../nid/lnd-type.js';
import { formatNet, lookupNet, netType, type Net } from '../nid/net.js';
import { LNET_SINGLE_TEXTBUF_NOB } from './text-bufs.js';

/** LNET_CPT_MAX: the most CPTs a kernel can have. */
export const LNET_CPT_MAX = 256;
/** LNET_MAX_STR_LEN: interface names compare equal on this many characters. */
export const LNET_MAX_STR_LEN = 128;

export interface NiSpec {
  /** Interface name; undefined lets the LND pick (socklnd: first usable interface, o2iblnd: ipif_name). */
  readonly interface: string | undefined;
  /** CPTs the NI is bound to, in expression order; undefined means every CPT. */
  readonly cpts: readonly number[] | undefined;
}

export interface NetSpec {
  readonly net: Net;
  readonly nis: readonly NiSpec[];
  /** The net's CPT list as the kernel accumulates it from its NIs; undefined means every CPT. */
  readonly cpts: readonly number[] | undefined;
}

export interface NetworksOptions {
  /** LNET_CPT_NUMBER, the node's CPT count: CPT lists are bounded by it. Default 1. */
  cptCount?: number;
}

const NAME_STOP = ' \t\v\r\n:()[],';
const IFACE_STOP = ' \t\v\r\n[],';
const BAD_DELIMS = ':()[]';

interface MutableNet {
  net: Net;
  nis: NiSpec[];
  /** undefined until the first NI; 'all' once an NI covers every CPT. */
  cpts: number[] | 'all' | undefined;
}

function checkCptCount(cptCount: number): void {
  if (!Number.isInteger(cptCount) || cptCount < 1 || cptCount > LNET_CPT_MAX)
    throw new RangeError(`cptCount must be an integer 1..${LNET_CPT_MAX}, got ${cptCount}`);
}

/**
 * Parse a `networks=` string. Throws ParseError (EINVAL) with the position of the offending
 * token, as the kernel's "Error parsing 'networks=...'" console message marks it.
 */
export function parseNetworks(text: string, opts: NetworksOptions = {}): NetSpec[] {
  const cptCount = opts.cptCount ?? 1;
  checkCptCount(cptCount);
  const fail = (position: number, reason: string): never => {
    throw new ParseError('networks', text, position, reason);
  };
  if (text.length > LNET_SINGLE_TEXTBUF_NOB)
    fail(LNET_SINGLE_TEXTBUF_NOB, `string too long (${text.length} > ${LNET_SINGLE_TEXTBUF_NOB} characters)`);

  const parseCpts = (start: number, end: number): ExprList => {
    try {
      return parseExprList(text.slice(start, end), 0, cptCount - 1);
    } catch (e) {
      if (e instanceof ParseError)
        return fail(start + e.position, `bad CPT list '${text.slice(start, end)}' (CPTs are 0..${cptCount - 1}): ${e.reason}`);
      throw e;
    }
  };

  const nets: MutableNet[] = [];
  const len = text.length;
  let p = 0;
  while (p < len) {
    while (isCSpace(text[p])) p++;
    if (p >= len) break;

    const nameStart = p;
    while (p < len && !NAME_STOP.includes(text[p]!)) p++;
    const nameEnd = p;
    while (isCSpace(text[p])) p++;

    let ifaces: [number, number] | undefined;
    if (text[p] === '(') {
      const close = text.indexOf(')', p + 1);
      if (close < 0) fail(p + 1, "interface list has no closing ')'");
      ifaces = [p + 1, close];
      p = close + 1;
      while (isCSpace(text[p])) p++;
    }

    let netEl: { list: ExprList; at: number } | undefined;
    if (text[p] === '[') {
      const close = text.indexOf(']', p);
      if (close < 0) fail(p, "CPT list has no closing ']'");
      netEl = { list: parseCpts(p, close + 1), at: p };
      p = close + 1;
      while (isCSpace(text[p])) p++;
    }

    if (p < len && BAD_DELIMS.includes(text[p]!)) fail(p, `unexpected '${text[p]}'`);
    // Anything else up to the next ',' is ignored, as the kernel skips it.
    const comma = text.indexOf(',', p);
    p = comma < 0 ? len : comma + 1;

    const name = text.slice(nameStart, nameEnd);
    const found = lookupNet(name);
    if ('error' in found) fail(nameStart, `unrecognised network type '${name}' (${found.error})`);
    const { net } = found as { net: Net };
    if (netType(net) === LndType.LOLND) continue; // loopback is implicit

    let target = nets.find((n) => n.net === net);
    if (!target) {
      target = { net, nis: [], cpts: undefined };
      nets.push(target);
    }

    if (!ifaces) {
      addNi(target, undefined, netEl, cptCount, nameStart, fail);
      continue;
    }

    const [listStart, listEnd] = ifaces;
    let q = listStart;
    do {
      while (q < listEnd && isCSpace(text[q])) q++;
      const ifStart = q;
      while (q < listEnd && !IFACE_STOP.includes(text[q]!)) q++;
      const ifEnd = q;
      while (q < listEnd && isCSpace(text[q])) q++;

      let niEl = netEl;
      if (q < listEnd && text[q] === '[') {
        const close = text.indexOf(']', q);
        if (close < 0 || close >= listEnd) fail(q, "CPT list has no closing ']'");
        niEl = { list: parseCpts(q, close + 1), at: q };
        q = close + 1;
        while (q < listEnd && isCSpace(text[q])) q++;
      }

      if (q < listEnd && text[q] === ',') {
        q++;
        while (q < listEnd && isCSpace(text[q])) q++;
        if (q >= listEnd) fail(q, "interface list ends with ','");
      } else if (q < listEnd) {
        fail(q, `unexpected '${text[q]}' in interface list`);
      }

      if (ifEnd === ifStart) fail(ifStart, 'empty interface name');
      addNi(target, text.slice(ifStart, ifEnd), niEl, cptCount, ifStart, fail);
    } while (q < listEnd);
  }

  return nets.map((n) => ({ net: n.net, nis: n.nis, cpts: n.cpts === 'all' || n.cpts === undefined ? undefined : n.cpts }));
}

/** lnet_ni_alloc + lnet_net_append_cpts for one NI. */
function addNi(
  net: MutableNet,
  iface: string | undefined,
  el: { list: ExprList; at: number } | undefined,
  cptCount: number,
  at: number,
  fail: (position: number, reason: string) => never,
): void {
  if (iface !== undefined) {
    const key = iface.slice(0, LNET_MAX_STR_LEN);
    if (net.nis.some((ni) => ni.interface !== undefined && ni.interface.slice(0, LNET_MAX_STR_LEN) === key))
      fail(at, `interface '${iface}' given twice for net ${formatNet(net.net)}`);
  }
  let cpts: number[] | undefined;
  if (el) {
    const n = exprListCount(el.list);
    if (n > cptCount) fail(el.at, `CPT list names ${n} CPTs but the node has ${cptCount}`);
    const values: number[] = [];
    for (const r of el.list) for (let v = r.lo; v <= r.hi; v += r.stride) values.push(v);
    // As many values as CPTs (duplicates included) counts as "every CPT", as in the kernel.
    cpts = values.length === cptCount ? undefined : values;
  }
  net.nis.push({ interface: iface, cpts });
  appendNetCpts(net, cpts);
}

/**
 * lnet_net_append_cpts. Note the kernel's membership test is inverted (its helper returns
 * false when the value *is* present), so once a net has a CPT list, a later NI adds only the
 * CPTs the net already has, again; new ones are dropped. ulnet keeps that, because the net's
 * list decides which CPT serves a peer NID (lnet_cpt_of_nid) and so is visible.
 */
function appendNetCpts(net: MutableNet, cpts: number[] | undefined): void {
  if (net.cpts === 'all') return;
  if (cpts === undefined) {
    net.cpts = 'all';
    return;
  }
  if (net.cpts === undefined) {
    net.cpts = [...cpts];
    return;
  }
  const current = net.cpts;
  const added = cpts.filter((c) => current.includes(c));
  net.cpts = [...current, ...added];
}

function formatCpts(cpts: readonly number[] | undefined): string {
  return cpts === undefined ? '' : `[${cpts.join(',')}]`;
}

/**
 * A `networks=` string that parses back to the same NIs, one netspec per NI
 * (`tcp(eth0[0]),tcp(eth1),o2ib[1]`).
 */
export function formatNetworks(specs: readonly NetSpec[]): string {
  const parts: string[] = [];
  for (const spec of specs) {
    const name = formatNet(spec.net);
    for (const ni of spec.nis) {
      parts.push(ni.interface === undefined ? `${name}${formatCpts(ni.cpts)}` : `${name}(${ni.interface}${formatCpts(ni.cpts)})`);
    }
  }
  return parts.join(',');
}
