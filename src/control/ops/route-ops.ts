/**
 * Routes (LNET_CMD_ROUTES: `lnetctl route add|del|show`, api-ni.c lnet_route_cmd) and routing
 * (`lnetctl routing show`, `set routing`, `set *_buffers`: the legacy ioctls with cYAML errors).
 */
import { Errno } from '../../errno.js';
import { LNetError } from '../../errors.js';
import { LNET_UNDEFINED_HOPS } from '../../core/routes.js';
import { LndType } from '../../nid/lnd-type.js';
import { formatNet as formatNetText, LNET_NET_ANY, lookupNet, netType, type Net } from '../../nid/net.js';
import { expandNidRangeText } from '../../nid/nid-range.js';
import { formatNid, tryParseNid } from '../../nid/nid-string.js';
import type { Nid } from '../../nid/nid.js';
import { cyamlError, netlinkError, quoted } from '../docs/error-docs.js';
import type { LNetModule } from '../lnet-module.js';
import { strerror } from '../../cli/strerror.js';
import { optBool, optInt, optStr, type Args } from './args.js';
import type { OpRegistry } from './registry.js';
import { routeShowDoc, routingShowDoc } from '../show.js';

function str2net(text: string): Net {
  const r = lookupNet(text.trim());
  return 'error' in r ? LNET_NET_ANY : r.net;
}

/** The gateways of a `--gateway` range (lustre_lnet_parse_nid_range). */
function gateways(op: 'add' | 'del', text: string): Nid[] {
  try {
    return expandNidRangeText(text.trim(), 65536, { flavor: 'userspace' });
  } catch {
    throw netlinkError(op, 'route', -Errno.EINVAL, `cannot parse gateway ${text}`);
  }
}

/** The net checks of lnet_route_cmd. */
function remoteNet(op: 'add' | 'del', text: string | undefined): Net {
  if (text === undefined) throw netlinkError(op, 'route', -Errno.ENODEV, 'missing mandatory parameter: network');
  const net = str2net(text);
  if (net === LNET_NET_ANY) throw netlinkError(op, 'route', -Errno.ENXIO, 'setting LNET_NET_ANY not allowed');
  if (netType(net) === LndType.LOLND) throw netlinkError(op, 'route', -Errno.EACCES, 'setting @lo not allowed');
  return net;
}

function routeAdd(m: LNetModule, a: Args): void {
  const lnet = m.requireLNet();
  const net = remoteNet('add', optStr(a, 'net'));
  const gwText = optStr(a, 'gateway');
  if (gwText === undefined) throw netlinkError('add', 'route', -Errno.ENODEV, 'missing mandatory parameter: gateway');
  const hops = optInt(a, 'hop') ?? LNET_UNDEFINED_HOPS;
  if ((hops < 1 || hops > 255) && hops !== -1)
    throw netlinkError('add', 'route', -Errno.EINVAL, 'invalid hop count must be between 1 and 255');
  const prio = optInt(a, 'priority') ?? 0;
  if (prio < 0) throw netlinkError('add', 'route', -Errno.EINVAL, 'invalid priority, must not be negative');
  for (const gw of gateways('add', gwText)) {
    try {
      lnet.addRoute(formatNetText(net), gw, hops, prio);
    } catch (e) {
      if (e instanceof LNetError) throw netlinkError('add', 'route', e.errno, e.message.replace(/^[A-Z0-9]+: /, ''));
      throw e;
    }
  }
}

function routeDel(m: LNetModule, a: Args): void {
  const lnet = m.requireLNet();
  const net = remoteNet('del', optStr(a, 'net'));
  const gwText = optStr(a, 'gateway');
  if (gwText === undefined) throw netlinkError('del', 'route', -Errno.ENODEV, 'missing mandatory parameter: gateway');
  for (const gw of gateways('del', gwText)) {
    try {
      lnet.routes.del(net, gw);
    } catch (e) {
      if (e instanceof LNetError) throw netlinkError('del', 'route', e.errno, 'failed to delete route');
      throw e;
    }
  }
}

function routeShow(m: LNetModule, a: Args): unknown {
  const lnet = m.lnet;
  if (!lnet || !m.running) throw netlinkError('show', 'route', -Errno.ENETDOWN, 'Unspecific failure');
  const netText = optStr(a, 'net');
  const gwText = optStr(a, 'gateway');
  const gw = gwText === undefined ? undefined : tryParseNid(gwText.trim(), { flavor: 'userspace' });
  if (gwText !== undefined && !gw) throw netlinkError('show', 'route', -Errno.ENODEV, 'Unspecific failure');
  const routes = lnet.routes.list({
    ...(netText !== undefined ? { net: str2net(netText) } : {}),
    ...(gw ? { gateway: gw } : {}),
    hops: optInt(a, 'hop') ?? -1,
    priority: optInt(a, 'priority') ?? -1,
  });
  return routeShowDoc(routes, optBool(a, 'verbose'));
}

function routingShow(m: LNetModule): unknown {
  const lnet = m.lnet;
  if (!lnet || !m.running) throw cyamlError('show', 'routing', -Errno.EINVAL, quoted(`cannot get routing information: ${strerror(Errno.EINVAL)}`));
  return routingShowDoc(lnet.router);
}

/** `set routing 0|1` (IOC_LIBCFS_CONFIG_RTR). */
function setRouting(m: LNetModule, a: Args): void {
  const enable = optBool(a, 'enable');
  const lnet = m.lnet;
  const fail = (errno: number): never => {
    throw cyamlError(enable ? 'add' : 'del', 'routing', -errno, quoted(`cannot ${enable ? 'enable' : 'disable'} routing ${strerror(errno)}`));
  };
  if (!lnet || !m.running) fail(Errno.EINVAL);
  try {
    if (enable) lnet!.router.enable();
    else lnet!.router.disable();
  } catch (e) {
    fail(e instanceof LNetError ? -e.errno : Errno.EINVAL);
  }
}

/** `set tiny_buffers|small_buffers|large_buffers N` (IOC_LIBCFS_ADD_BUF). */
function setBuffers(m: LNetModule, a: Args): void {
  const tiny = optInt(a, 'tiny') ?? -1;
  const small = optInt(a, 'small') ?? -1;
  const large = optInt(a, 'large') ?? -1;
  if (tiny < -1 || small < -1 || large < -1) throw cyamlError('add', 'buf', -Errno.ERANGE, quoted('tiny, small and large must be >= 0'));
  const lnet = m.lnet;
  if (!lnet || !m.running) throw cyamlError('add', 'buf', -Errno.EINVAL, quoted(`cannot configure buffers: ${strerror(Errno.EINVAL)}`));
  lnet.router.adjust({ ...(tiny >= 0 ? { tiny } : {}), ...(small >= 0 ? { small } : {}), ...(large >= 0 ? { large } : {}) });
}

export function registerRouteOps(r: OpRegistry): void {
  r.add('route.add', (ctx, a) => routeAdd(ctx.module, a));
  r.add('route.del', (ctx, a) => routeDel(ctx.module, a));
  r.add('route.show', (ctx, a) => routeShow(ctx.module, a), false);
  r.add('routing.show', (ctx) => routingShow(ctx.module), false);
  // Raw routes for lctl route_list: net, hops, gateway, alive, priority.
  r.add(
    'routes.list',
    (ctx) =>
      ctx.module.requireLNet().routes.list().map((x) => ({
        net: formatNetText(x.net),
        hops: x.hops,
        gateway: formatNid(x.gateway),
        alive: x.alive,
        priority: x.priority,
      })),
    false,
  );
  r.add('routing.set', (ctx, a) => setRouting(ctx.module, a));
  r.add('buffers.set', (ctx, a) => setBuffers(ctx.module, a));
}
