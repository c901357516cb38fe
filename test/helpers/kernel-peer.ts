/**
 * Test helper: a "kernel peer" that replays one side of a recorded socklnd conversation
 * against a live node over real TCP on loopback.
 *
 * `loadRecording(pcap)` splits a capture of two kernel nodes into a script: per connection
 * (in the order the active kernel opened them) the items each side sent — acceptor connreq,
 * hello, ksock frames with their LNet headers and payloads, FIN — and one global timeline of
 * steps ordered as the capture saw them.
 *
 * `new KernelPeer(script, opts).run()` plays the ACTIVE kernel (the one that opened the
 * connections): it opens the same connections in the same order (from privileged source
 * ports 1023, 1022, … when running as root, as the kernel does), sends each recorded item
 * once every item the other side sent before it in the recording has arrived (or a bounded
 * wait for it expired), and decodes everything the node under test sends back. Items are
 * rewritten into the session's terms: NIDs (recorded active → the emulator's 127.0.0.x NID,
 * recorded passive → the node's), the hello incarnation, NIDs inside ping buffers, and the
 * wire handles the protocol requires to be echoed (an ACK or REPLY we send carries the
 * handle the node actually sent, not the recorded one).
 *
 * Each received item is paired with the recorded item of the passive kernel it stands for
 * (k-th frame of a kind ↔ k-th recorded frame of that kind; hellos per connection) and with
 * that recorded item re-encoded for this session (`expectedRaw`), so a test can compare the
 * node's bytes with what the kernel would have sent in its place.
 *
 * `RecordedPassive` is the other half, used to test the harness itself: a TCP server that
 * answers with the passive kernel's recorded bytes (rewritten the same way).
 */
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Lnd } from '../../src/core/lnd.js';
import { LNet, type LNetConfig } from '../../src/lnet.js';
import { formatNid, parseNid } from '../../src/nid/nid-string.js';
import { nidIsLo0, nidKey, type Nid } from '../../src/nid/nid.js';
import { connReqToBuffer, decodeConnReq, type DecodedConnReq } from '../../src/wire/acceptor.js';
import { decodeHello, helloToBuffer, type DecodedHello } from '../../src/wire/ksock-hello.js';
import { decodeKsockFrame, type KsockFrame } from '../../src/wire/ksock-frame.js';
import { type KsockMsgHdr, encodeKsockMsgHdr } from '../../src/wire/ksock-msg.js';
import { encodeLNetHdrNid16, encodeLNetHdrNid4 } from '../../src/wire/lnet-hdr-codec.js';
import type { LNetHdr } from '../../src/wire/lnet-hdr.js';
import { cloneHdr } from '../../src/wire/lnet-hdr-clone.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import { LNET_PROTO_PING_MAGIC, decodePingInfo, pingInfoToBuffer, type DecodedPingInfo } from '../../src/wire/ping-buffer.js';
import { WireError } from '../../src/wire/wire-error.js';
import { WireHandle } from '../../src/wire/wire-handle.js';
import { TCP_FIN, TCP_RST, TCP_SYN, parseTcp, readPcap, tcpConnections, type PcapFile } from './pcap.js';
import { walkSocklnd, type WalkedSide } from './socklnd-walk.js';

// ---------------------------------------------------------------------------------------------
// The recording
// ---------------------------------------------------------------------------------------------

export type ItemKind = 'connreq' | 'hello' | 'NOOP' | 'ACK' | 'PUT' | 'GET' | 'REPLY' | 'HELLO' | 'fin';

/** One thing one side sent on one connection, as recorded. */
export interface RecordedItem {
  side: 'active' | 'passive';
  /** Connection index, in the order the active side opened them. */
  conn: number;
  kind: ItemKind;
  /** pcap frame that carried the item's first byte (the FIN segment for `fin`). */
  pcapFrame: number;
  /** Stream offset of the first byte (the stream length for `fin`). */
  offset: number;
  /** The exact recorded bytes (headers + payload); empty for `fin`. */
  raw: Buffer;
  connreq?: DecodedConnReq;
  hello?: DecodedHello;
  frame?: KsockFrame;
  payload?: Buffer;
  /** The payload decoded as a ping buffer, when it is one. */
  ping?: DecodedPingInfo;
}

export interface RecordedConn {
  index: number;
  activePort: number;
  passivePort: number;
  synFrame: number;
  /** The connection type the active side asked for (its hello's ctype). */
  ctype: number;
  /** Protocol version of the hellos (the active side's). */
  version: number;
  flip: boolean;
  active: RecordedItem[];
  passive: RecordedItem[];
  /** Frames carrying a RST, by direction. */
  rstFrames: { active: number[]; passive: number[] };
}

export type ReplayStep =
  | { op: 'connect'; conn: number; pcapFrame: number }
  | { op: 'send'; item: RecordedItem }
  | { op: 'expect'; item: RecordedItem };

export interface ReplayScript {
  file: string;
  activeAddr: string;
  passiveAddr: string;
  /** The recorded NIDs (from the first connection's hellos). */
  activeNid: Nid;
  passiveNid: Nid;
  conns: RecordedConn[];
  /** Everything in capture order: connects, the active side's items (send, FIN included), the passive side's (expect). */
  steps: ReplayStep[];
}

function itemKindOf(f: KsockFrame): ItemKind {
  if (!f.lnet) return 'NOOP';
  return (LNetMsgType[f.lnet.type] as ItemKind | undefined) ?? 'HELLO';
}

/** The payload as a ping buffer, if it carries the ping magic and decodes. */
export function pingOf(payload: Buffer | undefined): DecodedPingInfo | undefined {
  if (!payload || payload.length < 16) return undefined;
  const m = payload.readUInt32LE(0);
  if (m !== LNET_PROTO_PING_MAGIC && m !== 0x676e6970) return undefined;
  const p = decodePingInfo(payload);
  return p instanceof WireError ? undefined : p;
}

function sideItems(side: WalkedSide, which: 'active' | 'passive', conn: number): RecordedItem[] {
  const out: RecordedItem[] = [];
  const base = { side: which, conn };
  if (side.connreq)
    out.push({ ...base, kind: 'connreq', pcapFrame: side.connreq.pcapFrame ?? Infinity, offset: 0, raw: side.connreq.raw, connreq: side.connreq.decoded });
  if (side.hello) {
    const off = side.connreq ? side.connreq.raw.length : 0;
    out.push({ ...base, kind: 'hello', pcapFrame: side.hello.pcapFrame ?? Infinity, offset: off, raw: side.hello.raw, hello: side.hello.decoded });
  }
  for (const f of side.frames) {
    const raw = f.payload ? Buffer.concat([f.headerBytes, f.payload]) : f.headerBytes;
    out.push({
      ...base,
      kind: itemKindOf(f.frame),
      pcapFrame: f.pcapFrame ?? Infinity,
      offset: f.offset,
      raw,
      frame: f.frame,
      payload: f.payload,
      ping: pingOf(f.payload),
    });
  }
  return out;
}

/**
 * Read a socklnd capture into a replay script. `active` names the address of the side that
 * opened the connections (default: the client of the first connection carrying socklnd).
 */
export function loadRecording(file: URL | string, opts: { active?: string; port?: number } = {}): ReplayScript {
  const path = typeof file === 'string' ? file : fileURLToPath(file);
  return scriptFromPcap(readPcap(readFileSync(path)), path, opts);
}

export function scriptFromPcap(pcap: PcapFile, name: string, opts: { active?: string; port?: number } = {}): ReplayScript {
  const all = tcpConnections(pcap).filter((c) => c.sawSyn && (opts.port === undefined || c.server.sport === opts.port));
  const activeAddr = opts.active ?? all[0]?.client.src;
  if (activeAddr === undefined) throw new Error(`${name}: no TCP connection with a handshake`);
  const tcps = all.filter((c) => c.client.src === activeAddr);
  if (tcps.length === 0) throw new Error(`${name}: ${activeAddr} opened no connection`);

  // SYN, FIN and RST frames per connection and direction.
  const keyOf = (a: string, ap: number, b: string, bp: number) => `${a}:${ap}>${b}:${bp}`;
  const marks = new Map<string, { syn?: number; fin?: number; rst: number[] }>();
  for (const p of pcap.packets) {
    const s = parseTcp(p);
    if (!s) continue;
    const k = keyOf(s.src, s.sport, s.dst, s.dport);
    let m = marks.get(k);
    if (!m) marks.set(k, (m = { rst: [] }));
    if (s.flags & TCP_SYN && m.syn === undefined) m.syn = s.frame;
    if (s.flags & TCP_FIN && m.fin === undefined) m.fin = s.frame;
    if (s.flags & TCP_RST) m.rst.push(s.frame);
  }

  const conns: RecordedConn[] = tcps.map((c, index) => {
    const w = walkSocklnd(c);
    if (w.active.stopped) throw new Error(`${name}: ${c.client.name}: ${w.active.stopped}`);
    if (w.passive.stopped) throw new Error(`${name}: ${c.server.name}: ${w.passive.stopped}`);
    const am = marks.get(keyOf(c.client.src, c.client.sport, c.client.dst, c.client.dport)) ?? { rst: [] };
    const pm = marks.get(keyOf(c.server.src, c.server.sport, c.server.dst, c.server.dport)) ?? { rst: [] };
    const active = sideItems(w.active, 'active', index);
    const passive = sideItems(w.passive, 'passive', index);
    const fin = (side: 'active' | 'passive', frame: number | undefined, len: number): RecordedItem[] =>
      frame === undefined ? [] : [{ side, conn: index, kind: 'fin', pcapFrame: frame, offset: len, raw: Buffer.alloc(0) }];
    active.push(...fin('active', am.fin, c.client.length));
    passive.push(...fin('passive', pm.fin, c.server.length));
    const hello = w.active.hello?.decoded;
    return {
      index,
      activePort: c.client.sport,
      passivePort: c.client.dport,
      synFrame: am.syn ?? 0,
      ctype: hello?.ctype ?? 0,
      version: hello?.version ?? 3,
      flip: hello?.flip ?? false,
      active,
      passive,
      rstFrames: { active: am.rst, passive: pm.rst },
    };
  });

  const h0a = conns[0]!.active.find((i) => i.kind === 'hello')?.hello;
  const h0p = conns[0]!.passive.find((i) => i.kind === 'hello')?.hello;
  if (!h0a || !h0p) throw new Error(`${name}: the first connection's hellos were not captured`);

  // One timeline: by frame, then (within a frame, which belongs to one flow) by stream offset.
  type Ev = { frame: number; order: number; step: ReplayStep };
  const evs: Ev[] = [];
  for (const c of conns) {
    evs.push({ frame: c.synFrame, order: -1, step: { op: 'connect', conn: c.index, pcapFrame: c.synFrame } });
    for (const i of c.active) evs.push({ frame: i.pcapFrame, order: i.offset + (i.kind === 'fin' ? 0.5 : 0), step: { op: 'send', item: i } });
    for (const i of c.passive) evs.push({ frame: i.pcapFrame, order: i.offset + (i.kind === 'fin' ? 0.5 : 0), step: { op: 'expect', item: i } });
  }
  evs.sort((x, y) => x.frame - y.frame || x.order - y.order);

  return {
    file: name,
    activeAddr,
    passiveAddr: tcps[0]!.client.dst,
    activeNid: h0a.srcNid,
    passiveNid: h0p.srcNid,
    conns,
    steps: evs.map((e) => e.step),
  };
}

/** One line per step, for diagnostics. */
export function describeScript(s: ReplayScript): string[] {
  return s.steps.map((st) => {
    if (st.op === 'connect') return `#${st.pcapFrame} connect conn ${st.conn}`;
    const i = st.item;
    return `#${i.pcapFrame} ${st.op === 'send' ? 'send  ' : 'expect'} conn ${i.conn} ${i.kind}${i.frame ? ` (${i.frame.payloadLength} B payload)` : ''}`;
  });
}

// ---------------------------------------------------------------------------------------------
// Rewriting recorded items into a session's terms
// ---------------------------------------------------------------------------------------------

const handleOf = (h: WireHandle) => new WireHandle(h.ifLo, h.ifHi, h.objLo, h.objHi);

export interface RewriteContext {
  /** Recorded NID → NID of this session (nidKey of the recorded one). */
  nids: Map<string, Nid>;
  /** Hello incarnation to put in a hello (u64 as bigint); undefined keeps the recorded one. */
  incarnation?: bigint;
  /** Replace the wire handle of a PUT/GET (own handle) or ACK/REPLY (echoed handle). */
  wmd?: WireHandle;
  /** ACK only: match bits and mlength to put instead of the recorded ones. */
  ackMatchBits?: [lo: number, hi: number];
  mlength?: number;
  /** Ping buffers: the sequence number to put in entry 0 (undefined keeps the recorded one). */
  pingSeqno?: number;
}

function mapNid(ctx: RewriteContext, nid: Nid): Nid {
  return ctx.nids.get(nidKey(nid)) ?? nid;
}

/** The payload with NIDs inside a ping buffer remapped (other payloads unchanged). */
export function rewritePayload(payload: Buffer, ctx: RewriteContext): Buffer {
  const p = pingOf(payload);
  if (!p) return payload;
  const nis = p.nis.map((e, i) => ({
    nid: nidIsLo0(e.nid) ? e.nid : mapNid(ctx, e.nid),
    status: i === 0 && ctx.pingSeqno !== undefined ? ctx.pingSeqno >>> 0 : e.status,
    msgSize: e.msgSize,
  }));
  const largeNis = p.largeNis.map((e) => ({ nid: mapNid(ctx, e.nid), status: e.status }));
  return pingInfoToBuffer({ ...p, nis, largeNis }, p.flip);
}

/** Re-encode a recorded item with the session's NIDs, incarnation, handles and payload. */
export function rewriteItem(item: RecordedItem, ctx: RewriteContext, conn: { version: number; flip: boolean }): Buffer {
  const { version, flip } = conn;
  switch (item.kind) {
    case 'fin':
      return Buffer.alloc(0);
    case 'connreq': {
      const c = item.connreq!;
      return connReqToBuffer({ version: c.version, nid: mapNid(ctx, c.nid) }, c.flip);
    }
    case 'hello': {
      const h = item.hello!;
      const inc = ctx.incarnation;
      return helloToBuffer(
        {
          ...h,
          srcNid: mapNid(ctx, h.srcNid),
          dstNid: mapNid(ctx, h.dstNid),
          srcIncarnationLo: inc === undefined ? h.srcIncarnationLo : Number(inc & 0xffffffffn),
          srcIncarnationHi: inc === undefined ? h.srcIncarnationHi : Number((inc >> 32n) & 0xffffffffn),
        },
        h.flip,
      );
    }
    default: {
      const f = item.frame!;
      const payload = item.payload ? rewritePayload(item.payload, ctx) : Buffer.alloc(0);
      const hdrLen = f.headerLength;
      const out = Buffer.alloc(hdrLen + payload.length);
      let o = 0;
      if (f.msg) o += encodeKsockMsgHdr(f.msg, out, 0, flip);
      if (f.lnet) {
        const h: LNetHdr = cloneHdr(f.lnet);
        h.destNid = mapNid(ctx, h.destNid);
        h.srcNid = mapNid(ctx, h.srcNid);
        h.payloadLength = payload.length;
        if (ctx.wmd) h.wmd = handleOf(ctx.wmd);
        if (ctx.ackMatchBits) [h.matchBitsLo, h.matchBitsHi] = ctx.ackMatchBits;
        if (ctx.mlength !== undefined) h.mlength = ctx.mlength;
        if (version >= 4) encodeLNetHdrNid16(h, out, o);
        else encodeLNetHdrNid4(h, out, o);
      }
      payload.copy(out, hdrLen);
      return out;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A socklnd byte stream, decoded as it arrives
// ---------------------------------------------------------------------------------------------

/** One item received over a live connection. */
export interface LiveItem {
  /** Arrival order across all connections of the session. */
  seq: number;
  conn: number;
  /** ms since the session started. */
  at: number;
  kind: ItemKind;
  /** The bytes as received (headers + payload). */
  raw: Buffer;
  connreq?: DecodedConnReq;
  hello?: DecodedHello;
  /** ksock header (undefined on V1). */
  msg?: KsockMsgHdr;
  lnet?: LNetHdr;
  payloadLength: number;
  payload?: Buffer;
  ping?: DecodedPingInfo;
  /** The recorded item (of the side being emulated against) this one stands for. */
  recorded?: RecordedItem;
  /** That recorded item re-encoded for this session: what the kernel would have sent here. */
  expectedRaw?: Buffer;
  /** REPLY/ACK: the item we sent whose handle it echoes. */
  answers?: SentItem;
}

export interface SentItem {
  seq: number;
  conn: number;
  at: number;
  kind: ItemKind;
  raw: Buffer;
  recorded: RecordedItem;
  lnet?: LNetHdr;
}

/** Incremental decoder for one direction of a socklnd connection. */
export class SocklndStream {
  private buf: Buffer = Buffer.alloc(0);
  version = 0;
  flip = false;
  error: string | undefined;

  /** `expectConnReq`: the stream starts with an acceptor connreq (the active side's). */
  constructor(expectConnReq: boolean) {
    this.stage = expectConnReq ? 'connreq' : 'hello';
  }

  private stage: 'connreq' | 'hello' | 'frames';

  get pending(): number {
    return this.buf.length;
  }

  /** Feed bytes; returns the complete items they finish. */
  push(chunk: Buffer): Omit<LiveItem, 'seq' | 'conn' | 'at'>[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Omit<LiveItem, 'seq' | 'conn' | 'at'>[] = [];
    while (!this.error && this.buf.length > 0) {
      if (this.stage === 'connreq') {
        const c = decodeConnReq(this.buf);
        if (c instanceof WireError) {
          if (c.reason === 'truncated') break;
          this.error = c.message;
          break;
        }
        out.push({ kind: 'connreq', raw: this.take(c.length), connreq: c, payloadLength: 0 });
        this.stage = 'hello';
      } else if (this.stage === 'hello') {
        const h = decodeHello(this.buf);
        if (h instanceof WireError) {
          if (h.reason === 'truncated') break;
          // A refusing acceptor answers a bad request with a connreq: say so.
          const c = decodeConnReq(this.buf);
          this.error = c instanceof WireError ? h.message : `got an acceptor connreq (v${c.version}, ${formatNid(c.nid)}) instead of a hello`;
          break;
        }
        this.version = h.version;
        this.flip = h.flip;
        out.push({ kind: 'hello', raw: this.take(h.length), hello: h, payloadLength: 0 });
        this.stage = 'frames';
      } else {
        const f = decodeKsockFrame(this.buf, 0, this.version, this.flip);
        if (f instanceof WireError) {
          if (f.reason === 'truncated') break;
          this.error = f.message;
          break;
        }
        if (this.buf.length < f.frameLength) break;
        const raw = this.take(f.frameLength);
        const payload = raw.subarray(f.headerLength);
        out.push({
          kind: itemKindOf(f),
          raw,
          msg: f.msg,
          lnet: f.lnet,
          payloadLength: f.payloadLength,
          payload,
          ping: pingOf(payload),
        });
      }
    }
    return out;
  }

  private take(n: number): Buffer {
    const b = Buffer.from(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    return b;
  }
}

// ---------------------------------------------------------------------------------------------
// Small async utilities
// ---------------------------------------------------------------------------------------------

/** Resolves true when `pred()` holds (re-checked on every `kick`), false after `ms` or on abort. */
class Waiter {
  private readonly waiters = new Set<() => void>();

  kick(): void {
    for (const w of [...this.waiters]) w();
  }

  until(pred: () => boolean, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const check = () => {
        if (pred()) done(true);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(pred()), ms);
      this.waiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Connect to host:port from localAddress, from the first free source port of `ports`
 * (undefined: an ephemeral port). EADDRINUSE/EADDRNOTAVAIL move on to the next port.
 */
async function connectFrom(
  host: string,
  port: number,
  localAddress: string,
  ports: number[] | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ sock: net.Socket; localPort: number }> {
  const tryOne = (localPort: number | undefined) =>
    new Promise<net.Socket>((resolve, reject) => {
      const sock = net.connect({ host, port, localAddress, ...(localPort === undefined ? {} : { localPort }) });
      const timer = setTimeout(() => fail(Object.assign(new Error(`connect to ${host}:${port} timed out`), { code: 'ETIMEDOUT' })), timeoutMs);
      const onAbort = () => fail(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }));
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        sock.off('error', fail);
        sock.off('connect', ok);
      };
      function fail(e: Error) {
        cleanup();
        sock.destroy();
        reject(e);
      }
      function ok() {
        cleanup();
        resolve(sock);
      }
      sock.once('error', fail);
      sock.once('connect', ok);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  if (!ports) {
    const sock = await tryOne(undefined);
    return { sock, localPort: sock.localPort ?? 0 };
  }
  let last: unknown;
  for (const p of ports) {
    try {
      return { sock: await tryOne(p), localPort: p };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL') throw e;
      last = e;
    }
  }
  throw last ?? new Error('no source port left');
}

// ---------------------------------------------------------------------------------------------
// The emulated active kernel
// ---------------------------------------------------------------------------------------------

export interface KernelPeerOptions {
  /** Where the node under test listens (its NI address and accept port). */
  host: string;
  port: number;
  /** The emulator's own loopback address (127.0.0.x). */
  localAddress: string;
  /** The node's NID (default `<host>@<recorded net>`). */
  nodeNid?: string | Nid;
  /** The emulator's NID (default `<localAddress>@<recorded net>`). */
  peerNid?: string | Nid;
  /** Hello incarnation of the emulator (default: realtime now in ns, as the kernel). */
  incarnation?: bigint;
  /** Connect from privileged ports 1023, 1022, … (default: when running as root). */
  privileged?: boolean;
  /** Longest wait for one recorded item of the node's before giving up on it (default 2000 ms). */
  expectTimeoutMs?: number;
  /** Connect timeout (default 3000 ms). */
  connectTimeoutMs?: number;
  /**
   * When the recording has no FIN from the emulated side on a connection, send one after the
   * last step and wait for the node's (default true).
   */
  finAtEnd?: boolean;
  /** How long to keep listening for more items after the last step (default 200 ms). */
  quietMs?: number;
  /**
   * Also listen on localAddress:<this port> (default: `port`, the accept port; false: don't)
   * to record any connection the node opens towards the emulator.
   */
  watchInbound?: number | false;
  /** Abort the whole replay (the result then has `aborted`). */
  signal?: AbortSignal;
  /** Log lines (also kept in the result). */
  log?: (line: string) => void;
}

export interface ConnResult {
  index: number;
  /** The type the emulator asked for (the recorded active hello's ctype). */
  ctype: number;
  localPort?: number;
  connectError?: string;
  /** The node's hello. */
  hello?: LiveItem;
  /** The node's ksock frames in arrival order. */
  frames: LiveItem[];
  /** What the emulator sent on this connection. */
  sent: SentItem[];
  /** The emulator sent its FIN (and when). */
  finSentAt?: number;
  /** The node closed its side (FIN) and when. */
  peerFinAt?: number;
  /** The socket errored (e.g. ECONNRESET from a RST). */
  error?: string;
  /** The node's bytes stopped decoding. */
  parseError?: string;
  /** Undecoded bytes left when the connection ended. */
  trailingBytes: number;
}

export interface InboundConn {
  remoteAddress: string;
  remotePort: number;
  connreq?: DecodedConnReq;
  hello?: DecodedHello;
}

export interface ReplayResult {
  conns: ConnResult[];
  /** Every item the node sent, in arrival order. */
  received: LiveItem[];
  sent: SentItem[];
  /** Recorded items of the passive kernel that the node never sent (within the wait). */
  missing: RecordedItem[];
  /** Recorded items of ours not sent, and why (e.g. the ACK of a PUT the node never sent). */
  skipped: { item: RecordedItem; reason: string }[];
  /** Connections the node opened towards the emulator. */
  inbound: InboundConn[];
  aborted?: string;
  log: string[];
}

interface Pending {
  item: RecordedItem;
  satisfiedBy?: LiveItem;
  missing?: boolean;
}

interface LiveConn {
  res: ConnResult;
  sock?: net.Socket;
  stream: SocklndStream;
  ended: boolean;
}

export class KernelPeer {
  readonly opts: Required<Omit<KernelPeerOptions, 'signal' | 'log' | 'nodeNid' | 'peerNid' | 'incarnation' | 'watchInbound'>> &
    Pick<KernelPeerOptions, 'signal' | 'log' | 'watchInbound'>;
  readonly nodeNid: Nid;
  readonly peerNid: Nid;
  readonly incarnation: bigint;
  private readonly ctx: RewriteContext;
  private readonly waiter = new Waiter();
  private readonly conns: LiveConn[] = [];
  private readonly pending: Pending[] = [];
  private readonly received: LiveItem[] = [];
  private readonly sent: SentItem[] = [];
  private readonly skipped: { item: RecordedItem; reason: string }[] = [];
  private readonly inbound: InboundConn[] = [];
  private readonly logLines: string[] = [];
  private readonly usedPorts = new Set<number>();
  private server: net.Server | undefined;
  private readonly inboundSocks = new Set<net.Socket>();
  private t0 = 0;
  private closed = false;

  constructor(
    readonly script: ReplayScript,
    options: KernelPeerOptions,
  ) {
    const netName = formatNid(script.activeNid).split('@')[1]!;
    const toNid = (n: string | Nid | undefined, dflt: string) => (n === undefined ? parseNid(dflt) : typeof n === 'string' ? parseNid(n) : n);
    this.nodeNid = toNid(options.nodeNid, `${options.host}@${netName}`);
    this.peerNid = toNid(options.peerNid, `${options.localAddress}@${netName}`);
    this.incarnation = options.incarnation ?? BigInt(Date.now()) * 1_000_000n + BigInt(process.hrtime()[1] % 1_000_000);
    this.opts = {
      host: options.host,
      port: options.port,
      localAddress: options.localAddress,
      privileged: options.privileged ?? isRoot,
      expectTimeoutMs: options.expectTimeoutMs ?? 2000,
      connectTimeoutMs: options.connectTimeoutMs ?? 3000,
      finAtEnd: options.finAtEnd ?? true,
      quietMs: options.quietMs ?? 200,
      watchInbound: options.watchInbound,
      signal: options.signal,
      log: options.log,
    };
    this.ctx = {
      nids: new Map([
        [nidKey(script.activeNid), this.peerNid],
        [nidKey(script.passiveNid), this.nodeNid],
      ]),
    };
    for (const c of script.conns)
      this.conns.push({ res: { index: c.index, ctype: c.ctype, frames: [], sent: [], trailingBytes: 0 }, stream: new SocklndStream(false), ended: false });
  }

  private now(): number {
    return Math.round((performance.now() - this.t0) * 10) / 10;
  }

  private log(s: string): void {
    const line = `[${this.now().toFixed(1)} ms] ${s}`;
    this.logLines.push(line);
    this.opts.log?.(line);
  }

  /** Destroy every socket and the inbound watcher. Safe to call more than once. */
  close(): void {
    this.closed = true;
    for (const c of this.conns) c.sock?.destroy();
    for (const s of this.inboundSocks) s.destroy();
    this.server?.close();
    this.server = undefined;
    this.waiter.kick();
  }

  /** Play the script. Never rejects for the node's misbehaviour: it is all in the result. */
  async run(): Promise<ReplayResult> {
    this.t0 = performance.now();
    const signal = this.opts.signal;
    const onAbort = () => this.waiter.kick();
    signal?.addEventListener('abort', onAbort);
    try {
      await this.startInboundWatch();
      for (const step of this.script.steps) {
        if (this.aborted()) break;
        if (step.op === 'expect') {
          this.pending.push({ item: step.item });
          this.match();
          continue;
        }
        await this.settle();
        if (this.aborted()) break;
        if (step.op === 'connect') await this.connect(step.conn);
        else if (step.item.kind === 'fin') this.fin(step.item.conn);
        else this.send(step.item);
      }
      if (!this.aborted()) await this.settle();
      if (!this.aborted() && this.opts.finAtEnd) {
        const open = this.conns.filter((c) => c.sock && c.res.finSentAt === undefined && !c.ended && !c.res.error);
        for (const c of open) this.fin(c.res.index);
        await this.waiter.until(() => open.every((c) => c.ended || c.res.error !== undefined), this.opts.expectTimeoutMs, signal);
      }
      if (!this.aborted()) await new Promise((r) => setTimeout(r, this.opts.quietMs));
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    this.match();
    for (const c of this.conns) c.res.trailingBytes = c.stream.pending;
    const missing = this.pending.filter((p) => !p.satisfiedBy).map((p) => p.item);
    for (const m of missing) if (!this.pending.find((p) => p.item === m)?.missing) this.log(`never received: conn ${m.conn} ${m.kind} (recorded frame ${m.pcapFrame})`);
    return {
      conns: this.conns.map((c) => c.res),
      received: this.received,
      sent: this.sent,
      missing,
      skipped: this.skipped,
      inbound: this.inbound,
      ...(this.aborted() ? { aborted: String(signal?.reason ?? 'closed') } : {}),
      log: this.logLines,
    };
  }

  private aborted(): boolean {
    return this.closed || !!this.opts.signal?.aborted;
  }

  private async startInboundWatch(): Promise<void> {
    const port = this.opts.watchInbound === undefined ? this.opts.port : this.opts.watchInbound;
    if (port === false) return;
    const server = net.createServer((sock) => {
      this.inboundSocks.add(sock);
      const rec: InboundConn = { remoteAddress: sock.remoteAddress ?? '', remotePort: sock.remotePort ?? 0 };
      this.inbound.push(rec);
      this.log(`the node connected to us from ${rec.remoteAddress}:${rec.remotePort}`);
      const st = new SocklndStream(true);
      sock.on('data', (d: Buffer) => {
        for (const it of st.push(d)) {
          if (it.connreq) rec.connreq = it.connreq;
          if (it.hello) rec.hello = it.hello;
        }
      });
      sock.on('error', () => {});
      sock.on('close', () => this.inboundSocks.delete(sock));
      setTimeout(() => sock.destroy(), 500).unref();
    });
    await new Promise<void>((resolve) => {
      server.once('error', (e) => {
        this.log(`not watching inbound connections: ${(e as Error).message}`);
        resolve();
      });
      server.listen({ host: this.opts.localAddress, port }, () => {
        this.server = server;
        resolve();
      });
    });
  }

  /** Wait for every expected item registered so far (each for at most expectTimeoutMs). */
  private async settle(): Promise<void> {
    for (const p of this.pending) {
      if (p.satisfiedBy || p.missing) continue;
      const ok = await this.waiter.until(() => this.match() && !!p.satisfiedBy, this.opts.expectTimeoutMs, this.opts.signal);
      if (!ok && !p.satisfiedBy) {
        if (this.aborted()) return;
        p.missing = true;
        this.log(`gave up waiting for conn ${p.item.conn} ${p.item.kind} (recorded frame ${p.item.pcapFrame})`);
      }
    }
  }

  /**
   * Pair received items with expectations: hellos and FINs per connection, frames by kind in
   * order across connections (so a frame on an unexpected connection still pairs, and the
   * test can see where it went). Always returns true (for use inside predicates).
   */
  private match(): boolean {
    const used = new Set<LiveItem>(this.pending.flatMap((p) => (p.satisfiedBy ? [p.satisfiedBy] : [])));
    for (const p of this.pending) {
      if (p.satisfiedBy) continue;
      const it = p.item;
      let got: LiveItem | undefined;
      if (it.kind === 'fin') {
        const c = this.conns[it.conn]!;
        if (c.ended)
          got = { seq: -1, conn: it.conn, at: c.res.peerFinAt ?? 0, kind: 'fin', raw: Buffer.alloc(0), payloadLength: 0 };
      } else if (it.kind === 'hello') got = this.received.find((r) => !used.has(r) && r.kind === 'hello' && r.conn === it.conn);
      else got = this.received.find((r) => !used.has(r) && r.kind === it.kind);
      if (!got) continue;
      p.satisfiedBy = got;
      used.add(got);
      if (got.kind !== 'fin') {
        got.recorded = it;
        got.expectedRaw = this.expectedFor(it, got);
      }
      if (p.missing) this.log(`conn ${it.conn} ${it.kind} (recorded frame ${it.pcapFrame}) arrived after the wait`);
    }
    return true;
  }

  /** The recorded passive item, re-encoded as the kernel would have sent it in this session. */
  private expectedFor(rec: RecordedItem, got: LiveItem): Buffer {
    const ctx: RewriteContext = { nids: this.ctx.nids };
    if (rec.kind === 'hello' && got.hello)
      ctx.incarnation = (BigInt(got.hello.srcIncarnationHi >>> 0) << 32n) | BigInt(got.hello.srcIncarnationLo >>> 0);
    const l = rec.frame?.lnet;
    if (l) {
      if (rec.kind === 'PUT' || rec.kind === 'GET') {
        // The node's own handle: whatever it chose.
        if (got.lnet) ctx.wmd = got.lnet.wmd;
      } else {
        // An echoed handle: what we sent in the request the recording says it answers.
        const req = this.sentRequestFor(l.wmd, rec.kind === 'ACK' ? 'PUT' : 'GET');
        if (req?.lnet) ctx.wmd = req.lnet.wmd;
      }
    }
    if (rec.ping && got.ping) ctx.pingSeqno = got.ping.nis[0]?.status;
    return rewriteItem(rec, ctx, this.script.conns[rec.conn] ?? { version: 3, flip: false });
  }

  /** The item we sent whose recorded request carried this handle. */
  private sentRequestFor(recordedWmd: WireHandle, kind: 'PUT' | 'GET'): SentItem | undefined {
    return this.sent.find((s) => s.recorded.kind === kind && s.recorded.frame?.lnet?.wmd.equals(recordedWmd));
  }

  private ports(): number[] | undefined {
    if (!this.opts.privileged) return undefined;
    const out: number[] = [];
    for (let p = 1023; p >= 512; p--) if (!this.usedPorts.has(p)) out.push(p);
    return out;
  }

  private async connect(i: number): Promise<void> {
    const c = this.conns[i]!;
    try {
      const { sock, localPort } = await connectFrom(
        this.opts.host,
        this.opts.port,
        this.opts.localAddress,
        this.ports(),
        this.opts.connectTimeoutMs,
        this.opts.signal,
      );
      if (this.closed) {
        sock.destroy();
        return;
      }
      this.usedPorts.add(localPort);
      c.sock = sock;
      c.res.localPort = localPort;
      sock.setNoDelay(true);
      this.log(`conn ${i}: connected ${this.opts.localAddress}:${localPort} -> ${this.opts.host}:${this.opts.port}`);
      sock.on('data', (d: Buffer) => this.onData(c, d));
      sock.on('end', () => {
        c.ended = true;
        c.res.peerFinAt = this.now();
        this.log(`conn ${i}: the node closed (FIN)`);
        this.match();
        this.waiter.kick();
      });
      sock.on('error', (e: NodeJS.ErrnoException) => {
        c.res.error ??= e.code ?? e.message;
        this.log(`conn ${i}: ${e.code ?? e.message}`);
        this.waiter.kick();
      });
      sock.on('close', () => this.waiter.kick());
    } catch (e) {
      c.res.connectError = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      this.log(`conn ${i}: connect failed: ${c.res.connectError}`);
    }
  }

  private onData(c: LiveConn, d: Buffer): void {
    const items = c.stream.push(d);
    for (const it of items) {
      const li: LiveItem = { ...it, seq: this.received.length, conn: c.res.index, at: this.now() };
      if ((li.kind === 'REPLY' || li.kind === 'ACK') && li.lnet) {
        const reqKind = li.kind === 'ACK' ? 'PUT' : 'GET';
        li.answers = this.sent.find((s) => s.kind === reqKind && s.lnet?.wmd.equals(li.lnet!.wmd));
      }
      this.received.push(li);
      if (li.kind === 'hello') c.res.hello = li;
      else c.res.frames.push(li);
      this.log(`conn ${c.res.index}: received ${describeLive(li)}`);
    }
    if (c.stream.error && !c.res.parseError) {
      c.res.parseError = c.stream.error;
      this.log(`conn ${c.res.index}: undecodable bytes: ${c.stream.error}`);
    }
    if (items.length) {
      this.match();
      this.waiter.kick();
    }
  }

  private fin(i: number): void {
    const c = this.conns[i]!;
    if (!c.sock || c.res.finSentAt !== undefined) return;
    c.res.finSentAt = this.now();
    c.sock.end();
    this.log(`conn ${i}: sent FIN`);
  }

  private send(item: RecordedItem): void {
    const c = this.conns[item.conn]!;
    if (!c.sock || c.sock.destroyed || c.res.finSentAt !== undefined) {
      this.skip(item, c.sock ? 'connection closed' : 'not connected');
      return;
    }
    const ctx: RewriteContext = { nids: this.ctx.nids, incarnation: this.incarnation };
    const l = item.frame?.lnet;
    if (l && (item.kind === 'ACK' || item.kind === 'REPLY')) {
      // The recorded request of the other side this answers, and what the node sent instead.
      const reqKind = item.kind === 'ACK' ? 'PUT' : 'GET';
      const p = this.pending.find((q) => q.item.kind === reqKind && q.item.frame?.lnet?.wmd.equals(l.wmd));
      if (p) {
        const got = p.satisfiedBy;
        if (!got?.lnet) {
          this.skip(item, `answers the node's ${reqKind} (recorded frame ${p.item.pcapFrame}), which never came`);
          return;
        }
        ctx.wmd = got.lnet.wmd;
        if (item.kind === 'ACK') {
          ctx.ackMatchBits = [got.lnet.matchBitsLo, got.lnet.matchBitsHi];
          if (l.mlength === p.item.frame?.payloadLength) ctx.mlength = got.payloadLength;
        }
      }
    }
    const rc = this.script.conns[item.conn]!;
    const raw = rewriteItem(item, ctx, rc);
    const s: SentItem = { seq: this.sent.length, conn: item.conn, at: this.now(), kind: item.kind, raw, recorded: item };
    if (item.frame?.lnet) {
      const d = decodeKsockFrame(raw, 0, rc.version, rc.flip);
      if (!(d instanceof WireError)) s.lnet = d.lnet;
    }
    this.sent.push(s);
    c.res.sent.push(s);
    c.sock.write(raw);
    this.log(`conn ${item.conn}: sent ${item.kind}${item.frame ? ` (${item.frame.payloadLength} B payload)` : ''}`);
  }

  private skip(item: RecordedItem, reason: string): void {
    this.skipped.push({ item, reason });
    this.log(`conn ${item.conn}: not sending ${item.kind} (recorded frame ${item.pcapFrame}): ${reason}`);
  }
}

export function describeLive(li: Pick<LiveItem, 'kind' | 'hello' | 'lnet' | 'payloadLength' | 'msg'>): string {
  if (li.hello) return `hello V${li.hello.version} ctype ${li.hello.ctype} from ${formatNid(li.hello.srcNid)}`;
  if (li.kind === 'NOOP') return `NOOP zc_ack ${li.msg?.zcAckLo}`;
  if (li.lnet) return `${li.kind} ${formatNid(li.lnet.srcNid)} -> ${formatNid(li.lnet.destNid)} payload ${li.payloadLength}`;
  return li.kind;
}

/** A connection's LNet traffic as compact strings, e.g. ['REPLY 48']. */
export function frameKinds(items: readonly Pick<LiveItem | RecordedItem, 'kind' | 'payload'>[]): string[] {
  return items.filter((i) => i.kind !== 'hello' && i.kind !== 'connreq' && i.kind !== 'fin').map((i) => `${i.kind} ${i.payload?.length ?? 0}`);
}

// ---------------------------------------------------------------------------------------------
// The recorded passive side as a server (to test the harness without a real node)
// ---------------------------------------------------------------------------------------------

export interface RecordedPassiveOptions {
  host: string;
  port: number;
  /** NID of this server (default `<host>@<recorded net>`). */
  nid?: string | Nid;
  /** The emulator's NID (default: the src_nid of the hello received). */
  peerNid?: string | Nid;
  /** Leave these recorded items out (to test how the emulator copes). */
  drop?: (item: RecordedItem) => boolean;
  /** Answer with hellos of this ctype instead of the recorded one. */
  ctypeOverride?: (recorded: number) => number;
}

/**
 * Plays the passive kernel of a script: accepts connections, tells them apart by the hello's
 * ctype, and sends each recorded item of its side once the items the active side sent
 * before it on that connection have arrived, echoing the handles it actually received.
 */
export class RecordedPassive {
  private server: net.Server | undefined;
  private readonly socks = new Set<net.Socket>();
  readonly nid: Nid;
  /** Per accepted connection: what arrived (decoded). */
  readonly accepted: { conn?: number; items: Omit<LiveItem, 'seq' | 'conn' | 'at'>[]; fin: boolean }[] = [];

  constructor(
    readonly script: ReplayScript,
    readonly opts: RecordedPassiveOptions,
  ) {
    const netName = formatNid(script.passiveNid).split('@')[1]!;
    this.nid = opts.nid === undefined ? parseNid(`${opts.host}@${netName}`) : typeof opts.nid === 'string' ? parseNid(opts.nid) : opts.nid;
  }

  listen(): Promise<void> {
    const server = net.createServer((s) => this.serve(s));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.host, port: this.opts.port }, () => resolve());
    });
  }

  close(): void {
    for (const s of this.socks) s.destroy();
    this.server?.close();
  }

  private serve(sock: net.Socket): void {
    this.socks.add(sock);
    sock.setNoDelay(true);
    sock.on('close', () => this.socks.delete(sock));
    sock.on('error', () => {});
    const st = new SocklndStream(true);
    const rec: { conn?: number; items: Omit<LiveItem, 'seq' | 'conn' | 'at'>[]; fin: boolean } = { items: [], fin: false };
    this.accepted.push(rec);
    let conn: RecordedConn | undefined;
    let next = 0; // next passive item to send
    const nids = new Map<string, Nid>([[nidKey(this.script.passiveNid), this.nid]]);
    const pump = () => {
      if (!conn) return;
      const activeGot = rec.items.length + (rec.fin ? 1 : 0);
      while (next < conn.passive.length) {
        const item = conn.passive[next]!;
        // Active items recorded before this one on this connection must have arrived.
        const before = conn.active.filter((a) => a.pcapFrame < item.pcapFrame).length;
        if (activeGot < before) return;
        next++;
        if (this.opts.drop?.(item)) continue;
        if (item.kind === 'fin') {
          sock.end();
          continue;
        }
        const ctx: RewriteContext = { nids };
        const l = item.frame?.lnet;
        if (l && (item.kind === 'ACK' || item.kind === 'REPLY')) {
          // Echo the handle of the request we received that the recording says this answers.
          const reqKind = item.kind === 'ACK' ? 'PUT' : 'GET';
          const ri = conn.active.filter((a) => a.kind !== 'fin').findIndex((a) => a.kind === reqKind && a.frame?.lnet?.wmd.equals(l.wmd));
          const got = ri >= 0 ? rec.items[ri] : undefined;
          if (got?.lnet) ctx.wmd = got.lnet.wmd;
        }
        let raw = rewriteItem(item, ctx, conn);
        if (item.kind === 'hello' && this.opts.ctypeOverride) {
          const h = { ...item.hello!, srcNid: this.nid, dstNid: nids.get(nidKey(this.script.activeNid)) ?? item.hello!.dstNid };
          raw = helloToBuffer({ ...h, ctype: this.opts.ctypeOverride(item.hello!.ctype) }, h.flip);
        }
        sock.write(raw);
      }
    };
    sock.on('data', (d: Buffer) => {
      for (const it of st.push(d)) {
        rec.items.push(it);
        if (it.hello) {
          conn = this.script.conns.find((c) => c.ctype === it.hello!.ctype && !this.accepted.some((a) => a !== rec && a.conn === c.index));
          rec.conn = conn?.index;
          const peer = this.opts.peerNid ?? it.hello.srcNid;
          nids.set(nidKey(this.script.activeNid), typeof peer === 'string' ? parseNid(peer) : peer);
        }
      }
      if (st.error) sock.destroy();
      else pump();
    });
    sock.on('end', () => {
      rec.fin = true;
      pump();
      if (!sock.writableEnded) sock.end();
    });
  }
}

/** A random high port in [lo, lo + span) for a test's listener. */
export function randomPort(lo = 20000, span = 20000): number {
  return lo + Math.floor(Math.random() * span);
}

// ---------------------------------------------------------------------------------------------
// A ulnet node on socklnd, for the replay tests
// ---------------------------------------------------------------------------------------------

/** Where the TCP LND lives; replay tests skip while it is missing. */
export const SOCKLND_INDEX = new URL('../../lnd/socklnd/index.ts', import.meta.url);
export const haveSocklnd = (): boolean => existsSync(fileURLToPath(SOCKLND_INDEX));

/** The part of SockLnd's constructor the replay tests use. */
export type SockLndCtor = new (opts: {
  acceptPort: number;
  acceptPortBulk?: number;
  accept?: 'secure' | 'all' | 'none';
  params?: Record<string, unknown>;
}) => Lnd;

/**
 * Start a ulnet node with one tcp NI `<address>@tcp` on SockLnd (imported at run time, so
 * this file compiles before socklnd exists), listening on a random high port (retried on
 * EADDRINUSE).
 */
export async function startSocklndNode(
  address: string,
  opts: { accept?: 'secure' | 'all' | 'none'; log?: LNetConfig['log'] } = {},
): Promise<{ node: LNet; port: number; nid: string; lnd: Lnd }> {
  const spec = '../../lnd/socklnd/index.js';
  const mod = (await import(spec)) as { SockLnd: SockLndCtor };
  let lastErr: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = randomPort();
    const lnd = new mod.SockLnd({ acceptPort: port, accept: opts.accept ?? 'secure' });
    try {
      const node = await LNet.start({
        nets: [{ net: 'tcp', lnd, nis: [{ nid: `${address}@tcp` }] }],
        ...(opts.log ? { log: opts.log } : {}),
      });
      return { node, port, nid: `${address}@tcp`, lnd };
    } catch (e) {
      lastErr = e;
      if ((e as { code?: string }).code !== 'EADDRINUSE') throw e;
    }
  }
  throw lastErr;
}

/** Resolve `p`, or reject after `ms` (for shutdowns in teardown that must not hang a file). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms);
    }),
  ]);
}

/**
 * The replay tests' common setup: before the file's tests, start a socklnd node at `node`,
 * replay `pcap`'s kernel A against it from `emu`, and hand the script and result to `done`;
 * after them, close the emulator and shut the node down (bounded).
 */
export function replayAgainstNode(
  t: { before(fn: () => Promise<void>): void; teardown(fn: () => Promise<void>): void; comment(m: string): void },
  o: { pcap: string | URL; node: string; emu: string; expectTimeoutMs: number; overallMs: number },
  done: (script: ReplayScript, result: ReplayResult) => void,
): void {
  let node: LNet | undefined;
  let peer: KernelPeer | undefined;
  t.before(async () => {
    const script = loadRecording(o.pcap);
    const started = await startSocklndNode(o.node);
    node = started.node;
    peer = new KernelPeer(script, {
      host: o.node,
      port: started.port,
      localAddress: o.emu,
      expectTimeoutMs: o.expectTimeoutMs,
      signal: AbortSignal.timeout(o.overallMs),
    });
    const result = await peer.run();
    if (process.env.REPLAY_LOG) for (const l of result.log) t.comment(l);
    done(script, result);
  });
  t.teardown(async () => {
    peer?.close();
    if (node) await within(node.shutdown(), 10_000, 'node shutdown');
  });
}
