import { LNetError } from '../errors.js';
import { LNET_ANY_NID, nidIsAny, type Nid } from '../nid/nid.js';
import { rd16le, rd32, rd32le, rd64hi, rd64lo, swab32, toInt32, wr16le, wr32, wr32le, wr64 } from './bytes.js';
import { LNET_HDR_NID4_SIZE } from './lnet-hdr.js';
import { LNetMsgType } from './lnet-msg-type.js';
import { readNid16, readNid4, writeNid16, writeNid4 } from './nid-wire.js';
import { WireError, truncated } from './wire-error.js';

/**
 * The socklnd HELLO (lnet/include/lnet/socklnd.h, socklnd_proto.c), every version:
 * - V1: a 72-byte LNet header whose dest_nid is `struct lnet_magicversion`
 *   {LNET_PROTO_TCP_MAGIC, 1, 0}, type HELLO, payload = the IP list; always little-endian.
 * - V2/V3: `struct ksock_hello_msg_nid4`, 56 bytes + 4×nips, in the sender's native order.
 * - V4: `struct ksock_hello_msg`, 80 bytes with 20-byte NIDs (never swapped); no IP list.
 * A receiver reads 8 bytes (magic, version) first, then the rest for that version.
 */

/** LNET_PROTO_MAGIC ("Eric"): V2+ hellos. */
export const LNET_PROTO_MAGIC = 0x45726963;
/** LNET_PROTO_TCP_MAGIC: the V1 hello's magicversion (and the "old socknal" acceptor magic). */
export const LNET_PROTO_TCP_MAGIC = 0xeebc0ded;
export const KSOCK_PROTO_V1_MAJOR = 1;
export const KSOCK_PROTO_V1_MINOR = 0;

/** KSOCK_PROTO_V* */
export enum KsockProtoVersion {
  V1 = 1,
  V2 = 2,
  V3 = 3,
  V4 = 4,
}

/** SOCKLND_CONN_* (uapi socklnd.h), from the sender's point of view. */
export enum SocklndConnType {
  /** "No connection": a passive reply saying retry (race lost) or "here is my protocol". */
  NONE = -1,
  ANY = 0,
  CONTROL = 1,
  BULK_IN = 2,
  BULK_OUT = 3,
}
export const SOCKLND_CONN_NTYPES = 4;
/** ZC-ACKs and keepalive NOOPs travel on BULK_IN. */
export const SOCKLND_CONN_ACK = SocklndConnType.BULK_IN;

/** LNET_INTERFACES_NUM: the most IPs a hello may list. */
export const LNET_INTERFACES_NUM = 16;

export const KSOCK_HELLO_PEEK_SIZE = 8;
export const KSOCK_HELLO_V1_SIZE = LNET_HDR_NID4_SIZE;
export const KSOCK_HELLO_NID4_SIZE = 56;
export const KSOCK_HELLO_NID16_SIZE = 80;

export interface KsockHello {
  version: KsockProtoVersion;
  srcNid: Nid;
  /** Not carried by V1 (decoded as LNET_ANY_NID). */
  dstNid: Nid;
  srcPid: number;
  /** Unset by senders (0); not carried by V1. */
  dstPid: number;
  /** Sender NI incarnation (ns of realtime at NI start), as u32 halves. */
  srcIncarnationLo: number;
  srcIncarnationHi: number;
  /** Unset by senders (0); not carried by V1. */
  dstIncarnationLo: number;
  dstIncarnationHi: number;
  /** SocklndConnType, signed (NONE = -1); unknown values are kept. */
  ctype: number;
  /** IPv4 addresses (host-order u32). 2.17 sends none; V4 has no list. */
  ips: number[];
}

export interface DecodedHello extends KsockHello {
  /** The sender is the other endianness (ksnc_flip); later ksock headers must be swapped. */
  flip: boolean;
  /** Bytes the hello occupied. */
  length: number;
}

/** What the first 8 bytes say: which version follows and in which byte order. */
export interface HelloPeek {
  version: KsockProtoVersion;
  flip: boolean;
  /** Bytes of the fixed part for this version (the V2/V3 IP list comes on top). */
  fixedLength: number;
}

const WHAT = 'ksock hello';

/**
 * ksocknal_recv_hello's first two reads and ksocknal_parse_proto_version. Refusals:
 * - `bad-magic`: neither LNET_PROTO_MAGIC (either order) nor LE LNET_PROTO_TCP_MAGIC. The
 *   kernel closes without replying.
 * - `bad-version`: a known magic with a version it does not speak (V1 magicversion other than
 *   1.0, or a V2+ version outside 2–4). A passive kernel first answers with its own hello
 *   (V3 for an IPv4 peer, V4 for IPv6) with ctype NONE, then closes (EPROTO).
 */
export function peekHelloVersion(b: Uint8Array, off = 0): HelloPeek | WireError {
  const have = Math.max(0, b.length - off);
  if (have < 4) return truncated(WHAT, 4, have);
  const magic = rd32le(b, off);
  let flip: boolean;
  if (magic === LNET_PROTO_MAGIC) flip = false;
  else if (magic === swab32(LNET_PROTO_MAGIC)) flip = true;
  else if (magic === LNET_PROTO_TCP_MAGIC) flip = false;
  else return new WireError(WHAT, 'bad-magic', { offset: 0, found: magic });
  if (have < KSOCK_HELLO_PEEK_SIZE) return truncated(WHAT, KSOCK_HELLO_PEEK_SIZE, have, flip);
  if (magic === LNET_PROTO_TCP_MAGIC) {
    if (rd16le(b, off + 4) === KSOCK_PROTO_V1_MAJOR && rd16le(b, off + 6) === KSOCK_PROTO_V1_MINOR)
      return { version: KsockProtoVersion.V1, flip: false, fixedLength: KSOCK_HELLO_V1_SIZE };
    return new WireError(WHAT, 'bad-version', { offset: 4, found: rd32le(b, off + 4) });
  }
  const version = rd32(b, off + 4, flip);
  switch (version) {
    case KsockProtoVersion.V2:
    case KsockProtoVersion.V3:
      return { version, flip, fixedLength: KSOCK_HELLO_NID4_SIZE };
    case KsockProtoVersion.V4:
      return { version, flip, fixedLength: KSOCK_HELLO_NID16_SIZE };
    default:
      return new WireError(WHAT, 'bad-version', { offset: 4, found: version, flip });
  }
}

/**
 * Decode a whole hello at `off` (pro_recv_hello of the version, then ksocknal_recv_hello's
 * NID check). Besides peekHelloVersion's refusals: `truncated`, `bad-type` (V1 header not a
 * HELLO), `too-many-ips` (nips > 16), `zero-ip`, `bad-nid` (V4 NID bytes malformed) and
 * `nid-any` (src NID is ANY), all EPROTO.
 *
 * A swapped V2/V3 hello has its nid4 fields swapped here like every other field. (2.17.0's
 * ksocknal_recv_hello_v2 forgets to swap the two NIDs, so a kernel would misread them; no
 * big-endian peer exists in practice.)
 */
export function decodeHello(b: Uint8Array, off = 0): DecodedHello | WireError {
  const peek = peekHelloVersion(b, off);
  if (peek instanceof WireError) return peek;
  const have = b.length - off;
  const { version, flip } = peek;
  if (have < peek.fixedLength) return truncated(WHAT, peek.fixedLength, have, flip);

  let h: DecodedHello;
  let nips: number;
  let ipsAt: number;
  if (version === KsockProtoVersion.V1) {
    const type = rd32le(b, off + 24);
    if (type !== LNetMsgType.HELLO) return new WireError(WHAT, 'bad-type', { offset: 24, found: type });
    nips = Math.floor(rd32le(b, off + 28) / 4);
    ipsAt = KSOCK_HELLO_V1_SIZE;
    h = {
      version,
      flip,
      length: 0,
      srcNid: readNid4(b, off + 8),
      dstNid: LNET_ANY_NID,
      srcPid: rd32le(b, off + 20),
      dstPid: 0,
      srcIncarnationLo: rd32le(b, off + 32),
      srcIncarnationHi: rd32le(b, off + 36),
      dstIncarnationLo: 0,
      dstIncarnationHi: 0,
      ctype: toInt32(rd32le(b, off + 40)),
      ips: [],
    };
  } else if (version === KsockProtoVersion.V4) {
    const src = readNid16(b, off + 8);
    if (src === undefined) return new WireError(WHAT, 'bad-nid', { offset: 8, found: b[off + 8]!, flip });
    const dst = readNid16(b, off + 28);
    if (dst === undefined) return new WireError(WHAT, 'bad-nid', { offset: 28, found: b[off + 28]!, flip });
    nips = 0; // V4 never reads an IP list, whatever kshm_nips says
    ipsAt = KSOCK_HELLO_NID16_SIZE;
    h = {
      version,
      flip,
      length: 0,
      srcNid: src,
      dstNid: dst,
      srcPid: rd32(b, off + 48, flip),
      dstPid: rd32(b, off + 52, flip),
      srcIncarnationLo: rd64lo(b, off + 56, flip),
      srcIncarnationHi: rd64hi(b, off + 56, flip),
      dstIncarnationLo: rd64lo(b, off + 64, flip),
      dstIncarnationHi: rd64hi(b, off + 64, flip),
      ctype: toInt32(rd32(b, off + 72, flip)),
      ips: [],
    };
  } else {
    nips = rd32(b, off + 52, flip);
    ipsAt = KSOCK_HELLO_NID4_SIZE;
    h = {
      version,
      flip,
      length: 0,
      srcNid: readNid4(b, off + 8, flip),
      dstNid: readNid4(b, off + 16, flip),
      srcPid: rd32(b, off + 24, flip),
      dstPid: rd32(b, off + 28, flip),
      srcIncarnationLo: rd64lo(b, off + 32, flip),
      srcIncarnationHi: rd64hi(b, off + 32, flip),
      dstIncarnationLo: rd64lo(b, off + 40, flip),
      dstIncarnationHi: rd64hi(b, off + 40, flip),
      ctype: toInt32(rd32(b, off + 48, flip)),
      ips: [],
    };
  }
  if (nips > LNET_INTERFACES_NUM)
    return new WireError(WHAT, 'too-many-ips', { offset: version === 1 ? 28 : 52, found: nips, flip });
  const total = ipsAt + nips * 4;
  if (have < total) return truncated(WHAT, total, have, flip);
  for (let i = 0; i < nips; i++) {
    const ip = rd32(b, off + ipsAt + i * 4, flip);
    if (ip === 0) return new WireError(WHAT, 'zero-ip', { offset: ipsAt + i * 4, flip });
    h.ips.push(ip);
  }
  if (nidIsAny(h.srcNid)) return new WireError(WHAT, 'nid-any', { offset: 8, flip });
  h.length = total;
  return h;
}

/** Bytes the hello takes on the wire. */
export function helloSize(h: Pick<KsockHello, 'version' | 'ips'>): number {
  switch (h.version) {
    case KsockProtoVersion.V1:
      return KSOCK_HELLO_V1_SIZE + 4 * h.ips.length;
    case KsockProtoVersion.V4:
      return KSOCK_HELLO_NID16_SIZE;
    default:
      return KSOCK_HELLO_NID4_SIZE + 4 * h.ips.length;
  }
}

/**
 * Encode at `off` (native order = little-endian, or `flip` to produce a big-endian sender's
 * bytes; V1 is always LE). Returns the bytes written. Throws LNetError EINVAL for a large NID
 * in a nid4 hello, more than 16 IPs, or an IP list on V4 (which cannot carry one), and
 * ENOBUFS if `b` is too small.
 */
export function encodeHello(h: KsockHello, b: Uint8Array, off = 0, flip = false): number {
  const size = helloSize(h);
  if (!(off >= 0) || off + size > b.length)
    throw new LNetError('ENOBUFS', `${WHAT}: ${size} bytes do not fit at offset ${off} of ${b.length}`);
  if (h.ips.length > LNET_INTERFACES_NUM) throw new LNetError('EINVAL', `${WHAT}: more than 16 IPs`);
  b.fill(0, off, off + size);
  switch (h.version) {
    case KsockProtoVersion.V1:
      wr32le(b, off, LNET_PROTO_TCP_MAGIC);
      wr16le(b, off + 4, KSOCK_PROTO_V1_MAJOR);
      wr16le(b, off + 6, KSOCK_PROTO_V1_MINOR);
      writeNid4(b, off + 8, h.srcNid);
      wr32le(b, off + 20, h.srcPid);
      wr32le(b, off + 24, LNetMsgType.HELLO);
      wr32le(b, off + 28, h.ips.length * 4);
      wr32le(b, off + 32, h.srcIncarnationLo);
      wr32le(b, off + 36, h.srcIncarnationHi);
      wr32le(b, off + 40, h.ctype);
      for (let i = 0; i < h.ips.length; i++) wr32le(b, off + KSOCK_HELLO_V1_SIZE + 4 * i, h.ips[i]!);
      return size;
    case KsockProtoVersion.V4:
      if (h.ips.length !== 0) throw new LNetError('EINVAL', `${WHAT}: V4 carries no IP list`);
      wr32(b, off, LNET_PROTO_MAGIC, flip);
      wr32(b, off + 4, h.version, flip);
      writeNid16(b, off + 8, h.srcNid);
      writeNid16(b, off + 28, h.dstNid);
      wr32(b, off + 48, h.srcPid, flip);
      wr32(b, off + 52, h.dstPid, flip);
      wr64(b, off + 56, h.srcIncarnationLo, h.srcIncarnationHi, flip);
      wr64(b, off + 64, h.dstIncarnationLo, h.dstIncarnationHi, flip);
      wr32(b, off + 72, h.ctype, flip);
      wr32(b, off + 76, 0, flip);
      return size;
    default:
      wr32(b, off, LNET_PROTO_MAGIC, flip);
      wr32(b, off + 4, h.version, flip);
      writeNid4(b, off + 8, h.srcNid, flip);
      writeNid4(b, off + 16, h.dstNid, flip);
      wr32(b, off + 24, h.srcPid, flip);
      wr32(b, off + 28, h.dstPid, flip);
      wr64(b, off + 32, h.srcIncarnationLo, h.srcIncarnationHi, flip);
      wr64(b, off + 40, h.dstIncarnationLo, h.dstIncarnationHi, flip);
      wr32(b, off + 48, h.ctype, flip);
      wr32(b, off + 52, h.ips.length, flip);
      for (let i = 0; i < h.ips.length; i++) wr32(b, off + KSOCK_HELLO_NID4_SIZE + 4 * i, h.ips[i]!, flip);
      return size;
  }
}

/** encodeHello into a new Buffer of exactly the hello's size. */
export function helloToBuffer(h: KsockHello, flip = false): Buffer {
  const b = Buffer.alloc(helloSize(h));
  encodeHello(h, b, 0, flip);
  return b;
}

/**
 * ksocknal_invert_type: the passive side's view of the connection type the active side
 * asked for (BULK_IN ↔ BULK_OUT; ANY and CONTROL unchanged; anything else NONE).
 */
export function invertConnType(t: number): SocklndConnType {
  switch (t) {
    case SocklndConnType.ANY:
    case SocklndConnType.CONTROL:
      return t;
    case SocklndConnType.BULK_IN:
      return SocklndConnType.BULK_OUT;
    case SocklndConnType.BULK_OUT:
      return SocklndConnType.BULK_IN;
    default:
      return SocklndConnType.NONE;
  }
}
