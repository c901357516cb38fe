/** `lnetctl peer add|del|show|list|set` (lnetctl.c jt_peer_nid_common, jt_show_peer, jt_list_peer). */
import { verboseLevel } from '../getopt.js';
import type { Ctx } from './context.js';
import { setValue } from './cmd-net.js';
import { PEER_HELP } from './help-texts.js';
import { checkCmd, flag, getopt, opt, printHelp, req } from './util.js';

async function peerNidCommon(ctx: Ctx, argv: string[], cmd: 'add' | 'del'): Promise<number> {
  const rc0 = checkCmd(ctx, PEER_HELP, 'peer', cmd, 2, argv);
  if (rc0) return rc0;
  const r = getopt(ctx, argv, 'k:m:n:f:l', [req('prim_nid', 'k'), flag('non_mr', 'm'), req('nid', 'n'), flag('force', 'f'), flag('lock_prim', 'l')]);
  let prim: string | undefined;
  let nids: string | undefined;
  let nonMr = false;
  let force = false;
  for (const o of r.opts) {
    switch (o.opt) {
      case 'k':
        prim = o.arg;
        break;
      case 'n':
        nids = o.arg;
        break;
      case 'm':
        if (cmd === 'del') return ctx.cyamlError('peer', 'del', -22, "Unrecognized option '-m'");
        nonMr = true;
        break;
      case 'f':
      case 'l':
        force = true;
        break;
      default:
        printHelp(ctx.io, PEER_HELP, 'peer', cmd);
        return 0;
    }
  }
  // A primary NID that is a range, not one NID, fails before anything is sent (rc -1).
  if (prim !== undefined && /[[*]/.test(prim)) return -1;
  try {
    await ctx.call(cmd === 'add' ? 'peer.add' : 'peer.del', {
      ...(prim !== undefined ? { primNid: prim } : {}),
      ...(nids !== undefined ? { nids: [nids] } : {}),
      ...(cmd === 'add' ? { nonMr, lockPrim: force } : { force }),
    });
    return 0;
  } catch (e) {
    return ctx.fail(e, cmd, 'peer');
  }
}

export const peerAdd = (ctx: Ctx, argv: string[]): Promise<number> => peerNidCommon(ctx, argv, 'add');
export const peerDel = (ctx: Ctx, argv: string[]): Promise<number> => peerNidCommon(ctx, argv, 'del');

export async function peerShow(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, PEER_HELP, 'peer', 'show', 1, argv);
  if (rc0) return rc0;
  const r = getopt(ctx, argv, 'hn:v::', [flag('help', 'h'), req('nid', 'n'), opt('verbose', 'v')], ['v']);
  let nid: string | undefined;
  let verbose = 0;
  for (const o of r.opts) {
    if (o.opt === 'n') nid = o.arg;
    else if (o.opt === 'v') verbose = verboseLevel(o);
    else {
      printHelp(ctx.io, PEER_HELP, 'peer', 'show');
      return 0;
    }
  }
  try {
    ctx.print(await ctx.call('peer.show', { ...(nid !== undefined ? { nid } : {}), verbose }));
    return 0;
  } catch (e) {
    return ctx.fail(e, 'show', 'peer');
  }
}

export async function peerList(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, PEER_HELP, 'peer', 'list', 0, argv);
  if (rc0) return rc0;
  try {
    ctx.print(await ctx.call('peer.list'));
    return 0;
  } catch (e) {
    return ctx.fail(e, 'show', 'peer');
  }
}

export async function peerSet(ctx: Ctx, argv: string[]): Promise<number> {
  const rc0 = checkCmd(ctx, PEER_HELP, 'peer', 'set', 0, argv);
  if (rc0) return rc0;
  return setValue(ctx, argv, 'peer');
}
