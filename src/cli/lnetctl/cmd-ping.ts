/** `lnetctl ping` and `lnetctl discover` (lnetctl.c jt_ping, jt_discover, yaml_lnet_ping). */
import { tryParseNid } from '../../nid/nid-string.js';
import type { Ctx } from './context.js';
import { flag, getopt, req } from './util.js';

interface PingReply {
  document: unknown;
  exitCode: number;
}

async function run(ctx: Ctx, kind: 'ping' | 'discover', args: Record<string, unknown>): Promise<number> {
  try {
    const r = await ctx.call<PingReply>(kind, args);
    ctx.print(r.document);
    return r.exitCode === 0 ? 0 : -1;
  } catch (e) {
    return ctx.fail(e, 'manage', kind);
  }
}

export async function ping(ctx: Ctx, argv: string[]): Promise<number> {
  const r = getopt(ctx, argv, 'hs:t:', [flag('help', 'h'), req('timeout', 't'), req('source', 's')]);
  let timeoutMs = 1000;
  let source: string | undefined;
  for (const o of r.opts) {
    if (o.opt === 's') {
      source = o.arg;
      if (!tryParseNid(o.arg!, { flavor: 'userspace' })) return -22;
    } else if (o.opt === 't') timeoutMs = 1000 * (Number.parseInt(o.arg!, 10) || 0);
    else if (o.opt === 'h') {
      ctx.io.out('ping nid[,nid,...]\n\t --source: source nid\n\t --timeout: ping timeout\n\t --help: display this help\n');
      return 0;
    } else return 0;
  }
  return run(ctx, 'ping', { nids: r.operands, timeoutMs, ...(source !== undefined ? { source } : {}) });
}

export async function discover(ctx: Ctx, argv: string[]): Promise<number> {
  const r = getopt(ctx, argv, 'fh', [flag('force', 'f'), flag('help', 'h')]);
  let force = false;
  for (const o of r.opts) {
    if (o.opt === 'f') force = true;
    else if (o.opt === 'h') {
      ctx.io.out('discover nid[,nid,...]\n\t --force: force discovery\n\t --help: display this help\n');
      return 0;
    } else return 0;
  }
  if (r.operands.length === 0) {
    ctx.io.out('Missing nid argument\n');
    return -1;
  }
  return run(ctx, 'discover', { nids: r.operands, force });
}
