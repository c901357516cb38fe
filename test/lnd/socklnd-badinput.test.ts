/**
 * Bad input to socklnd over real sockets. The rule: a malformed acceptor request (or one for a
 * NID that is not ours), hello (or one with an unknown connection type), ksock message header,
 * LNet header, or a truncated stream (cut by FIN, or a handshake left idle past accept_timeout)
 * closes only that connection, is counted (`lnd.stats.protocolErrors` and LNet
 * `counters.errors`) and logged once: one warn line "closing connection with <who>: <reason>",
 * <who> being the socket's address:port before the handshake and "<pid>-<nid> (<address>:<port>)"
 * after it; LNet's own header refusals read "LNet rejected the header: <reason>" with no line of
 * the core's. The process and every other connection carry on.
 *
 * Node A (127.0.0.2) is attacked; node B (127.0.0.3) exchanges PUTs with A in both directions
 * for the whole file and at the end every PUT must have been ACKed and received exactly once.
 * Attackers are raw TCP peers (test/helpers/raw-peer.ts) on 127.0.0.100-250 using reserved
 * source ports (tests run as root). Then two seeded fuzzers: mutated streams over real
 * connections (ULNET_FUZZ_CONNS, default 2000) judged against a model of what A must do with
 * each byte stream (some carry PUTs of 20–100 KB, whose payloads A reads straight into an MD:
 * read-router.ts), and an in-process fuzz (ULNET_FUZZ_CASES, default 100 000; 10^7 for long
 * runs) that drives the real KsockConn framing state machine through a fake socket into a real
 * LNetCore. ULNET_FUZZ_SEED changes the seed; ULNET_FUZZ_SHOW=<bytes> prints more of a failing
 * case. Defaults take ~20 s; 10^7 in-process cases take ~15 min (run `npx tap -t 0 <file>`).
 *
 * Checks that fail because of a bug in lnd/socklnd or src/core are marked `todo` with the bug.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import t, { type Test } from 'tap';
import { KsockConn, type ConnOwner, type Tx } from '../../lnd/socklnd/conn.js';
import { SockLnd, type SockLndOptions } from '../../lnd/socklnd/index.js';
import { RxStream } from '../../lnd/socklnd/rx-stream.js';
import { LNET_MD_THRESH_INF, MdOption, Unlink } from '../../src/core/constants.js';
import type { Lnd, LndCore } from '../../src/core/lnd.js';
import { Errno } from '../../src/errno.js';
import { LNet, type IncomingMessage, type Listener } from '../../src/lnet.js';
import { LndType } from '../../src/nid/lnd-type.js';
import { LNET_ANY_NID, LNET_NID_LO_0, nidEquals, nidNet, type Nid } from '../../src/nid/nid.js';
import { formatNid, parseNid } from '../../src/nid/nid-string.js';
import { formatProcessId, LNET_PID_ANY } from '../../src/nid/process-id.js';
import {
  AcceptorVersion,
  connReqSize,
  connReqToBuffer,
  decodeConnReq,
  LNET_PROTO_ACCEPTOR_MAGIC,
} from '../../src/wire/acceptor.js';
import { swab32 } from '../../src/wire/bytes.js';
import {
  decodeHello,
  helloToBuffer,
  invertConnType,
  KsockProtoVersion,
  LNET_PROTO_MAGIC,
  LNET_PROTO_TCP_MAGIC,
  peekHelloVersion,
  SocklndConnType,
  type DecodedHello,
} from '../../src/wire/ksock-hello.js';
import {
  decodeKsockMsgHdr,
  encodeKsockMsgHdr,
  KSOCK_MSG_HDR_SIZE,
  KsockMsgHdr,
  KsockMsgType,
  ksockChecksum,
  stampKsockChecksum,
} from '../../src/wire/ksock-msg.js';
import {
  decodeLNetHdrNid16,
  decodeLNetHdrNid4,
  encodeLNetHdrNid16,
  encodeLNetHdrNid4,
  validateLNetHdr,
} from '../../src/wire/lnet-hdr-codec.js';
import { LNET_HDR_NID16_SIZE, LNET_HDR_NID4_SIZE, LNET_MTU, LNetHdr } from '../../src/wire/lnet-hdr.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import { WireError } from '../../src/wire/wire-error.js';
import { WireHandle } from '../../src/wire/wire-handle.js';
import { handshakeBytes, makeHello, RawPeer, type HelloOptions } from '../helpers/raw-peer.js';
import { SeededRng } from '../helpers/seeded-rng.js';
import { onFreePort } from '../helpers/socklnd-node.js';

const FUZZ_CONNS = Math.max(0, Number(process.env.ULNET_FUZZ_CONNS ?? 2000));
const FUZZ_CASES = Math.max(100_000, Number(process.env.ULNET_FUZZ_CASES ?? 100_000));
const SEED = Number(process.env.ULNET_FUZZ_SEED ?? 0xbad1) >>> 0;

const A_ADDR = '127.0.0.2';
const B_ADDR = '127.0.0.3';
const A_NID = parseNid(`${A_ADDR}@tcp`);
const B_NID = parseNid(`${B_ADDR}@tcp`);
/** A short-lived third node for sock_timeout checks. */
const C_ADDR = '127.0.0.4';
const C_NID = parseNid(`${C_ADDR}@tcp`);
/** Fuzz peers use 127.0.0.100-199; targeted cases 200-249; the bystander 250. */
const FUZZ_ADDR_BASE = 100;
const FUZZ_ADDRS = 100;
const BYSTANDER_ADDR = '127.0.0.250';
/** Portals: B→A traffic (on A), A→B traffic (on B), raw peers' good PUTs (on A), fuzz (no ME). */
const PORTAL_B2A = 40;
const PORTAL_A2B = 41;
const PORTAL_RAW = 42;
const PORTAL_FUZZ = 55;
/** An MD on A for any PUT of up to 256 KiB: the fuzz's large PUTs are read straight into it (read-router.ts). */
const PORTAL_DIRECT = 56;
const ALL_BITS = 0xffffffffffffffffn;
/** Bound on every wait for the node to react (not an assertion of speed). */
const BOUND_MS = 10_000;
const SHOW_BYTES = Number(process.env.ULNET_FUZZ_SHOW ?? 160);

/**
 * V1 connections rest in 'lnet-header' between frames (no ksock header); a FIN or an idle spell
 * there is normal. This was a socklnd bug (midFrame) and is fixed: the V1 checks below are strict.
 */
const V1_IDLE_TODO = false;

const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));
const addrN = (n: number): string => `127.0.0.${n}`;
const nidOf = (addr: string): Nid => parseNid(`${addr}@tcp`);

// ------------------------------------------------------------------------------------------
// Logs
// ------------------------------------------------------------------------------------------

interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  msg: string;
  fields: Record<string, unknown> | undefined;
}

class LogCapture {
  readonly lines: LogLine[] = [];
  readonly fn = (level: LogLine['level'], msg: string, fields?: Record<string, unknown>): void => {
    if (level === 'debug') return; // per-message chatter; not needed and the fuzz makes a lot
    this.lines.push({ level, msg, fields });
  };
  since(mark: number, level?: LogLine['level']): LogLine[] {
    return this.lines.slice(mark).filter((l) => level === undefined || l.level === level);
  }
}

/**
 * The LND's per-connection refusal lines: protocolErrorLog's, and the acceptor's older "refusing
 * connection from" wording (which must no longer appear for bad input: it would be a second line).
 */
const CONN_WARN = /^(closing connection with |refusing connection from )/;

// ------------------------------------------------------------------------------------------
// Nodes and background traffic
// ------------------------------------------------------------------------------------------

interface Node {
  lnet: LNet;
  lnd: SockLnd;
  log: LogCapture;
}

/** A lone node on `addr` (SockLnd options as given) on a free port. */
function startNode(addr: string, opts: Omit<SockLndOptions, 'acceptPort'>): Promise<{ node: Node; port: number }> {
  return onFreePort(async (port) => {
    const log = new LogCapture();
    const lnd = new SockLnd({ ...opts, acceptPort: port });
    const lnet = await LNet.start({ nets: [{ net: 'tcp', lnd, nis: [{ nid: `${addr}@tcp` }] }], log: log.fn });
    return { node: { lnet, lnd, log }, port };
  });
}

function startPair(): Promise<{ a: Node; b: Node; port: number }> {
  return onFreePort(async (port) => {
    const logA = new LogCapture();
    const logB = new LogCapture();
    const lndA = new SockLnd({ acceptPort: port, accept: 'secure', acceptTimeout: 1 });
    const lndB = new SockLnd({ acceptPort: port, accept: 'secure' });
    const a = await LNet.start({ nets: [{ net: 'tcp', lnd: lndA, nis: [{ nid: `${A_ADDR}@tcp` }] }], log: logA.fn });
    try {
      const b = await LNet.start({ nets: [{ net: 'tcp', lnd: lndB, nis: [{ nid: `${B_ADDR}@tcp` }] }], log: logB.fn });
      return { a: { lnet: a, lnd: lndA, log: logA }, b: { lnet: b, lnd: lndB, log: logB }, port };
    } catch (e) {
      await a.shutdown();
      throw e;
    }
  });
}

const PATTERN = Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 13 + (i >> 8)) & 0xff));

/** PUT `seq` of a flow: its number, then recognisable bytes; every 16th is 40 000 bytes (bulk). */
function trafficPayload(seq: number): Buffer {
  const n = seq % 16 === 15 ? 40_000 : 64 + ((seq * 37) % 900);
  const at = (seq * 7) % 4096;
  const b = Buffer.from(PATTERN.subarray(at, at + n));
  b.writeUInt32LE(seq, 0);
  return b;
}

/** PUTs from one node to another, W at a time, for as long as the test runs. */
class Flow {
  sent = 0;
  acked = 0;
  readonly failures: string[] = [];
  /** seq → times received */
  readonly received = new Map<number, number>();
  readonly corrupt: string[] = [];
  /** PUTs on the flow's portal from anyone but the sender (the fuzz can make some). */
  strangers = 0;
  private stopped = false;
  private readonly workers: Promise<void>[] = [];
  private readonly listener: Listener;
  private readonly consumer: Promise<void>;

  constructor(
    readonly name: string,
    private readonly from: LNet,
    to: LNet,
    private readonly fromNid: Nid,
    private readonly target: string,
    private readonly portal: number,
    workers: number,
  ) {
    const listener = to.listen({ portal, ignoreBits: ALL_BITS, maxMessage: 65536, bufferSize: 1 << 20 });
    this.listener = listener;
    this.consumer = (async () => {
      for await (const m of listener) this.onMessage(m);
    })();
    for (let i = 0; i < workers; i++) this.workers.push(this.worker());
  }

  private onMessage(m: IncomingMessage): void {
    if (!nidEquals(m.initiator.nid, this.fromNid)) {
      this.strangers++;
      return;
    }
    const seq = Number(m.matchBits);
    const want = trafficPayload(seq);
    if (m.rlength !== want.length || !Buffer.from(m.data).equals(want)) this.corrupt.push(`seq ${seq}: ${m.rlength} bytes`);
    this.received.set(seq, (this.received.get(seq) ?? 0) + 1);
  }

  private async worker(): Promise<void> {
    while (!this.stopped) {
      const seq = this.sent++;
      try {
        await this.from.putAsync({
          target: this.target,
          portal: this.portal,
          matchBits: BigInt(seq),
          data: trafficPayload(seq),
          signal: AbortSignal.timeout(60_000),
        });
        this.acked++;
      } catch (e) {
        this.failures.push(`seq ${seq}: ${(e as Error).message}`);
      }
      // continuous, but leaving the CPU to the tests
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Stop sending and wait (bounded) until every ACKed PUT has been seen by the receiver. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers);
    for (let i = 0; i < 10_000 && this.received.size < this.acked; i++) await immediate();
  }

  async close(): Promise<void> {
    this.listener.close();
    await this.consumer;
  }

  check(t: Test): void {
    t.ok(this.sent > 0, `${this.name}: traffic flowed (${this.sent} PUTs)`);
    t.same(this.failures, [], `${this.name}: no PUT failed`);
    t.equal(this.acked, this.sent, `${this.name}: every PUT was ACKed`);
    let missing = 0;
    let dup = 0;
    for (let s = 0; s < this.sent; s++) {
      const n = this.received.get(s) ?? 0;
      if (n === 0) missing++;
      if (n > 1) dup++;
    }
    t.equal(missing, 0, `${this.name}: every PUT was received`);
    t.equal(dup, 0, `${this.name}: none received twice`);
    t.same(this.corrupt, [], `${this.name}: every payload intact`);
  }
}

// ------------------------------------------------------------------------------------------
// Frame builders
// ------------------------------------------------------------------------------------------

interface HdrSpec {
  type: number;
  dest: Nid;
  src: Nid;
  len?: number;
  portal?: number;
  mbLo?: number;
  mbHi?: number;
  wmd?: WireHandle;
  sink?: number;
  mlength?: number;
  offset?: number;
  srcPid?: number;
  destPid?: number;
}

function mkHdr(s: HdrSpec): LNetHdr {
  const h = new LNetHdr();
  h.type = s.type;
  h.destNid = s.dest;
  h.srcNid = s.src;
  h.destPid = s.destPid ?? 12345;
  h.srcPid = s.srcPid ?? 12345;
  h.payloadLength = s.len ?? 0;
  h.ptlIndex = s.portal ?? 0;
  h.matchBitsLo = s.mbLo ?? 0;
  h.matchBitsHi = s.mbHi ?? 0;
  h.wmd = s.wmd ?? WireHandle.none();
  h.sinkLength = s.sink ?? 0;
  h.mlength = s.mlength ?? 0;
  h.offset = s.offset ?? 0;
  return h;
}

interface FrameSpec {
  /** The LNet header; none for a NOOP. */
  hdr?: LNetHdr;
  /** Payload bytes actually sent (payload_length comes from hdr). */
  payload?: Uint8Array;
  /** ksm_type; default LNET with a header, NOOP without. */
  ksockType?: number;
  /** 'ok': a correct checksum; 'bad': a wrong one; a number: that value. */
  csum?: 'ok' | 'bad' | number;
  zcReq?: [number, number];
  zcAck?: [number, number];
  version?: KsockProtoVersion;
  flip?: boolean;
}

/** One socklnd frame as a peer of `version` sends it. */
function frame(s: FrameSpec): Buffer {
  const v = s.version ?? KsockProtoVersion.V3;
  const payload = s.payload ?? new Uint8Array(0);
  const nid16 = v === KsockProtoVersion.V4;
  const lnetLen = s.hdr ? (nid16 ? LNET_HDR_NID16_SIZE : LNET_HDR_NID4_SIZE) : 0;
  const kLen = v === KsockProtoVersion.V1 ? 0 : KSOCK_MSG_HDR_SIZE;
  const b = Buffer.alloc(kLen + lnetLen + payload.length);
  if (kLen) {
    const kh = new KsockMsgHdr();
    kh.type = s.ksockType ?? (s.hdr ? KsockMsgType.LNET : KsockMsgType.NOOP);
    kh.csum = 0;
    [kh.zcReqLo, kh.zcReqHi] = s.zcReq ?? [0, 0];
    [kh.zcAckLo, kh.zcAckHi] = s.zcAck ?? [0, 0];
    encodeKsockMsgHdr(kh, b, 0, s.flip ?? false);
  }
  if (s.hdr) {
    if (nid16) encodeLNetHdrNid16(s.hdr, b, kLen);
    else encodeLNetHdrNid4(s.hdr, b, kLen);
  }
  Buffer.from(payload.buffer, payload.byteOffset, payload.length).copy(b, kLen + lnetLen);
  if (kLen && s.csum !== undefined) {
    if (s.csum === 'ok') stampKsockChecksum(b, 0, b.length, s.flip ?? false);
    else {
      const c = s.csum === 'bad' ? (ksockChecksum(b, 0, b.length) ^ 0x5a5a) >>> 0 : s.csum >>> 0;
      if (s.flip) b.writeUInt32BE(c, 4);
      else b.writeUInt32LE(c, 4);
    }
  }
  return b;
}

/** `n` (≤ 8192) recognisable bytes, different for each seed. */
function patternBytes(n: number, seed: number): Buffer {
  const at = (seed >>> 0) % 8192;
  return Buffer.from(PATTERN.subarray(at, at + n));
}

/** A PUT to A from `src` on `portal` (no ACK unless `wmd`). */
function putTo(dest: Nid, src: Nid, portal: number, payload: Buffer, extra: Partial<HdrSpec> = {}): LNetHdr {
  return mkHdr({ type: LNetMsgType.PUT, dest, src, len: payload.length, portal, ...extra });
}

// ------------------------------------------------------------------------------------------
// The model: what a node must do with a byte stream arriving on its acceptor
// ------------------------------------------------------------------------------------------

type Outcome =
  /** Everything consumed; FIN on a frame boundary: a normal close. */
  | 'clean'
  /** A protocol error: counted, logged, closed. */
  | 'bad'
  /**
   * The stream ended inside an item (connreq, hello, frame). With the FIN that follows it is a
   * bad connection too: counted and logged once ("incomplete handshake: …" in the handshake,
   * "stream ended in the middle of a message (<state>)" after it); without a FIN it stays open
   * as a partial frame that sock_timeout (or accept_timeout) applies to.
   */
  | 'truncated'
  /** The connreq names a NID that is not the node's (EPERM): counted and logged once. */
  | 'no-ni'
  /** A PUT for us parked on a lazy portal with nothing to match: the rest waits. */
  | 'stuck';

/** Outcomes that, followed by the peer's FIN, make a bad connection: one count, one warn line. */
const BAD_WITH_FIN: ReadonlySet<Outcome> = new Set<Outcome>(['bad', 'truncated', 'no-ni']);

/** KsockConn's receive state where a frame was cut short. */
type PartialState = 'header' | 'lnet-header' | 'payload';

interface FrameVerdict {
  outcome: Outcome;
  reason: string;
  /** Source NIDs of the LNet headers handed to the node (it may answer them). */
  srcNids: Nid[];
  /** Pushes (PUTs on portal 0 with the ping match bits) the node takes. */
  pushes: number;
  frames: number;
  /** For a stream truncated after the handshake: the receive state it stops in. */
  partial?: PartialState;
}

interface StreamVerdict extends FrameVerdict {
  /** What the node writes back before anything else. */
  reply: 'none' | 'connreq16' | 'hello-none' | 'hello';
  hello: DecodedHello | undefined;
  /** The hello's ctype has no inverse: refused with EPROTO, as the kernel's "Unexpected type". */
  badCtype: boolean;
  /** Where the handshake ends (connreq + hello) in the stream, when it got that far. */
  handshakeEnd: number;
}

interface NodeView {
  nid: Nid;
  /**
   * Does a PUT for this node with this header wait on a lazy portal? The reserved portal 0 is
   * lazy; only pushes (the ping match bits) have an MD there that takes PUTs (the push target).
   */
  parks: (h: LNetHdr) => boolean;
}

const PING_BITS_HI = 0x80000000;
const isPush = (h: LNetHdr): boolean => h.type === LNetMsgType.PUT && h.ptlIndex === 0 && h.matchBitsLo === 0 && h.matchBitsHi === PING_BITS_HI;
/** A node with nothing but LNet's own MEs on portal 0 (ping target for GETs, push target for PUTs). */
const parksOnPortal0 = (h: LNetHdr): boolean => h.type === LNetMsgType.PUT && h.ptlIndex === 0 && !isPush(h);

function isLocalTo(node: NodeView, nid: Nid): boolean {
  return nidEquals(nid, node.nid) || nidEquals(nid, LNET_NID_LO_0);
}

/** Frames from `off` on a connection of `version`/`flip`, as KsockConn + lnet_parse take them. */
function modelFrames(b: Buffer, off: number, version: number, flip: boolean, node: NodeView): FrameVerdict {
  const srcNids: Nid[] = [];
  let frames = 0;
  let pushes = 0;
  const out = (outcome: Outcome, reason: string, partial?: PartialState): FrameVerdict => ({
    outcome,
    reason,
    srcNids,
    pushes,
    frames,
    ...(partial ? { partial } : {}),
  });
  const nid16 = version === KsockProtoVersion.V4;
  const hsize = nid16 ? LNET_HDR_NID16_SIZE : LNET_HDR_NID4_SIZE;
  for (;;) {
    const start = off;
    if (off === b.length) return out('clean', 'end on a frame boundary');
    let csum = 0;
    if (version !== KsockProtoVersion.V1) {
      if (b.length - off < KSOCK_MSG_HDR_SIZE) return out('truncated', 'inside a ksock header', 'header');
      const kh = decodeKsockMsgHdr(b, off, flip);
      if (kh instanceof WireError) return out('bad', kh.message);
      csum = kh.csum >>> 0;
      off += KSOCK_MSG_HDR_SIZE;
      if (kh.zcAckLo !== 0 || kh.zcAckHi !== 0) {
        const keepalive = kh.zcAckHi === 0 && kh.zcAckLo === 1 && version >= KsockProtoVersion.V3;
        if (!keepalive) return out('bad', 'ZC-ACK for a cookie never sent');
      }
      if (kh.type === KsockMsgType.NOOP) {
        if (csum !== 0 && ksockChecksum(b, start, KSOCK_MSG_HDR_SIZE) !== csum) return out('bad', 'NOOP checksum');
        frames++;
        continue;
      }
    }
    if (b.length - off < hsize) return out('truncated', 'inside an LNet header', 'lnet-header');
    const h = nid16 ? decodeLNetHdrNid16(b, off) : decodeLNetHdrNid4(b, off);
    if (h instanceof WireError) return out('bad', h.message);
    off += hsize;
    const invalid = validateLNetHdr(h);
    if (invalid) return out('bad', invalid.message);
    const len = h.payloadLength >>> 0;
    if (!nidEquals(h.destNid, node.nid)) {
      if (nidNet(h.destNid) === nidNet(node.nid)) return out('bad', 'dest on my net but not me');
      if (isLocalTo(node, h.destNid)) return out('bad', 'dest is my NID on another net');
      // routing disabled: dropped, payload consumed
    } else {
      srcNids.push(h.srcNid);
      if (node.parks(h)) return out('stuck', 'PUT parked on a lazy portal');
      if (isPush(h)) pushes++;
    }
    if (b.length - off < len) return out('truncated', 'inside a payload', 'payload');
    off += len;
    if (csum !== 0 && ksockChecksum(b, start, off - start) !== csum) return out('bad', 'message checksum');
    frames++;
  }
}

/** The whole passive side: acceptor connreq, hello, then frames (FIN after the last byte). */
function modelStream(b: Buffer, node: NodeView): StreamVerdict {
  const v = (
    outcome: Outcome,
    reason: string,
    reply: StreamVerdict['reply'] = 'none',
    rest: Partial<StreamVerdict> = {},
  ): StreamVerdict => ({ outcome, reason, reply, hello: undefined, badCtype: false, srcNids: [], pushes: 0, frames: 0, handshakeEnd: 0, ...rest });
  // lnet_accept (as SockLnd reads it: 8 bytes, then the rest of the version's request)
  if (b.length < 8) return v('truncated', 'inside the connreq');
  let req = decodeConnReq(b.subarray(0, 8));
  if (req instanceof WireError && req.reason === 'truncated') {
    if (b.length < req.needed) return v('truncated', 'inside the connreq');
    req = decodeConnReq(b.subarray(0, req.needed));
  }
  if (req instanceof WireError)
    return v('bad', req.message, req.reason === 'lnet-magic' || req.reason === 'bad-version' ? 'connreq16' : 'none');
  if (!nidEquals(req.nid, node.nid)) return v('no-ni', `connreq for ${formatNid(req.nid)}`);
  const off = connReqSize(req.version);
  // ksocknal_recv_hello
  if (b.length - off < 8) return v('truncated', 'inside the hello');
  const peek = peekHelloVersion(b.subarray(off, off + 8));
  if (peek instanceof WireError) return v('bad', peek.message, peek.reason === 'bad-version' ? 'hello-none' : 'none');
  if (b.length - off < peek.fixedLength) return v('truncated', 'inside the hello');
  let h = decodeHello(b.subarray(off, off + peek.fixedLength));
  if (h instanceof WireError && h.reason === 'truncated' && h.needed > peek.fixedLength) {
    if (b.length - off < h.needed) return v('truncated', 'inside the hello IP list');
    h = decodeHello(b.subarray(off, off + h.needed));
  }
  if (h instanceof WireError) return v('bad', h.message);
  const hsEnd = off + h.length;
  // ksocknal_recv_hello: a type with no inverse is "Unexpected type" (EPROTO): no hello back.
  if (invertConnType(h.ctype) === SocklndConnType.NONE)
    return v('bad', `unexpected connection type ${h.ctype}`, 'none', { hello: h, badCtype: true, handshakeEnd: hsEnd });
  const f = modelFrames(b, hsEnd, h.version, h.flip, node);
  return { ...f, reply: 'hello', hello: h, badCtype: false, handshakeEnd: hsEnd };
}

// ------------------------------------------------------------------------------------------
// Mutations (shared by both fuzzers)
// ------------------------------------------------------------------------------------------

const INTERESTING32 = [
  0, 1, 2, 3, 4, 5, 16, 17, 0x7fffffff, 0x80000000, 0xffffffff, LNET_PROTO_MAGIC, swab32(LNET_PROTO_MAGIC), LNET_PROTO_TCP_MAGIC,
  LNET_PROTO_ACCEPTOR_MAGIC, swab32(LNET_PROTO_ACCEPTOR_MAGIC), 0xc0, 0xc1, 0xc2, LNET_MTU, LNET_MTU + 1, 24, 72, 96,
];

function mutateOnce(rng: SeededRng, b: Buffer, lo: number, donors: readonly Buffer[]): Buffer {
  if (b.length === 0) return b;
  const span = Math.max(1, b.length - lo);
  const pos = Math.min(b.length - 1, lo + rng.int(span));
  switch (rng.int(9)) {
    case 0: {
      const c = Buffer.from(b);
      c[pos]! ^= 1 << rng.int(8);
      return c;
    }
    case 1: {
      const c = Buffer.from(b);
      c[pos] = rng.u32() & 0xff;
      return c;
    }
    case 2: {
      const c = Buffer.from(b);
      const at = pos & ~3;
      if (at + 4 <= c.length) {
        const val = rng.pick(INTERESTING32) >>> 0;
        if (rng.int(2)) c.writeUInt32LE(val, at);
        else c.writeUInt32BE(val, at);
      }
      return c;
    }
    case 3:
      return b.subarray(0, pos);
    case 4:
      return Buffer.concat([b.subarray(0, pos), rng.bytes(1 + rng.int(16)), b.subarray(pos)]);
    case 5:
      return Buffer.concat([b.subarray(0, pos), b.subarray(Math.min(b.length, pos + 1 + rng.int(32)))]);
    case 6: {
      const from = rng.int(b.length);
      const piece = b.subarray(from, Math.min(b.length, from + 1 + rng.int(120)));
      return Buffer.concat([b.subarray(0, pos), piece, b.subarray(pos)]);
    }
    case 7: {
      const d = rng.pick(donors);
      if (d.length === 0) return b;
      return Buffer.concat([b.subarray(0, pos), d.subarray(rng.int(d.length))]);
    }
    default: {
      const c = Buffer.from(b);
      const at = pos & ~3;
      if (at + 4 <= c.length) c.writeUInt32LE(rng.u32(), at);
      return c;
    }
  }
}

/** Random chunk sizes for `len` bytes (at most ~30 pieces; sendChunked gives the rest to the last). */
function chunkSizes(rng: SeededRng, len: number, first?: number): number[] {
  const sizes: number[] = [];
  let left = len;
  if (first !== undefined) {
    sizes.push(first);
    left -= first;
  }
  const max = rng.pick([4, 24, 100, 600, 5000]);
  while (left > 0 && sizes.length < 30) {
    const n = 1 + rng.int(max);
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

/**
 * A frame a well-behaved peer `src` might send to `dest`: PUTs and GETs on `portals` (GETs on
 * portal 0 carry the ping match bits), ACKs and REPLYs for handles nobody has, NOOPs, keepalives,
 * checksummed messages, ZC requests, a PUT for another net (dropped: routing is off).
 */
function randomGoodFrame(
  rng: SeededRng,
  dest: Nid,
  src: Nid,
  version: KsockProtoVersion,
  flip: boolean,
  portals: readonly number[] = [PORTAL_FUZZ],
): Buffer {
  const wmd = new WireHandle(rng.u32(), 0x0bad0bad, rng.u32(), 0x0bad0bad);
  const csum = version !== KsockProtoVersion.V1 && rng.int(5) === 0 ? ('ok' as const) : undefined;
  const base = { version, flip, csum };
  const putPortal = (): number => rng.pick(portals.filter((p) => p !== 0).concat([PORTAL_FUZZ]));
  if (portals.includes(PORTAL_DIRECT) && rng.int(6) === 0) {
    // Large enough for the receiver to read the rest straight into the MD (DIRECT_READ_MIN 16 KiB).
    const p = patternBytes(20_000 + rng.int(80_000), rng.u32());
    return frame({ ...base, hdr: putTo(dest, src, PORTAL_DIRECT, p, { mbLo: rng.u32() }), payload: p });
  }
  switch (rng.int(9)) {
    case 0:
      return version >= KsockProtoVersion.V2 ? frame({ ...base }) : frame({ ...base, hdr: putTo(dest, src, PORTAL_FUZZ, Buffer.alloc(0)) });
    case 1:
      return version >= KsockProtoVersion.V3
        ? frame({ ...base, zcAck: [1, 0] })
        : frame({ ...base, hdr: putTo(dest, src, PORTAL_FUZZ, Buffer.alloc(0)) });
    case 2: {
      const p = patternBytes(rng.int(4) === 0 ? 3000 + rng.int(3000) : rng.int(300), rng.u32());
      return frame({ ...base, hdr: putTo(dest, src, putPortal(), p, { mbLo: rng.u32(), mbHi: rng.u32() }), payload: p });
    }
    case 3: {
      const portal = rng.pick(portals);
      const mbHi = portal === 0 ? PING_BITS_HI : rng.u32();
      return frame({ ...base, hdr: mkHdr({ type: LNetMsgType.GET, dest, src, portal, wmd, sink: rng.int(5000), mbHi }) });
    }
    case 4:
      return frame({ ...base, hdr: mkHdr({ type: LNetMsgType.ACK, dest, src, wmd, mlength: rng.int(100) }) });
    case 5: {
      const p = patternBytes(rng.int(200), rng.u32());
      return frame({ ...base, hdr: mkHdr({ type: LNetMsgType.REPLY, dest, src, wmd, len: p.length }), payload: p });
    }
    case 6: {
      const p = patternBytes(rng.int(100), rng.u32());
      return frame({ ...base, hdr: putTo(parseNid('10.1.2.3@tcp7'), src, PORTAL_FUZZ, p), payload: p });
    }
    case 7: {
      // an ACK requested
      const p = patternBytes(rng.int(64), rng.u32());
      return frame({ ...base, hdr: putTo(dest, src, putPortal(), p, { wmd }), payload: p });
    }
    default: {
      const p = patternBytes(rng.int(64), rng.u32());
      const zc = version >= KsockProtoVersion.V2 ? ([2 + rng.int(100), 0] as [number, number]) : undefined;
      return frame({ ...base, hdr: putTo(dest, src, putPortal(), p), payload: p, zcReq: zc });
    }
  }
}

// ------------------------------------------------------------------------------------------
// The run
// ------------------------------------------------------------------------------------------

t.comment(`seed 0x${SEED.toString(16)}, ${FUZZ_CONNS} fuzz connections, ${FUZZ_CASES} in-process cases`);
const T0 = performance.now();
const { a: A, b: B, port: PORT } = await startPair();
const b2a = new Flow('B→A', B.lnet, A.lnet, B_NID, `12345-${A_ADDR}@tcp`, PORTAL_B2A, 2);
const a2b = new Flow('A→B', A.lnet, B.lnet, A_NID, `12345-${B_ADDR}@tcp`, PORTAL_A2B, 2);
/** Good PUTs from raw peers land here. */
const rawInbox = A.lnet.listen({ portal: PORTAL_RAW, ignoreBits: ALL_BITS, maxMessage: 65536, bufferSize: 1 << 20 });
const aView: NodeView = { nid: A_NID, parks: parksOnPortal0 };
// Where the fuzz's large PUTs land (any sender, any match bits; remote offsets fuzzed too).
A.lnet.mdAttach(
  A.lnet.meAttach(PORTAL_DIRECT, { nid: LNET_ANY_NID, pid: LNET_PID_ANY }, 0, ALL_BITS),
  {
    start: new Uint8Array(256 * 1024),
    threshold: LNET_MD_THRESH_INF,
    options: MdOption.OP_PUT | MdOption.TRUNCATE | MdOption.MANAGE_REMOTE | MdOption.ACK_DISABLE,
  },
  Unlink.RETAIN,
);

const startErrors = A.lnet.counters.errors;
const startProto = A.lnd.stats.protocolErrors;
/** Bad connections made (by the rule's definition) and what A counted for them, case by case. */
const tally = {
  caused: 0,
  observed: 0,
  /** Counted although not bad (the V1 frame-boundary bug, V1_IDLE_TODO). */
  spurious: 0,
};

let nextTargeted = 200;
const targetedAddr = (): string => addrN(nextTargeted++);

t.teardown(async () => {
  rawInbox.close();
  await Promise.all([b2a.close(), a2b.close()]);
  await Promise.all([A.lnet.shutdown(), B.lnet.shutdown()]);
});

interface BadExpect {
  /** Regex the warn line's reason (the text after "<who>: ") must match. */
  reason: RegExp;
  /**
   * How the line names the peer, given the socket's address:port: the address alone before the
   * handshake (the default), `<pid>-<nid> (<address>:<port>)` after it.
   */
  who?: (addrPort: string) => string;
  /** Checks on what A sent back. */
  reply?: (t: Test, bytes: Buffer) => void;
}

/** Connect from a fresh address, run `act`, wait for A to close, then check count and log. */
async function badConn(t: Test, act: (p: RawPeer, addr: string) => Promise<void>, ex: BadExpect): Promise<RawPeer> {
  const addr = targetedAddr();
  const mark = A.log.lines.length;
  const e0 = A.lnet.counters.errors;
  const p0 = A.lnd.stats.protocolErrors;
  const peer = await RawPeer.connect({ host: A_ADDR, port: PORT, localAddress: addr });
  t.ok(peer.localPort <= 1023, `from reserved port ${addr}:${peer.localPort}`);
  const addrPort = `${addr}:${peer.localPort}`;
  await act(peer, addr);
  const st = await peer.waitClosed(BOUND_MS);
  t.ok(st.closed, 'A closed the connection');
  if (!st.closed) peer.destroy();
  const dProto = A.lnd.stats.protocolErrors - p0;
  const dErr = A.lnet.counters.errors - e0;
  tally.caused++;
  tally.observed += dProto;
  t.ok(dProto <= 1 && dErr <= 1, 'never counted twice');
  t.equal(dProto, 1, 'counted in lnd.stats.protocolErrors');
  t.equal(dErr, 1, 'counted in LNet counters.errors');
  const warns = A.log.since(mark, 'warn');
  t.equal(warns.length, 1, 'exactly one warn line', { found: warns.map((w) => w.msg) });
  const w = warns[0];
  const who = ex.who ? ex.who(addrPort) : addrPort;
  const prefix = `closing connection with ${who}: `;
  t.ok(w && w.msg.includes(addrPort), `the warn line names the peer's socket ${addrPort}`, { found: w?.msg });
  t.ok(w && w.msg.startsWith(prefix), `the warn line names the peer as "${who}"`, { found: w?.msg });
  const reason = w?.msg.startsWith(prefix) ? w.msg.slice(prefix.length) : w?.msg;
  t.ok(reason !== undefined && ex.reason.test(reason), `the warn line gives the reason (${ex.reason})`, { found: w?.msg });
  t.same(w?.fields, { peer: who, reason }, 'its fields carry the peer and the reason');
  const errs = A.log.since(mark, 'error');
  t.equal(warns.length + errs.length, 1, 'logged once (no other warn or error line)', {
    found: [...warns, ...errs].map((l) => `${l.level}: ${l.msg}`),
  });
  t.equal(A.lnd.connections().filter((c) => c.remote === addrPort).length, 0, 'no connection left from that peer');
  ex.reply?.(t, peer.bytes());
  return peer;
}

const v1Reply = Buffer.concat([
  Buffer.from([0x00, 0x71, 0xce, 0xac]),
  Buffer.from([1, 0, 0, 0]),
  Buffer.alloc(8),
]);

function expectConnreq16(t: Test, bytes: Buffer): void {
  t.same([...bytes], [...v1Reply], 'A answered the 16-byte v1 connreq {magic, 1, nid 0} ("I speak this") before closing');
}

function expectNothing(t: Test, bytes: Buffer): void {
  t.equal(bytes.length, 0, 'A sent nothing back');
}

function helloFrom(addr: string, extra: Partial<HelloOptions> = {}): HelloOptions {
  return { srcNid: nidOf(addr), dstNid: A_NID, ...extra };
}

/** A raw peer that completed a good handshake with A (A's hello checked). */
async function goodConn(t: Test, addr: string, hello: Partial<HelloOptions> = {}): Promise<RawPeer> {
  const peer = await RawPeer.connect({ host: A_ADDR, port: PORT, localAddress: addr });
  await peer.sendHandshake(A_NID, helloFrom(addr, hello));
  const h = await peer.readHello(BOUND_MS);
  if (!h || h instanceof WireError) {
    t.fail(`A did not answer the hello of ${addr}: ${h instanceof WireError ? h.message : 'closed/none'}`);
    return peer;
  }
  t.equal(h.ctype, invertConnType(hello.ctype ?? SocklndConnType.CONTROL), `A accepted ${addr} (ctype ${h.ctype})`);
  t.ok(nidEquals(h.srcNid, A_NID), "A's hello names A");
  return peer;
}

/** The next PUT that lands in rawInbox (bounded). */
async function nextRaw(): Promise<IncomingMessage | undefined> {
  try {
    return await rawInbox.next(BOUND_MS);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------- controls

await t.test('controls: a well-formed raw peer is served (the builders are right)', async (t) => {
  const addr = targetedAddr();
  const mark = A.log.lines.length;
  const p0 = A.lnd.stats.protocolErrors;
  const peer = await goodConn(t, addr);
  const src = nidOf(addr);
  const p1 = patternBytes(300, 1);
  const p2 = patternBytes(5000, 2);
  await peer.write(
    Buffer.concat([
      frame({}), // NOOP
      frame({ zcAck: [1, 0] }), // keepalive NOOP
      frame({ hdr: putTo(A_NID, src, PORTAL_RAW, p1, { mbLo: 7 }), payload: p1 }),
      frame({ hdr: putTo(A_NID, src, PORTAL_RAW, p2, { mbLo: 8 }), payload: p2, csum: 'ok' }), // checksummed
      frame({ hdr: putTo(parseNid('10.9.9.9@tcp7'), src, PORTAL_RAW, p1), payload: p1 }), // other net: dropped
      frame({ hdr: putTo(A_NID, src, PORTAL_FUZZ, p1), payload: p1 }), // no ME: dropped
    ]),
  );
  const m1 = await nextRaw();
  const m2 = await nextRaw();
  t.ok(m1 && Buffer.from(m1.data).equals(p1) && m1.matchBits === 7n, 'first PUT delivered intact');
  t.ok(m2 && Buffer.from(m2.data).equals(p2) && m2.matchBits === 8n, 'checksummed PUT delivered intact');
  // an ACKed PUT comes back as an ACK on this connection
  const p3 = patternBytes(10, 3);
  const before = peer.receivedLength;
  await peer.write(frame({ hdr: putTo(A_NID, src, PORTAL_RAW, p3, { mbLo: 9, wmd: new WireHandle(1, 2, 3, 4) }), payload: p3 }));
  t.ok(await nextRaw(), 'ACKed PUT delivered');
  t.ok(await peer.waitBytes(before + KSOCK_MSG_HDR_SIZE + LNET_HDR_NID4_SIZE, BOUND_MS), 'A sent the ACK back');
  const ack = decodeLNetHdrNid4(peer.bytes(), before + KSOCK_MSG_HDR_SIZE);
  t.ok(!(ack instanceof WireError) && ack.type === LNetMsgType.ACK && ack.wmd.equals(new WireHandle(1, 2, 3, 4)), 'the ACK echoes the handle');
  t.notOk(peer.closed, 'connection still open');
  peer.end();
  const st = await peer.waitClosed(BOUND_MS);
  t.ok(st.closed, 'a FIN on a frame boundary closes it');
  t.equal(A.lnd.stats.protocolErrors, p0, 'nothing counted for a well-behaved peer');
  t.same(A.log.since(mark, 'warn').map((l) => l.msg), [], 'nothing warned');
});

await t.test('controls: a V1 peer (no ksock header) is at a frame boundary between frames', async (t) => {
  await t.test('a FIN after whole frames is a normal close', async (t) => {
    const addr = targetedAddr();
    const mark = A.log.lines.length;
    const p0 = A.lnd.stats.protocolErrors;
    const peer = await goodConn(t, addr, { version: KsockProtoVersion.V1 });
    const p = patternBytes(200, 11);
    await peer.write(frame({ version: KsockProtoVersion.V1, hdr: putTo(A_NID, nidOf(addr), PORTAL_RAW, p, { mbLo: 11 }), payload: p }));
    const m = await nextRaw();
    t.ok(m && Buffer.from(m.data).equals(p) && m.matchBits === 11n, 'the V1 PUT was delivered');
    peer.end();
    t.ok((await peer.waitClosed(BOUND_MS)).closed, 'A closed it');
    const d = A.lnd.stats.protocolErrors - p0;
    tally.observed += d;
    tally.spurious += d;
    t.same({ counted: d, warned: A.log.since(mark, 'warn').map((l) => l.msg) }, { counted: 0, warned: [] }, 'nothing counted or warned', {
      todo: V1_IDLE_TODO,
    });
  });

  await t.test('an idle connection outlives sock_timeout (node C, sock_timeout 1 s)', async (t) => {
    const C = await startNode(C_ADDR, { accept: 'secure', params: { sock_timeout: 1 } });
    try {
      const idle = async (version: KsockProtoVersion): Promise<RawPeer> => {
        const addr = targetedAddr();
        const peer = await RawPeer.connect({ host: C_ADDR, port: C.port, localAddress: addr });
        await peer.sendHandshake(C_NID, { srcNid: nidOf(addr), dstNid: C_NID, version });
        const h = await peer.readHello(BOUND_MS);
        t.ok(h && !(h instanceof WireError) && h.ctype === SocklndConnType.CONTROL, `C accepted a V${version} peer`);
        return peer;
      };
      const [v3, v1] = await Promise.all([idle(KsockProtoVersion.V3), idle(KsockProtoVersion.V1)]);
      // the reaper runs once a second: > 2 s idle is past sock_timeout on at least one pass
      await new Promise((r) => setTimeout(r, 2600));
      t.notOk(v3.closed, 'the idle V3 connection is still open (the control)');
      t.same({ closed: v1.closed, warned: C.node.log.since(0, 'warn').map((l) => l.msg) }, { closed: false, warned: [] }, 'the idle V1 connection is still open, nothing warned', {
        todo: V1_IDLE_TODO,
      });
      for (const p of [v3, v1]) {
        p.end();
        await p.waitClosed(BOUND_MS);
      }
    } finally {
      await C.node.lnet.shutdown();
    }
  });
});

// ---------------------------------------------------------------------------- acceptor

await t.test('malformed acceptor requests', async (t) => {
  await t.test('wrong magic: closed without a reply', async (t) => {
    await badConn(t, async (p) => void (await p.write(Buffer.from('GET / HTTP/1.0\r\n\r\n'))), { reason: /magic/, reply: expectNothing });
  });
  await t.test("old socknal magic 0xeebc0ded: closed without a reply", async (t) => {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(LNET_PROTO_TCP_MAGIC, 0);
    b.writeUInt32LE(1, 4);
    await badConn(t, async (p) => void (await p.write(b)), { reason: /magic/, reply: expectNothing });
  });
  await t.test('a hello without connreq (LNET_PROTO_MAGIC): the 16-byte reply, then close', async (t) => {
    await badConn(t, async (p, addr) => void (await p.write(helloToBuffer(makeHello(helloFrom(addr))))), {
      reason: /acceptor|lnet-magic|connreq|connection request/i,
      reply: expectConnreq16,
    });
  });
  await t.test('a byte-swapped hello without connreq: the 16-byte reply, then close', async (t) => {
    await badConn(t, async (p, addr) => void (await p.write(helloToBuffer(makeHello(helloFrom(addr)), true))), {
      reason: /acceptor|lnet-magic|connreq|connection request/i,
      reply: expectConnreq16,
    });
  });
  await t.test('unknown connreq version: the 16-byte reply, then close', async (t) => {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(LNET_PROTO_ACCEPTOR_MAGIC, 0);
    b.writeUInt32LE(3, 4);
    await badConn(t, async (p) => void (await p.write(b)), { reason: /version/, reply: expectConnreq16 });
  });
  await t.test('v2 connreq with a malformed 20-byte NID', async (t) => {
    const b = Buffer.alloc(28);
    b.writeUInt32LE(LNET_PROTO_ACCEPTOR_MAGIC, 0);
    b.writeUInt32LE(AcceptorVersion.V2, 4);
    b[8] = 13; // nid_size 13: overruns the struct
    b[9] = LndType.SOCKLND;
    await badConn(t, async (p) => void (await p.write(b)), { reason: /nid/i, reply: expectNothing });
  });
  await t.test('connreq for a NID that is not ours', async (t) => {
    await badConn(t, async (p, addr) => void (await p.write(handshakeBytes(parseNid('127.0.0.99@tcp'), helloFrom(addr)))), {
      reason: /^connection request for 127\.0\.0\.99@tcp: no matching NI$/,
      reply: expectNothing,
    });
  });
  await t.test('truncated connreq then FIN', async (t) => {
    await badConn(
      t,
      async (p) => {
        await p.write(connReqToBuffer({ version: AcceptorVersion.V1, nid: A_NID }).subarray(0, 11));
        p.end();
      },
      {
        reason: /^incomplete handshake: .*(EOF|closed)/,
        reply: expectNothing,
      },
    );
  });
  await t.test('truncated connreq then idle (accept_timeout)', async (t) => {
    await badConn(t, async (p) => void (await p.write(connReqToBuffer({ version: AcceptorVersion.V1, nid: A_NID }).subarray(0, 5))), {
      reason: /^incomplete handshake: ETIMEDOUT: peer sent no 8-byte handshake block within 1000 ms$/,
      reply: expectNothing,
    });
  });
  await t.test('handshake blocks straddling segments: decoders see only what arrived (in memory, deterministic)', async (t) => {
    // SockLnd reads a handshake block with conn.need(n) (RxStream.peek) and decodes from the view
    // it gets. When the block straddles chunks the view is a copy in RxStream's scratch buffer,
    // which may hold stale bytes past n from an earlier peek: the view must stop at n.
    const rx = new RxStream();
    rx.push(Buffer.alloc(3, 0xee));
    rx.push(Buffer.alloc(40, 0xee));
    t.ok(rx.peek(40), 'an earlier straddling peek fills the scratch');
    rx.consume(43);
    const req = connReqToBuffer({ version: AcceptorVersion.V1, nid: A_NID });
    rx.push(req.subarray(0, 4));
    rx.push(req.subarray(4, 8)); // 8 of the 16 bytes have arrived
    const p = rx.peek(8)!;
    const r = decodeConnReq(p.buf, p.off);
    t.equal(p.buf.length - p.off, 8, 'the view holds exactly the 8 bytes asked for');
    t.ok(r instanceof WireError && r.reason === 'truncated' && r.needed === 16, 'the connreq decodes as truncated (16 needed), not from stale bytes', {
      found: r instanceof WireError ? r.message : formatNid(r.nid),
    });
  });
  await t.test('a good connreq delivered one byte per segment is accepted', async (t) => {
    const addr = targetedAddr();
    const peer = await RawPeer.connect({ host: A_ADDR, port: PORT, localAddress: addr });
    const hs = handshakeBytes(A_NID, helloFrom(addr));
    await peer.sendChunked(hs, Array<number>(hs.length).fill(1));
    const h = await peer.readHello(BOUND_MS);
    t.ok(h && !(h instanceof WireError) && h.ctype === SocklndConnType.CONTROL, 'A answered with its hello', {
      found: h instanceof WireError ? h.message : h,
    });
    peer.destroy();
    await peer.waitClosed(BOUND_MS);
  });
});

// ---------------------------------------------------------------------------- hellos

await t.test('malformed hellos', async (t) => {
  const withHello = (hello: Buffer) => async (p: RawPeer) => {
    await p.write(Buffer.concat([connReqToBuffer({ version: AcceptorVersion.V1, nid: A_NID }), hello]));
  };
  await t.test('bad magic: closed without a reply', async (t) => {
    const h = helloToBuffer(makeHello(helloFrom('127.0.0.200')));
    h.writeUInt32LE(0x12345678, 0);
    await badConn(t, withHello(h), { reason: /magic/, reply: expectNothing });
  });
  await t.test('bad version: A answers its own hello with ctype NONE (-1), then closes', async (t) => {
    const h = helloToBuffer(makeHello(helloFrom('127.0.0.200')));
    h.writeUInt32LE(5, 4);
    await badConn(t, withHello(h), {
      reason: /version/,
      reply: (t, bytes) => {
        const r = decodeHello(bytes);
        t.ok(!(r instanceof WireError), 'the reply is a hello', { found: r instanceof WireError ? r.message : undefined });
        if (r instanceof WireError) return;
        t.equal(r.version, KsockProtoVersion.V3, 'V3 for an IPv4 peer');
        t.equal(r.ctype, SocklndConnType.NONE, 'ctype NONE');
        t.ok(nidEquals(r.srcNid, A_NID), "from A's NID");
        t.equal(r.ips.length, 0, 'no IPs');
        t.equal(bytes.length, r.length, 'nothing else');
      },
    });
  });
  await t.test('src NID ANY', async (t) => {
    await badConn(t, async (p, addr) => void (await withHello(helloToBuffer(makeHello(helloFrom(addr, { srcNid: LNET_ANY_NID }))))(p)), {
      reason: /ANY|nid-any/i,
      reply: expectNothing,
    });
  });
  await t.test('nips > 16', async (t) => {
    await badConn(
      t,
      async (p, addr) => {
        const h = helloToBuffer(makeHello(helloFrom(addr, { ips: Array<number>(16).fill(0x7f000001) })));
        const b = Buffer.concat([h, Buffer.alloc(4, 1)]);
        b.writeUInt32LE(17, 52);
        await withHello(b)(p);
      },
      { reason: /ips|16/i, reply: expectNothing },
    );
  });
  await t.test('an IP list holding 0.0.0.0', async (t) => {
    await badConn(t, async (p, addr) => void (await withHello(helloToBuffer(makeHello(helloFrom(addr, { ips: [0x7f000001, 0] }))))(p)), {
      reason: /zero|ip/i,
      reply: expectNothing,
    });
  });
  await t.test('a V4 hello with a malformed 20-byte NID', async (t) => {
    await badConn(
      t,
      async (p, addr) => {
        const h = helloToBuffer(makeHello(helloFrom(addr, { version: KsockProtoVersion.V4 })));
        h[8] = 13;
        await withHello(h)(p);
      },
      { reason: /nid/i, reply: expectNothing },
    );
  });
  await t.test('an unknown connection type (the kernel says "Unexpected type", EPROTO)', async (t) => {
    await badConn(
      t,
      async (p, addr) => {
        await withHello(helloToBuffer(makeHello(helloFrom(addr, { ctype: 7 }))))(p);
        // give A the chance to misbehave, then leave
        await p.waitBytes(1, 500);
        p.end();
      },
      { reason: /^unexpected connection type 7 in hello$/, reply: expectNothing },
    );
  });
  await t.test('truncated hello then FIN', async (t) => {
    await badConn(
      t,
      async (p, addr) => {
        await withHello(helloToBuffer(makeHello(helloFrom(addr))).subarray(0, 30))(p);
        p.end();
      },
      {
        reason: /^incomplete handshake: .*(EOF|closed)/,
        reply: expectNothing,
      },
    );
  });
  await t.test('truncated hello then idle (accept_timeout)', async (t) => {
    await badConn(t, async (p, addr) => void (await withHello(helloToBuffer(makeHello(helloFrom(addr))).subarray(0, 20))(p)), {
      reason: /^incomplete handshake: ETIMEDOUT: peer sent no \d+-byte handshake block within 1000 ms$/,
      reply: expectNothing,
    });
  });
});

// ---------------------------------------------------------------------------- frames

/** lnet_parse refusals: the core records its reason and the LND's one warn line gives it. */
const parseRefusal = (why: string): RegExp => new RegExp(`^LNet rejected the header: ${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

await t.test('malformed frames after a good handshake', async (t) => {
  // A healthy raw connection that must keep working through every bad one.
  const bystander = await goodConn(t, BYSTANDER_ADDR);
  const bySrc = nidOf(BYSTANDER_ADDR);
  let byCount = 0;
  const bystanderStillWorks = async (t: Test): Promise<void> => {
    const p = patternBytes(100, ++byCount);
    const before = bystander.receivedLength;
    await bystander.write(frame({ hdr: putTo(A_NID, bySrc, PORTAL_RAW, p, { mbLo: 1000 + byCount, wmd: new WireHandle(9, 9, byCount, 0) }), payload: p }));
    const m = await nextRaw();
    t.ok(m && Buffer.from(m.data).equals(p) && m.matchBits === BigInt(1000 + byCount), 'the bystander connection still delivers');
    t.ok(await bystander.waitBytes(before + KSOCK_MSG_HDR_SIZE + LNET_HDR_NID4_SIZE, BOUND_MS), 'and still gets its ACK');
  };

  const bad = async (
    t: Test,
    frames: (src: Nid) => Buffer,
    ex: BadExpect & { hello?: Partial<HelloOptions>; thenEnd?: boolean },
  ): Promise<void> => {
    await badConn(
      t,
      async (p, addr) => {
        await p.sendHandshake(A_NID, helloFrom(addr, ex.hello));
        const h = await p.readHello(BOUND_MS);
        t.ok(h && !(h instanceof WireError), 'handshake completed');
        await p.write(frames(nidOf(addr)));
        if (ex.thenEnd) p.end();
      },
      {
        // after the handshake: the process id the hello claimed, then the socket
        who: (addrPort) => `12345-${formatNid(ex.hello?.srcNid ?? nidOf(addrPort.split(':')[0]!))} (${addrPort})`,
        ...ex,
      },
    );
    await bystanderStillWorks(t);
  };

  await t.test('bad ksock message type', async (t) => {
    await bad(t, () => frame({ ksockType: 0xc2 }), { reason: /type/ });
  });
  await t.test('ZC-ACK for a cookie never sent (NOOP)', async (t) => {
    await bad(t, () => frame({ zcAck: [0x1234, 0] }), { reason: /ZC-ACK|cookie/i });
  });
  await t.test('ZC-ACK for a cookie never sent (piggybacked on a PUT)', async (t) => {
    const p = patternBytes(10, 5);
    await bad(t, (src) => frame({ hdr: putTo(A_NID, src, PORTAL_FUZZ, p), payload: p, zcAck: [7, 1] }), { reason: /ZC-ACK|cookie/i });
  });
  await t.test('keepalive cookie 1 on V2 is a real ZC-ACK: EPROTO', async (t) => {
    await bad(t, () => frame({ version: KsockProtoVersion.V2, zcAck: [1, 0] }), {
      reason: /ZC-ACK|cookie/i,
      hello: { version: KsockProtoVersion.V2 },
    });
  });
  await t.test('bad LNet header type', async (t) => {
    await bad(t, (src) => frame({ hdr: mkHdr({ type: 7, dest: A_NID, src }) }), { reason: parseRefusal('bad message type 7') });
  });
  await t.test('HELLO (type 4) as a message', async (t) => {
    await bad(t, (src) => frame({ hdr: mkHdr({ type: LNetMsgType.HELLO, dest: A_NID, src }) }), {
      reason: parseRefusal('bad message type 4'),
    });
  });
  await t.test('GET with a payload', async (t) => {
    await bad(t, (src) => frame({ hdr: mkHdr({ type: LNetMsgType.GET, dest: A_NID, src, len: 16, portal: PORTAL_FUZZ }), payload: Buffer.alloc(16) }), {
      reason: parseRefusal('bad GET: payload length 16 must be 0'),
    });
  });
  await t.test('ACK with a payload', async (t) => {
    await bad(t, (src) => frame({ hdr: mkHdr({ type: LNetMsgType.ACK, dest: A_NID, src, len: 4 }), payload: Buffer.alloc(4) }), {
      reason: parseRefusal('bad ACK: payload length 4 must be 0'),
    });
  });
  await t.test('PUT with payload_length > 1 MiB', async (t) => {
    await bad(t, (src) => frame({ hdr: putTo(A_NID, src, PORTAL_FUZZ, Buffer.alloc(0), { len: LNET_MTU + 1 }) }), {
      reason: parseRefusal('bad PUT: payload length 1048577 exceeds LNET_MTU'),
    });
  });
  await t.test('REPLY with payload_length 0xffffffff', async (t) => {
    await bad(t, (src) => frame({ hdr: mkHdr({ type: LNetMsgType.REPLY, dest: A_NID, src, len: 0xffffffff }) }), {
      reason: parseRefusal('bad REPLY: payload length 4294967295 exceeds LNET_MTU'),
    });
  });
  await t.test('a header for a different NID on the same net (should have been sent direct)', async (t) => {
    await bad(t, (src) => frame({ hdr: putTo(parseNid('127.0.0.99@tcp'), src, PORTAL_FUZZ, Buffer.alloc(0)) }), {
      reason: parseRefusal('bad dest nid 127.0.0.99@tcp (should have been sent direct)'),
    });
  });
  await t.test('a header for 0@lo (my NID on another net)', async (t) => {
    await bad(t, (src) => frame({ hdr: putTo(LNET_NID_LO_0, src, PORTAL_FUZZ, Buffer.alloc(0)) }), {
      reason: parseRefusal("bad dest nid 0@lo (it's my nid but on a different network)"),
    });
  });
  await t.test('checksum mismatch on a PUT', async (t) => {
    const p = patternBytes(500, 6);
    await bad(t, (src) => frame({ hdr: putTo(A_NID, src, PORTAL_FUZZ, p), payload: p, csum: 'bad' }), { reason: /checksum/ });
  });
  await t.test('checksum mismatch on a NOOP', async (t) => {
    await bad(t, () => frame({ csum: 'bad' }), { reason: /checksum/ });
  });
  await t.test('truncated frame (inside the LNet header) then FIN', async (t) => {
    const p = patternBytes(50, 7);
    await bad(t, (src) => frame({ hdr: putTo(A_NID, src, PORTAL_FUZZ, p), payload: p }).subarray(0, 60), {
      thenEnd: true,
      reason: /^stream ended in the middle of a message \(lnet-header\)$/,
    });
  });
  await t.test('truncated payload then FIN', async (t) => {
    const p = patternBytes(3000, 8);
    await bad(t, (src) => frame({ hdr: putTo(A_NID, src, PORTAL_FUZZ, p), payload: p }).subarray(0, 1000), {
      thenEnd: true,
      reason: /^stream ended in the middle of a message \(payload\)$/,
    });
  });
  await t.test('the warn line names the socket address even when the hello claims another NID', async (t) => {
    await bad(t, () => frame({ ksockType: 0xc3 }), {
      hello: { srcNid: parseNid('127.0.0.77@tcp') },
      reason: /type/,
      // `bad` expects "12345-127.0.0.77@tcp (<socket address>:<port>)": claimed identity and real socket
    });
  });

  t.notOk(bystander.closed, 'the bystander connection survived everything');
  bystander.end();
  t.ok((await bystander.waitClosed(BOUND_MS)).closed, 'bystander closed cleanly');
});

// ---------------------------------------------------------------------------- fuzz: real connections

/**
 * Whether A may answer `nid` (the source of a header it accepts, or a hello's NID): anything
 * off A's only net (tcp) is never a next hop; on tcp only the fuzz range 127.0.0.100-199, so
 * A never connects anywhere else and never mistakes a fuzz peer for B.
 */
function fuzzSafe(nid: Nid): boolean {
  if (!(nid.type === LndType.SOCKLND && nid.num === 0)) return true;
  if (nid.size !== 0) return false;
  const a = nid.addr0 >>> 0;
  return a >= 0x7f000000 + FUZZ_ADDR_BASE && a < 0x7f000000 + FUZZ_ADDR_BASE + FUZZ_ADDRS;
}

/** A valid stream a peer at `me` could open A with: connreq, hello, 0-5 frames. */
function baseStream(rng: SeededRng, me: Nid): { bytes: Buffer; handshake: number } {
  const version = rng.pick([3, 3, 3, 3, 2, 2, 4, 1]) as KsockProtoVersion;
  const flip = version !== KsockProtoVersion.V1 && rng.int(5) === 0;
  const req = connReqToBuffer({ version: rng.int(4) === 0 ? AcceptorVersion.V2 : AcceptorVersion.V1, nid: A_NID }, flip);
  const ctype = rng.pick([SocklndConnType.CONTROL, SocklndConnType.CONTROL, SocklndConnType.BULK_IN, SocklndConnType.BULK_OUT, SocklndConnType.ANY]);
  const ips = version === KsockProtoVersion.V2 || version === KsockProtoVersion.V3 ? (rng.int(4) === 0 ? [0x7f000001 + rng.int(50)] : []) : [];
  const hello = helloToBuffer(makeHello({ srcNid: me, dstNid: A_NID, version, ctype, ips, incarnationLo: rng.u32() }), flip);
  const frames: Buffer[] = [];
  const n = rng.int(6);
  for (let i = 0; i < n; i++) frames.push(randomGoodFrame(rng, A_NID, me, version, flip, [PORTAL_FUZZ, PORTAL_FUZZ, 0, PORTAL_DIRECT]));
  return { bytes: Buffer.concat([req, hello, ...frames]), handshake: req.length + hello.length };
}

interface FuzzTally {
  [k: string]: number;
}

await t.test(`seeded fuzz over real connections (${FUZZ_CONNS})`, async (t) => {
  const rng = new SeededRng(SEED ^ 0x5eed);
  const t0 = performance.now();
  const outcomes: FuzzTally = {};
  const hard: string[] = [];
  const split: string[] = [];
  /** Bad connections by kind, as judged (to show the fuzz reaches each kind). */
  const kinds: FuzzTally = { 'bad frame': 0, 'bad handshake': 0, 'unknown ctype': 0, 'no-ni': 0, 'truncated handshake': 0, 'truncated frame': 0 };
  let v1Boundary = 0;
  let retries = 0;
  let rerolls = 0;
  const donors: Buffer[] = [];
  const acked0 = b2a.acked + a2b.acked;
  // Payload bytes read straight into the MD on the fuzz's connections (B's flow has its own).
  let fuzzDirect = 0;
  const onDirect = KsockConn.prototype.onDirect;
  KsockConn.prototype.onDirect = function (this: KsockConn, n: number): void {
    if (this.remoteAddress !== B_ADDR) fuzzDirect += n;
    onDirect.call(this, n);
  };
  t.teardown(() => void (KsockConn.prototype.onDirect = onDirect));
  const show = (i: number, b: Buffer, what: string): string => `#${i} ${what} [${b.length} bytes: ${b.subarray(0, SHOW_BYTES).toString('hex')}${b.length > SHOW_BYTES ? '…' : ''}]`;
  for (let i = 0; i < FUZZ_CONNS; i++) {
    const addr = addrN(FUZZ_ADDR_BASE + (i % FUZZ_ADDRS));
    const me = nidOf(addr);
    const base = baseStream(rng, me);
    if (donors.length < 64) donors.push(base.bytes);
    else donors[rng.int(64)] = base.bytes;
    let stream = base.bytes;
    let verdict = modelStream(stream, aView);
    const r = rng.int(20);
    if (r >= 2) {
      for (let attempt = 0; attempt < 20; attempt++) {
        let m = base.bytes;
        if (r < 5) m = m.subarray(0, rng.int(m.length + 1));
        else {
          const lo = rng.int(3) === 0 ? 0 : base.handshake;
          const ops = 1 + rng.int(3);
          for (let k = 0; k < ops; k++) m = mutateOnce(rng, m, Math.min(lo, m.length), donors);
        }
        const v = modelStream(m, aView);
        // (no pushes either: were discovery ever to act on one, it could reach the NIDs inside)
        if ((v.hello === undefined || fuzzSafe(v.hello.srcNid)) && v.srcNids.every(fuzzSafe) && v.pushes === 0) {
          stream = m;
          verdict = v;
          break;
        }
        rerolls++;
      }
    }
    const splitHandshake = rng.int(4) === 0;
    const first = splitHandshake ? Math.min(stream.length, 1 + rng.int(40)) : Math.min(stream.length, 200);
    const sizes = chunkSizes(rng, stream.length, first);

    const mark = A.log.lines.length;
    const p0 = A.lnd.stats.protocolErrors;
    const e0 = A.lnet.counters.errors;
    const peer = await RawPeer.connect({ host: A_ADDR, port: PORT, localAddress: addr });
    const addrPort = `${addr}:${peer.localPort}`;
    await peer.sendChunked(stream, sizes);
    peer.end();
    const st = await peer.waitClosed(BOUND_MS);
    if (!st.closed) {
      hard.push(show(i, stream, `A did not close within ${BOUND_MS} ms after FIN`));
      peer.destroy();
      continue;
    }
    const dProto = A.lnd.stats.protocolErrors - p0;
    const dErr = A.lnet.counters.errors - e0;
    const lines = A.log.since(mark, 'warn').filter((l) => CONN_WARN.test(l.msg));
    const got = peer.bytes();
    outcomes[verdict.outcome] = (outcomes[verdict.outcome] ?? 0) + 1;

    // What A wrote back first.
    const problems: string[] = [];
    let retry = false;
    switch (verdict.reply) {
      case 'none':
        if (got.length !== 0) problems.push(`sent ${got.length} bytes, expected nothing`);
        break;
      case 'connreq16':
        if (!got.subarray(0, 16).equals(v1Reply)) problems.push('no 16-byte connreq reply');
        break;
      case 'hello-none':
      case 'hello': {
        const h = decodeHello(got);
        if (h instanceof WireError) {
          problems.push(`no hello back (${h.message})`);
          break;
        }
        const wantCtype = verdict.reply === 'hello-none' ? SocklndConnType.NONE : invertConnType(verdict.hello!.ctype);
        if (h.ctype === SocklndConnType.NONE && wantCtype !== SocklndConnType.NONE) retry = true; // a race or "enough of that type": retry
        else if (h.ctype !== wantCtype) problems.push(`hello ctype ${h.ctype}, expected ${wantCtype}`);
        break;
      }
    }
    if (retry) {
      retries++;
      tally.observed += dProto;
      continue;
    }

    // Known bug: a V1 connection idles in 'lnet-header', which KsockConn now calls mid-frame.
    const v1Spurious =
      verdict.outcome === 'clean' &&
      verdict.hello?.version === KsockProtoVersion.V1 &&
      dProto === 1 &&
      lines.length === 1 &&
      lines[0]!.msg.endsWith(': stream ended in the middle of a message (lnet-header)');
    if (v1Spurious && problems.length === 0) {
      v1Boundary++;
      tally.spurious++;
      tally.observed += dProto;
      continue;
    }

    // Every stream ends with our FIN: bad, truncated and no-NI streams are bad connections,
    // counted once (in both counters) and logged once; clean and parked ones are neither.
    const isBad = BAD_WITH_FIN.has(verdict.outcome);
    const want = isBad ? 1 : 0;
    if (dProto !== want) problems.push(`counted ${dProto}, model says ${verdict.outcome} (${verdict.reason})`);
    if (dErr !== dProto) problems.push(`counters.errors moved by ${dErr}, protocolErrors by ${dProto}`);
    if (lines.length !== want) problems.push(`${lines.length} warn lines (${lines.map((l) => l.msg).join(' | ')}), expected ${want}`);
    else if (want === 1) {
      // Named by the socket before the handshake is done, "<pid>-<nid> (<socket>)" after it.
      const h = verdict.hello;
      const who = verdict.reply === 'hello' && h ? `${formatProcessId({ nid: h.srcNid, pid: h.srcPid })} (${addrPort})` : addrPort;
      const prefix = `closing connection with ${who}: `;
      const msg = lines[0]!.msg;
      let why: RegExp | undefined;
      if (verdict.outcome === 'no-ni') why = /^connection request for \S+: no matching NI$/;
      else if (verdict.outcome === 'truncated')
        why = verdict.partial ? new RegExp(`^stream ended in the middle of a message \\(${verdict.partial}\\)$`) : /^incomplete handshake: /;
      else if (verdict.badCtype) why = new RegExp(`^unexpected connection type ${verdict.hello!.ctype} in hello$`);
      if (!msg.startsWith(prefix)) problems.push(`warn line "${msg}" does not start "${prefix}"`);
      else if (why && !why.test(msg.slice(prefix.length))) problems.push(`warn line "${msg}": reason should match ${why}`);
    }

    if (problems.length > 0) {
      (splitHandshake ? split : hard).push(show(i, stream, `${problems.join('; ')} [chunks ${sizes.join(',')}]`));
      tally.observed += dProto;
      continue;
    }
    // The rule's bookkeeping: which of these are bad connections, and what A counted.
    if (isBad) {
      tally.caused++;
      const kind =
        verdict.outcome === 'no-ni'
          ? 'no-ni'
          : verdict.badCtype
            ? 'unknown ctype'
            : verdict.outcome === 'truncated'
              ? verdict.partial
                ? 'truncated frame'
                : 'truncated handshake'
              : verdict.reply === 'hello'
                ? 'bad frame'
                : 'bad handshake';
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    tally.observed += dProto;
  }
  const secs = (performance.now() - t0) / 1000;
  t.comment(
    `${FUZZ_CONNS} connections in ${secs.toFixed(1)} s; model outcomes ${JSON.stringify(outcomes)}; bad connections by kind ${JSON.stringify(kinds)}; ${rerolls} mutations re-rolled (would make A answer outside 127.0.0.100-199); ${retries} answered "retry" (race); ${v1Boundary} V1 FINs on a frame boundary counted`,
  );
  for (const line of [...hard.slice(0, 5), ...split.slice(0, 3)]) t.comment(line);
  t.same(hard.slice(0, 10), [], `every connection behaved as the model says: reply, count, one warn line naming the peer and the reason (${hard.length} did not)`);
  t.same(split.slice(0, 5), [], `handshakes split across segments behave the same (${split.length} did not)`);
  if (FUZZ_CONNS >= 500)
    t.same(
      Object.entries(kinds).filter(([, n]) => n === 0).map(([k]) => k),
      [],
      'the fuzz made bad connections of every kind',
    );
  if (FUZZ_CONNS >= 500) t.ok(fuzzDirect > 0, `large PUTs were read straight into the MD (${fuzzDirect} bytes)`);
  t.equal(v1Boundary, 0, `a V1 peer's FIN on a frame boundary is a normal close (${v1Boundary} were counted and logged)`, { todo: V1_IDLE_TODO });
  if (FUZZ_CONNS > 0) t.ok(b2a.acked + a2b.acked > acked0, 'B and A kept exchanging PUTs meanwhile');
  t.same([...b2a.failures, ...a2b.failures], [], 'and none failed');
});

// ---------------------------------------------------------------------------- fuzz: in process

/** What KsockConn uses of a net.Socket, in memory. Writes are counted and dropped. */
class FakeSocket extends EventEmitter {
  remoteAddress = '127.0.0.77';
  remotePort = 1000;
  localAddress = '127.0.0.9';
  localPort = 988;
  destroyed = false;
  ended = false;
  corked = 0;
  written = 0;
  writesAfterDestroy = 0;
  write(chunk: Uint8Array, cb?: (err?: Error | null) => void): boolean {
    if (this.destroyed) {
      this.writesAfterDestroy++;
      if (cb) queueMicrotask(() => cb(new Error('write after destroy')));
      return false;
    }
    this.written += chunk.length;
    if (cb) queueMicrotask(() => cb(null));
    return true;
  }
  cork(): void {
    this.corked++;
  }
  uncork(): void {
    this.corked--;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      // as net.Socket: 'close' follows asynchronously
      process.nextTick(() => this.emit('close', false));
    }
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

interface ConnRecord {
  closes: Array<{ reason: string; errno: number }>;
  protocolErrors: string[];
  txQueued: number;
  txDone: number;
}


await t.test(`in-process fuzz: the real KsockConn framing into a real LNetCore (${FUZZ_CASES} cases)`, async (t) => {
  const F_NID = parseNid('127.0.0.9@tcp');
  const PEER_NID = parseNid('127.0.0.77@tcp');
  const records = new WeakMap<KsockConn, ConnRecord>();
  let current: KsockConn | undefined;
  // The LND under LNetCore F: sends go on the connection being fuzzed, receives come from it.
  const stub: Lnd = {
    type: LndType.SOCKLND,
    name: 'ksocklnd-fuzz',
    startup() {},
    shutdown() {},
    send(_ni, msg) {
      const c = current;
      if (!c) return -Errno.EHOSTUNREACH;
      records.get(c)!.txQueued++;
      c.enqueue({ msg, zcAckLo: 0, zcAckHi: 0, nob: KSOCK_MSG_HDR_SIZE + LNET_HDR_NID4_SIZE + msg.len });
      return 0;
    },
    recv(_ni, rx, msg, _delayed, iov, offset, mlen, rlen) {
      return (rx as KsockConn).recv(msg, iov, offset, mlen, rlen);
    },
  };
  const fLog = { error: 0, warn: 0 };
  const F = await LNet.start({
    nets: [{ net: 'tcp', lnd: stub, nis: [{ nid: '127.0.0.9@tcp' }] }],
    log: (level) => {
      if (level === 'error' || level === 'warn') fLog[level]++;
    },
  });
  const core: LndCore = F.core;
  const ni = F.nis.find((n) => nidEquals(n.nid, F_NID))!;
  // A buffer that takes PUTs and answers GETs on PORTAL_RAW (remote-managed offsets: fuzzed too).
  let fEvents = 0;
  const me = F.meAttach(PORTAL_RAW, { nid: LNET_ANY_NID, pid: LNET_PID_ANY }, 0, ALL_BITS);
  F.mdAttach(
    me,
    {
      start: new Uint8Array(8192),
      threshold: LNET_MD_THRESH_INF,
      options: MdOption.OP_PUT | MdOption.OP_GET | MdOption.TRUNCATE | MdOption.MANAGE_REMOTE,
      handler: () => void fEvents++,
    },
    Unlink.RETAIN,
  );
  // As SockLnd's ConnOwner, but every upcall goes to F and nothing touches the network.
  const owner: ConnOwner = {
    enableCsum: false,
    lastParseError: () => core.lastProtocolError,
    onLNetHeader: (conn, hdr) => core.parse(ni, hdr, conn.peerNid!, conn),
    onRxDone(conn, msg, status, zcLo, zcHi) {
      if (msg) core.finalize(msg, status);
      if (status === 0 && (zcLo !== 0 || zcHi !== 0) && !conn.closed) {
        records.get(conn)!.txQueued++;
        conn.enqueue({ msg: null, zcAckLo: zcLo, zcAckHi: zcHi, nob: KSOCK_MSG_HDR_SIZE });
      }
    },
    onZcAck: () => -Errno.EPROTO,
    onTxDone(conn, tx: Tx, status) {
      records.get(conn)!.txDone++;
      if (tx.msg) core.finalize(tx.msg, status);
    },
    onClose(conn, reason, errno) {
      records.get(conn)!.closes.push({ reason, errno });
    },
    onProtocolError(conn, reason) {
      records.get(conn)!.protocolErrors.push(reason);
    },
  };
  const fView: NodeView = { nid: F_NID, parks: parksOnPortal0 };
  const portal0 = F.core.portals.get(0)!;

  const rng = new SeededRng(SEED ^ 0x1e7);
  const t0 = performance.now();
  const acked0 = b2a.acked + a2b.acked;
  const failures: string[] = [];
  const outcomes: FuzzTally = {};
  const escaped: string[] = [];
  let stalledUntimed = 0;
  let v1Boundary = 0;
  let caseNo = -1;
  const onUncaught = (e: unknown): void => void escaped.push(`case ${caseNo}: ${String(e)}`);
  process.on('uncaughtException', onUncaught);
  const donors: Buffer[] = [];
  try {
    for (let i = 0; i < FUZZ_CASES; i++) {
      caseNo = i;
      const version = rng.pick([3, 3, 3, 2, 4, 1]) as KsockProtoVersion;
      const flip = version !== KsockProtoVersion.V1 && rng.int(4) === 0;
      const parts: Buffer[] = [];
      const n = 1 + rng.int(5);
      for (let k = 0; k < n; k++) parts.push(randomGoodFrame(rng, F_NID, PEER_NID, version, flip, [PORTAL_FUZZ, PORTAL_RAW, PORTAL_RAW, 0]));
      const base: Buffer = Buffer.concat(parts);
      if (donors.length < 64) donors.push(base);
      else donors[rng.int(64)] = base;
      let stream: Buffer = base;
      const r = rng.int(10);
      if (r === 1 || r === 2) stream = base.subarray(0, rng.int(base.length + 1));
      else if (r > 2) {
        const ops = 1 + rng.int(4);
        for (let k = 0; k < ops; k++) stream = mutateOnce(rng, stream, 0, donors);
      }
      const verdict = modelFrames(stream, 0, version, flip, fView);
      outcomes[verdict.outcome] = (outcomes[verdict.outcome] ?? 0) + 1;
      const sizes = chunkSizes(rng, stream.length, rng.int(3) === 0 ? Math.min(stream.length, 1 + rng.int(8)) : undefined);
      const fin = rng.int(2) === 0;

      const sock = new FakeSocket();
      const rec: ConnRecord = { closes: [], protocolErrors: [], txQueued: 0, txDone: 0 };
      const conn = new KsockConn(sock as unknown as Socket, owner, true);
      records.set(conn, rec);
      conn.version = version;
      conn.flip = flip;
      conn.type = SocklndConnType.CONTROL;
      conn.peerNid = PEER_NID;
      conn.peerPid = 12345;
      if (rng.int(8) === 0) conn.overrideSrc = { nid: PEER_NID, pid: (0x80000000 | 1000) >>> 0 };
      current = conn;
      const fail = (what: string): void => {
        if (failures.length < 20)
          failures.push(`case ${i} (v${version}${flip ? ' flipped' : ''}, model ${verdict.outcome}: ${verdict.reason}): ${what} [chunks ${sizes.join(',')}] ${stream.subarray(0, SHOW_BYTES).toString('hex')}`);
        else failures.push('');
      };
      try {
        conn.startFraming();
        let off = 0;
        for (let k = 0; off < stream.length; k++) {
          const len = k < sizes.length ? Math.max(1, sizes[k]!) : stream.length - off;
          // a fresh Buffer per chunk, as a socket delivers them
          sock.emit('data', Buffer.from(stream.subarray(off, off + len)));
          off += len;
          if (rng.int(16) === 0) await Promise.resolve(); // sometimes let queued pumps run between chunks
        }
        // setImmediate runs after every nextTick and microtask the chunks caused (pumps, flushes,
        // write callbacks): the connection has settled. It also lets sockets (A, B) run.
        await immediate();
        if (fin) {
          sock.emit('end');
          await immediate();
        }
        // Judge against the model (before the connection is torn down). A FIN after a truncated
        // stream is a protocol error too: "stream ended in the middle of a message (<state>)".
        const gotBad = rec.protocolErrors.length;
        const expectBad = verdict.outcome === 'bad' || (fin && verdict.outcome === 'truncated');
        const midFrameEnd = `stream ended in the middle of a message (${verdict.partial ?? '?'})`;
        // A V1 connection between frames must not count as mid-frame (the former V1_IDLE bug).
        const v1Bug =
          version === KsockProtoVersion.V1 &&
          verdict.outcome === 'clean' &&
          (fin ? gotBad === 1 && rec.protocolErrors[0] === 'stream ended in the middle of a message (lnet-header)' : !conn.closed && conn.midFrame);
        if (v1Bug) v1Boundary++;
        else {
          if (gotBad > 1) fail(`${gotBad} protocol errors for one connection`);
          if (expectBad !== (gotBad === 1)) fail(`protocol error ${gotBad === 1 ? `"${rec.protocolErrors[0]}"` : 'not reported'}`);
          if (gotBad === 1 && !(conn.closed && rec.closes[0]?.errno === -Errno.EPROTO && rec.closes[0]?.reason === rec.protocolErrors[0]))
            fail(`protocol error without an EPROTO close (${JSON.stringify(rec.closes)})`);
          if (gotBad === 1 && fin && verdict.outcome === 'truncated' && rec.protocolErrors[0] !== midFrameEnd)
            fail(`truncated stream reported as "${rec.protocolErrors[0]}", expected "${midFrameEnd}"`);
          if (!expectBad) {
            if (fin) {
              if (!conn.closed || rec.protocolErrors.length !== 0) fail(`FIN did not close it quietly (${JSON.stringify(rec.closes)})`);
            } else if (conn.closed) fail(`closed without cause (${JSON.stringify(rec.closes)})`);
            else if (verdict.outcome === 'clean') {
              if (conn.rxState !== (version === KsockProtoVersion.V1 ? 'lnet-header' : 'header') || conn.rx.available !== 0)
                fail(`clean stream left state ${conn.rxState} with ${conn.rx.available} bytes`);
              else if (conn.midFrame) fail('between frames, yet seen as mid-frame (sock_timeout would close an idle connection)');
            } else if (verdict.outcome === 'stuck' && !(conn.rxState === 'wait-recv' && portal0.delayed.some((m) => m.rxPrivate === conn)))
              fail(`should wait on the lazy portal, state ${conn.rxState}`);
            else if (verdict.outcome === 'truncated') {
              if (conn.rxState !== verdict.partial) fail(`truncated stream left state ${conn.rxState}, model says ${verdict.partial}`);
              if (!conn.midFrame) stalledUntimed++;
            }
          }
        }
        // Tear down (the peer goes away) and check the aftermath.
        if (!conn.closed) sock.emit('close', false);
        await immediate();
        if (!conn.closed) fail('still open after close');
        if (rec.closes.length !== 1) fail(`onClose called ${rec.closes.length} times`);
        else if (!rec.closes[0]!.reason || !(rec.closes[0]!.errno < 0)) fail(`close without a reason: ${JSON.stringify(rec.closes[0])}`);
        if (!sock.destroyed) fail('socket not destroyed');
        if (sock.writesAfterDestroy > 0) fail(`${sock.writesAfterDestroy} writes after destroy`);
        if (sock.corked !== 0) fail(`socket left corked (${sock.corked})`);
        if (rec.txDone !== rec.txQueued) fail(`${rec.txQueued} transmits queued, ${rec.txDone} completed`);
        // Nothing leaks in the core: only PUTs parked on the lazy portal stay active.
        if (F.core.activeCount !== portal0.delayed.length) fail(`${F.core.activeCount} messages active, ${portal0.delayed.length} parked`);
      } catch (e) {
        escaped.push(`case ${i}: ${(e as Error).stack ?? String(e)}`);
      }
      current = undefined;
    }
  } finally {
    process.removeListener('uncaughtException', onUncaught);
  }
  const secs = (performance.now() - t0) / 1000;
  t.comment(
    `${FUZZ_CASES} cases in ${secs.toFixed(1)} s; model outcomes ${JSON.stringify(outcomes)}; F events ${fEvents}, F log ${fLog.warn} warn/${fLog.error} error, ${portal0.delayed.length} PUTs parked on portal 0`,
  );
  for (const f of failures.slice(0, 5)) t.comment(f);
  t.same(escaped.slice(0, 5), [], `no exception escaped (${escaped.length})`);
  t.equal(failures.length, 0, 'every case: open, or closed once with a reason; protocol errors exactly where the model has them; nothing leaked');
  t.equal(stalledUntimed, 0, `partial frames (even a ksock header alone) are subject to sock_timeout (${stalledUntimed} were not)`);
  t.equal(v1Boundary, 0, `V1: a frame boundary is not mid-frame (${v1Boundary} clean V1 streams were: FIN counted, or idle under sock_timeout)`, {
    todo: V1_IDLE_TODO,
  });
  t.ok(b2a.acked + a2b.acked > acked0, 'B and A kept exchanging PUTs meanwhile');
  t.same([...b2a.failures, ...a2b.failures], [], 'and none failed');
  t.equal(A.lnd.stats.protocolErrors - startProto, tally.observed, "A's counters untouched by the in-process fuzz");
  await F.shutdown();
});

// ---------------------------------------------------------------------------- after all

await t.test('after all: counts match the bad connections, B never noticed', async (t) => {
  await Promise.all([b2a.stop(), a2b.stop()]);
  b2a.check(t);
  a2b.check(t);
  const dProto = A.lnd.stats.protocolErrors - startProto;
  const dErr = A.lnet.counters.errors - startErrors;
  t.equal(dProto, tally.observed, 'A counted nothing besides the bad connections (not B, not the good raw peers)');
  t.equal(dErr, dProto, 'counters.errors moved with lnd.stats.protocolErrors');
  t.equal(dProto - tally.spurious, tally.caused, `one count per bad connection caused (${tally.caused}), besides the known V1 miscounts`);
  t.equal(dProto, tally.caused, `one count per bad connection caused, and nothing else (${tally.spurious} V1 FINs on a frame boundary counted)`, {
    todo: tally.spurious > 0 ? V1_IDLE_TODO : false,
  });
  t.equal(B.lnd.stats.protocolErrors, 0, 'B counted no protocol error');
  t.equal(B.lnet.counters.errors, 0, 'B counted no error');
  t.same(B.log.since(0, 'warn').map((l) => l.msg), [], 'B warned about nothing');
  t.same(
    A.log.lines.filter((l) => /\b(with|to|from) (12345-)?127\.0\.0\.3[@:]/.test(l.msg)).map((l) => l.msg),
    [],
    'A logged nothing about its connections with B',
  );
  t.comment(`B→A ${b2a.sent} PUTs, A→B ${a2b.sent} PUTs; ${tally.caused} bad connections, ${dProto} counted; ${((performance.now() - T0) / 1000).toFixed(1)} s`);
});
