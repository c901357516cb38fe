import { LNetError } from './errors.js';
import { configFromModuleParams, type ModuleParamsSource } from './module-params-config.js';
import { ping, type PingOptions, type PingResult } from './ping.js';
import { Discovery } from './discovery.js';
import { Errno, errnoName } from './errno.js';
import { LoLnd } from '../lnd/lolnd/index.js';
import { AckReq, EventKind, InsPos, LNET_MD_THRESH_INF, MdOption, Unlink } from './core/constants.js';
import type { LNetCounters } from './core/counters.js';
import type { LNetEvent } from './core/event.js';
import { EventQueue } from './core/event-queue.js';
import type { MdHandle, MeHandle } from './core/handle.js';
import type { Lnd } from './core/lnd.js';
import { LNetCore, type LogFn, type NetConfig, type NiConfig } from './core/lnet-core.js';
import type { MdSpec } from './core/md.js';
import type { NetworkInterface, NiTunables } from './core/ni.js';
import type { CoreParams } from './core/params.js';
import { u64Hi, u64Lo, u64Split, type U64 } from './core/u64.js';
import { formatLnd, lndInfo, LndType } from './nid/lnd-type.js';
import { formatNet, LNET_NET_ANY, netType, parseNet } from './nid/net.js';
import { LNET_ANY_NID, nidEquals, nidKey, nidNet as nidNetOf, type Nid } from './nid/nid.js';
import { formatNid, parseNid } from './nid/nid-string.js';
import { LNET_UNDEFINED_HOPS, RouteTable, type Route } from './core/routes.js';
import { RouterConfig, RoutingState, type RouterBufferParams } from './core/router-config.js';
import { globalsOf, setGlobal, type GlobalName, type GlobalSettings } from './lnet-globals.js';
import { LNET_MAX_HEALTH_VALUE } from './core/peer-ni.js';
import { LNET_PID_ANY, LNET_PID_LUSTRE, parseProcessId, type ProcessId } from './nid/process-id.js';

export interface LNetNiConfig {
  /** The NI's NID, e.g. `10.0.0.1@tcp`. Socket LNDs can derive it from `interfaces`. */
  nid?: string;
  interfaces?: string[];
  cpts?: number[];
  lndTunables?: Record<string, number | string>;
}

export interface LNetNetConfig {
  /** `tcp`, `tcp1`, `o2ib`, … */
  net: string;
  /** The LND driving this net; default: `lnds[<lnd name>]` of the instance config. */
  lnd?: Lnd;
  nis: LNetNiConfig[];
  tunables?: Partial<NiTunables>;
}

export interface LNetConfig {
  nets?: LNetNetConfig[];
  /** Our pid; kernel nodes use 12345. */
  pid?: number;
  params?: Partial<CoreParams>;
  ncpt?: number;
  /** LNDs by LND name (`tcp`, `o2ib`, …): which implementation drives each net type. */
  lnds?: Record<string, Lnd>;
  log?: LogFn;
  /** Router buffer pools and forwarding (lnet module parameters). */
  router?: Partial<RouterBufferParams>;
  /** The route table: routes start down (check_routers_before_use), remote-net hash size. */
  routes?: { startDown?: boolean; hashSize?: number; random?: () => number };
  /** This node is a gateway in its routes= (router pools are allocated at startup). */
  imARouter?: boolean;
}

/** Where to send: a ProcessId, or `pid-nid` / `nid` text (pid defaults to 12345). */
export type Target = ProcessId | string;

export interface PutOptions {
  target: Target;
  portal: number;
  matchBits: U64;
  data: Uint8Array | readonly Uint8Array[];
  /** Ask for an ACK and resolve only when it arrives (default true). */
  ack?: boolean;
  /** The remote offset (used by MDs with MANAGE_REMOTE). */
  offset?: number;
  hdrData?: U64;
  /** Force the local NI. */
  source?: string | Nid;
  signal?: AbortSignal;
  /** Give up after this many ms with ETIMEDOUT (the MD is unlinked). */
  timeoutMs?: number;
  /** Extra MD options (e.g. MdOption.TRACK_RESPONSE, as discovery's pushes use). */
  mdOptions?: number;
}

export interface PutResult {
  /** Bytes the target deposited (from the ACK), or the bytes sent without ACK. */
  mlength: number;
  sendEvent: LNetEvent;
  ackEvent?: LNetEvent;
}

export interface GetOptions {
  target: Target;
  portal: number;
  matchBits: U64;
  /** The sink: a buffer to fill, or the number of bytes to ask for. */
  sink: Uint8Array | number;
  offset?: number;
  source?: string | Nid;
  signal?: AbortSignal;
  /** Give up after this many ms with ETIMEDOUT (the MD is unlinked). */
  timeoutMs?: number;
  /** Extra MD options (e.g. MdOption.TRACK_RESPONSE, as discovery's pings use). */
  mdOptions?: number;
}

export interface GetResult {
  /** The bytes received (a view into the sink). */
  data: Uint8Array;
  mlength: number;
  rlength: number;
  replyEvent: LNetEvent;
}

export interface ListenOptions {
  portal: number;
  matchBits?: U64;
  ignoreBits?: U64;
  /** Only from this initiator (NID text or Nid) and pid. */
  from?: { nid?: string | Nid; pid?: number };
  /** Largest message accepted (longer ones are truncated). Default LNET_MTU. */
  maxMessage?: number;
  /** Buffer size per posted MD; a new one is posted when it fills. Default 4 × maxMessage. */
  bufferSize?: number;
  /** Send ACKs when asked (default true). */
  ack?: boolean;
}

export interface IncomingMessage {
  data: Uint8Array;
  /** Bytes sent (data may be shorter if truncated). */
  rlength: number;
  initiator: ProcessId;
  source: ProcessId;
  matchBits: bigint;
  hdrData: bigint;
  portal: number;
  event: LNetEvent;
}

function errorFor(status: number, what: string): LNetError {
  const name = errnoName(status) ?? 'EIO';
  return new LNetError(name, `${what} failed with ${name} (${status})`);
}

function toNid(n: string | Nid): Nid {
  return typeof n === 'string' ? parseNid(n) : n;
}

/** An NI of the public config as the core takes it (the NID parsed). */
function toNiConfig(ni: LNetNiConfig): NiConfig {
  return { nid: ni.nid === undefined ? undefined : parseNid(ni.nid), interfaces: ni.interfaces, cpts: ni.cpts, lndTunables: ni.lndTunables };
}

/**
 * A full LNet instance in this process. Kernel-shaped verbs (meAttach, mdAttach, mdBind,
 * mdUnlink, put, get) and a Node layer over them (putAsync/getAsync Promises, listen() async
 * iterators, AbortSignal cancellation).
 */
export class LNet {
  readonly core: LNetCore;
  private readonly listeners = new Set<Listener>();
  /** LNDs by LND name, for nets added at run time. */
  private readonly lnds: Record<string, Lnd>;

  /** Ping, push and push-back between MR peers. */
  readonly discovery: Discovery;

  /** Routes to remote nets (configuration only: nothing is forwarded yet). */
  readonly routes: RouteTable;
  /** Routing enable state and router buffer pools. */
  readonly router: RouterConfig;

  private constructor(core: LNetCore, config: LNetConfig = {}) {
    this.core = core;
    this.lnds = { ...config.lnds };
    this.discovery = new Discovery(this);
    this.routes = new RouteTable({
      isLocalNet: (net) => core.nis.some((ni) => ni.net === net && ni.state === 'up'),
      ...config.routes,
    });
    this.router = new RouterConfig(core.ncpt, config.router);
    // The ping buffer advertises RTE_DISABLED unless forwarding is fully enabled.
    this.router.onStateChange = (st) => {
      core.params.routing = st === RoutingState.ENABLED ? 1 : 0;
      if (core.state === 'running') core.pingTarget.update();
    };
    this.router.startup(config.imARouter ?? false);
    // Route gateways are routers to the core (aliveness, health) and to UDSP's router rules.
    core.isRouterPeerNi = (lpni) => this.routes.isGateway(lpni.nid);
    core.udsp.gateways = () => [...new Map(this.routes.list().map((r) => [nidKey(r.gateway), r.gateway])).values()];
  }

  /** `lnetctl discover [--force]`: the peer's NIDs, Multi-Rail, and our buffer pushed to it. */
  async discover(target: Target, opts: { timeoutMs?: number; force?: boolean } = {}): Promise<PingResult> {
    const peer = await this.discovery.discover(target, opts);
    return {
      primaryNid: peer.primaryNid,
      multiRail: peer.multiRail,
      peerNis: peer.nids.map((nid) => ({ nid, pid: peer.pid })),
      features: peer.features,
      seqno: peer.seqno,
    };
  }

  /** Build and start an instance. */
  static async start(config: LNetConfig = {}): Promise<LNet> {
    const nets: NetConfig[] = (config.nets ?? []).map((n) => {
      const net = parseNet(n.net);
      const name = lndInfo(netType(net))?.name ?? formatLnd(netType(net));
      const lnd = n.lnd ?? config.lnds?.[name];
      if (!lnd) throw new LNetError('ENODEV', `no LND available for net ${n.net}: pass one in config.lnds.${name}`);
      return {
        net,
        lnd,
        tunables: n.tunables,
        nis: n.nis.map(toNiConfig),
      } as NetConfig;
    });
    const core = new LNetCore({
      pid: config.pid,
      params: config.params,
      ncpt: config.ncpt,
      nets,
      lolnd: new LoLnd(),
      log: config.log,
    });
    await core.startup();
    return new LNet(core, config);
  }

  /**
   * Start from module parameters (`options lnet networks=…` text or file, or insmod-style
   * arguments), as `lctl network up` would on a kernel node. LNDs still come from `base.lnds`.
   */
  static async startFromModuleParams(src: ModuleParamsSource, base: Omit<LNetConfig, 'nets'> = {}): Promise<LNet> {
    return LNet.start(configFromModuleParams(src, base).config);
  }

  /** Shut down: listeners end, messages in flight complete with errors, NIs go down. */
  async shutdown(): Promise<void> {
    for (const l of [...this.listeners]) l.close();
    this.router.shutdown();
    this.routes.clear();
    await this.core.shutdown();
  }

  get pid(): number {
    return this.core.pid;
  }

  /** The local NIDs, 0@lo first (lctl list_nids prints them without 0@lo). */
  nids(): Nid[] {
    return this.core.nis.map((ni) => ni.nid);
  }

  get nis(): readonly NetworkInterface[] {
    return this.core.nis;
  }

  get counters(): LNetCounters {
    return this.core.counters;
  }

  parseTarget(t: Target): ProcessId {
    if (typeof t !== 'string') return t;
    const r = parseProcessId(t);
    return { nid: r.nid, pid: r.pid ?? LNET_PID_LUSTRE };
  }

  // ------------------------------------------------------------ runtime configuration (lnetctl)

  /** The LND for a net, from the instance's LNDs (`lnds[<lnd name>]`). */
  private lndFor(net: string): Lnd | undefined {
    const n = parseNet(net);
    return this.lnds[lndInfo(netType(n))?.name ?? formatLnd(netType(n))];
  }

  /**
   * `lnetctl net add` (lnet_dyn_add_ni): bring up the NIs of a net while running. EEXIST when
   * an NI with that NID (or interface on that net) exists, EUSERS when routes lead to the net,
   * ENOSPC past max_interfaces, ENODEV without an LND for it.
   */
  async addNet(cfg: LNetNetConfig): Promise<NetworkInterface[]> {
    if (this.core.state !== 'running') throw new LNetError('ESHUTDOWN', 'LNet is not running');
    const net = parseNet(cfg.net);
    const lnd = cfg.lnd ?? this.lndFor(cfg.net);
    if (!lnd) throw new LNetError('ENODEV', `no LND available for net ${cfg.net}`);
    if (this.routes.list({ net }).length > 0)
      throw new LNetError('EUSERS', `adding net ${formatNet(net)} would invalidate the routing configuration`);
    for (const ni of cfg.nis) {
      const nid = ni.nid === undefined ? undefined : parseNid(ni.nid);
      const dup = this.core.nis.find(
        (o) => o.net === net && ((nid && nidEquals(o.nid, nid)) || (!nid && ni.interfaces?.[0] !== undefined && o.interfaces[0] === ni.interfaces[0])),
      );
      if (dup) throw new LNetError('EEXIST', `NI ${formatNid(dup.nid)} already exists`);
    }
    if (this.core.nis.length - 1 + cfg.nis.length > this.core.params.lnet_interfaces_max)
      throw new LNetError('ENOSPC', 'too many NIs, check lnet_interfaces_max');
    return this.core.addNet({
      net,
      lnd,
      tunables: cfg.tunables,
      nis: cfg.nis.map(toNiConfig),
    });
  }

  /** `lnetctl net del --net N` (lnet_dyn_del_net): every NI of the net. EINVAL for lo or an unknown net. */
  async delNet(netName: string): Promise<void> {
    const net = parseNet(netName);
    if (netType(net) === LndType.LOLND) throw new LNetError('EINVAL', 'the loopback net cannot be removed');
    const nis = this.core.nis.filter((ni) => ni.net === net);
    if (nis.length === 0) throw new LNetError('EINVAL', `net ${formatNet(net)} not found`);
    for (const ni of nis) await this.core.delNi(ni);
  }

  /** `lnetctl net del --nid NID` (lnet_dyn_del_ni). ENOENT when no NI has that NID. */
  async delNi(nid: string | Nid): Promise<void> {
    const n = toNid(nid);
    if (n.type === LndType.LOLND) throw new LNetError('EINVAL', 'the loopback NI cannot be removed');
    const ni = this.core.findNi(n);
    if (!ni) throw new LNetError('ENOENT', `nid ${formatNid(n)} not found`);
    await this.core.delNi(ni);
  }

  /** What `lnetctl global show` prints. */
  get globals(): GlobalSettings {
    return globalsOf(this.core.params);
  }

  /**
   * `lnetctl set <name> <value>` with the kernel's validation (throws GlobalSettingError).
   * Turning discovery on or off changes the ping buffer's DISCOVERY feature at once.
   */
  setGlobal(name: GlobalName, value: number): GlobalName[] {
    if (name === 'discovery') {
      // discovery_set: any non-zero value enables; turning it off also tells the MR peers.
      this.discovery.setEnabled(Math.trunc(value) !== 0);
      return ['discovery'];
    }
    return setGlobal(this.core.params, name, value);
  }

  /**
   * `lnetctl net set --health V [--nid NID | --all]`: clamped to 0..1000 (below 1000 the NI goes
   * for recovery; 0 is DOWN). ENOENT for an unknown NID.
   */
  setNiHealth(value: number, nid?: string | Nid): void {
    const v = Math.max(0, Math.min(LNET_MAX_HEALTH_VALUE, Math.trunc(value)));
    const n = nid === undefined ? undefined : toNid(nid);
    if (n && !this.core.findNi(n)) throw new LNetError('ENOENT', `no local NI ${formatNid(n)}`);
    this.core.setNiHealth(v, n);
  }

  /**
   * `lnetctl peer set --health V [--nid NID | --all]` (lnet_peer_ni_set_healthv): one peer NI,
   * or with `wholePeer` every NI of the peer it belongs to; undefined nid means all peer NIs.
   */
  setPeerNiHealth(value: number, nid?: string | Nid, wholePeer = false): void {
    const v = Math.max(0, Math.min(LNET_MAX_HEALTH_VALUE, Math.trunc(value)));
    if (nid === undefined) return this.core.setPeerNiHealth(v);
    const n = toNid(nid);
    const peer = this.core.peerTable.get(nidKey(n));
    if (!peer) throw new LNetError('ENOENT', `no peer NI ${formatNid(n)}`);
    for (const t of wholePeer ? peer.nids : [n]) this.core.setPeerNiHealth(v, t);
  }

  /** `lnetctl stats reset`: the counters `stats show` prints (not the live allocation counts). */
  resetStats(): void {
    this.core.counters.reset();
  }

  /**
   * `lnetctl route add`: the route (see RouteTable.add for the errnos), and a peer for the
   * gateway as lnet_add_route creates one (Multi-Rail off until discovery says otherwise).
   */
  addRoute(net: string, gateway: string | Nid, hops = LNET_UNDEFINED_HOPS, priority = 0): Route {
    const gw = toNid(gateway);
    const route = this.routes.add(parseNet(net), gw, hops, priority);
    if (!this.core.peerTable.has(nidKey(gw))) this.core.peerTab.trafficAdd(gw);
    return route;
  }

  /** `lnetctl route del`: ENOENT when the net has no routes. */
  delRoute(net: string | undefined, gateway?: string | Nid): Route[] {
    return this.routes.del(net === undefined ? LNET_NET_ANY : parseNet(net), gateway === undefined ? undefined : toNid(gateway));
  }

  /** Is this local NID's net one we have an NI on (for route and peer checks)? */
  hasLocalNet(nid: Nid): boolean {
    return this.core.nis.some((ni) => ni.net === nidNetOf(nid));
  }

  // ------------------------------------------------------------ kernel-shaped verbs

  /** LNetMEAttach. `matchId` ANY NID / LNET_PID_ANY are wildcards. */
  meAttach(
    portal: number,
    matchId: ProcessId,
    matchBits: U64,
    ignoreBits: U64,
    unlink: Unlink = Unlink.UNLINK,
    pos: InsPos = InsPos.AFTER,
  ): MeHandle {
    const [mlo, mhi] = u64Split(matchBits, 'match bits');
    const [ilo, ihi] = u64Split(ignoreBits, 'ignore bits');
    return this.core.meAttach(portal, matchId, mlo, mhi, ilo, ihi, unlink, pos);
  }

  meUnlink(me: MeHandle): void {
    this.core.meUnlink(me);
  }

  mdAttach(me: MeHandle, md: MdSpec, unlink: Unlink = Unlink.UNLINK): MdHandle {
    return this.core.mdAttach(me, md, unlink);
  }

  mdBind(md: MdSpec, unlink: Unlink = Unlink.UNLINK): MdHandle {
    return this.core.mdBind(md, unlink);
  }

  mdUnlink(md: MdHandle): void {
    this.core.mdUnlink(md);
  }

  /** LNetPut: completion and failures arrive as events on the MD's handler. */
  put(
    self: Nid | undefined,
    md: MdHandle,
    ack: AckReq,
    target: ProcessId,
    portal: number,
    matchBits: U64,
    offset = 0,
    hdrData: U64 = 0,
  ): void {
    this.core.put(self, md, ack, target, portal, u64Lo(matchBits, 'match bits'), u64Hi(matchBits), offset, u64Lo(hdrData, 'hdr_data'), u64Hi(hdrData));
  }

  /** LNetGet */
  get(self: Nid | undefined, md: MdHandle, target: ProcessId, portal: number, matchBits: U64, offset = 0): void {
    this.core.get(self, md, target, portal, u64Lo(matchBits, 'match bits'), u64Hi(matchBits), offset);
  }

  setLazyPortal(portal: number): void {
    this.core.setLazyPortal(portal);
  }

  clearLazyPortal(portal: number): void {
    this.core.clearLazyPortal(portal);
  }

  /** A queue whose `handler` can be given to MDs, iterated with `for await`. */
  eventQueue(): EventQueue {
    return new EventQueue();
  }

  // ------------------------------------------------------------ Node layer

  /**
   * PUT `data` and resolve on the ACK (or on SEND when `ack: false`). Rejects with the
   * errno-named error of a failed send, ETIMEDOUT when no ACK comes within the transaction
   * timeout, or ECANCELED when `signal` aborts.
   */
  putAsync(o: PutOptions): Promise<PutResult> {
    const wantAck = o.ack ?? true;
    const target = this.parseTarget(o.target);
    return this.operation({
      what: 'PUT',
      target,
      signal: o.signal,
      timeoutMs: o.timeoutMs,
      md: { start: o.data, threshold: wantAck ? 2 : 1, options: o.mdOptions ?? 0 },
      response: wantAck ? EventKind.ACK : undefined,
      start: (mdh) =>
        this.put(
          o.source === undefined ? undefined : toNid(o.source),
          mdh,
          wantAck ? AckReq.ACK : AckReq.NOACK,
          target,
          o.portal,
          o.matchBits,
          o.offset ?? 0,
          o.hdrData ?? 0,
        ),
      result: (send, ack) => ({ mlength: ack ? ack.mlength : send.mlength, sendEvent: send, ...(ack ? { ackEvent: ack } : {}) }),
    });
  }

  /** GET into `sink`; resolves with the REPLY's bytes. Errors as for putAsync. */
  getAsync(o: GetOptions): Promise<GetResult> {
    const target = this.parseTarget(o.target);
    const sink = typeof o.sink === 'number' ? new Uint8Array(o.sink) : o.sink;
    return this.operation({
      what: 'GET',
      target,
      signal: o.signal,
      timeoutMs: o.timeoutMs,
      md: { start: sink, threshold: 2, options: MdOption.TRUNCATE | (o.mdOptions ?? 0) },
      response: EventKind.REPLY,
      start: (mdh) =>
        this.get(o.source === undefined ? undefined : toNid(o.source), mdh, target, o.portal, o.matchBits, o.offset ?? 0),
      result: (_send, reply) => ({
        data: sink.subarray(0, reply!.mlength),
        mlength: reply!.mlength,
        rlength: reply!.rlength,
        replyEvent: reply!,
      }),
    });
  }

  /**
   * One initiator operation over a bound MD: settles when SEND (and the expected ACK or
   * REPLY) arrived, or on the first error, a response timeout (UNLINK) or an abort.
   */
  private operation<T>(o: {
    what: 'PUT' | 'GET';
    target: ProcessId;
    signal: AbortSignal | undefined;
    timeoutMs: number | undefined;
    md: { start: MdSpec['start']; threshold: number; options: number };
    response: EventKind | undefined;
    start: (mdh: MdHandle) => void;
    result: (send: LNetEvent, response: LNetEvent | undefined) => T;
  }): Promise<T> {
    const peer = (): string => formatNid(o.target.nid);
    return new Promise<T>((resolve, reject) => {
      if (o.signal?.aborted) return reject(new LNetError('ECANCELED', `${o.what} aborted before it started`));
      let sendEv: LNetEvent | undefined;
      let respEv: LNetEvent | undefined;
      let failed: LNetError | undefined;
      let settled = false;
      const done = (): boolean => sendEv !== undefined && (o.response === undefined || respEv !== undefined);
      const settle = (): void => {
        if (settled || (!failed && !done())) return;
        settled = true;
        o.signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
        if (failed) {
          // Nothing more will come for this operation: release the MD and its response tracker.
          if (this.core.isMdLive(mdh)) this.core.mdUnlink(mdh);
          reject(failed);
        } else resolve(o.result(sendEv!, respEv));
      };
      const giveUp = (err: LNetError): void => {
        failed ??= err;
        if (this.core.isMdLive(mdh)) this.core.mdUnlink(mdh);
        settle();
      };
      const onAbort = (): void => giveUp(new LNetError('ECANCELED', `${o.what} aborted`));
      let timer: NodeJS.Timeout | undefined;
      // Events are valid only during the call: the ones the result holds are copies.
      const handler = (ev: LNetEvent): void => {
        if (ev.type === EventKind.SEND) {
          sendEv = ev.clone();
          if (ev.status !== 0) failed ??= errorFor(ev.status, `${o.what} send`);
        } else if (ev.type === o.response) {
          respEv = ev.clone();
          if (ev.status !== 0) failed ??= errorFor(ev.status, `${o.what} ${EventKind[ev.type]}`);
        } else if (ev.type === EventKind.UNLINK) {
          failed ??= new LNetError('ETIMEDOUT', `no ${EventKind[o.response ?? EventKind.SEND]} from ${peer()} within the transaction timeout`);
        }
        if (ev.unlinked && !failed && !done()) failed = new LNetError('ETIMEDOUT', `${o.what} with ${peer()} did not complete`);
        settle();
      };
      // Always the same four keys: one object shape for every operation's MD spec.
      const mdh = this.core.mdBind({ start: o.md.start, threshold: o.md.threshold, options: o.md.options, handler }, Unlink.UNLINK);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      if (o.timeoutMs !== undefined)
        timer = setTimeout(() => giveUp(new LNetError('ETIMEDOUT', `${o.what} with ${peer()}: no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
      try {
        o.start(mdh);
      } catch (e) {
        if (this.core.isMdLive(mdh)) this.core.mdUnlink(mdh);
        settled = true;
        o.signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
        reject(e);
      }
    });
  }

  /** `lnetctl ping`: the peer's NIs from its ping buffer (see PingResult). */
  ping(target: Target, opts?: PingOptions): Promise<PingResult> {
    return ping(this, target, opts);
  }

  /** Receive PUTs on a portal as an async iterable of messages (copied out of the buffers). */
  listen(o: ListenOptions): Listener {
    const l = new Listener(this, o);
    this.listeners.add(l);
    l.onClose = () => this.listeners.delete(l);
    return l;
  }

  /**
   * Answer GETs on a portal with `data` until the returned function is called.
   * (An ME + MD with OP_GET and an unlimited threshold.) `onGet` sees each GET event, valid
   * during the call only (keep `ev.clone()`).
   */
  serveGet(o: { portal: number; matchBits?: U64; ignoreBits?: U64; data: Uint8Array; onGet?: (ev: LNetEvent) => void }): () => void {
    const me = this.meAttach(o.portal, { nid: LNET_ANY_NID, pid: LNET_PID_ANY }, o.matchBits ?? 0, o.ignoreBits ?? 0);
    const md = this.mdAttach(me, {
      start: o.data,
      threshold: LNET_MD_THRESH_INF,
      // MANAGE_REMOTE: every GET reads from the offset it asks for, as the kernel's ping target.
      options: MdOption.OP_GET | MdOption.TRUNCATE | MdOption.MANAGE_REMOTE,
      handler: (ev) => {
        if (ev.type === EventKind.GET) o.onGet?.(ev);
      },
    });
    return () => {
      if (this.core.isMdLive(md)) this.mdUnlink(md);
    };
  }
}

/** PUTs arriving on a portal, as `for await (const m of listener)`. */
export class Listener implements AsyncIterable<IncomingMessage> {
  private readonly queue = new EventQueue();
  /** Posted buffers; two, so one can fill and unlink while the other takes messages. */
  private readonly mds = new Set<MdHandle>();
  private closed = false;
  onClose: (() => void) | undefined;
  private readonly maxMessage: number;
  private readonly bufferSize: number;

  constructor(
    private readonly lnet: LNet,
    private readonly o: ListenOptions,
  ) {
    this.maxMessage = o.maxMessage ?? 1 << 20;
    this.bufferSize = Math.max(this.maxMessage, o.bufferSize ?? this.maxMessage * 4);
    this.post();
    this.post();
  }

  /** Post a fresh buffer: MAX_SIZE makes the MD unlink itself when it can't take another message. */
  private post(): void {
    if (this.closed) return;
    const from = this.o.from;
    const me = this.lnet.meAttach(
      this.o.portal,
      { nid: from?.nid === undefined ? LNET_ANY_NID : toNid(from.nid), pid: from?.pid ?? LNET_PID_ANY },
      this.o.matchBits ?? 0,
      this.o.ignoreBits ?? 0,
      Unlink.UNLINK,
      InsPos.AFTER,
    );
    const spec: MdSpec = {
      start: new Uint8Array(this.bufferSize),
      threshold: LNET_MD_THRESH_INF,
      maxSize: this.maxMessage,
      options: MdOption.OP_PUT | MdOption.MAX_SIZE | MdOption.TRUNCATE | (this.o.ack === false ? MdOption.ACK_DISABLE : 0),
      handler: (ev) => {
        if (ev.type === EventKind.PUT && ev.status === 0) this.queue.handler(ev);
        if (ev.unlinked && this.mds.delete(ev.mdHandle)) this.post();
      },
    };
    this.mds.add(this.lnet.mdAttach(me, spec, Unlink.UNLINK));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const md of [...this.mds]) if (this.lnet.core.isMdLive(md)) this.lnet.mdUnlink(md);
    this.mds.clear();
    this.queue.close();
    this.onClose?.();
  }

  private toMessage(ev: LNetEvent): IncomingMessage {
    const buf = ev.mdStart[0]!;
    return {
      data: buf.slice(ev.offset, ev.offset + ev.mlength),
      rlength: ev.rlength,
      initiator: ev.initiator,
      source: ev.source,
      matchBits: ev.matchBits,
      hdrData: ev.hdrData,
      portal: ev.ptIndex,
      event: ev,
    };
  }

  /** The next message; rejects with ETIMEDOUT after `timeoutMs` if given. */
  async next(timeoutMs?: number): Promise<IncomingMessage> {
    return this.toMessage(await this.queue.next(timeoutMs));
  }

  [Symbol.asyncIterator](): AsyncIterator<IncomingMessage> {
    const it = this.queue[Symbol.asyncIterator]();
    return {
      next: async () => {
        const r = await it.next();
        return r.done ? { value: undefined, done: true } : { value: this.toMessage(r.value), done: false };
      },
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }
}

export { Errno };
