import type { Socket } from 'node:net';
import { Errno } from '../../src/errno.js';
import { LNetError } from '../../src/errors.js';
import type { Iov } from '../../src/core/iov.js';
import { iovCopy, iovSlice, iovSpanAt } from '../../src/core/iov.js';
import type { LNetMsg } from '../../src/core/msg.js';
import { coarseSeconds } from '../../src/core/coarse-clock.js';
import type { Nid } from '../../src/nid/nid.js';
import { crc32Le } from '../../src/wire/crc32.js';
import { KsockProtoVersion, SocklndConnType } from '../../src/wire/ksock-hello.js';
import {
  decodeKsockMsgHdr,
  encodeKsockMsgHdr,
  KSOCK_KEEPALIVE_COOKIE,
  KSOCK_MSG_HDR_SIZE,
  KsockMsgHdr,
  KsockMsgType,
} from '../../src/wire/ksock-msg.js';
import { LNetHdr, LNET_HDR_NID16_SIZE, LNET_HDR_NID4_SIZE } from '../../src/wire/lnet-hdr.js';
import {
  decodeLNetHdrNid16,
  decodeLNetHdrNid4,
  encodeLNetHdrNid16,
  encodeLNetHdrNid4,
} from '../../src/wire/lnet-hdr-codec.js';
import { WireError } from '../../src/wire/wire-error.js';
import { readRouterOf, type ReadSink } from './read-router.js';
import { RxStream } from './rx-stream.js';

/** A message or NOOP waiting to be written on a connection. */
export interface Tx {
  /** null for a NOOP. */
  msg: LNetMsg | null;
  /** ksm_zc_cookies[1] to return (ZC-ACK), as u32 halves; 0 for none. */
  zcAckLo: number;
  zcAckHi: number;
  /** 24 + LNet header + payload, as the kernel counts it for connection choice. */
  nob: number;
}

/**
 * Frames handed to the socket in one flush, completed together. `since` (monotonic ms) is when
 * the first of them was queued: sock_timeout runs from there, per batch rather than per tx so
 * the send path reads the clock once per flush, not once per message.
 */
interface TxBatch {
  txs: Tx[];
  since: number;
}

/** What a connection needs from the LND that owns it. */
export interface ConnOwner {
  /** A header arrived: hand it to LNet (returns lnet_parse's rc). */
  onLNetHeader(conn: KsockConn, hdr: LNetHdr): number;
  /** The payload of the current message is in (or the message failed). */
  onRxDone(conn: KsockConn, msg: LNetMsg | null, status: number, zcReqLo: number, zcReqHi: number): void;
  /** `n` payload bytes were read straight into the MD (counted). */
  onDirectRead?(conn: KsockConn, n: number): void;
  /** A ZC-ACK cookie arrived (never 0, never the keepalive cookie). */
  onZcAck(conn: KsockConn, lo: number, hi: number): number;
  onTxDone(conn: KsockConn, tx: Tx, status: number): void;
  /**
   * A written batch finished (the first `n` txs of `txs`, one status): the owner may complete
   * them in one pass. Without it, onTxDone per tx. `txs` is the connection's to reuse after.
   */
  onTxBatchDone?(conn: KsockConn, txs: Tx[], n: number, status: number): void;
  onClose(conn: KsockConn, reason: string, errno: number): void;
  /** A malformed frame: counted and logged once by the owner. */
  onProtocolError(conn: KsockConn, reason: string): void;
  /** Why LNet refused the last header, for the one log line. */
  lastParseError(): string | undefined;
  readonly enableCsum: boolean;
}

type RxState = 'handshake' | 'header' | 'lnet-header' | 'wait-recv' | 'payload' | 'closed';

const SETTLED = Promise.resolve();

/** Largest payload a lone frame carries inside its header buffer (see flush). */
const INLINE_PAYLOAD_MAX = 1024;
/**
 * The least payload left for a read straight into the MD: below it the bytes come in a chunk
 * and are copied (a small copy costs less than a read of its own).
 */
const DIRECT_READ_MIN = 16 * 1024;

/** Copy `n` payload bytes at `off` of `iov` into `dst` at `at` (a lone small frame's inline copy). */
function copyInline(dst: Buffer, at: number, iov: Iov, off: number, n: number): number {
  const f = iov.length === 1 ? iov[0]! : undefined;
  if (f === undefined || off + n > f.length) return iovCopy([dst], at, iov, off, n);
  // One fragment (a ping buffer, a small PUT): one copy, no list or views to build.
  dst.set(off === 0 && n === f.length ? f : f.subarray(off, off + n), at);
  return n;
}

/** Header scratch is carved from slabs so a frame costs no allocation of its own. */
let slab = Buffer.allocUnsafe(64 * 1024);
let slabOff = 0;
function headerBuffer(n: number): Buffer {
  if (n > slab.length / 4) return Buffer.allocUnsafe(n);
  if (slabOff + n > slab.length) {
    slab = Buffer.allocUnsafe(64 * 1024);
    slabOff = 0;
  }
  const b = slab.subarray(slabOff, slabOff + n);
  slabOff += (n + 7) & ~7;
  return b;
}

/**
 * One socklnd connection (`struct ksock_conn`): handshake reads, then the kernel's framing
 * (ksock header, LNet header, payload) in both directions.
 */
export class KsockConn implements ReadSink {
  readonly rx = new RxStream();
  rxState: RxState = 'handshake';
  type: SocklndConnType = SocklndConnType.NONE;
  version: KsockProtoVersion = KsockProtoVersion.V3;
  /** The peer is the other endianness (ksock headers swapped). */
  flip = false;
  /** Peer identity once the hello is accepted. */
  peerNid: Nid | undefined;
  peerPid = 0;
  /** Overwrite src nid/pid in received headers (a userspace peer on an unprivileged port). */
  overrideSrc: { nid: Nid; pid: number } | undefined;
  /** LND's per-connection back pointer (its peer record). */
  peer: unknown;
  txQueue: Tx[] = [];
  txQueuedBytes = 0;
  /**
   * ksnc_tx_last_post: when a transmit last chose this connection (whole seconds, monotonic;
   * set at creation as the kernel does). Ties between connections go to the least recent.
   */
  txLastPost = coarseSeconds();
  /** When the queued txs started waiting (set when the queue goes from empty to not). */
  private txQueuedSince = 0;
  private flushScheduled = false;
  /** Emptied batch arrays, reused as the next tx queue. */
  private readonly spareQueues: Tx[][] = [];
  /** Flushed batches whose write has not completed, oldest first (writes complete in order). */
  private readonly inflight: TxBatch[] = [];
  lastRx = performance.now();
  /** When the current partial receive last made progress (sock_timeout). */
  rxProgress = performance.now();
  closed = false;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;

  // current receive
  private readonly ksockHdr = new KsockMsgHdr();
  /**
   * Each LNet header is decoded here; LNet may keep it as its message's header, handing back
   * another to decode the next one into (the owner replaces this).
   */
  rxHdr = new LNetHdr();
  private rxMsg: LNetMsg | null = null;
  private rxIov: Iov = [];
  private rxOffset = 0;
  private rxMlen = 0;
  private rxRlen = 0;
  private rxDone = 0;
  private rxCsum = 0;
  private rxCsumWanted = 0;
  private needWaiter: { n: number; resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(
    readonly sock: Socket,
    readonly owner: ConnOwner,
    readonly passive: boolean,
  ) {
    this.remoteAddress = normalizeAddr(sock.remoteAddress ?? '');
    this.remotePort = sock.remotePort ?? 0;
    this.localAddress = normalizeAddr(sock.localAddress ?? '');
    this.localPort = sock.localPort ?? 0;
    // Reads land in an MD when the socket was made with a ReadRouter (socklnd's own sockets);
    // other sockets deliver chunks as 'data' events.
    const router = readRouterOf(sock);
    if (router) router.attach(this);
    else sock.on('data', (d: Buffer) => this.onChunk(d));
    sock.on('error', (e: NodeJS.ErrnoException) => this.close(`socket error ${e.code ?? e.message}`, -Errno.ECONNRESET));
    sock.on('close', () => this.close('connection closed by peer', -Errno.ECONNRESET));
    sock.on('end', () => {
      if (this.midFrame) this.protocolError(`stream ended in the middle of a message (${this.rxState})`);
      else this.close('peer closed the connection (EOF)', -Errno.ESHUTDOWN);
    });
  }

  get nid16(): boolean {
    return this.version === KsockProtoVersion.V4;
  }

  /** Handshake: wait until `n` bytes are buffered (rejects on close or after `timeoutMs`). */
  need(n: number, timeoutMs: number): Promise<{ buf: Buffer; off: number }> {
    if (this.closed) return Promise.reject(new LNetError('ECONNRESET', 'connection closed'));
    const ready = this.rx.peek(n);
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.needWaiter = undefined;
        reject(new LNetError('ETIMEDOUT', `peer sent no ${n}-byte handshake block within ${timeoutMs} ms`));
      }, timeoutMs);
      this.needWaiter = {
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.rx.peek(n)!);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** Handshake done: start parsing frames (including any already buffered). */
  startFraming(): void {
    this.rxState = 'header';
    this.pump();
  }

  // ------------------------------------------------------------------ receive

  /**
   * Bytes that arrived in a chunk of their own (a read not into an MD). A `lent` chunk (the
   * read router's buffer) is framed in place; what is left of it unconsumed is copied before
   * returning. The handshake hands its bytes to promise continuations: a copy from the start.
   */
  onChunk(d: Buffer, lent = false): void {
    this.lastRx = performance.now();
    this.rxProgress = this.lastRx;
    if (lent && this.rxState === 'handshake') {
      d = Buffer.from(d);
      lent = false;
    }
    this.rx.push(d);
    if (this.needWaiter && this.rx.available >= this.needWaiter.n) {
      const w = this.needWaiter;
      this.needWaiter = undefined;
      w.resolve();
    }
    if (this.rxState !== 'handshake') this.pump();
    if (lent) this.rx.ownRest(d);
  }

  /**
   * Handling a read threw (a bug, not bad input: that closes with EPROTO before this): this
   * connection closes, counted and logged once as a protocol error; the process and every
   * other connection carry on.
   */
  onReadFailure(error: unknown): void {
    this.protocolError(`internal error while receiving: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** The MD region the last directBuffer handed out (checksummed once the read lands). */
  private directView: Uint8Array | undefined;

  /**
   * Where the next read should land: the rest of the payload's current MD fragment, when a
   * payload is being received, nothing of it is buffered, and enough of it is left to be worth
   * a read of its own; else undefined (a chunk, parsed as usual).
   */
  directBuffer(): Uint8Array | undefined {
    this.directView = undefined;
    if (this.rxState !== 'payload' || this.closed || this.rx.available !== 0) return undefined;
    const left = this.rxMlen - this.rxDone;
    if (left < DIRECT_READ_MIN) return undefined;
    const span = iovSpanAt(this.rxIov, this.rxOffset + this.rxDone, left);
    if (span === undefined || span.length < DIRECT_READ_MIN) return undefined;
    return (this.directView = span);
  }

  /** `n` bytes of the payload landed in the MD (the region directBuffer gave). */
  onDirect(n: number): void {
    this.lastRx = performance.now();
    this.rxProgress = this.lastRx;
    if (this.rxCsumWanted !== 0) this.rxCsum = crc32Le(this.rxCsum, this.directView!, 0, n);
    this.directView = undefined;
    this.rxDone += n;
    this.owner.onDirectRead?.(this, n);
    this.pump();
  }

  private pumping = false;

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpLoop();
    } finally {
      this.pumping = false;
    }
  }

  private pumpLoop(): void {
    while (!this.closed) {
      switch (this.rxState) {
        case 'header': {
          if (this.version === KsockProtoVersion.V1) {
            this.ksockHdr.type = KsockMsgType.LNET;
            this.ksockHdr.csum = 0;
            this.ksockHdr.zcReqLo = this.ksockHdr.zcReqHi = this.ksockHdr.zcAckLo = this.ksockHdr.zcAckHi = 0;
            this.rxState = 'lnet-header';
            continue;
          }
          const rx = this.rx;
          if (!rx.peekInto(KSOCK_MSG_HDR_SIZE)) return;
          const h = decodeKsockMsgHdr(rx.peekBuf, rx.peekOff, this.flip, this.ksockHdr);
          if (h instanceof WireError) return this.protocolError(h.message);
          if (h.csum !== 0) {
            // Checksum covers the header with ksm_csum zeroed: feed the bytes with that field as 0.
            this.rxCsumWanted = h.csum >>> 0;
            const tmp = Buffer.from(rx.peekBuf.subarray(rx.peekOff, rx.peekOff + KSOCK_MSG_HDR_SIZE));
            tmp.writeUInt32LE(0, 4);
            this.rxCsum = crc32Le(0xffffffff, tmp);
          } else this.rxCsumWanted = 0;
          this.rx.consume(KSOCK_MSG_HDR_SIZE);
          if (h.zcAckLo !== 0 || h.zcAckHi !== 0) {
            const keepalive = h.zcAckHi === 0 && h.zcAckLo === KSOCK_KEEPALIVE_COOKIE && this.version >= KsockProtoVersion.V3;
            if (!keepalive) {
              const rc = this.owner.onZcAck(this, h.zcAckLo, h.zcAckHi);
              if (rc < 0) return this.protocolError(`ZC-ACK for unknown cookie ${h.zcAckHi * 0x100000000 + h.zcAckLo}`);
            }
          }
          if (h.type === KsockMsgType.NOOP) {
            if (this.rxCsumWanted !== 0 && (this.rxCsum >>> 0) !== this.rxCsumWanted)
              return this.protocolError('NOOP checksum mismatch');
            continue;
          }
          this.rxState = 'lnet-header';
          continue;
        }
        case 'lnet-header': {
          const size = this.nid16 ? LNET_HDR_NID16_SIZE : LNET_HDR_NID4_SIZE;
          const rx = this.rx;
          if (!rx.peekInto(size)) return;
          const hdr = this.nid16 ? decodeLNetHdrNid16(rx.peekBuf, rx.peekOff, this.rxHdr) : decodeLNetHdrNid4(rx.peekBuf, rx.peekOff, this.rxHdr);
          if (hdr instanceof WireError) return this.protocolError(hdr.message);
          if (this.rxCsumWanted !== 0) this.rxCsum = crc32Le(this.rxCsum, rx.peekBuf, rx.peekOff, rx.peekOff + size);
          rx.consume(size);
          if (this.overrideSrc) {
            hdr.srcNid = this.overrideSrc.nid;
            hdr.srcPid = this.overrideSrc.pid;
          }
          this.rxRlen = hdr.payloadLength >>> 0;
          this.rxState = 'wait-recv';
          const zcLo = this.ksockHdr.zcReqLo;
          const zcHi = this.ksockHdr.zcReqHi;
          this.pendingZcLo = zcLo;
          this.pendingZcHi = zcHi;
          const rc = this.owner.onLNetHeader(this, hdr);
          if (rc < 0) return this.protocolError(`LNet rejected the header: ${this.owner.lastParseError() ?? `error ${rc}`}`);
          // recv() may have been called synchronously and moved us on; otherwise wait for it.
          if (this.rxState === 'wait-recv') return;
          continue;
        }
        case 'wait-recv':
          return;
        case 'payload': {
          if (this.rxDone < this.rxMlen) {
            const onBytes = this.rxCsumWanted !== 0 ? this.csumBytes : undefined;
            this.rxDone += this.rx.copyToIov(this.rxIov, this.rxOffset + this.rxDone, this.rxMlen - this.rxDone, onBytes);
            if (this.rxDone < this.rxMlen) return;
          }
          if (this.rxDone < this.rxRlen) {
            const onBytes = this.rxCsumWanted !== 0 ? this.csumBytes : undefined;
            this.rxDone += this.rx.skip(this.rxRlen - this.rxDone, onBytes);
            if (this.rxDone < this.rxRlen) return;
          }
          const msg = this.rxMsg;
          this.rxMsg = null;
          this.rxState = 'header';
          if (this.rxCsumWanted !== 0 && (this.rxCsum >>> 0) !== this.rxCsumWanted) {
            this.owner.onRxDone(this, msg, -Errno.EIO, 0, 0);
            return this.protocolError('message checksum mismatch');
          }
          this.owner.onRxDone(this, msg, 0, this.pendingZcLo, this.pendingZcHi);
          continue;
        }
        default:
          return;
      }
    }
  }

  private pendingZcLo = 0;
  private pendingZcHi = 0;

  private readonly csumBytes = (b: Buffer, start: number, end: number): void => {
    this.rxCsum = crc32Le(this.rxCsum, b, start, end);
  };

  /**
   * LNet's lnd_recv for the message whose header was just handed up: deposit `mlen` bytes at
   * `offset` of `iov`, skip the rest of `rlen`. May be called later (lazy portals).
   */
  recv(msg: LNetMsg | null, iov: Iov, offset: number, mlen: number, rlen: number): number {
    if (this.closed) return -Errno.ECONNABORTED;
    if (this.rxState !== 'wait-recv') return -Errno.EPROTO;
    this.rxMsg = msg;
    this.rxIov = iov;
    this.rxOffset = offset;
    this.rxMlen = Math.min(mlen, rlen);
    this.rxRlen = rlen;
    this.rxDone = 0;
    this.rxState = 'payload';
    // Called from inside the pump (the usual case) the loop carries on by itself, and the
    // chunk that brought the header has just stamped rxProgress; called later (a PUT that
    // waited on a lazy portal) it must restart the pump, and the wait starts now.
    if (!this.pumping) {
      this.rxProgress = performance.now();
      queueMicrotask(() => this.pump());
    }
    return 0;
  }

  /** True while a message's header has gone up and LNet has not said where its payload goes. */
  get awaitingRecv(): boolean {
    return this.rxState === 'wait-recv';
  }

  /** A partially received frame (sock_timeout applies to its progress). */
  get midFrame(): boolean {
    // V1 has no ksock header: between its frames a connection rests in 'lnet-header'.
    const started = this.rxState === 'lnet-header' && this.version !== KsockProtoVersion.V1;
    return this.rxState === 'payload' || started || ((this.rxState === 'header' || this.rxState === 'lnet-header') && this.rx.available > 0);
  }

  protocolError(reason: string): void {
    if (this.closed) return;
    this.owner.onProtocolError(this, reason);
    this.close(reason, -Errno.EPROTO);
  }

  // ------------------------------------------------------------------ transmit

  enqueue(tx: Tx): void {
    if (this.closed) {
      this.owner.onTxDone(this, tx, -Errno.ECONNABORTED);
      return;
    }
    if (this.txQueue.length === 0) this.txQueuedSince = performance.now();
    this.txQueue.push(tx);
    this.txQueuedBytes += tx.nob;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Coalesce: everything queued in this run of JavaScript goes out in one writev. A
      // settled promise's then() is the cheapest way to run after it (process.nextTick
      // builds an async-context tick object per call, ~3x the cost on a ping's path).
      void SETTLED.then(this.flushNow);
    }
  }

  /**
   * Write queued frames: headers and payload views, corked so Node issues one writev, with a
   * single completion callback for the whole batch (per-write callbacks dominate small messages).
   */
  flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.txQueue.length === 0) return;
    const sock = this.sock;
    const batch = this.txQueue;
    this.txQueue = this.spareQueues.pop() ?? [];
    this.inflight.push({ txs: batch, since: this.txQueuedSince });
    const hdrLen = this.version === KsockProtoVersion.V1 ? 0 : KSOCK_MSG_HDR_SIZE;
    const lnetLen = this.nid16 ? LNET_HDR_NID16_SIZE : LNET_HDR_NID4_SIZE;
    const chunks: Uint8Array[] = [];
    // Headers of the whole batch are encoded back to back in one slab region and written as
    // contiguous spans, broken only where a payload goes between them.
    const frameHdr = hdrLen + lnetLen;
    // A lone frame with a small payload (a REPLY to a ping, an ACK-sized PUT) is copied whole
    // into the region: one contiguous buffer is one plain write, where header + payload view
    // would take a corked writev (measurably slower per message on a round trip).
    const lone = batch.length === 1 ? batch[0]!.msg : null;
    const inline = lone !== null && lone.len > 0 && lone.len <= INLINE_PAYLOAD_MAX ? lone.len : 0;
    const region = headerBuffer(batch.length * frameHdr + inline);
    let at = 0;
    let spanStart = 0;
    // V2 with enable_csum: each frame carrying a payload gets its checksum stamped.
    const stampCsum = hdrLen !== 0 && this.owner.enableCsum && this.version === KsockProtoVersion.V2;
    for (const tx of batch) {
      this.txQueuedBytes -= tx.nob;
      const msg = tx.msg;
      const start = at;
      if (hdrLen) {
        const kh = this.ksockHdr2;
        kh.type = msg ? KsockMsgType.LNET : KsockMsgType.NOOP;
        kh.csum = 0;
        kh.zcReqLo = kh.zcReqHi = 0;
        kh.zcAckLo = tx.zcAckLo;
        kh.zcAckHi = tx.zcAckHi;
        encodeKsockMsgHdr(kh, region, at, false);
        at += hdrLen;
      }
      if (msg) {
        if (this.nid16) encodeLNetHdrNid16(msg.hdr, region, at);
        else encodeLNetHdrNid4(msg.hdr, region, at);
        at += lnetLen;
      }
      if (!msg || msg.len === 0) continue;
      if (inline) {
        at += copyInline(region, at, msg.iov, msg.offset, inline);
        if (stampCsum) region.writeUInt32LE(crc32Le(0xffffffff, region, start, at) >>> 0, start + 4);
        continue;
      }
      const payload = iovSlice(msg.iov, msg.offset, msg.len);
      if (stampCsum) {
        let c = crc32Le(0xffffffff, region, start, at);
        for (const f of payload) c = crc32Le(c, f);
        region.writeUInt32LE(c >>> 0, start + 4);
      }
      chunks.push(region.subarray(spanStart, at));
      spanStart = at;
      for (const f of payload) chunks.push(f);
    }
    // (The whole region when it is one span: no second view of it.)
    if (at > spanStart) chunks.push(spanStart === 0 && at === region.length ? region : region.subarray(spanStart, at));
    // Writes complete in order: when the last one is done, every frame of the batch is.
    const done = this.batchWritten;
    const last = chunks.length - 1;
    if (last < 0) {
      // Nothing to put on the wire (a NOOP on a V1 connection, which has no NOOPs): no write,
      // so no callback to pair with the in-flight record; complete the batch on its own.
      this.inflight.pop();
      process.nextTick(() => {
        for (const tx of batch) this.owner.onTxDone(this, tx, 0);
      });
      return;
    }
    if (last === 0) {
      // One contiguous span (every batch without payload): a plain write.
      sock.write(chunks[0]!, done);
      return;
    }
    // Corked, so Node hands the whole batch to one writev.
    sock.cork();
    for (let i = 0; i < last; i++) sock.write(chunks[i]!);
    sock.write(chunks[last]!, done);
    sock.uncork();
  }

  private readonly ksockHdr2 = new KsockMsgHdr();

  /** flush as a callback made once (one microtask per batch). */
  private readonly flushNow = (): void => this.flush();

  /**
   * The write callback of every batch: writes complete in order, so it is always the oldest
   * batch in flight that has finished. A close has already failed (and removed) every batch.
   */
  private readonly batchWritten = (err?: Error | null): void => {
    const b = this.inflight.shift();
    if (!b) return;
    const status = err ? -Errno.EIO : 0;
    const batch = b.txs;
    const owner = this.owner;
    if (owner.onTxBatchDone) owner.onTxBatchDone(this, batch, batch.length, status);
    else for (const tx of batch) owner.onTxDone(this, tx, status);
    batch.length = 0;
    if (this.spareQueues.length < 4) this.spareQueues.push(batch);
  };

  /**
   * When the oldest unfinished transmit started waiting (monotonic ms), or Infinity: the
   * reaper closes the connection once that is sock_timeout ago.
   */
  oldestTxSince(): number {
    if (this.inflight.length > 0) return this.inflight[0]!.since;
    return this.txQueue.length > 0 ? this.txQueuedSince : Infinity;
  }

  /** Close once: unsent and unfinished transmits fail, a message being received fails. */
  close(reason: string, errno: number): void {
    if (this.closed) return;
    this.closed = true;
    const wasState = this.rxState;
    this.rxState = 'closed';
    this.needWaiter?.reject(new LNetError('ECONNRESET', reason));
    this.needWaiter = undefined;
    this.sock.destroy();
    this.rx.clear();
    const queued = this.txQueue;
    this.txQueue = [];
    this.txQueuedBytes = 0;
    for (const b of this.inflight.splice(0)) for (const tx of b.txs) this.owner.onTxDone(this, tx, -Errno.ECONNABORTED);
    for (const tx of queued) this.owner.onTxDone(this, tx, -Errno.ECONNABORTED);
    if (wasState === 'payload' && this.rxMsg) {
      const msg = this.rxMsg;
      this.rxMsg = null;
      this.owner.onRxDone(this, msg, -Errno.EIO, 0, 0);
    }
    this.owner.onClose(this, reason, errno);
  }
}

/** Peers arriving as IPv4-mapped IPv6 are treated as IPv4. */
export function normalizeAddr(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
