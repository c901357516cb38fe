/** `lnetctl set <param> <value>`, `global show`, `stats show|reset` (lnetctl.c jt_set_*, jt_show_global, jt_show_stats). */
import { parseLong } from '../getopt.js';
import type { Ctx } from './context.js';
import { GLOBAL_HELP, SET_HELP, STATS_HELP } from './help-texts.js';
import { checkCmd } from './util.js';
import type { Handler } from './commands.js';

/** Each `set` word: how its value is sent, and lnetctl's message when the value does not parse. */
const SETTERS: Record<string, { what: string; send: (v: number) => [op: string, args: Record<string, unknown>]; helpName?: string }> = {
  tiny_buffers: { what: 'tiny_buffers', send: (v) => ['buffers.set', { tiny: v }] },
  small_buffers: { what: 'small_buffers', send: (v) => ['buffers.set', { small: v }] },
  large_buffers: { what: 'large_buffers', send: (v) => ['buffers.set', { large: v }] },
  numa_range: { what: 'numa_range', send: (v) => ['global.set', { name: 'numa_range', value: v }] },
  max_interfaces: { what: 'max_interfaces', send: (v) => ['global.set', { name: 'max_interfaces', value: v }] },
  discovery: { what: 'discovery', send: (v) => ['global.set', { name: 'discovery', value: v }] },
  drop_asym_route: { what: 'drop_asym_route', send: (v) => ['global.set', { name: 'drop_asym_route', value: v }] },
  retry_count: { what: 'retry_count', send: (v) => ['global.set', { name: 'retry_count', value: v }] },
  transaction_timeout: { what: 'transaction timeout', send: (v) => ['global.set', { name: 'transaction_timeout', value: v }] },
  health_sensitivity: { what: 'health sensitivity', send: (v) => ['global.set', { name: 'health_sensitivity', value: v }] },
  recovery_interval: { what: 'recovery interval', send: (v) => ['global.set', { name: 'recovery_interval', value: v }] },
  router_sensitivity: { what: 'router sensitivity', send: (v) => ['global.set', { name: 'router_sensitivity', value: v }] },
  response_tracking: { what: 'response_tracking', send: (v) => ['global.set', { name: 'response_tracking', value: v }] },
  recovery_limit: { what: 'recovery_limit', send: (v) => ['global.set', { name: 'recovery_limit', value: v }] },
  max_recovery_ping_interval: {
    what: 'maximum recovery interval',
    send: (v) => ['global.set', { name: 'max_recovery_ping_interval', value: v }],
    helpName: 'maximum recovery_interval',
  },
  routing: { what: 'routing', send: (v) => ['routing.set', { enable: v === 1 }] },
};

function setter(name: string): Handler {
  const s = SETTERS[name]!;
  return async (ctx, argv) => {
    const rc0 = checkCmd(ctx, SET_HELP, 'set', s.helpName ?? name, 2, argv);
    if (rc0) return rc0;
    const v = parseLong(argv[1]);
    if (v === undefined || (name === 'routing' && v !== 0 && v !== 1)) {
      const text = name === 'routing' ? 'cannot parse routing value.\nmust be 0 for disable or 1 for enable' : `cannot parse ${s.what} value`;
      ctx.cyamlError('parser', 'set', -1, text);
      return -1;
    }
    const [op, args] = s.send(v);
    try {
      await ctx.call(op, args);
      return 0;
    } catch (e) {
      return ctx.fail(e, 'add', name);
    }
  };
}

export const SET_COMMANDS: Record<string, Handler> = Object.fromEntries(Object.keys(SETTERS).map((n) => [n, setter(n)]));

export async function globalShow(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, GLOBAL_HELP, 'global', 'show', 0, argv);
  if (rc0) return rc0;
  try {
    ctx.print(await ctx.call('global.show'));
    return 0;
  } catch (e) {
    return ctx.fail(e, 'show', 'global');
  }
}

export async function statsShow(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, STATS_HELP, 'stats', 'show', 0, argv);
  if (rc0) return rc0;
  try {
    ctx.print(await ctx.call('stats.show'));
    return 0;
  } catch (e) {
    return ctx.fail(e, 'show', 'statistics');
  }
}

export async function statsReset(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, STATS_HELP, 'stats', 'reset', 0, argv);
  if (rc0) return rc0;
  try {
    await ctx.call('stats.reset');
    return 0;
  } catch (e) {
    return ctx.fail(e, 'show', 'statistics');
  }
}
