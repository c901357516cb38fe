import { LNetError } from './errors.js';
import { Errno, errnoName } from './errno.js';
import { MdOption } from './core/constants.js';
import { Peer, PeerState } from './core/peer.js';
import { isDiscoveryDisabled, isUptodate, needsPing, needsPush } from './core/peer-state.js';
import type { LNetEvent } from './core/event.js';
import type { LNetMsg } from './core/msg.js';
import type { LNet, Target } from './lnet.js';
import { LNET_ANY_NID, nidEquals, nidIsAny, nidIsLo0, nidKey, nidNet, type Nid } from './nid/nid.js';
import { formatNid, parseNid } from './nid/nid-string.js';
import { expandNidRangeText } from './nid/nid-range.js';
import { LNET_PID_LUSTRE } from './nid/process-id.js';
import { decodePingInfo, LNET_PING_INFO_MIN_SIZE, NiStatus, PingFeature, pingPrimaryNid, type DecodedPingInfo } from './wire/ping-buffer.js';
import { WireError } from './wire/wire-error.js';

const PING_MATCHBITS = 0x8000000000000000n;

/** One entry of a ping buffer, 0@lo left out: what a peer says of one of its NIDs. */
interface PingEntry {
  nid: Nid;
  status: number;
}

/** Why a ping reply or push was refused (counted in `Discovery.rejected`). */
export type RejectReason = WireError['reason'] | 'duplicate-nid' | 'not-multi-rail' | 'no-nids' | 'lo-nid';

/**
 * Discovery (peer.c): the kernel's per-peer state machine. A peer queued for discovery is
 * worked on until it is up to date: data that arrived (a ping REPLY or a push) is merged, a
 * failed ping or push ends it with that error, a ping is sent when its NIDs are not known, a
 * push when it is Multi-Rail and has not acknowledged our current ping buffer; then it is
 * DISCOVERED and the messages held for it (first sends, see LNetCore.send) go out.
 *
 * Also: `discover()` (lnetctl discover, `--force`), the push receiver, pushes to every MR
 * peer when our ping buffer changes, `setEnabled()` (lnetctl set discovery), configured
 * peers (`add`/`del`, lnetctl peer add/del), and refusal of malformed ping/push buffers.
 */
export class Discovery {
  /** Peers being worked on, and how their discovery ended (0 or a negative errno). */
  private readonly runs = new Map<Peer, Promise<number>>();
  /** lp_data: the buffer a REPLY or push brought, until merged. */
  private readonly data = new WeakMap<Peer, DecodedPingInfo>();
  /** lp_ping_error / lp_push_error */
  private readonly pingError = new WeakMap<Peer, number>();
  private readonly pushError = new WeakMap<Peer, number>();
  /** lp_disc_src_nid / lp_disc_dst_nid: the NIDs the ping REPLY travelled between. */
  private readonly discNids = new WeakMap<Peer, { src: Nid; dst: Nid }>();
  /** Malformed or hostile ping replies and pushes refused, by reason. */
  readonly rejected: Partial<Record<RejectReason, number>> = {};
  private readonly loggedOnce = new Set<string>();

  constructor(private readonly lnet: LNet) {
    const core = lnet.core;
    core.pushTarget.onPush = (data, ev) => this.onPush(data, ev);
    core.discoveryHook = {
      start: (peer) => this.startNonBlocking(peer),
      ourSeqno: () => core.pingTarget.seqno,
      disabled: () => this.disabled,
    };
    core.onPingBufferChanged = () => this.pushUpdateToPeers(true);
  }

  private get core() {
    return this.lnet.core;
  }

  /** lnet_peer_discovery_disabled (module parameter) or `lnetctl set discovery 0`. */
  get disabled(): boolean {
    const p = this.core.params;
    return p.discovery === 0 || p.lnet_peer_discovery_disabled !== 0;
  }

  /**
   * `lnetctl set discovery 0|1` (api-ni.c discovery_set): flip the DISCOVERY feature of our
   * ping buffer; turning it off pushes the buffer to every MR peer so they stop discovering us.
   */
  setEnabled(on: boolean): void {
    const wasDisabled = this.disabled;
    if (wasDisabled === !on) return;
    this.core.params.discovery = on ? 1 : 0;
    this.core.params.lnet_peer_discovery_disabled = on ? 0 : 1;
    if (this.core.state !== 'running') return;
    this.core.pingTarget.refreshStatus();
    if (!on) this.pushUpdateToPeers(true, true);
  }

  peer(nid: Nid): Peer | undefined {
    return this.core.peerTab.peer(nid);
  }

  /** Every peer once. */
  list(): Peer[] {
    return this.core.peerTab.list();
  }

  // ------------------------------------------------------------ lnetctl discover

  /**
   * `lnetctl discover [--force] NID` (api-ni.c lnet_discover): mark the peer's NIDs stale (and
   * with force, ping and push it whatever its state), wait for discovery, and return the peer
   * the NID belongs to then (discovery may have merged it into another). Rejects with the
   * discovery error (EHOSTUNREACH, ETIMEDOUT, EPROTO …).
   */
  async discover(target: Target, opts: { timeoutMs?: number; force?: boolean } = {}): Promise<Peer> {
    const id = this.lnet.parseTarget(target);
    if (nidIsAny(id.nid)) throw new LNetError('EINVAL', 'cannot discover LNET_NID_ANY');
    if (this.core.state !== 'running') throw new LNetError('ESHUTDOWN', 'LNet is not running');
    const peerOf = (): Peer => this.core.peerNiFor(id.nid).peerNet.peer;
    let peer = peerOf();
    peer.state &= ~PeerState.NIDS_UPTODATE;
    if (opts.force) peer.state |= PeerState.FORCE_PING | PeerState.FORCE_PUSH;
    const deadline = opts.timeoutMs !== undefined ? performance.now() + opts.timeoutMs : undefined;
    // lnet_discover_peer_locked(block = true)
    if (!(peer.state & PeerState.DISCOVERING)) peer.dcError = 0;
    let count = 0;
    for (;;) {
      peer = peerOf();
      if (this.core.state !== 'running') throw new LNetError('ESHUTDOWN', 'LNet shut down during discovery');
      if (isDiscoveryDisabled(peer, this.disabled) && count > 0) break;
      if (peer.dcError) break;
      if (isUptodate(peer, this.core.pingTarget.seqno, this.disabled)) break;
      if (peer.state & PeerState.MARK_DELETED) break;
      count++;
      const run = this.queue(peer);
      if (deadline === undefined) await run;
      else if (!(await within(run, deadline - performance.now())))
        throw new LNetError('ETIMEDOUT', `discovery of ${formatNid(id.nid)} did not complete in ${opts.timeoutMs} ms`);
    }
    peer = peerOf();
    if (peer.dcError) {
      const name = errnoName(peer.dcError) ?? 'EIO';
      throw new LNetError(name, `discovery of ${formatNid(id.nid)} failed: ${name}`);
    }
    return peer;
  }

  /**
   * lnet_discover_peer_locked(block = false), for the send path: queue the peer unless it is
   * up to date or its discovery just failed; returns that failure (negative errno) or 0.
   */
  private startNonBlocking(peer: Peer): number {
    if (!(peer.state & PeerState.DISCOVERING)) peer.dcError = 0;
    if (peer.dcError) return peer.dcError;
    if (isUptodate(peer, this.core.pingTarget.seqno, this.disabled)) return 0;
    if (peer.state & PeerState.MARK_DELETED) return 0;
    void this.queue(peer);
    return 0;
  }

  // ------------------------------------------------------------ the state machine

  /** lnet_peer_queue_for_discovery: mark DISCOVERING and make sure the peer is worked on. */
  private queue(peer: Peer): Promise<number> {
    peer.state |= PeerState.DISCOVERING;
    let run = this.runs.get(peer);
    if (!run) {
      // Registered before it starts: the run goes as far as it can synchronously (a push is
      // answered by our push before the ACK leaves, as kernel B does in 02-ping-discover).
      let done!: (rc: number) => void;
      run = new Promise<number>((r) => (done = r));
      this.runs.set(peer, run);
      void this.run(peer).then(done);
    }
    return run;
  }

  /** The discovery thread's loop for one peer (lnet_peer_discovery). Resolves with rc. */
  private async run(peer: Peer): Promise<number> {
    let rc = 0;
    try {
      for (;;) {
        if (this.core.state !== 'running') {
          rc = -Errno.ESHUTDOWN;
          break;
        }
        // Merged into another peer: that one carries on with the held messages.
        if (peer.removed) break;
        const s = peer.state;
        if (s & (PeerState.MARK_DELETION | PeerState.MARK_DELETED)) {
          this.deletion(peer);
          break;
        } else if (s & PeerState.DATA_PRESENT) {
          rc = this.dataPresent(peer);
          if (rc < 0) break;
        } else if (s & PeerState.PING_FAILED) {
          rc = this.pingFailed(peer);
          if (rc < 0) break;
        } else if (s & PeerState.PUSH_FAILED) {
          rc = this.pushFailed(peer);
          if (rc < 0) break;
        } else if (needsPing(peer)) {
          rc = await this.sendPing(peer);
          if (rc < 0) break;
        } else if (needsPush(peer, this.core.pingTarget.seqno, this.disabled)) {
          rc = await this.sendPush(peer);
          if (rc < 0) break;
        } else {
          this.discovered(peer);
          rc = 0;
          break;
        }
        rc = 0;
      }
    } catch (e) {
      rc = errnoOf(e);
    } finally {
      this.runs.delete(peer);
      this.complete(peer, rc);
    }
    return rc;
  }

  /** lnet_peer_discovered */
  private discovered(peer: Peer): void {
    peer.state |= PeerState.DISCOVERED;
    peer.state &= ~(PeerState.DISCOVERING | PeerState.REDISCOVER);
    peer.dcError = 0;
  }

  /** lnet_peer_discovery_complete: release (or fail) the messages held for the peer. */
  private complete(peer: Peer, rc: number): void {
    peer.state &= ~PeerState.DISCOVERING;
    if (rc) {
      peer.dcError = rc;
      peer.state |= PeerState.REDISCOVER;
    }
    const held = peer.pending.splice(0);
    if (held.length) this.core.releaseHeld(held, rc);
  }

  /** lnet_peer_deletion, as far as a userspace table needs it: the peer goes, NIDs re-learnt. */
  private deletion(peer: Peer): void {
    const held = peer.pending.splice(0);
    this.core.peerTab.removePeer(peer);
    peer.state = (peer.state & ~PeerState.MARK_DELETION) | PeerState.MARK_DELETED;
    // Held messages start over: a fresh peer is created for their NID.
    if (held.length) this.core.releaseHeld(held, 0);
  }

  /** lnet_peer_ping_failed: the error ends discovery; FORCE_PING makes the next one ping. */
  private pingFailed(peer: Peer): number {
    peer.state &= ~PeerState.PING_FAILED;
    peer.state |= PeerState.FORCE_PING;
    const rc = this.pingError.get(peer) ?? 0;
    this.pingError.delete(peer);
    return rc || 0;
  }

  /** lnet_peer_push_failed */
  private pushFailed(peer: Peer): number {
    peer.state &= ~PeerState.PUSH_FAILED;
    const rc = this.pushError.get(peer) ?? 0;
    this.pushError.delete(peer);
    return rc || 0;
  }

  /** lnet_peer_send_ping + lnet_discovery_event_reply / _send / _unlink. */
  private async sendPing(peer: Peer): Promise<number> {
    peer.state |= PeerState.PING_SENT;
    peer.state &= ~PeerState.FORCE_PING;
    const to = { nid: peer.primaryNid, pid: LNET_PID_LUSTRE };
    let reply;
    try {
      reply = await this.lnet.getAsync({
        target: to,
        portal: 0,
        matchBits: PING_MATCHBITS,
        sink: Math.max(peer.dataBytes, LNET_PING_INFO_MIN_SIZE),
        // Bounded by the response tracker (transaction_timeout), as the kernel's.
        mdOptions: MdOption.TRACK_RESPONSE,
      });
    } catch (e) {
      peer.state &= ~PeerState.PING_SENT;
      peer.state |= PeerState.PING_FAILED;
      this.pingError.set(peer, errnoOf(e));
      return 0;
    }
    peer.state &= ~PeerState.PING_SENT;
    const ev = reply.replyEvent;
    this.discNids.set(peer, { src: ev.target.nid, dst: ev.source.nid });
    const sink = Math.max(peer.dataBytes, LNET_PING_INFO_MIN_SIZE);
    const info = this.validate(reply.data, ev.source.nid, 'ping reply', sink);
    if (typeof info === 'number') {
      // Our sink was too small: ping again with room for it all (lnet_discovery_event_reply).
      peer.state |= PeerState.PING_FAILED;
      this.pingError.set(peer, 0);
      peer.dataBytes = Math.max(peer.dataBytes, info);
      return 0;
    }
    if (!info) {
      // The kernel retries a corrupted reply for ever; a hostile peer would get a ping storm.
      peer.state |= PeerState.PING_FAILED;
      this.pingError.set(peer, -Errno.EPROTO);
      return 0;
    }
    this.noteFeatures(peer, info, 'reply');
    if (info.infoSize > peer.dataBytes) peer.dataBytes = info.infoSize;
    const primary = pingPrimaryNid(info);
    if (info.features & PingFeature.MULTI_RAIL && primary && nidEquals(peer.primaryNid, primary)) peer.seqno = info.nis[0]!.status >>> 0;
    peer.state |= PeerState.DATA_PRESENT;
    this.data.set(peer, info);
    return 0;
  }

  /**
   * The DISCOVERY and MULTI_RAIL feature bits of a reply or push (lnet_discovery_event_reply,
   * lnet_peer_push_event): NO_DISCOVERY follows the peer (a discovered peer turning it off is
   * re-created), MULTI_RAIL is set when both ends do discovery and not against configuration.
   */
  private noteFeatures(peer: Peer, info: DecodedPingInfo, what: 'reply' | 'push'): void {
    const disc = (info.features & PingFeature.DISCOVERY) !== 0;
    if (!disc || (what === 'reply' && this.disabled)) {
      const markDelete =
        what === 'reply'
          ? !(peer.state & (PeerState.CONFIGURED | PeerState.NO_DISCOVERY)) && peer.state & (PeerState.DISCOVERED | PeerState.MULTI_RAIL)
          : !(peer.state & (PeerState.NO_DISCOVERY | PeerState.DISCOVERING)) && peer.state & PeerState.DISCOVERED;
      if (!disc && markDelete) peer.state |= PeerState.MARK_DELETION;
      peer.state |= PeerState.NO_DISCOVERY;
    } else peer.state &= ~PeerState.NO_DISCOVERY;
    if (info.features & PingFeature.MULTI_RAIL) {
      if (!(peer.state & PeerState.MULTI_RAIL) && !(peer.state & PeerState.CONFIGURED) && !this.disabled && !(peer.state & PeerState.NO_DISCOVERY)) {
        peer.state |= PeerState.MULTI_RAIL;
        this.clearNonMrPrefs(peer);
      }
    } else if (peer.state & PeerState.MULTI_RAIL && !(peer.state & PeerState.CONFIGURED)) {
      this.core.log('warn', `Multi-Rail state vanished from ${formatNid(peer.primaryNid)}`);
      peer.state &= ~PeerState.MULTI_RAIL;
    }
    if (!(info.features & PingFeature.RTE_DISABLED)) peer.state |= PeerState.ROUTER_ENABLED;
    else peer.state &= ~PeerState.ROUTER_ENABLED;
  }

  /** lnet_peer_clr_non_mr_pref_nids: an MR peer has no "first local NID" preference. */
  private clearNonMrPrefs(peer: Peer): void {
    for (const lpn of peer.nets)
      for (const lpni of lpn.peerNis)
        if (lpni.state & 1) {
          lpni.state &= ~1;
          lpni.prefNids = [];
        }
  }

  /**
   * lnet_peer_data_present: merge what arrived. The ping's first NID is the peer's primary;
   * when another peer already has it, the two are one node: the data goes to that peer and
   * this one's NIDs (and held messages) follow.
   */
  private dataPresent(peer: Peer): number {
    const info = this.data.get(peer);
    this.data.delete(peer);
    peer.state &= ~PeerState.DATA_PRESENT;
    peer.state |= PeerState.NIDS_UPTODATE;
    if (!info) return 0;
    const entries = pingEntries(info);
    // find_primary: the first NID after 0@lo, or the first large one with PRIMARY_LARGE.
    const primary = pingPrimaryNid(info);
    if (!primary || nidIsLo0(primary)) return 0;
    const tab = this.core.peerTab;
    if (nidEquals(peer.primaryNid, primary) || (entries.some((e) => nidEquals(e.nid, peer.primaryNid)) && isDiscoveryDisabled(peer, this.disabled))) {
      this.mergeData(peer, info, entries);
      return 0;
    }
    const owner = tab.peer(primary);
    if (!owner || owner === peer) {
      this.setPrimary(peer, primary);
      this.mergeData(peer, info, entries);
      return 0;
    }
    // lnet_peer_set_primary_data: hand the data to the peer that has this primary.
    if (!(peer.state & PeerState.NO_DISCOVERY)) owner.state &= ~PeerState.NO_DISCOVERY;
    if (peer.state & PeerState.MULTI_RAIL) owner.state |= PeerState.MULTI_RAIL;
    const nids = this.discNids.get(peer);
    if (nids) this.discNids.set(owner, nids);
    if (owner.state & PeerState.MULTI_RAIL && owner.seqno < (info.nis[0]!.status >>> 0)) owner.seqno = info.nis[0]!.status >>> 0;
    owner.state &= ~(PeerState.DATA_PRESENT | PeerState.PING_FAILED | PeerState.FORCE_PING);
    owner.state |= PeerState.NIDS_UPTODATE;
    // Its NIDs listed in the buffer move to the owner (and this peer, left empty, goes with
    // its held messages moved over), unless the owner is configured: DLC overrides discovery.
    this.mergeData(owner, info, entries);
    void this.queue(owner);
    return 0;
  }

  /** lnet_peer_set_primary_nid: a locked primary stays; the NID joins the peer either way. */
  private setPrimary(peer: Peer, nid: Nid): void {
    const tab = this.core.peerTab;
    if (peer.state & PeerState.CONFIGURED && !tab.lpni(nid)) return;
    tab.addNid(peer, nid);
    if (!(peer.state & PeerState.LOCK_PRIMARY)) tab.setPrimary(peer, nid);
  }

  /**
   * lnet_peer_merge_data: statuses of the NIDs we know are refreshed; with discovery on for
   * this peer, new NIDs join and vanished ones leave. A configured peer changes only by
   * configuration. The primary's net and NI go first.
   */
  private mergeData(peer: Peer, info: DecodedPingInfo, entries: PingEntry[]): void {
    const tab = this.core.peerTab;
    peer.features = info.features;
    const current = peer.nids;
    for (const nid of current) {
      const e = entries.find((x) => nidEquals(x.nid, nid));
      if (e) this.discLpniHealth(nid, e.status);
    }
    if (isDiscoveryDisabled(peer, this.disabled)) return;
    if (peer.state & PeerState.CONFIGURED) return;
    peer.state |= PeerState.DISCOVERED;
    if (info.features & PingFeature.MULTI_RAIL) peer.state |= PeerState.MULTI_RAIL;
    for (const e of entries) {
      if (current.some((n) => nidEquals(n, e.nid))) continue;
      tab.addNid(peer, e.nid);
      this.discLpniHealth(e.nid, e.status);
    }
    for (const nid of current) {
      if (nidIsLo0(nid) || entries.some((e) => nidEquals(e.nid, nid))) continue;
      if (peer.state & PeerState.LOCK_PRIMARY && nidEquals(nid, peer.primaryNid)) continue;
      tab.removeNid(nid);
    }
    const primary = pingPrimaryNid(info);
    if (primary && !peer.removed && tab.lpni(primary)?.peerNet.peer === peer && !(peer.state & PeerState.LOCK_PRIMARY)) tab.setPrimary(peer, primary);
  }

  /** handle_disc_lpni_health: a NID the peer now says is DOWN counts as a remote failure. */
  private discLpniHealth(nid: Nid, status: number): void {
    const lpni = this.core.peerTab.lpni(nid);
    if (!lpni) return;
    const old = lpni.nsStatus;
    lpni.nsStatus = status >>> 0;
    if (old !== lpni.nsStatus) {
      if (lpni.nsStatus === NiStatus.DOWN) this.core.health.remoteFailure(lpni);
    } else if (lpni.nsStatus === NiStatus.UP && !lpni.lastAlive) lpni.healthValue = 1000;
  }

  /** lnet_peer_send_push: our ping buffer to the peer (PUT with ACK), then the ACK's verdict. */
  private async sendPush(peer: Peer): Promise<number> {
    if (!(peer.state & PeerState.MULTI_RAIL)) {
      peer.state &= ~PeerState.FORCE_PUSH;
      if (peer.state & PeerState.NIDS_UPTODATE) this.discovered(peer);
      return 0;
    }
    peer.state |= PeerState.PUSH_SENT;
    peer.state &= ~PeerState.FORCE_PUSH;
    const seq = this.core.pingTarget.seqno;
    const nids = this.discNids.get(peer);
    this.discNids.delete(peer);
    const to = { nid: nids?.dst ?? peer.primaryNid, pid: LNET_PID_LUSTRE };
    try {
      await this.lnet.putAsync({
        target: to,
        portal: 0,
        matchBits: PING_MATCHBITS,
        data: Buffer.from(this.core.pingTarget.buffer),
        ...(nids ? { source: nids.src } : {}),
        mdOptions: MdOption.TRACK_RESPONSE,
      });
      peer.pushedSeqno = seq;
    } catch (e) {
      peer.state |= PeerState.PUSH_FAILED;
      this.pushError.set(peer, errnoOf(e));
    } finally {
      peer.state &= ~PeerState.PUSH_SENT;
    }
    return 0;
  }

  /**
   * lnet_push_update_to_peers: our ping buffer changed; queue every MR peer that needs it
   * (with force, every MR peer). Discovery disabled here means no forcing.
   */
  pushUpdateToPeers(force: boolean, evenIfDisabled = false): void {
    if (this.core.state !== 'running') return;
    if (this.disabled && !evenIfDisabled) force = false;
    for (const peer of this.list()) {
      if (force && peer.state & PeerState.MULTI_RAIL) peer.state |= PeerState.FORCE_PUSH;
      if (needsPush(peer, this.core.pingTarget.seqno, this.disabled && !evenIfDisabled)) void this.queue(peer);
    }
  }

  // ------------------------------------------------------------ the push receiver

  /** lnet_peer_push_event: a peer pushed its ping buffer to us. */
  private onPush(data: Uint8Array, ev: LNetEvent): void {
    const peer = this.core.peerTab.peer(ev.source.nid);
    if (!peer) {
      this.core.log('debug', `push from unknown ${formatNid(ev.source.nid)} ignored`);
      return;
    }
    const info = this.validate(data, ev.source.nid, 'push', ev.rlength > ev.mlength ? ev.mlength : Infinity);
    if (typeof info === 'number' || !info) {
      peer.state &= ~PeerState.NIDS_UPTODATE;
      peer.state |= PeerState.FORCE_PING;
      if (typeof info === 'number') peer.dataBytes = Math.max(peer.dataBytes, info, ev.rlength);
      this.queueIfStale(peer);
      return;
    }
    if (info.infoSize > peer.dataBytes) peer.dataBytes = info.infoSize;
    if (!(info.features & PingFeature.MULTI_RAIL)) {
      this.reject(ev.source.nid, 'push', 'not-multi-rail', 'a push from a non-Multi-Rail peer');
      this.queueIfStale(peer);
      return;
    }
    this.noteFeatures(peer, info, 'push');
    peer.seqno = info.nis[0]!.status >>> 0;
    peer.state &= ~PeerState.NIDS_UPTODATE;
    const have = this.data.get(peer);
    if (peer.state & PeerState.DATA_PRESENT && have) {
      // A ping and a push raced: keep the newer buffer.
      if ((info.nis[0]!.status >>> 0) > (have.nis[0]!.status >>> 0)) this.data.set(peer, info);
    } else {
      this.data.set(peer, info);
      peer.state |= PeerState.DATA_PRESENT;
    }
    this.queueIfStale(peer);
  }

  private queueIfStale(peer: Peer): void {
    if (!isUptodate(peer, this.core.pingTarget.seqno, this.disabled)) void this.queue(peer);
  }

  // ------------------------------------------------------------ hostile input

  /**
   * lnet_ping_info_validate and then some: a buffer that does not decode, lists a NID twice,
   * lists no NID, or claims 0@lo beyond its first entry is refused, counted, and logged once
   * per sender and reason. A number when it did not fit the `room` we gave it: the size it
   * needs (ping again with that much); one shorter than it says it is, within our room, is
   * malformed.
   */
  private validate(data: Uint8Array, from: Nid, what: 'ping reply' | 'push', room: number): DecodedPingInfo | number | undefined {
    const info = decodePingInfo(data, 0, { interfacesMax: this.core.params.lnet_interfaces_max });
    if (info instanceof WireError) {
      if (info.reason === 'truncated' && info.needed > room) return info.needed;
      this.reject(from, what, info.reason, info.message);
      return undefined;
    }
    if (info.nis.slice(1).some((e) => nidIsLo0(e.nid))) {
      this.reject(from, what, 'lo-nid', '0@lo listed as an interface');
      return undefined;
    }
    if (info.duplicates.length > 0) {
      this.reject(from, what, 'duplicate-nid', `${formatNid(info.duplicates[0]!)} listed twice`);
      return undefined;
    }
    const entries = pingEntries(info);
    if (entries.length === 0) {
      this.reject(from, what, 'no-nids', 'no NID besides 0@lo');
      return undefined;
    }
    if (entries.some((e) => nidIsAny(e.nid) || nidEquals(e.nid, LNET_ANY_NID))) {
      this.reject(from, what, 'no-nids', 'LNET_NID_ANY listed as an interface');
      return undefined;
    }
    return info;
  }

  private reject(from: Nid, what: string, reason: RejectReason, detail: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
    this.core.countError();
    const key = `${nidKey(from)}|${what}|${reason}`;
    if (this.loggedOnce.has(key)) return;
    if (this.loggedOnce.size < 4096) this.loggedOnce.add(key);
    this.core.log('warn', `refusing a malformed ${what} from ${formatNid(from)}: ${detail}`, { reason });
  }

  // ------------------------------------------------------------ configured peers

  /**
   * `lnetctl peer add --prim_nid P [--nid RANGES] [--non_mr] [--lock_prim]` (peer.c
   * lnet_peer_add, then lnet_add_peer_ni / lnet_peer_add_nid per NID): a configured peer,
   * Multi-Rail unless non-MR, its NIDs expanded from ranges. A peer that only traffic made is
   * taken over. Errors: EEXIST (P is another configured peer's NID, or a NID belongs to
   * another configured peer), EPERM (Multi-Rail mismatch), EALREADY (P is a locked peer's
   * secondary NID), ENOTUNIQ (a second NID on one net of a non-MR peer).
   */
  add(o: { primNid: string; nids?: readonly string[]; nonMr?: boolean; lockPrim?: boolean }): Peer {
    const prim = parseNid(o.primNid, { flavor: 'userspace' });
    if (prim.type === 0xff) throw new LNetError('EINVAL', 'the primary NID must be a real NID');
    const mr = !o.nonMr;
    const nids = (o.nids ?? []).flatMap((r) => expandNidRangeText(r, 65536, { flavor: 'userspace' }));
    const tab = this.core.peerTab;
    const flags = PeerState.CONFIGURED | (mr ? PeerState.MULTI_RAIL : 0) | (o.lockPrim ? PeerState.LOCK_PRIMARY : 0);
    let peer = tab.peer(prim);
    if (peer) {
      if (peer.state & PeerState.CONFIGURED) {
        if (!nidEquals(peer.primaryNid, prim))
          throw new LNetError('EEXIST', `${formatNid(prim)} already belongs to peer ${formatNid(peer.primaryNid)}`);
        if ((peer.state ^ flags) & PeerState.MULTI_RAIL)
          throw new LNetError('EPERM', `peer ${formatNid(prim)} is ${peer.multiRail ? '' : 'not '}Multi-Rail`);
      } else if (peer.state & PeerState.LOCK_PRIMARY) {
        if (nidEquals(peer.primaryNid, prim)) throw new LNetError('EEXIST', `peer ${formatNid(prim)} exists with its primary NID locked`);
        throw new LNetError('EALREADY', `${formatNid(prim)} belongs to peer ${formatNid(peer.primaryNid)}, whose primary NID is locked`);
      } else {
        // Made by traffic or discovery: re-created as configured (lnet_peer_del + alloc), but
        // the messages it holds stay with it.
        for (const nid of peer.nids) if (!nidEquals(nid, prim)) tab.removeNid(nid);
        tab.setPrimary(peer, prim);
        peer.state = flags;
        peer.seqno = peer.pushedSeqno = 0;
        if (o.lockPrim) peer.primLockTs = performance.now();
      }
    } else {
      peer = tab.createPeer(prim, LNET_PID_LUSTRE, flags);
      if (o.lockPrim) peer.primLockTs = performance.now();
    }
    for (const nid of nids) {
      if ((peer.state ^ flags) & PeerState.MULTI_RAIL)
        throw new LNetError('EPERM', `peer ${formatNid(prim)} is ${peer.multiRail ? '' : 'not '}Multi-Rail`);
      const owner = tab.peer(nid);
      if (owner === peer) continue;
      if (owner && owner.state & PeerState.CONFIGURED)
        throw new LNetError('EEXIST', `${formatNid(nid)} already belongs to peer ${formatNid(owner.primaryNid)}`);
      if (!mr && peer.net(nidNet(nid))) throw new LNetError('ENOTUNIQ', `non-Multi-Rail peer ${formatNid(prim)} already has a NID on that net`);
      tab.addNid(peer, nid);
    }
    return peer;
  }

  /**
   * `lnetctl peer del --prim_nid P [--nid RANGES] [--force]` (peer.c lnet_del_peer_ni): the
   * whole peer, or some of its NIDs. Without force, a peer whose primary NID is locked keeps
   * that NID and loses the others (lnet_reset_peer). ENOENT for an unknown P or NID, ENODEV
   * when P is not a primary NID, ECHILD for a NID of another peer.
   */
  del(o: { primNid: string; nids?: readonly string[]; force?: boolean }): void {
    const prim = parseNid(o.primNid, { flavor: 'userspace' });
    if (prim.type === 0xff) throw new LNetError('EINVAL', 'the primary NID must be a real NID');
    const tab = this.core.peerTab;
    const peer = tab.peer(prim);
    if (!peer) throw new LNetError('ENOENT', `no peer ${formatNid(prim)}`);
    if (!nidEquals(peer.primaryNid, prim)) throw new LNetError('ENODEV', `${formatNid(prim)} is not a primary NID`);
    const nids = o.nids?.length ? o.nids.flatMap((r) => expandNidRangeText(r, 65536, { flavor: 'userspace' })) : [prim];
    for (const nid of nids) {
      if (peer.removed) break;
      if (nidEquals(nid, peer.primaryNid)) {
        if (!o.force && peer.state & PeerState.LOCK_PRIMARY) {
          this.core.log('warn', `peer ${formatNid(prim)} has a locked primary NID: keeping it, removing the other NIDs`);
          for (const n of peer.nids) if (!nidEquals(n, peer.primaryNid)) tab.removeNid(n);
          peer.state &= ~PeerState.NIDS_UPTODATE;
        } else this.removePeer(peer);
        continue;
      }
      const owner = tab.peer(nid);
      if (!owner) throw new LNetError('ENOENT', `no peer NI ${formatNid(nid)}`);
      if (owner !== peer) throw new LNetError('ECHILD', `${formatNid(nid)} belongs to peer ${formatNid(owner.primaryNid)}`);
      tab.removeNid(nid);
    }
  }

  /** lnet_peer_del: gone from the table; messages held for it fail. */
  private removePeer(peer: Peer): void {
    const held = peer.pending.splice(0);
    this.core.peerTab.removePeer(peer);
    if (held.length) this.core.releaseHeld(held, -Errno.EHOSTUNREACH);
  }
}

/** A ping buffer's NIDs with their status, in order, without 0@lo. */
function pingEntries(info: DecodedPingInfo): PingEntry[] {
  return [...info.nis.map((e) => ({ nid: e.nid, status: e.status })), ...info.largeNis.map((e) => ({ nid: e.nid, status: e.status }))].filter(
    (e) => !nidIsLo0(e.nid),
  );
}

/** The negative errno of a failure (EIO for anything that is not an LNetError). */
function errnoOf(e: unknown): number {
  return e instanceof LNetError ? e.errno : -Errno.EIO;
}

/** `p` settled within `ms` (true), or not (false). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([p.then(() => true), t]);
  } finally {
    clearTimeout(timer);
  }
}

export type { LNetMsg };
