/**
 * Test helper: a raw TCP "peer" for poking a SockLnd node with arbitrary bytes.
 *
 * `RawPeer.connect()` opens a TCP connection to a node's acceptor from a reserved source port
 * when running as root (1023 downward, skipping ports that are busy — EADDRINUSE, or
 * EADDRNOTAVAIL for a 4-tuple still in TIME_WAIT), as the kernel's lnet_connect does, so the
 * node takes the peer's identity from its hello instead of treating it as a userspace peer.
 * It can then send a valid acceptor connreq + socklnd hello (encoded with src/wire), read the
 * node's hello reply, and send anything at all, whole or in chunks. Everything the node sends
 * back is kept; every wait is bounded and reports instead of throwing.
 *
 * Only ever used on 127.0.0.x.
 */
import net, { type Socket } from 'node:net';
import type { Nid } from '../../src/nid/nid.js';
import { connReqFor, connReqToBuffer } from '../../src/wire/acceptor.js';
import {
  decodeHello,
  helloToBuffer,
  KSOCK_HELLO_PEEK_SIZE,
  KsockProtoVersion,
  SocklndConnType,
  type DecodedHello,
  type KsockHello,
} from '../../src/wire/ksock-hello.js';
import { WireError } from '../../src/wire/wire-error.js';
import { KSOCK_MSG_HDR_SIZE, KsockMsgHdr, KsockMsgType, encodeKsockMsgHdr } from '../../src/wire/ksock-msg.js';
import { encodeLNetHdrNid16, encodeLNetHdrNid4 } from '../../src/wire/lnet-hdr-codec.js';
import { LNET_HDR_NID16_SIZE, LNET_HDR_NID4_SIZE, type LNetHdr } from '../../src/wire/lnet-hdr.js';

const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
const PRIV_HIGH = 1023;
const PRIV_LOW = 512;

/** Next reserved port to try, per local address (a rotating cursor 1023 → 512 → 1023 …). */
const portCursor = new Map<string, number>();

export interface RawConnectOptions {
  host: string;
  port: number;
  /** Our address (127.0.0.x). */
  localAddress: string;
  /** Bind a reserved port (default: when root). */
  privileged?: boolean;
  /** Bound on each connect attempt. */
  timeoutMs?: number;
}

export interface HelloOptions {
  /** The NID we claim (kshm_src_nid). */
  srcNid: Nid;
  /** The NID we believe the node has (kshm_dst_nid). */
  dstNid: Nid;
  version?: KsockProtoVersion;
  ctype?: number;
  srcPid?: number;
  incarnationLo?: number;
  incarnationHi?: number;
  ips?: number[];
  flip?: boolean;
}

/** A hello as a kernel would send it (V3, ctype CONTROL, pid 12345 unless told otherwise). */
export function makeHello(o: HelloOptions): KsockHello {
  return {
    version: o.version ?? KsockProtoVersion.V3,
    srcNid: o.srcNid,
    dstNid: o.dstNid,
    srcPid: o.srcPid ?? 12345,
    dstPid: 0,
    srcIncarnationLo: o.incarnationLo ?? 0x1234567,
    srcIncarnationHi: o.incarnationHi ?? 0x18ea06e9,
    dstIncarnationLo: 0,
    dstIncarnationHi: 0,
    ctype: o.ctype ?? SocklndConnType.CONTROL,
    ips: o.ips ?? [],
  };
}

/** The acceptor connreq for `nodeNid` followed by our hello: what an active kernel sends first. */
export function handshakeBytes(nodeNid: Nid, hello: HelloOptions): Buffer {
  return Buffer.concat([connReqToBuffer(connReqFor(nodeNid)), helloToBuffer(makeHello(hello), hello.flip ?? false)]);
}

export interface CloseState {
  /** The socket closed within the bound. */
  closed: boolean;
  /** The node sent FIN. */
  ended: boolean;
  /** Socket error code seen, if any (ECONNRESET, EPIPE, …). */
  error: string | undefined;
}

function immediate(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

export class RawPeer {
  private readonly chunks: Buffer[] = [];
  /** Bytes received from the node. */
  receivedLength = 0;
  ended = false;
  closed = false;
  error: string | undefined;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly sock: Socket) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.receivedLength += d.length;
      this.wake();
    });
    sock.on('end', () => {
      this.ended = true;
      this.wake();
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      this.error ??= e.code ?? e.message;
      this.wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  get localAddress(): string {
    return this.sock.localAddress ?? '';
  }

  get localPort(): number {
    return this.sock.localPort ?? 0;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolve when `cond()` holds, or false after `timeoutMs`. */
  private until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(cond());
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /**
   * Connect to `host:port` from `localAddress`. As root, from a reserved port: the first free
   * one going down from the address's cursor (1023 at first), trying the next on EADDRINUSE or
   * EADDRNOTAVAIL; at most one full round of 512 ports.
   */
  static async connect(o: RawConnectOptions): Promise<RawPeer> {
    const privileged = o.privileged ?? IS_ROOT;
    const timeoutMs = o.timeoutMs ?? 5000;
    if (!privileged) return new RawPeer(await connectOnce(o.host, o.port, o.localAddress, 0, timeoutMs));
    let lport = portCursor.get(o.localAddress) ?? PRIV_HIGH;
    let lastError: unknown;
    for (let tries = 0; tries <= PRIV_HIGH - PRIV_LOW; tries++) {
      const p = lport;
      lport = lport <= PRIV_LOW ? PRIV_HIGH : lport - 1;
      portCursor.set(o.localAddress, lport);
      try {
        return new RawPeer(await connectOnce(o.host, o.port, o.localAddress, p, timeoutMs));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL') {
          lastError = e;
          continue;
        }
        throw e;
      }
    }
    throw Object.assign(new Error(`no free reserved port on ${o.localAddress}: ${String(lastError)}`), { code: 'EADDRINUSE' });
  }

  /** Everything received so far. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Write `b`; resolves false if the socket is already gone or the write fails. */
  write(b: Uint8Array): Promise<boolean> {
    if (this.sock.destroyed || this.sock.writableEnded) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.sock.write(b, (err) => resolve(!err));
    });
  }

  /**
   * Send `b` in pieces of the given sizes (the last piece takes the rest), letting the event
   * loop turn between pieces so the node reads them as separate chunks. Stops early if the
   * socket goes away; resolves the number of bytes handed to the socket.
   */
  async sendChunked(b: Uint8Array, sizes: readonly number[]): Promise<number> {
    let off = 0;
    for (let i = 0; off < b.length; i++) {
      if (this.closed || this.sock.destroyed || this.sock.writableEnded) break;
      const n = i < sizes.length ? Math.max(1, sizes[i]!) : b.length - off;
      const piece = b.subarray(off, Math.min(b.length, off + n));
      this.sock.write(piece);
      off += piece.length;
      await immediate();
    }
    return off;
  }

  /** Send the connreq for `nodeNid` and our hello. */
  sendHandshake(nodeNid: Nid, hello: HelloOptions): Promise<boolean> {
    return this.write(handshakeBytes(nodeNid, hello));
  }

  /** Wait until at least `n` bytes have arrived (false if the node closed first or the bound expired). */
  waitBytes(n: number, timeoutMs = 5000): Promise<boolean> {
    return this.until(() => this.receivedLength >= n || this.closed, timeoutMs).then(() => this.receivedLength >= n);
  }

  /**
   * Read the node's hello: the first bytes it sent, decoded (waiting for as many as the decoder
   * asks for). A WireError if they are not a hello, undefined if the node closed or the bound
   * expired before a whole hello arrived.
   */
  async readHello(timeoutMs = 5000): Promise<DecodedHello | WireError | undefined> {
    let want = KSOCK_HELLO_PEEK_SIZE;
    for (;;) {
      if (!(await this.waitBytes(want, timeoutMs))) return undefined;
      const h = decodeHello(this.bytes());
      if (!(h instanceof WireError)) return h;
      if (h.reason === 'truncated' && h.needed > want) {
        want = h.needed;
        continue;
      }
      return h;
    }
  }

  /** Half-close (FIN): we send nothing more. */
  end(): void {
    if (!this.sock.destroyed && !this.sock.writableEnded) this.sock.end();
  }

  destroy(): void {
    this.sock.destroy();
  }

  /** Wait (bounded) for the node to close the connection. */
  async waitClosed(timeoutMs = 5000): Promise<CloseState> {
    const closed = await this.until(() => this.closed, timeoutMs);
    return { closed, ended: this.ended, error: this.error };
  }

  /** Wait (bounded) for the node's FIN or reset: true when the node has stopped talking. */
  async waitEnded(timeoutMs = 5000): Promise<boolean> {
    return this.until(() => this.ended || this.closed, timeoutMs);
  }
}

function connectOnce(host: string, port: number, localAddress: string, localPort: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port, localAddress, ...(localPort ? { localPort } : {}) });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error(`connect to ${host}:${port} from ${localAddress}:${localPort} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    const onError = (e: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    };
    sock.once('error', onError);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeListener('error', onError);
      resolve(sock);
    });
  });
}

/** A ksock frame: header (with optional ZC request cookie), LNet header, payload. */
export function ksockFrame(h: LNetHdr, payload: Uint8Array, opts: { zcReq?: number; nid16?: boolean; version?: KsockProtoVersion } = {}): Buffer {
  const v1 = opts.version === KsockProtoVersion.V1;
  const lnetLen = opts.nid16 ? LNET_HDR_NID16_SIZE : LNET_HDR_NID4_SIZE;
  const kLen = v1 ? 0 : KSOCK_MSG_HDR_SIZE;
  const b = Buffer.alloc(kLen + lnetLen + payload.length);
  if (!v1) {
    const k = new KsockMsgHdr();
    k.type = KsockMsgType.LNET;
    k.zcReqLo = opts.zcReq ?? 0;
    encodeKsockMsgHdr(k, b, 0);
  }
  if (opts.nid16) encodeLNetHdrNid16(h, b, kLen);
  else encodeLNetHdrNid4(h, b, kLen);
  b.set(payload, kLen + lnetLen);
  return b;
}
