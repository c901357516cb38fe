/** `lnetctl route add|del|show` and `routing show` (lnetctl.c jt_add_route, jt_del_route, jt_show_route, jt_show_routing). */
import { parseLong } from '../getopt.js';
import type { Ctx } from './context.js';
import { ROUTE_HELP, ROUTING_HELP } from './help-texts.js';
import { checkCmd, flag, getopt, printHelp, req } from './util.js';

const HOP_OPTS = [req('hop', 'c'), req('hop-count', 'c')];

/** yaml_lnet_route's own check before anything is sent. */
function missing(ctx: Ctx, net: string | undefined, gw: string | undefined): number | undefined {
  if (net !== undefined && gw !== undefined) return undefined;
  ctx.io.out(`missing mandatory parameters:'${net === undefined && gw === undefined ? 'net , gateway' : net === undefined ? 'net' : 'gateway'}'\n`);
  return -22;
}

export async function routeAdd(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, ROUTE_HELP, 'route', 'add', 0, argv);
  if (rc0) return rc0;
  const r = getopt(ctx, argv, 'n:g:c:p:', [req('net', 'n'), req('gateway', 'g'), ...HOP_OPTS, req('priority', 'p'), req('health_sensitivity', 'H')]);
  let net: string | undefined;
  let gw: string | undefined;
  let hop = -1;
  let prio = -1;
  for (const o of r.opts) {
    if (o.opt === 'n') net = o.arg;
    else if (o.opt === 'g') gw = o.arg;
    // Values that do not parse are ignored, as lnetctl does.
    else if (o.opt === 'c') hop = parseLong(o.arg) ?? -1;
    else if (o.opt === 'p') prio = parseLong(o.arg) ?? -1;
    else if (o.opt === 'H') continue;
    else {
      printHelp(ctx.io, ROUTE_HELP, 'route', 'add');
      return 0;
    }
  }
  const m = missing(ctx, net, gw);
  if (m !== undefined) return m;
  try {
    await ctx.call('route.add', { net, gateway: gw, ...(hop !== -1 ? { hop } : {}), ...(prio !== -1 ? { priority: prio } : {}) });
    return 0;
  } catch (e) {
    return ctx.fail(e, 'add', 'route');
  }
}

export async function routeDel(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, ROUTE_HELP, 'route', 'del', 0, argv);
  if (rc0) return rc0;
  const r = getopt(ctx, argv, 'n:g:', [req('net', 'n'), req('gateway', 'g')]);
  let net: string | undefined;
  let gw: string | undefined;
  for (const o of r.opts) {
    if (o.opt === 'n') net = o.arg;
    else if (o.opt === 'g') gw = o.arg;
    else {
      printHelp(ctx.io, ROUTE_HELP, 'route', 'del');
      return 0;
    }
  }
  const m = missing(ctx, net, gw);
  if (m !== undefined) return m;
  try {
    await ctx.call('route.del', { net, gateway: gw });
    return 0;
  } catch (e) {
    return ctx.fail(e, 'del', 'route');
  }
}

export async function routeShow(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, ROUTE_HELP, 'route', 'show', 0, argv);
  if (rc0) return rc0;
  const r = getopt(ctx, argv, 'c:n:g:p:v', [req('net', 'n'), req('gateway', 'g'), ...HOP_OPTS, req('priority', 'p'), flag('verbose', 'v')]);
  const args: Record<string, unknown> = {};
  for (const o of r.opts) {
    if (o.opt === 'n') args.net = o.arg;
    else if (o.opt === 'g') args.gateway = o.arg;
    else if (o.opt === 'c') args.hop = parseLong(o.arg) ?? -1;
    else if (o.opt === 'p') args.priority = parseLong(o.arg) ?? -1;
    else if (o.opt === 'v') args.verbose = true;
    else {
      printHelp(ctx.io, ROUTE_HELP, 'route', 'show');
      return 0;
    }
  }
  try {
    ctx.print(await ctx.call('route.show', args));
    return 0;
  } catch (e) {
    return ctx.fail(e, 'show', 'route');
  }
}

export async function routingShow(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, ROUTING_HELP, 'routing', 'show', 0, argv);
  if (rc0) return rc0;
  try {
    ctx.print(await ctx.call('routing.show'));
    return 0;
  } catch (e) {
    return ctx.fail(e, 'show', 'routing');
  }
}
