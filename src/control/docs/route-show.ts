import { map, seq, type DocMap } from '../../cli/yaml/doc.js';
import { printable, type PrintableDoc } from '../../cli/yaml/output.js';
import { formatNet, netNum, netType, parseNet, type Net } from '../../nid/net.js';
import { nidKey, type Nid } from '../../nid/nid.js';
import { formatNid, parseNid } from '../../nid/nid-string.js';
import type { RouteInput } from './inputs.js';

export interface RouteShowOptions {
  net?: string | Net;
  gateway?: string | Nid;
  /** `--hop`: only routes with this hop count (-1 or undefined: any, as the kernel filters). */
  hop?: number;
  priority?: number;
  /** `-v`: hop, priority, state and type. */
  verbose?: boolean | number;
  /** The export --backup form: hop and priority, no state or type. */
  backup?: boolean;
  /** ln_remote_nets_hbits: the remote-net hash the kernel lists routes by (default 7, 128 buckets). */
  hashBits?: number;
}

/**
 * Routes in the kernel's listing order: remote nets by hash bucket
 * ((net number + LND type) & mask), nets in a bucket and routes of a net in the order they
 * were added (the input's order).
 */
export function routesInKernelOrder(routes: readonly RouteInput[], hashBits = 7): RouteInput[] {
  const mask = (1 << hashBits) - 1;
  const nets: Net[] = [];
  const byNet = new Map<Net, RouteInput[]>();
  for (const r of routes) {
    let l = byNet.get(r.net);
    if (!l) {
      byNet.set(r.net, (l = []));
      nets.push(r.net);
    }
    l.push(r);
  }
  const bucket = (n: Net): number => (netNum(n) + netType(n)) & mask;
  const ordered = nets.map((n, i) => ({ n, i })).sort((a, b) => bucket(a.n) - bucket(b.n) || a.i - b.i);
  return ordered.flatMap(({ n }) => byNet.get(n)!);
}

function routeNode(r: RouteInput, verbose: boolean, backup: boolean): DocMap {
  return map([
    ['net', formatNet(r.net)],
    ['gateway', formatNid(r.gateway)],
    ['hop', verbose || backup ? r.hops : undefined],
    ['priority', verbose || backup ? r.priority : undefined],
    ['state', verbose && !backup ? (r.alive ? 'up' : 'down') : undefined],
    ['type', verbose && !backup ? (r.singleHop ? 'single-hop' : 'multi-hop') : undefined],
  ]);
}

/**
 * `lnetctl route show` (lnet_route_show_dump, config.md §5.4); null when no route matches
 * (lnetctl prints nothing for the kernel's "No routes found").
 */
export function buildRouteShow(routes: readonly RouteInput[], opts: RouteShowOptions = {}): PrintableDoc | null {
  const net = opts.net === undefined ? undefined : typeof opts.net === 'number' ? opts.net : parseNet(opts.net);
  const gw =
    opts.gateway === undefined ? undefined : nidKey(typeof opts.gateway === 'string' ? parseNid(opts.gateway, { flavor: 'userspace' }) : opts.gateway);
  const list = routesInKernelOrder(routes, opts.hashBits).filter(
    (r) =>
      (net === undefined || r.net === net) &&
      (gw === undefined || nidKey(r.gateway) === gw) &&
      (opts.hop === undefined || opts.hop === -1 || r.hops === opts.hop) &&
      (opts.priority === undefined || opts.priority === -1 || r.priority === opts.priority),
  );
  if (list.length === 0) return null;
  const verbose = typeof opts.verbose === 'number' ? opts.verbose > 0 : (opts.verbose ?? false);
  return printable(map([['route', seq(list.map((r) => routeNode(r, verbose, opts.backup ?? false)))]]), 'libyaml6');
}
