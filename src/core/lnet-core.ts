import { LNetError } from '../errors.js';
import { cptOfNid } from '../cpt/cpt-of-nid.js';
import { Errno } from '../errno.js';
import { formatNet, makeNet, netType, type Net } from '../nid/net.js';
import { LndType } from '../nid/lnd-type.js';
import { LNET_NID_LO_0, nidEquals, nidIsAny, nidKey, nidNet, type Nid } from '../nid/nid.js';
import { formatNid } from '../nid/nid-string.js';
import { formatProcessId, LNET_PID_LUSTRE, type ProcessId } from '../nid/process-id.js';
import { copyHdr, LNET_MTU, resetHdr, type LNetHdr } from '../wire/lnet-hdr.js';
import { formatMsgType, LNetMsgType } from '../wire/lnet-msg-type.js';
import { WireHandle } from '../wire/wire-handle.js';
import { NiStatus } from '../wire/ping-buffer.js';
import {
  AckReq,
  EventKind,
  InsPos,
  LNET_MD_THRESH_INF,
  LNET_RESERVED_PORTAL,
  MatchResult,
  MdOption,
  Unlink,
} from './constants.js';
import { LNetCounters, StatsType } from './counters.js';
import type { MdHandle, MeHandle } from './handle.js';
import type { Iov } from './iov.js';
import type { Lnd, LndCore } from './lnd.js';
import { LibMd, mdOfHandle, releaseMdHandle, validateMdSpec, type MdSpec } from './md.js';
import { Me } from './me.js';
import type { LNetMsg } from './msg.js';
import { MsgPool } from './msg-pool.js';
import { PathCache } from './path-cache.js';
import { LNetEvent } from './event.js';
import { NetworkInterface, TxQueue, type NiTunables } from './ni.js';
import { DEFAULT_CORE_PARAMS, type CoreParams } from './params.js';
import type { PeerNi } from './peer-ni.js';
import type { Peer } from './peer.js';
import { PeerTable } from './peer-table.js';
import { Health, HealthStatus, monoSeconds } from './health.js';
import { Recovery } from './recovery.js';
import { msgTriggersDiscovery, Selection } from './selection.js';
import { Udsp } from './udsp.js';
import { LinkWatch } from './link-state.js';
import { isUptodate } from './peer-state.js';
import { PeerState } from './peer.js';
import { PortalTable, type MatchInfo } from './portal.js';
import { CookieTable } from './cookie-table.js';
import { coarseNow } from './coarse-clock.js';
import { PingTarget, PushTarget } from './ping-target.js';
import { realtimeNs } from './realtime-ns.js';

/** One NI of a net in the configuration. */
export interface NiConfig {
  /** The NI's NID; an LND may derive it from `interfaces` at startup instead. */
  nid?: Nid;
  interfaces?: string[];
  cpts?: number[];
  lndTunables?: Record<string, number | string>;
}

export interface NetConfig {
  net: Net;
  lnd: Lnd;
  nis: NiConfig[];
  tunables?: Partial<NiTunables>;
}

export type LogFn = (level: 'error' | 'warn' | 'info' | 'debug', msg: string, fields?: Record<string, unknown>) => void;

export interface CoreConfig {
  /** Our LNet pid; the kernel's is always 12345 (LNET_PID_LUSTRE). */
  pid?: number;
  nets?: NetConfig[];
  params?: Partial<CoreParams>;
  /** Number of CPTs; credits of each NI are divided among them. */
  ncpt?: number;
  /** CPT of a NID for queue selection; default: the kernel's lnet_cpt_of_nid hash. */
  cptOfNid?: (nid: Nid, ncpt: number) => number;
  /** The loopback LND (0@lo). */
  lolnd: Lnd;
  log?: LogFn;
}

/** Defaults of the NI tunables when neither the net config nor the LND says otherwise. */
const DEFAULT_TUNABLES: NiTunables = { peer_timeout: 180, peer_credits: 8, peer_buffer_credits: 0, credits: 256 };
const LO_TUNABLES: NiTunables = { peer_timeout: 0, peer_credits: 0, peer_buffer_credits: 0, credits: 0 };

export type CoreState = 'stopped' | 'starting' | 'running' | 'stopping';

/** How the send path starts discovery (src/discovery.ts implements it). */
export interface DiscoveryHook {
  /** lnet_discover_peer_locked(block = false): queue the peer; its last error, or 0. */
  start(peer: Peer): number;
  /** Our ping buffer's sequence number (what an MR peer must have been pushed). */
  ourSeqno(): number;
  /** Discovery is off on this node. */
  disabled(): boolean;
}

/**
 * An LNet instance: the kernel's lnet/lnet (api-ni, lib-move, lib-msg, lib-ptl, lib-md/me) on
 * Node's event loop. It owns NIs, peers, portals, MDs and messages; LNDs move the bytes.
 */
export class LNetCore implements LndCore {
  state: CoreState = 'stopped';
  readonly pid: number;
  readonly params: CoreParams;
  readonly counters = new LNetCounters();
  readonly portals = new PortalTable();
  readonly ncpt: number;
  readonly nis: NetworkInterface[] = [];
  loNi!: NetworkInterface;
  /** The peer → peer_net → peer_ni tree and the lpni hash (peer-table.ts). */
  readonly peerTab: PeerTable = new PeerTable({
    creditsFor: (net) => {
      const ni = this.niOnNet(net);
      if (!ni) return undefined;
      const credits = ni.tunables.peer_credits;
      return { credits, rtrCredits: ni.tunables.peer_buffer_credits || credits };
    },
    onNewPeerNi: (lpni) => {
      if (this.udsp.size) this.udsp.applyToPeerNi(lpni);
    },
  });
  /** Every peer NI by nidKey (the kernel's lpni hash). */
  get peers(): Map<string, PeerNi> {
    return this.peerTab.lpnis;
  }
  /** The peer owning each NID, by nidKey. */
  get peerTable(): Map<string, Peer> {
    return this.peerTab.peerByNid;
  }
  /** The last forced path of a PUT or GET (path-cache.ts). */
  readonly pathCache = new PathCache();
  private readonly peerByNid = new WeakMap<Nid, { key: string; lpni: PeerNi; version: number }>();
  /** Health verdicts and changes (health.ts). */
  readonly health: Health = new Health(this);
  /** The local and peer NI recovery queues (recovery.ts). */
  readonly recovery: Recovery = new Recovery(this);
  /** Path selection and the local nets' selection state (selection.ts). */
  readonly selection: Selection = new Selection(this);
  /** User-defined selection policies (udsp.ts): `lnetctl udsp add/del/show`. */
  readonly udsp: Udsp = new Udsp(this);
  /** ln_mt_resendqs: failed messages waiting for another path. */
  private readonly resendQueue: LNetMsg[] = [];
  private resendScheduled = false;
  /** Monotonic seconds, refreshed by the monitor: when peer NIs were last heard from. */
  private nowSec = monoSeconds();
  /**
   * How many messages are committed to the network (on the kernel's active list: flagged
   * onActiveList; msgPool.activeMessages() lists them). msgs_alloc counts exactly those.
   */
  get activeCount(): number {
    return this.counters.msgs_alloc;
  }
  private readonly config: CoreConfig;
  /** MDs a wire handle may name (attached ones, bound ones once an ACK or REPLY may come). */
  private readonly mds = new CookieTable<LibMd>();
  /** Live bound MDs outside `mds` (sources of no-ACK PUTs so far): counted, not listed. */
  private untabledMds = 0;
  /** Every MD of this instance's current run carries it: shutdown starts a new one. */
  private mdEpoch: object = {};
  private readonly mes = new Map<number, Me>();
  private nextCookie = 1;
  /** ln_interface_cookie: wall-clock ns at startup, as u32 halves. */
  private ifLo = 0;
  private ifHi = 0;
  private readonly cptOfNid: (nid: Nid, ncpt: number) => number;
  private readonly finalizeQueue: LNetMsg[] = [];
  /** Finalized messages for reuse (lnet_msg_alloc/lnet_msg_free without the allocation). */
  readonly msgPool = new MsgPool();
  private finalizing = false;
  /** MDs with a response tracker: ACK or REPLY expected by a deadline (ms, monotonic). */
  private readonly responseTrackers = new Set<LibMd>();
  private monitor: NodeJS.Timeout | undefined;
  readonly log: LogFn;
  /** Cookies of MEs/MDs LNet itself owns (the ping target), left out of resourceCounts. */
  readonly internalCookies = new Set<number>();
  /** Answers pings on the reserved portal with our NIs. */
  readonly pingTarget = new PingTarget(this);
  /** Receives discovery pushes on the reserved portal (and ACKs them). */
  readonly pushTarget = new PushTarget(this);

  constructor(config: CoreConfig) {
    this.config = config;
    this.pid = (config.pid ?? LNET_PID_LUSTRE) >>> 0;
    this.params = { ...DEFAULT_CORE_PARAMS, ...config.params };
    this.ncpt = Math.max(1, config.ncpt ?? 1);
    this.cptOfNid = config.cptOfNid ?? cptOfNid;
    this.log = config.log ?? (() => {});
  }

  // ---------------------------------------------------------------- life cycle

  async startup(): Promise<void> {
    if (this.state !== 'stopped') throw new LNetError('EALREADY', `LNet is ${this.state}`);
    this.state = 'starting';
    ({ lo: this.ifLo, hi: this.ifHi } = realtimeNs());
    this.portals.get(LNET_RESERVED_PORTAL)!.lazy = true;
    try {
      this.loNi = await this.startNi(
        makeNet(LndType.LOLND, 0),
        this.config.lolnd,
        { nid: LNET_NID_LO_0 },
        LO_TUNABLES,
      );
      // `net show -v 3` prints health value 0 for 0@lo (02-ping-discover-A-net-show-v3.yaml).
      this.loNi.healthValue = 0;
      for (const net of this.config.nets ?? []) await this.addNet(net);
    } catch (e) {
      await this.shutdown();
      throw e;
    }
    this.nowSec = monoSeconds();
    this.monitor = setInterval(() => this.monitorTick(), 1000);
    this.monitor.unref();
    this.state = 'running';
    this.pingTarget.update();
    this.pushTarget.post();
    // The link state the NIs start with: only an address seen here can later be judged gone.
    this.linkWatch.tick();
  }

  /** Bring up the NIs of a net (lnetctl net add). */
  async addNet(cfg: NetConfig): Promise<NetworkInterface[]> {
    if (netType(cfg.net) !== cfg.lnd.type)
      throw new LNetError('EINVAL', `net ${formatNet(cfg.net)} cannot use LND ${cfg.lnd.name}`);
    const tunables = { ...DEFAULT_TUNABLES, ...cfg.tunables };
    const out: NetworkInterface[] = [];
    for (const niCfg of cfg.nis) out.push(await this.startNi(cfg.net, cfg.lnd, niCfg, tunables));
    this.peerTab.netAdded(cfg.net);
    if (this.state === 'running') {
      this.pingTarget.update();
      this.onPingBufferChanged?.();
      this.linkWatch.tick();
    }
    return out;
  }

  private async startNi(net: Net, lnd: Lnd, cfg: NiConfig, tunables: NiTunables): Promise<NetworkInterface> {
    const lndTunables = { ...lnd.tunableDefaults?.(), ...cfg.lndTunables };
    const ni = new NetworkInterface(
      net,
      cfg.nid ?? LNET_NID_LO_0,
      lnd,
      { ...tunables },
      cfg.interfaces ?? [],
      lndTunables,
      cfg.cpts ?? Array.from({ length: this.ncpt }, (_, i) => i),
    );
    const perCpt = Math.max(1, Math.floor(tunables.credits / this.ncpt));
    ni.txQueues = Array.from({ length: this.ncpt }, () => new TxQueue(tunables.credits === 0 ? 0 : perCpt));
    await lnd.startup(ni, this);
    if (nidNet(ni.nid) !== net) {
      await lnd.shutdown(ni);
      throw new LNetError('EINVAL', `NI NID ${formatNid(ni.nid)} is not on net ${formatNet(net)}`);
    }
    if (this.nis.some((o) => nidEquals(o.nid, ni.nid))) {
      await lnd.shutdown(ni);
      throw new LNetError('EEXIST', `NI ${formatNid(ni.nid)} already exists`);
    }
    ni.state = 'up';
    this.pathCache.clear();
    ni.startedAt = performance.now();
    this.nis.push(ni);
    if (this.udsp.size) this.udsp.applyToNi(ni);
    return ni;
  }

  /** Take one NI down (lnetctl net del). Messages queued on it fail with ESHUTDOWN. */
  async delNi(ni: NetworkInterface): Promise<void> {
    const i = this.nis.indexOf(ni);
    if (i < 0) return;
    ni.state = 'down';
    this.pathCache.clear();
    for (const tq of ni.txQueues) this.failQueue(tq.delayed, -Errno.ESHUTDOWN);
    for (const peer of this.peers.values()) {
      const queued = peer.txQueue.filter((m) => m.txNi === ni);
      for (const m of queued) peer.txQueue.splice(peer.txQueue.indexOf(m), 1);
      this.failQueue(queued, -Errno.ESHUTDOWN);
    }
    await ni.lnd.shutdown(ni);
    this.nis.splice(this.nis.indexOf(ni), 1);
    if (this.state === 'running') {
      this.pingTarget.update();
      // lnet_push_update_to_peers: MR peers learn the NI is gone.
      this.onPingBufferChanged?.();
    }
  }

  async shutdown(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    this.state = 'stopping';
    if (this.monitor) clearInterval(this.monitor);
    this.monitor = undefined;
    this.recovery.clear();
    for (const m of this.resendQueue.splice(0)) {
      m.noResend = true;
      this.finalize(m, -Errno.ESHUTDOWN);
    }
    for (const p of this.portals.portals) this.clearLazyPortal(p.index);
    for (const ni of [...this.nis].reverse()) await this.delNi(ni);
    // Anything still active never reached an LND that could finalize it. (The kernel frees
    // such messages without events, lnet_msg_container_cleanup; here their MDs hear
    // ESHUTDOWN, in the pool's slot order rather than commit order.)
    for (const msg of this.msgPool.activeMessages()) this.finalize(msg, -Errno.ESHUTDOWN);
    // Messages held for discovery fail as lnet_peer_discovery_complete(-ESHUTDOWN) has them.
    for (const peer of this.peerTab.list()) if (peer.pending.length) this.releaseHeld(peer.pending.splice(0), -Errno.ESHUTDOWN);
    for (const md of [...this.mds.values()]) this.mdUnlinkInternal(md);
    // Bound MDs outside the table: their handles stop resolving with the epoch.
    this.mdEpoch = {};
    this.untabledMds = 0;
    for (const me of [...this.mes.values()]) this.meUnlinkInternal(me);
    for (const md of [...this.responseTrackers]) this.untrackResponse(md);
    this.peerTab.clear();
    this.state = 'stopped';
  }

  private failQueue(queue: LNetMsg[], status: number): void {
    const msgs = queue.splice(0);
    for (const m of msgs) {
      m.txDelayed = false;
      this.finalize(m, status);
    }
  }

  private checkRunning(): void {
    if (this.state !== 'running') this.notRunning();
  }

  private notRunning(): never {
    throw new LNetError('ESHUTDOWN', `LNet is ${this.state}`);
  }

  countError(): void {
    this.counters.errors++;
  }

  /** lnet_monitor_thread's pass: response timeouts, then the recovery queues. */
  private monitorTick(): void {
    this.nowSec = monoSeconds();
    this.checkResponseTimeouts();
    if (this.state !== 'running') return;
    this.linkWatch.tick();
    this.recovery.tick(this.nowSec);
  }

  /** Link state of IP NIs (link-state.ts). */
  private readonly linkWatch = new LinkWatch(this);

  /**
   * lnet_ni_set_status: the status our ping buffer carries for `ni` (NiStatus.UP / DOWN). The
   * buffer is rewritten in place, keeping its sequence number, as the kernel's points into it.
   */
  setNiStatus(ni: NetworkInterface, status: number): void {
    if (ni.status === status) return;
    ni.status = status;
    this.log('info', `NI ${formatNid(ni.nid)} status changed to ${status === NiStatus.DOWN ? 'down' : 'up'}`);
    if (this.state === 'running') this.pingTarget.refreshStatus();
  }

  /**
   * lnet_set_link_fatal_state: the LND saw the NI's link go down (or come back). A failed link
   * makes the NI DOWN (selection avoids it, pings show it) and peers are told by a push.
   */
  setLinkFatal(ni: NetworkInterface, fatal: boolean): void {
    if (ni.fatalError === fatal) return;
    ni.fatalError = fatal;
    if (fatal) ni.health.fatal_error = 1;
    else ni.health.fatal_error = 0;
    this.log('warn', `NI ${formatNid(ni.nid)} link ${fatal ? 'down' : 'up'}`);
    if (this.state === 'running') {
      this.pingTarget.update();
      this.onPingBufferChanged?.();
    }
  }

  /** Our ping buffer changed: discovery pushes it to MR peers (lnet_push_update_to_peers). */
  onPingBufferChanged: (() => void) | undefined;

  /** lnet_isrouter: is this peer NI a gateway of one of our routes? (routes.ts decides.) */
  isRouterPeerNi: (lpni: PeerNi) => boolean = () => false;

  /**
   * `net set --health V [--nid N | --all]` (lnet_ni_set_healthv): set local NI health; below
   * 1000 the NI goes on the recovery queue at once. 0 makes it DOWN, 1000 UP.
   */
  setNiHealth(value: number, nid?: Nid): void {
    for (const ni of this.nis) {
      if (ni === this.loNi || (nid && !nidEquals(ni.nid, nid))) continue;
      ni.healthValue = value;
      this.recovery.addNiNow(ni);
      if (value === 0) this.setNiStatus(ni, NiStatus.DOWN);
      else if (value === 1000) this.setNiStatus(ni, NiStatus.UP);
    }
  }

  /** `peer set --health V [--nid N | --all]` (lnet_peer_ni_set_healthv). */
  setPeerNiHealth(value: number, nid?: Nid): void {
    if (this.state !== 'running') return;
    const lpnis = nid ? [this.peerTab.lpni(nid)].filter((x): x is PeerNi => !!x) : [...this.peers.values()];
    for (const lpni of lpnis) {
      lpni.healthValue = value;
      this.recovery.addPeerNi(lpni, this.nowSec);
    }
  }

  // ---------------------------------------------------------------- lookups

  findNi(nid: Nid): NetworkInterface | undefined {
    for (const ni of this.nis) if (nidEquals(ni.nid, nid)) return ni;
    return undefined;
  }

  /** lnet_islocalnid */
  isLocalNid(nid: Nid): boolean {
    return this.findNi(nid) !== undefined;
  }

  /** An up NI of ours on `net` (not 0@lo). */
  niOnNet(net: Net): NetworkInterface | undefined {
    for (const ni of this.nis) if (ni.net === net && ni.state === 'up' && ni !== this.loNi) return ni;
    return undefined;
  }

  /** Find or create the peer NI for `nid`, with the net's credit tunables. */
  peerNiFor(nid: Nid, _ni?: NetworkInterface): PeerNi {
    // A stream of messages from one connection names its peer with one NID object: the last
    // answer first, while the table's version says nothing changed.
    if (nid === this.lastPeerNid && this.lastPeerVersion === this.peerTab.version) return this.lastPeerNi!;
    const lpni = this.peerNiLookup(nid);
    this.lastPeerNid = nid;
    this.lastPeerNi = lpni;
    this.lastPeerVersion = this.peerTab.version;
    return lpni;
  }

  private lastPeerNid: Nid | undefined;
  private lastPeerNi: PeerNi | undefined;
  private lastPeerVersion = -1;

  private peerNiLookup(nid: Nid): PeerNi {
    // Decoded and parsed NIDs are mostly the same objects message after message: try identity first.
    // The table's version moves on every change of the tree: an unchanged one needs no lookup.
    const cached = this.peerByNid.get(nid);
    if (cached) {
      if (cached.version === this.peerTab.version) return cached.lpni;
      if (this.peers.get(cached.key) === cached.lpni) {
        cached.version = this.peerTab.version;
        return cached.lpni;
      }
    }
    const key = nidKey(nid);
    const lpni = this.peers.get(key) ?? this.peerTab.trafficAdd(nid);
    this.peerByNid.set(nid, { key, lpni, version: this.peerTab.version });
    return lpni;
  }

  // ---------------------------------------------------------------- portals, MEs, MDs

  setLazyPortal(index: number): void {
    const p = this.portals.get(index);
    if (!p) throw new LNetError('EINVAL', `portal ${index} is out of range (0-63)`);
    p.lazy = true;
  }

  /** LNetClearLazyPortal: PUTs waiting there are dropped. */
  clearLazyPortal(index: number): void {
    const p = this.portals.get(index);
    if (!p) throw new LNetError('EINVAL', `portal ${index} is out of range (0-63)`);
    p.lazy = false;
    for (const msg of p.delayed.splice(0)) {
      msg.rxDelayed = false;
      this.dropMessage(msg.rxNi!, msg.rxPrivate, msg.len, msg.type);
      this.finalize(msg, -Errno.ENOENT);
    }
  }

  meAttach(
    portal: number,
    matchId: ProcessId,
    matchBitsLo: number,
    matchBitsHi: number,
    ignoreBitsLo: number,
    ignoreBitsHi: number,
    unlink: Unlink,
    pos: InsPos,
  ): MeHandle {
    this.checkRunning();
    const p = this.portals.get(portal);
    if (!p) throw new LNetError('EINVAL', `portal ${portal} is out of range (0-63)`);
    this.portals.checkMatchType(p, matchId.nid, matchId.pid, ignoreBitsLo, ignoreBitsHi);
    const me = new Me(this.nextCookie++, portal, matchId, matchBitsLo, matchBitsHi, ignoreBitsLo, ignoreBitsHi, unlink);
    this.mes.set(me.handle.cookie, me);
    this.portals.insertMe(p, me, pos);
    return me.handle;
  }

  /** Unlink an ME and the MD attached to it (the MD's handler sees UNLINK when idle). */
  meUnlink(handle: MeHandle): void {
    const me = this.mes.get(handle.cookie);
    if (!me) throw new LNetError('ENOENT', 'no such ME (already unlinked?)');
    if (me.md) this.mdUnlink(me.md.handle);
    if (!me.unlinked) this.meUnlinkInternal(me);
  }

  private meUnlinkInternal(me: Me): void {
    this.portals.removeMe(me);
    this.mes.delete(me.handle.cookie);
  }

  /** LNetMDAttach: attach to an ME, then offer the MD to PUTs waiting on a lazy portal. */
  mdAttach(meh: MeHandle, spec: MdSpec, unlink: Unlink): MdHandle {
    this.checkRunning();
    const me = this.mes.get(meh.cookie);
    if (!me) throw new LNetError('ENOENT', 'no such ME');
    validateMdSpec(spec);
    if (me.md) throw new LNetError('EBUSY', 'the ME already has an MD');
    const md = new LibMd(this.nextCookie++, spec, unlink === Unlink.UNLINK);
    md.epoch = this.mdEpoch;
    md.inTable = true;
    this.mds.set(md.handle.cookie, md);
    md.me = me;
    me.md = md;
    this.matchDelayed(me, md);
    return md.handle;
  }

  /** LNetMDBind: a free-floating MD, the source of a PUT or the sink of a GET. */
  mdBind(spec: MdSpec, unlink: Unlink): MdHandle {
    this.checkRunning();
    validateMdSpec(spec);
    if (((spec.options ?? 0) & (MdOption.OP_PUT | MdOption.OP_GET)) !== 0) badBoundMd(-1);
    const md = new LibMd(this.nextCookie++, spec, unlink === Unlink.UNLINK);
    if (md.length > LNET_MTU) badBoundMd(md.length);
    // Not in the cookie table until a wire handle names it (wireHandleOf): a no-ACK PUT's
    // MD never needs it, its handle resolves directly (mdByHandle).
    md.epoch = this.mdEpoch;
    this.untabledMds++;
    return md.handle;
  }

  /** handle → live MD (lnet_handle2md): the handle's own MD, or a cookie lookup. */
  private mdByHandle(handle: MdHandle): LibMd | undefined {
    const md = mdOfHandle(handle);
    if (md === undefined) return this.mds.get(handle.cookie);
    if (md === null) return undefined;
    return md.zombie || md.epoch !== this.mdEpoch ? undefined : md;
  }

  /** LNetMDUnlink */
  mdUnlink(handle: MdHandle): void {
    const md = this.mdByHandle(handle);
    if (!md) throw new LNetError('ENOENT', 'no such MD (already unlinked?)');
    md.aborted = true;
    let ev: LNetEvent | undefined;
    if (md.handler && md.refcount === 0) {
      ev = new LNetEvent();
      ev.setMd(md);
      ev.type = EventKind.UNLINK;
      ev.unlinked = true;
    }
    this.untrackResponse(md);
    this.mdUnlinkInternal(md);
    if (ev) this.deliver(md, ev);
  }

  /** lnet_md_unlink */
  private mdUnlinkInternal(md: LibMd): void {
    if (!md.zombie) {
      md.zombie = true;
      const me = md.me;
      if (me) {
        me.md = undefined;
        md.me = undefined;
        if (me.unlink === Unlink.UNLINK) this.meUnlinkInternal(me);
      }
      if (md.inTable) this.mds.delete(md.handle.cookie);
      else if (md.epoch === this.mdEpoch) this.untabledMds--;
      releaseMdHandle(md.handle);
    }
  }

  isMdLive(handle: MdHandle): boolean {
    return this.mdByHandle(handle) !== undefined;
  }

  /** The wire handle naming `md` (an ACK or REPLY will look it up): into the table now. */
  private wireHandleOf(md: LibMd): WireHandle {
    const c = md.handle.cookie;
    if (!md.inTable) {
      md.inTable = true;
      this.untabledMds--;
      this.mds.set(c, md);
    }
    return new WireHandle(this.ifLo, this.ifHi, c >>> 0, Math.floor(c / 0x100000000) >>> 0);
  }

  /** lnet_wire_handle2md: only handles this instance made resolve. */
  private wireHandleToMd(wh: WireHandle): LibMd | undefined {
    if (wh.ifLo !== this.ifLo || wh.ifHi !== this.ifHi) return undefined;
    return this.mds.get(wh.objLo + wh.objHi * 0x100000000);
  }

  /** lnet_msg_attach_md */
  private attachMd = (msg: LNetMsg, md: LibMd, offset: number, mlen: number): void => {
    msg.md = md;
    if (msg.receiving) {
      msg.offset = offset;
      msg.wanted = mlen;
    }
    md.consume();
    msg.ev.setMd(md);
  };

  /** lnet_msg_detach_md: drop the message's MD reference and deliver its event. */
  private detachMd(msg: LNetMsg, status: number): void {
    const md = msg.md!;
    md.refcount--;
    const unlink = md.unlinkable();
    const ev = msg.ev;
    ev.status = md.aborted && status === 0 ? -Errno.ETIMEDOUT : status;
    ev.unlinked = unlink;
    // (Only an MD that ever had a response tracker can be on the list: the others skip the lookup.)
    if (md.responseDeadline !== undefined && (unlink || (md.refcount === 0 && md.threshold === LNET_MD_THRESH_INF)))
      this.untrackResponse(md);
    msg.md = undefined;
    if (unlink) this.mdUnlinkInternal(md);
    if (md.handler) this.deliver(md, ev);
  }

  private deliver(md: LibMd, ev: LNetEvent): void {
    try {
      md.handler!(ev);
    } catch (e) {
      this.log('error', 'MD event handler threw; the event was delivered and LNet carries on', {
        event: EventKind[ev.type],
        error: String(e),
      });
    }
  }

  // ---------------------------------------------------------------- PUT / GET

  private activeMd(mdh: MdHandle, op: string): LibMd {
    const md = this.mdByHandle(mdh);
    if (!md || md.threshold === 0 || md.me)
      throw new LNetError('ENOENT', `${op}: the MD is not active (unlinked, exhausted, or attached to an ME)`);
    return md;
  }

  /** LNetPut. Failures after this returns are reported by the SEND event's status. */
  put(
    self: Nid | undefined,
    mdh: MdHandle,
    ack: AckReq,
    target: ProcessId,
    portal: number,
    matchBitsLo: number,
    matchBitsHi: number,
    offset: number,
    hdrDataLo: number,
    hdrDataHi: number,
  ): void {
    this.checkRunning();
    const md = this.activeMd(mdh, 'LNetPut');
    const msg = this.msgPool.alloc();
    this.attachMd(msg, md, 0, 0);
    this.prepSend(msg, LNetMsgType.PUT, target, 0, md.length);
    const h = msg.hdr;
    h.ptlIndex = portal;
    h.matchBitsLo = matchBitsLo;
    h.matchBitsHi = matchBitsHi;
    h.offset = offset >>> 0;
    h.hdrDataLo = hdrDataLo;
    h.hdrDataHi = hdrDataHi;
    h.wmd = WireHandle.none();
    msg.ev.type = EventKind.SEND;
    if (ack === AckReq.ACK) this.putWantsAck(msg, md);
    const rc = this.send(self, msg, undefined);
    if (rc < 0) this.finalize(msg, rc);
  }

  /** An ACK-requesting PUT: the MD's wire handle, and its response tracker (out of put's hot path). */
  private putWantsAck(msg: LNetMsg, md: LibMd): void {
    msg.hdr.wmd = this.wireHandleOf(md);
    if (this.tracksResponse(md, LNetMsgType.PUT)) this.trackResponse(md);
  }

  /** LNetGet. The REPLY lands at offset 0 of the MD. */
  get(
    self: Nid | undefined,
    mdh: MdHandle,
    target: ProcessId,
    portal: number,
    matchBitsLo: number,
    matchBitsHi: number,
    offset: number,
    recovery = false,
  ): void {
    this.checkRunning();
    const md = this.activeMd(mdh, 'LNetGet');
    const msg = this.msgPool.alloc();
    msg.recovery = recovery;
    this.attachMd(msg, md, 0, 0);
    this.prepSend(msg, LNetMsgType.GET, target, 0, 0);
    const h = msg.hdr;
    h.ptlIndex = portal;
    h.matchBitsLo = matchBitsLo;
    h.matchBitsHi = matchBitsHi;
    h.offset = offset >>> 0;
    h.sinkLength = md.length;
    h.wmd = this.wireHandleOf(md);
    msg.ev.type = EventKind.SEND;
    if (this.tracksResponse(md, LNetMsgType.GET)) this.trackResponse(md);
    const rc = this.send(self, msg, undefined);
    if (rc < 0) this.finalize(msg, rc);
  }

  /** lnet_response_tracking: 0 none, 1 GET, 2 PUT, 3 both; MD options override. */
  private tracksResponse(md: LibMd, type: LNetMsgType): boolean {
    if (md.options & MdOption.NO_TRACK_RESPONSE) return false;
    if (md.options & MdOption.TRACK_RESPONSE) return true;
    const rt = this.params.response_tracking;
    return type === LNetMsgType.GET ? (rt & 1) !== 0 : (rt & 2) !== 0;
  }

  private trackResponse(md: LibMd): void {
    md.responseDeadline = performance.now() + this.params.transaction_timeout * 1000;
    if (!this.responseTrackers.has(md)) {
      this.counters.rst_alloc++;
      this.responseTrackers.add(md);
      // An awaited response keeps the process alive, as a pending socket would; an idle LNet does not.
      if (this.responseTrackers.size === 1) this.monitor?.ref();
    }
  }

  private untrackResponse(md: LibMd): void {
    if (this.responseTrackers.delete(md)) {
      this.counters.rst_alloc--;
      if (this.responseTrackers.size === 0) this.monitor?.unref();
    }
  }

  /** The monitor's pass: an ACK/REPLY that never came unlinks its MD (ETIMEDOUT to the user). */
  checkResponseTimeouts(now = performance.now()): void {
    for (const md of [...this.responseTrackers]) {
      if ((md.responseDeadline ?? Infinity) > now) continue;
      this.untrackResponse(md);
      this.counters.response_timeout_count++;
      this.log('warn', 'response timeout: no ACK/REPLY arrived in time; unlinking the MD', {
        timeout: this.params.transaction_timeout,
      });
      if (this.isMdLive(md.handle)) this.mdUnlink(md.handle);
      // The next hop never answered: it pays in health (lnet_handle_remote_failure_locked).
      const lpni = md.nextHopNid && this.peerTab.lpni(md.nextHopNid);
      if (lpni) this.health.remoteFailure(lpni);
    }
  }

  /** lnet_send_ping's GET: the ping match bits on the reserved portal of `nid`, pid 12345. */
  sendPingGet(nid: Nid, mdh: MdHandle, recovery: boolean): void {
    this.get(undefined, mdh, { nid, pid: LNET_PID_LUSTRE }, LNET_RESERVED_PORTAL, 0, 0x80000000, 0, recovery);
  }

  /**
   * lnet_prep_send: a fresh header for a message about to be sent (a pooled message's header
   * holds its last use's fields, as does a received GET or PUT turned into the REPLY or ACK).
   */
  private prepSend(msg: LNetMsg, type: LNetMsgType, target: ProcessId, offset: number, len: number): void {
    msg.type = type;
    msg.target = target;
    msg.len = len;
    msg.offset = offset;
    msg.sending = true;
    if (len !== 0 && msg.md) msg.iov = msg.md.iov;
    const h = msg.hdr;
    resetHdr(h);
    h.type = type;
    h.destPid = target.pid;
    h.srcPid = this.pid;
    h.payloadLength = len;
  }

  // ---------------------------------------------------------------- send path

  /**
   * lnet_send: choose the local NI and peer NI, fill in the addresses, commit and post.
   * Returns 0 (sent, queued, or already finalized by the LND) or a negative errno.
   */
  private send(self: Nid | undefined, msg: LNetMsg, _rtrNid: Nid | undefined): number {
    if (this.state !== 'running' && this.state !== 'stopping') return -Errno.ESHUTDOWN;
    const dst = msg.target.nid;
    msg.srcNidParam = self;
    const pc = this.pathCache;
    if (self === undefined && pc.holds(dst, this.peerTab.version) && this.cachedPathHolds(msg, pc.lpni!, pc.ni!))
      return this.sendCached(msg, pc.lpni!, pc.ni!, pc.cpt);
    if (nidIsAny(dst)) return -Errno.EINVAL;
    // 0@lo: through the loopback LND, no selection, no credits (lnet_handle_lo_send). Our
    // other NIDs are peers like any other (a "self peer"): selection, credits, that NI's LND.
    if (nidEquals(dst, LNET_NID_LO_0)) return this.sendLo(msg);
    const lpni = this.peerNiFor(dst);
    // lnet_initiate_peer_discovery: a first PUT or GET to a peer that is not up to date waits
    // on the peer until its discovery is done (LNetCore.releaseHeld sends it then).
    if (this.discoveryHook !== undefined && this.state === 'running') {
      const rc = this.holdForDiscovery(msg, lpni);
      if (rc <= 0) return rc;
    }
    return this.selection.send(self, msg, lpni);
  }

  /**
   * Would selection choose the cached path for `msg` again? It is a forced one (PathCache);
   * what remains to check is the message (a PUT or GET, no recovery ping) and, for a non-MR
   * peer, that its preferred NI is still the cached one (lnet_select_preferred_best_ni).
   */
  private cachedPathHolds(msg: LNetMsg, lpni: PeerNi, ni: NetworkInterface): boolean {
    if (!pathCacheable(msg) || this.state !== 'running') return false;
    if (lpni.peerNet.peer.multiRail) return true;
    const pref = lpni.prefNids;
    return pref.length !== 0 && nidEquals(pref[0]!, ni.nid);
  }

  /** send on the cached path: what send and selection do once the choice is made. */
  private sendCached(msg: LNetMsg, lpni: PeerNi, ni: NetworkInterface, cpt: number): number {
    this.pathCache.hits++;
    if (this.discoveryHook !== undefined) {
      const rc = this.holdForDiscovery(msg, lpni);
      if (rc <= 0) return rc;
    }
    this.selection.chosen(ni, lpni);
    msg.hdr.destNid = lpni.nid;
    return this.sendOnCpt(msg, ni, lpni, cpt);
  }

  /**
   * Keep the path just chosen for `msg` when it is forced: the peer has one peer NI on one
   * net, where `ni` is our only NI up (PathCache).
   */
  private rememberPath(msg: LNetMsg, ni: NetworkInterface, lpni: PeerNi, cpt: number): void {
    const lpn = lpni.peerNet;
    if (!pathCacheable(msg) || lpn.peer.nets.length !== 1 || lpn.peerNis.length !== 1 || ni.net !== lpn.net) return;
    if (!nidEquals(msg.target.nid, lpni.nid)) return;
    for (const other of this.nis) if (other !== ni && this.selection.isUpOn(other, ni.net)) return;
    this.pathCache.set(msg.target.nid, lpni, ni, cpt, this.peerTab.version);
  }

  /** send's 0@lo case (kept out of send: the hot path stays small enough for V8 to inline). */
  private sendLo(msg: LNetMsg): number {
    if (this.state !== 'running') return -Errno.ESHUTDOWN;
    msg.hdr.destNid = this.loNi.nid;
    msg.hdr.srcNid = this.loNi.nid;
    msg.target = { nid: this.loNi.nid, pid: msg.target.pid };
    msg.txPeerNid = this.loNi.nid;
    msg.txNi = this.loNi;
    this.commitTx(msg);
    return this.niSend(msg);
  }

  /**
   * send's discovery check: 1 when the message goes on now, 0 when it waits on the peer's
   * discovery, a negative errno when discovery could not start.
   */
  private holdForDiscovery(msg: LNetMsg, lpni: PeerNi): number {
    const hook = this.discoveryHook!;
    if (!msgTriggersDiscovery(msg)) return 1;
    const peer = lpni.peerNet.peer;
    if (!(peer.state & PeerState.RTR_DISCOVERY) && !isUptodate(peer, hook.ourSeqno(), hook.disabled())) {
      const rc = hook.start(peer);
      if (rc < 0) return rc;
      const now = lpni.peerNet.peer;
      if (!isUptodate(now, hook.ourSeqno(), hook.disabled())) {
        now.pending.push(msg);
        return 0;
      }
    }
    return 1;
  }

  /**
   * lnet_peer_discovery_complete's second half: the messages held for a peer go out now
   * (selection runs again, the peer is known), or fail with discovery's error.
   */
  releaseHeld(msgs: LNetMsg[], rc: number): void {
    for (const msg of msgs) {
      if (rc) {
        this.finalize(msg, rc);
        continue;
      }
      if (this.cancelledByUnlink(msg)) continue;
      const sendRc = this.send(msg.srcNidParam, msg, undefined);
      if (sendRc < 0) {
        this.log('debug', `error sending held ${formatMsgType(msg.type)} to ${formatNid(msg.target.nid)}: ${sendRc}`);
        this.finalize(msg, sendRc);
      }
    }
  }

  /**
   * No local net reaches `lpni`: a route is needed (routes.ts sets `routeSend`); without one
   * the send fails with EHOSTUNREACH.
   */
  noRoute(msg: LNetMsg, lpni: PeerNi, srcNi: NetworkInterface | undefined): number {
    if (this.routeSend) return this.routeSend(msg, lpni, srcNi);
    this.log('debug', `no route to ${formatNid(lpni.nid)}`);
    return -Errno.EHOSTUNREACH;
  }

  /** Routing's entry to the send path (set by the routing code): send `msg` via a gateway. */
  routeSend: ((msg: LNetMsg, dst: PeerNi, srcNi: NetworkInterface | undefined) => number) | undefined;

  /** Discovery's entry to the send path (src/discovery.ts sets it). */
  discoveryHook: DiscoveryHook | undefined;

  /** The second half of lnet_send once the path is chosen: addresses, commit, credits. */
  sendOn(msg: LNetMsg, ni: NetworkInterface, lpni: PeerNi): number {
    const cpt = this.cptOfNid(msg.hdr.destNid, this.ncpt) % ni.txQueues.length;
    const pc = this.pathCache;
    if (msg.srcNidParam === undefined && !pc.holds(msg.target.nid, this.peerTab.version)) this.rememberPath(msg, ni, lpni, cpt);
    return this.sendOnCpt(msg, ni, lpni, cpt);
  }

  /** sendOn once the tx queue (CPT) is known. */
  private sendOnCpt(msg: LNetMsg, ni: NetworkInterface, lpni: PeerNi, cpt: number): number {
    const dst = msg.hdr.destNid;
    msg.hdr.srcNid = ni.nid;
    msg.txPeerNid = dst;
    msg.txNi = ni;
    msg.txPeer = lpni;
    msg.txCpt = cpt;
    const md = msg.md;
    if (md && md.responseDeadline !== undefined) md.nextHopNid = dst;
    this.commitTx(msg);
    return this.postSend(msg);
  }

  /** lnet_msg_commit for sending (a REPLY reuses the received GET: already active). */
  private commitTx(msg: LNetMsg): void {
    msg.deadline = coarseNow() + this.msgTimeoutMs(msg.txNi);
    msg.txCommitted = true;
    if (!msg.rxCommitted) this.activate(msg);
  }

  /** lnet_msg_commit for receiving. */
  private commitRx(msg: LNetMsg): void {
    msg.deadline = coarseNow() + this.msgTimeoutMs(msg.rxNi);
    msg.rxCommitted = true;
    this.activate(msg);
  }

  /** Onto the active list (msgs_alloc counts what is on it). */
  private activate(msg: LNetMsg): void {
    msg.onActiveList = true;
    const c = this.counters;
    c.msgs_alloc++;
    if (c.msgs_alloc > c.msgs_max) c.msgs_max = c.msgs_alloc;
  }

  /**
   * get_msg_deadline: an LND with a timeout T of its own gives messages T × (retry_count + 1)
   * + 1 seconds (socklnd: 50 × 3 + 1 = 151); otherwise transaction_timeout.
   */
  private msgTimeoutMs(ni: NetworkInterface | undefined): number {
    const t = ni?.lnd.getTimeout?.() ?? 0;
    return (t > 0 ? t * (this.params.retry_count + 1) + 1 : this.params.transaction_timeout) * 1000;
  }

  /** lnet_post_send_locked: take a peer NI credit, then an NI credit, or queue. */
  private postSend(msg: LNetMsg): number {
    const lpni = msg.txPeer!;
    const ni = msg.txNi!;
    if (!msg.peerTxCredit) {
      msg.peerTxCredit = true;
      lpni.txQnob += msg.len + 72;
      lpni.txCredits--;
      if (lpni.txCredits < lpni.minTxCredits) lpni.minTxCredits = lpni.txCredits;
      if (lpni.txCredits < 0) {
        msg.txDelayed = true;
        lpni.txQueue.push(msg);
        return 0;
      }
    }
    if (!msg.txCredit) {
      const tq = ni.txQueues[msg.txCpt]!;
      msg.txCredit = true;
      tq.credits--;
      if (tq.credits < tq.minCredits) tq.minCredits = tq.credits;
      if (tq.credits < 0) {
        msg.txDelayed = true;
        tq.delayed.push(msg);
        return 0;
      }
    }
    msg.txDelayed = false;
    return this.niSend(msg);
  }

  /** lnet_ni_send */
  private niSend(msg: LNetMsg): number {
    const ni = msg.txNi!;
    let rc: number;
    try {
      rc = ni.lnd.send(ni, msg);
    } catch (e) {
      this.log('error', 'LND send threw', { lnd: ni.lnd.name, error: String(e) });
      rc = -Errno.EIO;
    }
    if (rc < 0) {
      // A send the LND refused outright is not resent (lnet_ni_send).
      msg.noResend = true;
      this.finalize(msg, rc);
    }
    return 0;
  }

  /** lnet_return_tx_credits_locked */
  private returnTxCredits(msg: LNetMsg): void {
    const ni = msg.txNi;
    if (msg.txCredit && ni) {
      msg.txCredit = false;
      const tq = ni.txQueues[msg.txCpt]!;
      tq.credits++;
      if (tq.credits <= 0) {
        const next = tq.delayed.shift();
        if (next) this.resumeDelayed(next, true);
      }
    }
    const lpni = msg.txPeer;
    if (msg.peerTxCredit && lpni) {
      msg.peerTxCredit = false;
      lpni.txQnob -= msg.len + 72;
      lpni.txCredits++;
      if (lpni.txCredits <= 0) {
        const next = lpni.txQueue.shift();
        if (next) this.resumeDelayed(next, false);
      }
    }
  }

  /**
   * lnet_post_send_locked(msg, do_send) for a message that waited for a credit and now has
   * it (`niCredit`: the NI's, its last; else the peer NI's, the NI's still to take): dropped
   * if its deadline passed meanwhile, cancelled if its MD was unlinked meanwhile, else on.
   */
  private resumeDelayed(msg: LNetMsg, niCredit: boolean): void {
    if (coarseNow() > msg.deadline) return this.dropExpired(msg);
    if (this.cancelledByUnlink(msg)) return;
    if (!niCredit) {
      this.postSend(msg);
      return;
    }
    msg.txDelayed = false;
    this.niSend(msg);
  }

  /** lnet_check_message_drop's deadline case: counted as a drop, finalized ETIMEDOUT. */
  private dropExpired(msg: LNetMsg): void {
    const c = this.counters;
    c.drop_count++;
    c.drop_length += msg.len;
    msg.txPeer?.stats.incr(msg.type, StatsType.DROP);
    msg.txNi?.stats.incr(msg.type, StatsType.DROP);
    this.log('debug', `dropping message for ${formatProcessId(msg.target)}: exceeded message deadline`);
    msg.healthStatus = HealthStatus.NETWORK_TIMEOUT;
    this.finalize(msg, -Errno.ETIMEDOUT);
  }

  /**
   * An MD unlinked (LNetMDUnlink) while its message waited (for a credit, a resend, or the
   * peer's discovery): the message is finalized ECANCELED, never resent, and this is true.
   * (The kernel finds the last two in lnet_post_send_locked after selection, and its lnet_send
   * then marks them LOCAL_ERROR, costing the NI health; an unlink says nothing about the NI,
   * so no health verdict here.)
   */
  private cancelledByUnlink(msg: LNetMsg): boolean {
    if (!msg.md?.aborted) return false;
    this.log('debug', `aborting message for ${formatProcessId(msg.target)}: LNetMDUnlink() already called on the MD`);
    msg.noResend = true;
    this.finalize(msg, -Errno.ECANCELED);
    return true;
  }

  // ---------------------------------------------------------------- receive path

  /**
   * With `keep` (parse's caller lends `hdr`), the header the caller decodes its next one into:
   * the pooled message's own header when parse kept `hdr` as the message's, else `hdr` again.
   */
  rxHdrOut: LNetHdr | undefined;

  /**
   * lnet_parse. `keep`: the LND hands `hdr` over (it decodes the next header into `rxHdrOut`),
   * so the message takes it as its own header by a swap instead of a copy.
   */
  parse(ni: NetworkInterface, hdr: LNetHdr, fromNid: Nid, rxPrivate: unknown, keep = false): number {
    if (keep) this.rxHdrOut = hdr;
    const type = hdr.type;
    const len = hdr.payloadLength >>> 0;
    // (The checks' failures are built out of line: parse stays small for V8's inliner.)
    if (type === LNetMsgType.PUT || type === LNetMsgType.REPLY ? len > LNET_MTU : !(type === LNetMsgType.ACK || type === LNetMsgType.GET) || len > 0)
      return this.badHdr(type, len);
    if (this.state !== 'running') {
      this.dropMessage(ni, rxPrivate, len, type);
      return 0;
    }
    if (!nidEquals(ni.nid, hdr.destNid)) return this.notForMe(ni, hdr.destNid, fromNid, rxPrivate, len, type);

    const msg = this.msgPool.alloc();
    msg.type = type;
    msg.rxPrivate = rxPrivate;
    msg.receiving = true;
    msg.len = msg.wanted = len;
    msg.offset = 0;
    if (keep) {
      // A swap: the message keeps the decoded header, the LND decodes the next one into the
      // message's old header (a decode writes every field). Otherwise a copy, as the LND reuses
      // `hdr` once we return.
      this.rxHdrOut = msg.hdr;
      msg.hdr = hdr;
    } else copyHdr(msg.hdr, hdr);
    msg.from = fromNid;
    msg.rxNi = ni;
    if (ni !== this.loNi) {
      const rxPeer = (msg.rxPeer = this.peerNiFor(fromNid, ni));
      rxPeer.lastAlive = this.nowSec;
      // The usual case, a message from the NID it came from: that peer NI's peer (the table
      // keeps lpnis and peerByNid in step), without building a key for the lookup.
      const src = hdr.srcNid;
      msg.initiator = nidEquals(src, fromNid) ? rxPeer.peerNet.peer.primaryNid : this.primaryNidOf(src);
    } else {
      msg.initiator = hdr.srcNid;
    }
    this.commitRx(msg);

    let rc: number;
    switch (type) {
      case LNetMsgType.ACK:
        rc = this.parseAck(ni, msg);
        break;
      case LNetMsgType.PUT:
        rc = this.parsePut(ni, msg);
        break;
      case LNetMsgType.GET:
        rc = this.parseGet(ni, msg);
        break;
      default:
        rc = this.parseReply(ni, msg);
        break;
    }
    if (rc < 0) {
      // No match: count the drop, let the LND discard the payload; the connection stays.
      this.finalize(msg, rc);
      this.dropMessage(ni, rxPrivate, len, type);
    }
    return 0;
  }

  /** parse's EPROTO for a header whose type or payload length is wrong. */
  private badHdr(type: LNetMsgType, len: number): number {
    switch (type) {
      case LNetMsgType.ACK:
      case LNetMsgType.GET:
        return this.protocolError(`bad ${formatMsgType(type)}: payload length ${len} must be 0`);
      case LNetMsgType.PUT:
      case LNetMsgType.REPLY:
        return this.protocolError(`bad ${formatMsgType(type)}: payload length ${len} exceeds LNET_MTU`);
      default:
        return this.protocolError(`bad message type ${type}`);
    }
  }

  /** parse of a message for another NID: a protocol error, or dropped (no routing here). */
  private notForMe(ni: NetworkInterface, dest: Nid, fromNid: Nid, rxPrivate: unknown, len: number, type: LNetMsgType): number {
    if (nidNet(dest) === ni.net) return this.protocolError(`bad dest nid ${formatNid(dest)} (should have been sent direct)`);
    if (this.isLocalNid(dest)) return this.protocolError(`bad dest nid ${formatNid(dest)} (it's my nid but on a different network)`);
    // Routing is not enabled on this node (forwarding is a later stage): drop, keep the connection.
    this.log('debug', `dropping message for ${formatNid(dest)} (routing not enabled)`, { from: formatNid(fromNid) });
    this.dropMessage(ni, rxPrivate, len, type);
    return 0;
  }

  /** The primary NID of the peer `src` belongs to (src itself for an unknown one). */
  private primaryNidOf(src: Nid): Nid {
    return this.peerTable.get(nidKey(src))?.primaryNid ?? src;
  }

  /** The reason of the last EPROTO from parse: the LND closing the connection logs it once. */
  lastProtocolError: string | undefined;

  private protocolError(reason: string): number {
    this.lastProtocolError = reason;
    return -Errno.EPROTO;
  }

  /** lnet_drop_message */
  private dropMessage(ni: NetworkInterface, rxPrivate: unknown, nob: number, type: LNetMsgType): void {
    ni.stats.incr(type, StatsType.DROP);
    this.counters.drop_count++;
    this.counters.drop_length += nob;
    this.niRecv(ni, rxPrivate, null, false, [], 0, 0, nob);
  }

  /** lnet_ni_recv */
  private niRecv(
    ni: NetworkInterface,
    rxPrivate: unknown,
    msg: LNetMsg | null,
    delayed: boolean,
    iov: Iov,
    offset: number,
    mlen: number,
    rlen: number,
  ): void {
    let rc: number;
    try {
      rc = ni.lnd.recv(ni, rxPrivate, msg, delayed, iov, offset, mlen, rlen);
    } catch (e) {
      this.log('error', 'LND recv threw', { lnd: ni.lnd.name, error: String(e) });
      rc = -Errno.EIO;
    }
    if (rc < 0 && msg) this.finalize(msg, rc);
  }

  /** Matching is synchronous, so one scratch MatchInfo serves every message. */
  private readonly mi: MatchInfo = { nid: LNET_NID_LO_0, pid: 0, opc: 0, portal: 0, rlength: 0, roffset: 0, mbitsLo: 0, mbitsHi: 0 };

  private matchInfo(msg: LNetMsg, opc: number, rlength: number): MatchInfo {
    const h = msg.hdr;
    const mi = this.mi;
    mi.nid = msg.initiator;
    mi.pid = h.srcPid;
    mi.opc = opc;
    mi.portal = h.ptlIndex;
    mi.rlength = rlength;
    mi.roffset = h.offset;
    mi.mbitsLo = h.matchBitsLo;
    mi.mbitsHi = h.matchBitsHi;
    return mi;
  }

  /** After a match, an exhausted auto-unlink MD is unlinked at once (its ME may go too). */
  private afterMatch(msg: LNetMsg): void {
    const md = msg.md!;
    if (md.exhausted() && md.autoUnlink) this.mdUnlinkInternal(md);
  }

  private parsePut(ni: NetworkInterface, msg: LNetMsg): number {
    const portal = this.portals.get(msg.hdr.ptlIndex);
    if (!portal) return -Errno.ENOENT;
    const rc = this.portals.matchMd(portal, this.matchInfo(msg, MdOption.OP_PUT, msg.hdr.payloadLength), msg, this.attachMd);
    if (rc === MatchResult.OK) {
      this.afterMatch(msg);
      this.recvPut(ni, msg);
      return 0;
    }
    if (rc === MatchResult.NONE && portal.lazy) {
      msg.rxDelayed = true;
      portal.delayed.push(msg);
      return 0;
    }
    this.log('debug', `dropping PUT from ${formatNid(msg.initiator)} portal ${msg.hdr.ptlIndex}`, {
      length: msg.hdr.payloadLength,
    });
    return -Errno.ENOENT;
  }

  /** lnet_recv_put */
  private recvPut(ni: NetworkInterface, msg: LNetMsg): void {
    if (msg.wanted !== 0) msg.iov = msg.md!.iov;
    msg.ev.type = EventKind.PUT;
    msg.ack = !msg.hdr.wmd.isNone() && (msg.md!.options & MdOption.ACK_DISABLE) === 0;
    this.niRecv(ni, msg.rxPrivate, msg, msg.rxDelayed, msg.iov, msg.offset, msg.wanted, msg.hdr.payloadLength);
  }

  /** lnet_ptl_attach_md's second half: PUTs delayed on a lazy portal get a chance at a new MD. */
  private matchDelayed(me: Me, md: LibMd): void {
    const portal = this.portals.get(me.portal)!;
    if (portal.delayed.length === 0) return;
    const matched: LNetMsg[] = [];
    const dropped: LNetMsg[] = [];
    for (let i = 0; i < portal.delayed.length; ) {
      if (md.exhausted() || me.md !== md) break;
      const msg = portal.delayed[i]!;
      const rc = this.portals.tryMatchMd(md, me, this.matchInfo(msg, MdOption.OP_PUT, msg.hdr.payloadLength), msg, this.attachMd);
      if (rc === MatchResult.NONE) {
        i++;
        continue;
      }
      portal.delayed.splice(i, 1);
      (rc === MatchResult.OK ? matched : dropped).push(msg);
      if (rc === MatchResult.OK && md.exhausted() && md.autoUnlink) {
        this.mdUnlinkInternal(md);
        break;
      }
    }
    for (const msg of matched) this.recvPut(msg.rxNi!, msg);
    for (const msg of dropped) {
      this.dropMessage(msg.rxNi!, msg.rxPrivate, msg.len, msg.type);
      this.finalize(msg, -Errno.ENOENT);
    }
  }

  private parseGet(ni: NetworkInterface, msg: LNetMsg): number {
    const portal = this.portals.get(msg.hdr.ptlIndex);
    if (!portal) return -Errno.ENOENT;
    const rc = this.portals.matchMd(portal, this.matchInfo(msg, MdOption.OP_GET, msg.hdr.sinkLength), msg, this.attachMd);
    if (rc !== MatchResult.OK) {
      this.log('debug', `dropping GET from ${formatNid(msg.initiator)} portal ${msg.hdr.ptlIndex}`);
      return -Errno.ENOENT;
    }
    this.afterMatch(msg);
    const ev = msg.ev;
    ev.type = EventKind.GET;
    // The message becomes the REPLY while the GET event waits for its completion: the event
    // takes its fields from the GET now.
    ev.materialize();
    const replyWmd = msg.hdr.wmd;
    const source = ev.source;
    this.prepSend(msg, LNetMsgType.REPLY, source, msg.offset, msg.wanted);
    msg.hdr.wmd = replyWmd;
    // Complete the LND's receive of the GET header, then send the REPLY from the NI it came in on.
    this.niRecv(ni, msg.rxPrivate, null, false, [], 0, 0, 0);
    msg.receiving = false;
    const sendRc = this.send(ni === this.loNi ? undefined : ni.nid, msg, msg.from);
    if (sendRc < 0) {
      this.log('error', `unable to send REPLY for GET from ${formatNid(source.nid)}: ${sendRc}`);
      this.finalize(msg, sendRc);
    }
    return 0;
  }

  private parseReply(ni: NetworkInterface, msg: LNetMsg): number {
    const md = this.wireHandleToMd(msg.hdr.wmd);
    if (!md || md.threshold === 0 || md.me) {
      this.log('debug', `dropping REPLY from ${formatNid(msg.initiator)}: MD no longer valid`);
      return -Errno.ENOENT;
    }
    const rlength = msg.hdr.payloadLength;
    const mlength = Math.min(rlength, md.length);
    if (mlength < rlength && (md.options & MdOption.TRUNCATE) === 0) {
      this.log('debug', `dropping REPLY from ${formatNid(msg.initiator)}: ${rlength} bytes into a ${md.length}-byte MD`);
      return -Errno.ENOENT;
    }
    this.untrackResponse(md);
    this.attachMd(msg, md, 0, mlength);
    if (mlength !== 0) msg.iov = md.iov;
    msg.ev.type = EventKind.REPLY;
    this.niRecv(ni, msg.rxPrivate, msg, false, msg.iov, 0, mlength, rlength);
    return 0;
  }

  private parseAck(ni: NetworkInterface, msg: LNetMsg): number {
    const md = this.wireHandleToMd(msg.hdr.wmd);
    if (!md || md.threshold === 0 || md.me) {
      this.log('debug', `dropping ACK from ${formatNid(msg.initiator)}: MD no longer valid`);
      return -Errno.ENOENT;
    }
    this.untrackResponse(md);
    this.attachMd(msg, md, 0, 0);
    msg.ev.type = EventKind.ACK;
    this.niRecv(ni, msg.rxPrivate, msg, false, [], 0, 0, msg.len);
    return 0;
  }

  // ---------------------------------------------------------------- completion

  /**
   * lnet_finalize's first half: health's verdict (a resend takes the message over), the MD's
   * event. True when the message is committed and still has to be completed.
   */
  private finalizeStart(msg: LNetMsg, status: number): boolean {
    if (msg.finalized) return false;
    if ((msg.txCommitted || msg.rxCommitted) && this.health.check(msg, status)) return false;
    // Finalized from here on: a second finalize from an LND while this one waits in the
    // completion queue finds it done (completeMsg clears it when the message goes on as an ACK).
    msg.finalized = true;
    msg.ev.status = status;
    if (msg.md) this.detachMd(msg, status);
    if (!msg.txCommitted && !msg.rxCommitted) {
      // Never committed (a send that failed before it): nothing to complete, and the message
      // is not pooled again but left to the GC (its caller may still hold it).
      this.msgPool.forget(msg);
      return false;
    }
    return true;
  }

  /** lnet_finalize */
  finalize(msg: LNetMsg, status: number): void {
    if (!this.finalizeStart(msg, status)) return;
    // Recursion breaker: an LND finishing synchronously inside a send must not nest completions.
    const q = this.finalizeQueue;
    if (this.finalizing) {
      q.push(msg);
      return;
    }
    this.finalizing = true;
    try {
      // Nothing waiting (the usual case): this one at once, without a trip through the queue.
      if (q.length === 0) this.completeMsg(msg);
      else q.push(msg);
      let m: LNetMsg | undefined;
      while ((m = q.shift())) this.completeMsg(m);
    } finally {
      this.finalizing = false;
    }
  }

  /**
   * lnet_finalize of a batch the LND finished together (socklnd: one written batch): the
   * messages in order, as finalize on each, inside one pass of the recursion breaker (what a
   * handler finalizes meanwhile completes right after the message whose event it got).
   */
  finalizeBatch(msgs: ReadonlyArray<LNetMsg | undefined>, n: number, status: number): void {
    if (this.finalizing || status !== 0) {
      for (let i = 0; i < n; i++) this.finalize(msgs[i]!, status);
      return;
    }
    const q = this.finalizeQueue;
    this.finalizing = true;
    try {
      for (let i = 0; i < n; i++) {
        const msg = msgs[i]!;
        if (!this.finalizeStart(msg, 0)) continue;
        this.completeMsg(msg);
        let m: LNetMsg | undefined;
        while ((m = q.shift())) this.completeMsg(m);
      }
    } finally {
      this.finalizing = false;
    }
  }

  /**
   * lnet_resend_msg_locked: give back what the failed attempt held and queue the message for
   * the resend pass, which runs selection again (health now steers it to another path).
   */
  queueResend(msg: LNetMsg): void {
    msg.retries++;
    if (msg.type !== LNetMsgType.REPLY) this.deactivate(msg);
    msg.ev.materialize(); // its SEND event names the target first asked for
    msg.target = { nid: msg.hdr.destNid, pid: msg.target.pid };
    this.returnTxCredits(msg);
    msg.txCommitted = false;
    msg.sending = false;
    msg.healthStatus = undefined;
    this.resendQueue.push(msg);
    if (!this.resendScheduled) {
      this.resendScheduled = true;
      queueMicrotask(() => this.resendPending());
    }
  }

  /** lnet_resend_pending_msgs */
  private resendPending(): void {
    this.resendScheduled = false;
    for (let msg = this.resendQueue.shift(); msg; msg = this.resendQueue.shift()) {
      if (msg.finalized) continue; // a stray second finalize got to it while it waited
      if (this.cancelledByUnlink(msg)) continue;
      const rc = this.send(msg.srcNidParam, msg, undefined);
      if (rc < 0) {
        this.log('warn', `error resending ${formatMsgType(msg.type)} to ${formatNid(msg.target.nid)}: ${rc}`);
        msg.noResend = true;
        this.finalize(msg, rc);
      } else this.counters.resend_count++;
    }
  }

  /** lnet_complete_msg_locked */
  private completeMsg(msg: LNetMsg): void {
    const status = msg.ev.status;
    if (status === 0 && msg.ack) {
      // The PUT landed: turn the message into the ACK (the PUT event has been delivered).
      this.decommit(msg, 0);
      msg.ack = false;
      msg.finalized = false;
      // (What the ACK takes from the PUT is read before prepSend resets the header.)
      const h = msg.hdr;
      const ackWmd = h.wmd;
      const mbitsLo = h.matchBitsLo;
      const mbitsHi = h.matchBitsHi;
      const self = msg.rxNi === this.loNi ? undefined : h.destNid;
      const source = msg.ev.source;
      this.prepSend(msg, LNetMsgType.ACK, source, 0, 0);
      h.wmd = ackWmd;
      h.matchBitsLo = mbitsLo;
      h.matchBitsHi = mbitsHi;
      h.mlength = msg.wanted;
      const rc = this.send(self, msg, msg.from);
      if (rc < 0) {
        msg.ev.status = rc;
        this.decommitAndFree(msg, rc);
      }
      return;
    }
    this.decommitAndFree(msg, status);
  }

  private decommitAndFree(msg: LNetMsg, status: number): void {
    if (msg.txCommitted || msg.rxCommitted) this.decommit(msg, status);
    msg.finalized = true;
    // lnet_msg_free: nothing refers to the message any more (the LND is done with it, it is
    // off every queue, its event has been delivered).
    this.msgPool.free(msg);
  }

  /** lnet_msg_decommit: counters, credits, off the active list. */
  private decommit(msg: LNetMsg, status: number): void {
    if (msg.txCommitted) this.decommitTx(msg, status);
    if (msg.rxCommitted) this.decommitRx(msg, status);
    this.deactivate(msg);
  }

  /** decommit's sending half (the halves apart: each small enough for V8 to inline). */
  private decommitTx(msg: LNetMsg, status: number): void {
    if (status === 0) {
      const c = this.counters;
      switch (msg.ev.type) {
        case EventKind.PUT: // we sent the ACK for a received PUT
          msg.type = LNetMsgType.PUT;
          break;
        case EventKind.SEND:
          if (msg.type === LNetMsgType.PUT) c.send_length += msg.len;
          break;
        case EventKind.GET: // we sent the REPLY for a received GET
          msg.type = LNetMsgType.GET;
          break;
        default:
          break;
      }
      c.send_count++;
      msg.txPeer?.stats.incr(msg.type, StatsType.SEND);
      msg.txNi?.stats.incr(msg.type, StatsType.SEND);
    }
    this.returnTxCredits(msg);
    msg.txCommitted = false;
  }

  /** decommit's receiving half. */
  private decommitRx(msg: LNetMsg, status: number): void {
    if (status === 0) {
      const c = this.counters;
      const type = msg.ev.type;
      if (type === EventKind.GET) c.send_length += msg.wanted;
      c.recv_count++;
      msg.rxPeer?.stats.incr(msg.type, StatsType.RECV);
      msg.rxNi?.stats.incr(msg.type, StatsType.RECV);
      if (type === EventKind.PUT || type === EventKind.REPLY) c.recv_length += msg.wanted;
    }
    msg.rxCommitted = false;
  }

  /** Off the active list (msgs_alloc counts what is on it). */
  private deactivate(msg: LNetMsg): void {
    if (!msg.onActiveList) return;
    msg.onActiveList = false;
    this.counters.msgs_alloc--;
  }

  // ---------------------------------------------------------------- misc

  /** For tests and tools: live MD and ME counts (nothing should leak). */
  resourceCounts(): { mds: number; mes: number; active: number; trackers: number } {
    const internal = (m: { keys(): Iterable<number> }): number => [...m.keys()].filter((c) => this.internalCookies.has(c)).length;
    return {
      mds: this.mds.size + this.untabledMds - internal(this.mds),
      mes: this.mes.size - internal(this.mes),
      active: this.activeCount,
      trackers: this.responseTrackers.size,
    };
  }
}

/** A message the path cache may serve: a PUT or GET (responses go back the way they came), not a recovery ping. */
function pathCacheable(msg: LNetMsg): boolean {
  return (msg.type === LNetMsgType.PUT || msg.type === LNetMsgType.GET) && !msg.recovery;
}

/** mdBind's errors, built out of its hot path: -1 for OP_PUT/OP_GET, else the MD's length. */
function badBoundMd(length: number): never {
  if (length < 0) throw new LNetError('EINVAL', 'a bound MD cannot take OP_PUT or OP_GET (those are for MDs attached to MEs)');
  throw new LNetError('EINVAL', `MD length ${length} exceeds LNET_MTU (${LNET_MTU})`);
}
