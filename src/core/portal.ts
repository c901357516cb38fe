import { LNetError } from '../errors.js';
import { nidEquals, nidIsAny, type Nid } from '../nid/nid.js';
import { LNET_PID_ANY } from '../nid/process-id.js';
import { InsPos, MatchResult, MAX_PORTALS, MdOption } from './constants.js';
import type { LibMd } from './md.js';
import type { Me } from './me.js';
import type { LNetMsg } from './msg.js';

/** `struct lnet_match_info`: what an incoming PUT or GET asks for. */
export interface MatchInfo {
  /** The initiator (primary NID) and source pid. */
  nid: Nid;
  pid: number;
  /** MdOption.OP_PUT or OP_GET. */
  opc: number;
  portal: number;
  rlength: number;
  roffset: number;
  mbitsLo: number;
  mbitsHi: number;
}

type PortalType = 'unset' | 'unique' | 'wildcard';

/** `struct lnet_portal`, with one match table (the userspace stack has one CPT of matching). */
export class Portal {
  type: PortalType = 'unset';
  lazy = false;
  /** MEs with ignore bits: tried first (LNET_MT_HASH_IGNORE). */
  readonly ignoreList: Me[] = [];
  /** MEs without ignore bits, in list order. */
  readonly exactList: Me[] = [];
  /** PUTs waiting on a lazy portal, in arrival order. */
  readonly delayed: LNetMsg[] = [];

  constructor(readonly index: number) {}
}

export type AttachFn = (msg: LNetMsg, md: LibMd, offset: number, mlength: number) => void;

/** The portal table and the kernel's matching rules (lib-ptl.c). */
export class PortalTable {
  readonly portals: Portal[] = Array.from({ length: MAX_PORTALS }, (_, i) => new Portal(i));

  get(index: number): Portal | undefined {
    return Number.isInteger(index) && index >= 0 && index < MAX_PORTALS ? this.portals[index] : undefined;
  }

  /**
   * lnet_ptl_match_type: the first ME fixes a portal as unique (specific NID and pid, no
   * ignore bits) or wildcard; an ME of the other kind is refused with EPERM.
   */
  checkMatchType(portal: Portal, nid: Nid, pid: number, ignoreLo: number, ignoreHi: number): void {
    const unique = (ignoreLo | ignoreHi) === 0 && !nidIsAny(nid) && pid >>> 0 !== LNET_PID_ANY;
    if (portal.type === 'unset') portal.type = unique ? 'unique' : 'wildcard';
    else if ((portal.type === 'unique') !== unique)
      throw new LNetError(
        'EPERM',
        `portal ${portal.index} is ${portal.type}; a ${unique ? 'unique' : 'wildcard'} ME cannot be attached to it`,
      );
  }

  insertMe(portal: Portal, me: Me, pos: InsPos): void {
    const list = me.hasIgnoreBits ? portal.ignoreList : portal.exactList;
    if (pos === InsPos.BEFORE) list.unshift(me);
    else list.push(me);
  }

  removeMe(me: Me): void {
    const portal = this.portals[me.portal]!;
    const list = me.hasIgnoreBits ? portal.ignoreList : portal.exactList;
    const i = list.indexOf(me);
    if (i >= 0) list.splice(i, 1);
    me.unlinked = true;
  }

  /**
   * lnet_try_match_md: NONE if this MD does not take the message (exhausted, wrong op,
   * bits/pid/nid mismatch); DROP if it matches but the message is too long and the MD has no
   * TRUNCATE (matching stops there, as in the kernel); OK after attaching.
   */
  tryMatchMd(md: LibMd, me: Me, info: MatchInfo, msg: LNetMsg, attach: AttachFn): MatchResult {
    if (md.exhausted()) return MatchResult.NONE;
    if ((md.options & info.opc) === 0) return MatchResult.NONE;
    if (!me.bitsMatch(info.mbitsLo, info.mbitsHi)) return MatchResult.NONE;
    if (me.matchId.pid >>> 0 !== LNET_PID_ANY && me.matchId.pid >>> 0 !== info.pid >>> 0) return MatchResult.NONE;
    if (!nidIsAny(me.matchId.nid) && !nidEquals(me.matchId.nid, info.nid)) return MatchResult.NONE;

    const offset = (md.options & MdOption.MANAGE_REMOTE) === 0 ? md.offset : info.roffset;
    let mlength = (md.options & MdOption.MAX_SIZE) !== 0 ? md.maxSize : md.length - offset;
    if (mlength < 0) mlength = 0; // a remote offset past the end leaves no room
    if (info.rlength <= mlength) mlength = info.rlength;
    else if ((md.options & MdOption.TRUNCATE) === 0) return MatchResult.DROP;

    attach(msg, md, offset, mlength);
    md.offset = offset + mlength;
    return MatchResult.OK;
  }

  /**
   * lnet_mt_match_md over one portal: MEs with ignore bits first, then the exact ones, each
   * in list order; MEs without an MD are skipped. Returns OK, DROP, or NONE (no MD took it:
   * the caller drops it, or delays a PUT on a lazy portal).
   */
  matchMd(portal: Portal, info: MatchInfo, msg: LNetMsg, attach: AttachFn): MatchResult {
    const rc = this.matchList(portal.ignoreList, info, msg, attach);
    return rc !== MatchResult.NONE ? rc : this.matchList(portal.exactList, info, msg, attach);
  }

  private matchList(list: readonly Me[], info: MatchInfo, msg: LNetMsg, attach: AttachFn): MatchResult {
    for (let i = 0; i < list.length; i++) {
      const me = list[i]!;
      const md = me.md;
      if (!md) continue;
      const rc = this.tryMatchMd(md, me, info, msg, attach);
      if (rc !== MatchResult.NONE) return rc;
    }
    return MatchResult.NONE;
  }
}
