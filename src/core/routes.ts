/**
 * The route table (lnet/lnet/router.c lnet_add_route, lnet_del_route, lnet_get_route; the
 * remote-net hash of api-ni.c): routes to remote nets through gateways on local nets, with
 * the kernel's validation and errnos. Nothing is forwarded yet: routes are configuration that
 * `route show` and `export` print.
 */
import { LNetError } from '../errors.js';
import { LndType } from '../nid/lnd-type.js';
import { formatNet, LNET_NET_ANY, netNum, netType, type Net } from '../nid/net.js';
import { formatNid } from '../nid/nid-string.js';
import { nidEquals, nidIsAny, nidIsLo0, nidKey, nidNet, type Nid } from '../nid/nid.js';

/** LNET_UNDEFINED_HOPS, shown as -1. */
export const LNET_UNDEFINED_HOPS = -1;

export interface Route {
  /** The remote net reached. */
  readonly net: Net;
  readonly gateway: Nid;
  /** 1..255 or LNET_UNDEFINED_HOPS. */
  readonly hops: number;
  readonly priority: number;
  /** lr_alive: up unless the router checker found the gateway dead (or check_routers_before_use). */
  alive: boolean;
  /** lr_single_hop: set once the gateway's ping reply lists an NI on the remote net. */
  singleHop: boolean;
}

export interface RouteFilter {
  net?: Net;
  gateway?: Nid;
  /** -1: any. */
  hops?: number;
  /** -1: any. */
  priority?: number;
}

export interface RouteTableOptions {
  /** Is this net one of ours (lnet_islocalnet)? */
  isLocalNet: (net: Net) => boolean;
  /** Routes start down until a router check says otherwise (check_routers_before_use). */
  startDown?: boolean;
  /** rnet_htable_size: buckets of the remote-net hash (listing order follows it). */
  hashSize?: number;
  /** Where a new route goes among the routes to its net (the kernel picks at random). */
  random?: () => number;
}

/** lnet_net2rnethash: (net number + LND type) masked to the table size. */
function bucketOf(net: Net, bits: number): number {
  return (netNum(net) + netType(net)) & ((1 << bits) - 1);
}

export class RouteTable {
  /** Remote nets in hash order; each with its routes in the kernel's list order. */
  private readonly buckets: Map<Net, Route[]>[];
  private readonly bits: number;
  private readonly random: () => number;
  /**
   * Routes per gateway (by nidKey): isGateway runs for every received message (health), so
   * it must not walk the hash; empty (one size check) on a node without routes.
   */
  private readonly gateways = new Map<string, number>();

  constructor(private readonly o: RouteTableOptions) {
    let bits = 0;
    while (1 << bits < (o.hashSize ?? 128)) bits++;
    this.bits = bits;
    this.buckets = Array.from({ length: 1 << bits }, () => new Map());
    this.random = o.random ?? Math.random;
  }

  /**
   * lnet_add_route. EINVAL for an impossible route (ANY or 0@lo gateway, a lo or ANY net, the
   * gateway on the remote net itself, hops outside 1..255), EEXIST when the net is local or the
   * route exists, EHOSTUNREACH when no local NI shares the gateway's net.
   */
  add(net: Net, gateway: Nid, hops = LNET_UNDEFINED_HOPS, priority = 0): Route {
    if (
      nidIsAny(gateway) ||
      nidIsLo0(gateway) ||
      net === LNET_NET_ANY ||
      netType(net) === LndType.LOLND ||
      nidNet(gateway) === net ||
      (hops !== LNET_UNDEFINED_HOPS && (hops < 1 || hops > 255))
    )
      throw new LNetError('EINVAL', 'invalid settings for route creation');
    if (this.o.isLocalNet(net)) throw new LNetError('EEXIST', 'Route already exists or the specified network is local');
    if (!this.o.isLocalNet(nidNet(gateway)))
      throw new LNetError('EHOSTUNREACH', 'No interface configured on the same net as gateway');
    const bucket = this.buckets[bucketOf(net, this.bits)]!;
    let routes = bucket.get(net);
    if (!routes) {
      routes = [];
      bucket.set(net, routes);
    }
    if (routes.some((r) => nidEquals(r.gateway, gateway)))
      throw new LNetError('EEXIST', 'Route already exists or the specified network is local');
    const route: Route = { net, gateway, hops, priority, alive: !this.o.startDown, singleHop: false };
    // lnet_add_route_to_rnet: a random place, so nodes sharing routers prefer different ones.
    const at = Math.min(routes.length, Math.floor(this.random() * (routes.length + 1)));
    routes.splice(at, 0, route);
    const k = nidKey(gateway);
    this.gateways.set(k, (this.gateways.get(k) ?? 0) + 1);
    return route;
  }

  /**
   * lnet_del_route: the routes to `net` (or to every net when ANY) through `gateway` (or
   * through any gateway when undefined). ENOENT when a named net has no routes at all.
   */
  del(net: Net, gateway?: Nid): Route[] {
    const removed: Route[] = [];
    const drop = (bucket: Map<Net, Route[]>, n: Net, routes: Route[]): void => {
      for (let i = routes.length - 1; i >= 0; i--) {
        if (gateway && !nidEquals(routes[i]!.gateway, gateway)) continue;
        removed.unshift(...routes.splice(i, 1));
      }
      if (routes.length === 0) bucket.delete(n);
    };
    const forget = (): Route[] => {
      for (const r of removed) {
        const k = nidKey(r.gateway);
        const left = (this.gateways.get(k) ?? 1) - 1;
        if (left > 0) this.gateways.set(k, left);
        else this.gateways.delete(k);
      }
      return removed;
    };
    if (net !== LNET_NET_ANY) {
      const bucket = this.buckets[bucketOf(net, this.bits)]!;
      const routes = bucket.get(net);
      if (!routes) throw new LNetError('ENOENT', `no route to ${formatNet(net)}`);
      drop(bucket, net, routes);
      return forget();
    }
    for (const bucket of this.buckets) for (const [n, routes] of [...bucket]) drop(bucket, n, routes);
    return forget();
  }

  /** Every route in the kernel's listing order (hash bucket, then remote net, then list). */
  list(filter: RouteFilter = {}): Route[] {
    const out: Route[] = [];
    for (const bucket of this.buckets)
      for (const routes of bucket.values())
        for (const r of routes) {
          if (filter.net !== undefined && filter.net !== LNET_NET_ANY && r.net !== filter.net) continue;
          if (filter.gateway && !nidIsAny(filter.gateway) && !nidEquals(r.gateway, filter.gateway)) continue;
          if (filter.hops !== undefined && filter.hops !== -1 && r.hops !== filter.hops) continue;
          if (filter.priority !== undefined && filter.priority !== -1 && r.priority !== filter.priority) continue;
          out.push(r);
        }
    return out;
  }

  /** Is this NID the gateway of any route? */
  isGateway(nid: Nid): boolean {
    return this.gateways.size !== 0 && this.gateways.has(nidKey(nid));
  }

  /** Routes whose gateway's net is `net` (they go when the last local NI on it goes). */
  viaNet(net: Net): Route[] {
    return this.list().filter((r) => nidNet(r.gateway) === net);
  }

  clear(): void {
    for (const b of this.buckets) b.clear();
    this.gateways.clear();
  }

  get size(): number {
    return this.list().length;
  }

  describe(r: Route): string {
    return `${formatNet(r.net)} via ${formatNid(r.gateway)}`;
  }
}
