/**
 * Peers (LNET_CMD_PEERS): `lnetctl peer add|del|set|show|list`. lnetctl's peer display path
 * swallows the kernel's message, so failures are silent with exit 234 (05-cli-behaviours.txt).
 */
import { LNetError } from '../../errors.js';
import { nidKey } from '../../nid/nid.js';
import { PeerState } from '../../core/peer.js';
import { expandNidRangeText } from '../../nid/nid-range.js';
import { formatNid, tryParseNid } from '../../nid/nid-string.js';
import { silentError } from '../docs/error-docs.js';
import { buildPeerList, buildPeerShow } from '../docs/peer-show.js';
import { udspInfoSource } from '../show.js';
import type { LNetModule } from '../lnet-module.js';
import { optBool, optInt, optStr, optStrs, type Args } from './args.js';
import type { OpRegistry } from './registry.js';

/** LNET_MAX_NIDS_PER_PEER: lnetctl refuses longer expansions. */
const LNET_MAX_NIDS_PER_PEER = 128;

function silent(e: unknown): never {
  if (e instanceof LNetError) throw silentError(e.code, e.message.replace(/^[A-Z0-9]+: /, ''));
  throw e;
}

/** lustre_lnet_parse_nid_range over each comma-separated element. */
function expandNids(lists: readonly string[]): string[] {
  const out: string[] = [];
  for (const list of lists)
    for (const part of splitTopLevel(list)) {
      try {
        out.push(...expandNidRangeText(part, LNET_MAX_NIDS_PER_PEER + 1, { flavor: 'userspace' }).map(formatNid));
      } catch (e) {
        silent(e);
      }
    }
  if (out.length > LNET_MAX_NIDS_PER_PEER) throw silentError('E2BIG', 'Unable to parse nidlist: specifies more NIDs than allowed');
  return out;
}

/** Comma-separated NID ranges; commas inside [...] belong to the range. */
function splitTopLevel(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of list) {
    if (c === '[') depth++;
    else if (c === ']') depth--;
    if (c === ',' && depth <= 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

function peerAdd(m: LNetModule, a: Args): void {
  const lnet = m.requireLNet();
  const prim = optStr(a, 'primNid');
  if (prim === undefined) throw silentError('EINVAL', 'missing primary NID');
  if (!tryParseNid(prim, { flavor: 'userspace' })) throw silentError('EINVAL', `cannot parse primary NID ${prim}`);
  const nids = expandNids(optStrs(a, 'nids') ?? []);
  // Re-creating a peer as configured deletes the old one first (lnet_peer_add), and a router's
  // peer cannot be deleted while routes use it (EBUSY).
  for (const text of [prim, ...nids]) {
    const owner = lnet.core.peerTable.get(nidKey(tryParseNid(text, { flavor: 'userspace' })!));
    if (owner && !(owner.state & PeerState.CONFIGURED) && owner.nids.some((n) => lnet.routes.isGateway(n)))
      throw silentError('EBUSY', `${formatNid(owner.primaryNid)} is a router`);
  }
  try {
    lnet.discovery.add({ primNid: prim, nids, nonMr: optBool(a, 'nonMr'), lockPrim: optBool(a, 'lockPrim') });
  } catch (e) {
    silent(e);
  }
}

function peerDel(m: LNetModule, a: Args): void {
  const lnet = m.requireLNet();
  const prim = optStr(a, 'primNid');
  if (prim === undefined) throw silentError('EINVAL', 'missing primary NID');
  const primNid = tryParseNid(prim, { flavor: 'userspace' });
  if (!primNid) throw silentError('EINVAL', `cannot parse primary NID ${prim}`);
  // A router's peer cannot go while routes use it (lnet_del_peer: "is a router").
  const peer = lnet.core.peerTable.get(nidKey(primNid));
  if (peer && peer.nids.some((n) => lnet.routes.isGateway(n))) throw silentError('EBUSY', `${prim} is a router`);
  let nids = expandNids(optStrs(a, 'nids') ?? []);
  const force = optBool(a, 'force');
  // A locked primary NID stays without --force: the rest of the peer goes (lnet_del_peer_ni).
  if (peer && !force && peer.state & PeerState.LOCK_PRIMARY && nidKey(peer.primaryNid) === nidKey(primNid)) {
    const all = nids.length === 0 ? peer.nids.map(formatNid) : nids;
    nids = all.filter((n) => n !== formatNid(primNid));
    if (nids.length === 0) return;
  }
  try {
    lnet.discovery.del({ primNid: prim, nids, force });
  } catch (e) {
    silent(e);
  }
}

/** `peer set --health V --nid N | --all`, and the debug-only `--state S` (lp_state bits). */
function peerSet(m: LNetModule, a: Args): void {
  const lnet = m.requireLNet();
  const nidText = optStr(a, 'nid');
  const all = optBool(a, 'all');
  const health = optInt(a, 'health');
  const state = optInt(a, 'state');
  const nid = nidText === undefined ? undefined : tryParseNid(nidText, { flavor: 'userspace' });
  if (nidText !== undefined && !nid) throw silentError('EINVAL', `cannot parse NID ${nidText}`);
  if (state !== undefined && state > -1) {
    if (!nid) throw silentError('EINVAL', 'peer set --state needs --nid');
    const peer = lnet.core.peerTable.get(nidKey(nid));
    if (!peer) throw silentError('ENOENT', 'cannot find peer');
    peer.state = state >>> 0;
    return;
  }
  if (health === undefined || health < 0) return;
  try {
    if (all) lnet.setPeerNiHealth(health);
    else if (nid) lnet.setPeerNiHealth(health, nid);
    else throw new LNetError('EINVAL', 'peer set needs --nid or --all');
  } catch (e) {
    silent(e);
  }
}

function peerShow(m: LNetModule, a: Args): unknown {
  const lnet = m.lnet;
  if (!lnet || !m.running) throw silentError('ENETDOWN', 'Network is down');
  const nid = optStr(a, 'nid');
  return buildPeerShow(lnet, {
    ...(nid !== undefined ? { nid } : {}),
    verbose: optInt(a, 'verbose') ?? 0,
    routes: lnet.routes.list(),
    routingState: lnet.router.state,
    udspInfo: udspInfoSource(lnet),
  });
}

/** `peer list`: the primary NIDs. */
function peerList(m: LNetModule): unknown {
  const lnet = m.lnet;
  if (!lnet || !m.running) throw silentError('ENETDOWN', 'Network is down');
  return buildPeerList(lnet, { routes: lnet.routes.list() });
}

export function registerPeerOps(r: OpRegistry): void {
  r.add('peer.add', (ctx, a) => peerAdd(ctx.module, a));
  r.add('peer.del', (ctx, a) => peerDel(ctx.module, a));
  r.add('peer.set', (ctx, a) => peerSet(ctx.module, a));
  r.add('peer.show', (ctx, a) => peerShow(ctx.module, a), false);
  r.add('peer.list', (ctx) => peerList(ctx.module), false);
}
