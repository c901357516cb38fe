/**
 * The `routes=` module parameter (lnet/lnet/config.c lnet_parse_routes, lnet_parse_route,
 * lnet_parse_hops, lnet_parse_priority; the add-time rules of lnet/lnet/router.c lnet_add_route):
 *
 *   routes  := route { (';' | '\n' | '\r') route }      '#' comments to the end of its route
 *   route   := net-token [ hops ] gw-token { gw-token }  (separated by whitespace)
 *   hops    := 1..255                                    (the 2nd token, only if it reads as one)
 *   gw-token:= nid [ ':' priority ]
 *
 * Net and gateway tokens are bracket-expanded (bracket-expand.ts), so `o2ib 10.0.0.[1-2]@tcp`
 * is two routes. Kernel quirks kept: the priority used for every route of an entry is the one
 * of the last gateway parsed (no ':' counts as 0); IPv6 gateways cannot be written, since the
 * first ':' starts the priority; numbers wrap at 32 bits as sscanf reads them.
 */
import { LNetError, ParseError } from '../errors.js';
import { LndType } from '../nid/lnd-type.js';
import { formatNet, lookupNet, netType, type Net } from '../nid/net.js';
import { tryParseNid } from '../nid/nid-string.js';
import { nidEquals, nidIsAny, nidIsLo0, nidKey, nidNet, type Nid } from '../nid/nid.js';
import { expandLeaves } from './bracket-expand.js';
import { scanWholeUnsigned } from './ksscanf.js';
import { TextBufBudget, splitEntries } from './text-bufs.js';

/** LNET_UNDEFINED_HOPS, (u32)-1, which lnetctl shows as -1. */
export const LNET_UNDEFINED_HOPS = -1;

export interface RouteGateway {
  readonly nid: Nid;
  /** The priority written after ':' (0 when none). */
  readonly priority: number;
}

/** One route entry after expansion: every net is reached through every gateway. */
export interface RouteEntry {
  readonly text: string;
  /** Offset of the entry in the routes string. */
  readonly position: number;
  readonly nets: readonly Net[];
  /** 1..255, or LNET_UNDEFINED_HOPS. */
  readonly hops: number;
  readonly gateways: readonly RouteGateway[];
  /** The priority the kernel gives every route of the entry: that of the last gateway. */
  readonly priority: number;
}

export interface Route {
  readonly net: Net;
  readonly hops: number;
  readonly priority: number;
  readonly gateway: Nid;
}

const WHAT = 'routes';

/** lnet_parse_hops */
function parseHops(token: string): number | undefined {
  const v = scanWholeUnsigned(token);
  return v !== undefined && v > 0 && v < 256 ? v : undefined;
}

/**
 * Parse a `routes=` string into its entries. Throws ParseError (EINVAL) at the token the kernel
 * would flag; expansion that exhausts the kernel's text buffers is EINVAL too, as there.
 */
export function parseRoutes(text: string): RouteEntry[] {
  const budget = new TextBufBudget();
  const entries = splitEntries(text, budget);
  if (!entries) throw new ParseError(WHAT, text, 0, 'a route is too long or there are too many routes (text buffers exhausted)');
  const out: RouteEntry[] = [];
  // Each entry's buffer is held until that entry is parsed, as in lnet_parse_route_tbs.
  for (const e of entries) {
    out.push(parseRoute(text, e.text, e.position, budget));
    budget.free(e.nob);
  }
  return out;
}

/** lnet_parse_route, up to (not including) adding the routes. */
function parseRoute(full: string, entry: string, base: number, budget: TextBufBudget): RouteEntry {
  const fail = (offset: number, reason: string): never => {
    throw new ParseError(WHAT, full, Math.min(base + offset, full.length), reason);
  };
  const held: number[] = [];
  try {
    const nets: Net[] = [];
    const gateways: RouteGateway[] = [];
    let hops = LNET_UNDEFINED_HOPS;
    let gotHops = false;
    let priority = 0;
    let ntokens = 0;
    let lastToken = 0;
    // Entries hold only spaces as blanks (splitEntries turned every C whitespace into one).
    const re = /[^ ]+/g;
    for (let m = re.exec(entry); m; m = re.exec(entry)) {
      const token = m[0];
      const at = m.index;
      ntokens++;
      lastToken = at;
      if (ntokens === 2) {
        const h = parseHops(token);
        if (h !== undefined) {
          hops = h;
          gotHops = true;
          continue;
        }
      }
      const isNet = ntokens === 1;
      const nob = budget.alloc(token.length);
      if (nob === undefined) fail(at, 'route too long (text buffers exhausted)');
      for (const step of expandLeaves(token, nob!, budget)) {
        if (step.kind === 'error') {
          if (step.nomem) fail(at, `expanding '${token}' needs too many text buffers`);
          return fail(at, `bad bracket expression in '${token}': ${step.reason}`);
        }
        held.push(step.nob);
        const leaf = step.text;
        if (isNet) {
          const r = lookupNet(leaf);
          if ('error' in r) fail(at, `bad network '${leaf}': ${r.error}`);
          const net = (r as { net: Net }).net;
          if (netType(net) === LndType.LOLND) fail(at, `a route cannot lead to ${formatNet(net)}`);
          nets.push(net);
          continue;
        }
        let nidText = leaf;
        const colon = leaf.indexOf(':');
        if (colon < 0) priority = 0;
        else {
          const p = scanWholeUnsigned(leaf.slice(colon + 1));
          if (p === undefined) fail(at + colon + 1, `bad priority '${leaf.slice(colon + 1)}' in '${leaf}'`);
          priority = p!;
          nidText = leaf.slice(0, colon);
        }
        const nid = tryParseNid(nidText);
        if (nid === undefined) fail(at, `bad gateway NID '${nidText}'`);
        if (nidIsLo0(nid!)) fail(at, 'the gateway cannot be 0@lo');
        gateways.push({ nid: nid!, priority });
      }
    }
    if (ntokens < (gotHops ? 3 : 2)) fail(lastToken, 'a route needs a network and at least one gateway');
    return { text: entry, position: base, nets, hops, gateways, priority };
  } finally {
    for (const nob of held) budget.free(nob);
  }
}

export interface RouteListOptions {
  /** Refuse (E2BIG) to list more routes than this; default 1 << 20. */
  limit?: number;
}

/** The routes of the entries, in the order the kernel adds them: by entry, net, then gateway. */
export function routesOf(entries: readonly RouteEntry[], opts: RouteListOptions = {}): Route[] {
  const limit = opts.limit ?? 1 << 20;
  let n = 0;
  for (const e of entries) n += e.nets.length * e.gateways.length;
  if (n > limit) throw new LNetError('E2BIG', `routes expand to ${n} routes, more than ${limit}`);
  const out: Route[] = [];
  for (const e of entries)
    for (const net of e.nets) for (const g of e.gateways) out.push({ net, hops: e.hops, priority: e.priority, gateway: g.nid });
  return out;
}

/** parseRoutes then routesOf. */
export function parseRouteList(text: string, opts: RouteListOptions = {}): Route[] {
  return routesOf(parseRoutes(text), opts);
}

export type RouteSkipReason =
  /** The gateway is one of this node's NIDs: the node is a router, not a route user. */
  | 'local-gateway'
  /** The destination net is a local net (lnet_add_route -EEXIST, ignored at load). */
  | 'local-net'
  /** No local NI on the gateway's net (lnet_add_route -EHOSTUNREACH, ignored at load). */
  | 'gateway-unreachable'
  /** The same gateway for the same net again (lnet_add_route -EEXIST). */
  | 'duplicate';

export interface RoutePlan {
  /** The routes the kernel would create, in creation order. */
  readonly routes: readonly Route[];
  /** Some gateway was local (im_a_router): router buffers get allocated unless forwarding=disabled. */
  readonly imARouter: boolean;
  readonly skipped: readonly { route: Route; reason: RouteSkipReason }[];
}

/**
 * What loading `routes=` does on a node whose NIs have `localNids` (0@lo need not be listed):
 * local gateways are skipped and make the node a router; routes that lnet_add_route refuses
 * with EEXIST or EHOSTUNREACH are skipped silently as the kernel does. A route the kernel
 * refuses outright (gateway on the destination net, ANY gateway) throws LNetError EINVAL,
 * which fails LNet startup.
 */
export function planRoutes(routes: readonly Route[], localNids: readonly Nid[]): RoutePlan {
  const localKeys = new Set(localNids.map(nidKey));
  const localNets = new Set<number>(localNids.map((n) => nidNet(n)));
  const out: Route[] = [];
  const seen = new Set<string>();
  const skipped: { route: Route; reason: RouteSkipReason }[] = [];
  let imARouter = false;
  for (const route of routes) {
    const gw = route.gateway;
    if (localKeys.has(nidKey(gw))) {
      imARouter = true;
      skipped.push({ route, reason: 'local-gateway' });
      continue;
    }
    if (nidIsAny(gw) || nidIsLo0(gw) || netType(route.net) === LndType.LOLND || nidNet(gw) === route.net)
      throw new LNetError('EINVAL', `cannot create route to ${formatNet(route.net)} via ${describeGateway(gw)}: the gateway must be on another net`);
    if (route.hops !== LNET_UNDEFINED_HOPS && (route.hops < 1 || route.hops > 255))
      throw new LNetError('EINVAL', `cannot create route to ${formatNet(route.net)}: hops ${route.hops} not in 1..255`);
    if (localNets.has(route.net)) {
      skipped.push({ route, reason: 'local-net' });
      continue;
    }
    if (!localNets.has(nidNet(gw))) {
      skipped.push({ route, reason: 'gateway-unreachable' });
      continue;
    }
    const key = `${route.net}/${nidKey(gw)}`;
    if (seen.has(key)) {
      skipped.push({ route, reason: 'duplicate' });
      continue;
    }
    seen.add(key);
    out.push(route);
  }
  return { routes: out, imARouter, skipped };
}

function describeGateway(gw: Nid): string {
  return nidIsAny(gw) ? 'the ANY NID' : nidIsLo0(gw) ? '0@lo' : `net ${formatNet(nidNet(gw))}`;
}

/** True when the two routes name the same net and gateway. */
export function sameRoute(a: Route, b: Route): boolean {
  return a.net === b.net && nidEquals(a.gateway, b.gateway);
}
