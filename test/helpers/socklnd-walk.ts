/**
 * Test helper: split one captured socklnd TCP connection into the items each side sent —
 * the acceptor connreq (active side only), the hello, then ksock frames — using the codecs
 * under test, and keep the raw bytes of each item so tests can re-encode and compare.
 */
import { ACCEPTOR_CONNREQ_PEEK_SIZE, decodeConnReq, type DecodedConnReq } from '../../src/wire/acceptor.js';
import { KSOCK_HELLO_PEEK_SIZE, decodeHello, type DecodedHello } from '../../src/wire/ksock-hello.js';
import { decodeKsockFrame, ksockFrameFirstRead, type KsockFrame } from '../../src/wire/ksock-frame.js';
import { WireError } from '../../src/wire/wire-error.js';
import type { TcpConnection, TcpFlow } from './pcap.js';

export interface WalkedFrame {
  /** Stream offset of the frame's first byte. */
  offset: number;
  /** pcap frame that carried the first byte. */
  pcapFrame: number | undefined;
  frame: KsockFrame;
  /** The header bytes (ksock + LNet header). */
  headerBytes: Buffer;
  /** The payload, when the capture holds all of it. */
  payload: Buffer | undefined;
}

export interface WalkedSide {
  flow: TcpFlow;
  connreq?: { decoded: DecodedConnReq; raw: Buffer; pcapFrame: number | undefined };
  hello?: { decoded: DecodedHello; raw: Buffer; pcapFrame: number | undefined };
  frames: WalkedFrame[];
  /** Why walking stopped early, if it did. */
  stopped?: string;
  /** Bytes of the flow consumed by decoded items. */
  consumed: number;
}

export interface WalkOptions {
  /** Protocol version for a connection whose hellos were not captured. */
  assumeVersion?: number;
  /** Stop after this many frames per side. */
  maxFrames?: number;
}

/**
 * Decode an item at stream offset `off` the way a receiver reads a socket: start with
 * `first` bytes and, while the decoder answers `truncated`, read up to what it says it needs.
 */
function readItem<T>(
  flow: TcpFlow,
  off: number,
  first: number,
  decode: (b: Buffer) => T | WireError,
): { value: T; bytes: Buffer } | { error: string } {
  let want = first;
  for (;;) {
    const b = flow.bytes(off, off + want);
    if (!b) return { error: `bytes ${off}..${off + want} not captured` };
    const r = decode(b);
    if (!(r instanceof WireError)) return { value: r, bytes: b };
    if (r.reason === 'truncated' && r.needed > b.length && off + r.needed <= flow.length) {
      want = r.needed;
      continue;
    }
    return { error: r.message };
  }
}

function walkSide(flow: TcpFlow, active: boolean, hasStart: boolean, opts: WalkOptions, version?: number): WalkedSide {
  const side: WalkedSide = { flow, frames: [], consumed: 0 };
  const end = flow.length;
  let off = 0;
  let flip = false;
  if (hasStart) {
    if (active) {
      const cr = readItem(flow, 0, ACCEPTOR_CONNREQ_PEEK_SIZE, (b) => decodeConnReq(b));
      if ('error' in cr) {
        side.stopped = `connreq: ${cr.error}`;
        return side;
      }
      side.connreq = { decoded: cr.value, raw: cr.bytes.subarray(0, cr.value.length), pcapFrame: flow.frameAt(0) };
      off = cr.value.length;
    }
    const h = readItem(flow, off, KSOCK_HELLO_PEEK_SIZE, (b) => decodeHello(b));
    if ('error' in h) {
      side.stopped = `hello: ${h.error}`;
      side.consumed = off;
      return side;
    }
    side.hello = { decoded: h.value, raw: h.bytes.subarray(0, h.value.length), pcapFrame: flow.frameAt(off) };
    off += h.value.length;
    version = h.value.version;
    flip = h.value.flip;
  }
  const v = version ?? opts.assumeVersion ?? 3;
  const max = opts.maxFrames ?? Infinity;
  while (off < end && side.frames.length < max) {
    const f = readItem(flow, off, ksockFrameFirstRead(v), (b) => decodeKsockFrame(b, 0, v, flip));
    if ('error' in f) {
      side.stopped = `frame at ${off}: ${f.error}`;
      break;
    }
    const fr = f.value;
    side.frames.push({
      offset: off,
      pcapFrame: flow.frameAt(off),
      frame: fr,
      headerBytes: f.bytes.subarray(0, fr.headerLength),
      payload: fr.payloadLength === 0 ? Buffer.alloc(0) : flow.bytes(off + fr.headerLength, off + fr.frameLength),
    });
    off += fr.frameLength;
  }
  side.consumed = Math.min(off, end);
  return side;
}

/**
 * Walk both directions. The hellos fix the version and byte order; a connection captured
 * after its handshake is walked as `assumeVersion` (default V3), little-endian.
 */
export function walkSocklnd(conn: TcpConnection, opts: WalkOptions = {}): { active: WalkedSide; passive: WalkedSide } {
  const active = walkSide(conn.client, true, conn.sawSyn, opts);
  const version = active.hello?.decoded.version;
  const passive = walkSide(conn.server, false, conn.sawSyn, opts, version);
  return { active, passive };
}
