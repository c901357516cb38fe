import { LNetError } from '../errors.js';
import type { Nid } from '../nid/nid.js';
import { nidIsNid4 } from '../nid/nid.js';
import { rd32, rd32le, swab32, wr32 } from './bytes.js';
import { LNET_PROTO_MAGIC, LNET_PROTO_TCP_MAGIC } from './ksock-hello.js';
import { readNid16, readNid4, writeNid16, writeNid4 } from './nid-wire.js';
import { WireError, truncated } from './wire-error.js';

/**
 * The acceptor connection request (lnet-idl.h `struct lnet_acceptor_connreq` and `_v2`;
 * acceptor.c lnet_accept): the first bytes on every connection to port 988, naming the
 * NID the connector wants. No reply on success; the socket passes to the LND.
 */

export const LNET_PROTO_ACCEPTOR_MAGIC = 0xacce7100;

/** LNET_PROTO_ACCEPTOR_VERSION (nid4) and LNET_PROTO_ACCEPTOR_VERSION_16 (20-byte NID). */
export enum AcceptorVersion {
  V1 = 1,
  V2 = 2,
}

export const ACCEPTOR_CONNREQ_V1_SIZE = 16;
export const ACCEPTOR_CONNREQ_V2_SIZE = 28;
/** Bytes the acceptor reads before it can classify the request (magic + version). */
export const ACCEPTOR_CONNREQ_PEEK_SIZE = 8;

export interface ConnReq {
  version: AcceptorVersion;
  /** The NID the connector wants to reach (the destination, i.e. the acceptor's own NI). */
  nid: Nid;
}

export interface DecodedConnReq extends ConnReq {
  /** The magic was byte-swapped: the connector is the other endianness. */
  flip: boolean;
  /** Bytes consumed: 16 or 28. */
  length: number;
}

const WHAT = 'acceptor connreq';

/**
 * Classify and decode a connreq at `off`, in the order lnet_accept reads it. Refusals, each
 * telling the caller what the kernel does next (see acceptorReplyFor):
 * - `lnet-magic`: a socklnd hello (LNET_PROTO_MAGIC, either order) without a connreq. The
 *   kernel answers with a v1 connreq {magic, version 1, nid 0} and closes (EPROTO).
 * - `bad-magic`: anything else, including the "old socknal" LNET_PROTO_TCP_MAGIC (`found`
 *   tells which); closed without a reply (EPROTO).
 * - `bad-version`: magic fine, version neither 1 nor 2. Answered like `lnet-magic`, closed.
 * - `truncated`: more bytes needed (`needed`); the kernel's read would time out (EIO).
 * A decoded request still has to name a local NI exactly (EPERM otherwise); that check needs
 * the NI table, so it is the caller's.
 */
export function decodeConnReq(b: Uint8Array, off = 0): DecodedConnReq | WireError {
  const have = Math.max(0, b.length - off);
  if (have < 4) return truncated(WHAT, 4, have);
  const magic = rd32le(b, off);
  let flip: boolean;
  if (magic === LNET_PROTO_ACCEPTOR_MAGIC) flip = false;
  else if (magic === swab32(LNET_PROTO_ACCEPTOR_MAGIC)) flip = true;
  else if (magic === LNET_PROTO_MAGIC || magic === swab32(LNET_PROTO_MAGIC))
    return new WireError(WHAT, 'lnet-magic', { offset: 0, found: magic, flip: magic !== LNET_PROTO_MAGIC });
  else
    return new WireError(WHAT, 'bad-magic', {
      offset: 0,
      found: magic,
      message:
        magic === LNET_PROTO_TCP_MAGIC || magic === swab32(LNET_PROTO_TCP_MAGIC)
          ? `magic 0x${magic.toString(16)}: 'old' socknal/tcpnal acceptor protocol`
          : `magic 0x${magic.toString(16)}: unrecognised acceptor protocol`,
    });
  if (have < ACCEPTOR_CONNREQ_PEEK_SIZE) return truncated(WHAT, ACCEPTOR_CONNREQ_PEEK_SIZE, have, flip);
  const version = rd32(b, off + 4, flip);
  if (version === AcceptorVersion.V1) {
    if (have < ACCEPTOR_CONNREQ_V1_SIZE) return truncated(WHAT, ACCEPTOR_CONNREQ_V1_SIZE, have, flip);
    return { version, nid: readNid4(b, off + 8, flip), flip, length: ACCEPTOR_CONNREQ_V1_SIZE };
  }
  if (version === AcceptorVersion.V2) {
    if (have < ACCEPTOR_CONNREQ_V2_SIZE) return truncated(WHAT, ACCEPTOR_CONNREQ_V2_SIZE, have, flip);
    const nid = readNid16(b, off + 8);
    if (nid === undefined) return new WireError(WHAT, 'bad-nid', { offset: 8, found: b[off + 8]!, flip });
    return { version, nid, flip, length: ACCEPTOR_CONNREQ_V2_SIZE };
  }
  return new WireError(WHAT, 'bad-version', { offset: 4, found: version, flip });
}

/** Size of a connreq of this version. */
export function connReqSize(version: AcceptorVersion): number {
  return version === AcceptorVersion.V2 ? ACCEPTOR_CONNREQ_V2_SIZE : ACCEPTOR_CONNREQ_V1_SIZE;
}

/**
 * Encode at `off` (LE, or `flip` for a big-endian sender; the v2 NID is never swapped).
 * Returns the bytes written. EINVAL for a large NID in a v1 request.
 */
export function encodeConnReq(req: ConnReq, b: Uint8Array, off = 0, flip = false): number {
  const size = connReqSize(req.version);
  if (!(off >= 0) || off + size > b.length)
    throw new LNetError('ENOBUFS', `${WHAT}: ${size} bytes do not fit at offset ${off} of ${b.length}`);
  wr32(b, off, LNET_PROTO_ACCEPTOR_MAGIC, flip);
  wr32(b, off + 4, req.version, flip);
  if (req.version === AcceptorVersion.V2) writeNid16(b, off + 8, req.nid);
  else writeNid4(b, off + 8, req.nid, flip);
  return size;
}

export function connReqToBuffer(req: ConnReq, flip = false): Buffer {
  const b = Buffer.alloc(connReqSize(req.version));
  encodeConnReq(req, b, 0, flip);
  return b;
}

/**
 * The request an active side sends (lnet_connect): v1 when the peer NID fits 64 bits,
 * otherwise v2.
 */
export function connReqFor(peerNid: Nid): ConnReq {
  return { version: nidIsNid4(peerNid) ? AcceptorVersion.V1 : AcceptorVersion.V2, nid: peerNid };
}

/**
 * What the kernel acceptor writes back before closing on a refusal: for `lnet-magic` and
 * `bad-version`, the 16-byte v1 connreq {LNET_PROTO_ACCEPTOR_MAGIC, 1, nid 0} in its own
 * (little-endian) order, meaning "I only speak this". Undefined when it just closes.
 */
export function acceptorReplyFor(err: WireError): Buffer | undefined {
  if (err.what !== WHAT || (err.reason !== 'lnet-magic' && err.reason !== 'bad-version')) return undefined;
  const b = Buffer.alloc(ACCEPTOR_CONNREQ_V1_SIZE);
  wr32(b, 0, LNET_PROTO_ACCEPTOR_MAGIC, false);
  wr32(b, 4, AcceptorVersion.V1, false);
  return b;
}
