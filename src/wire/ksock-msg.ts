import { LNetError } from '../errors.js';
import { rd32, rd64hi, rd64lo, wr32, wr64 } from './bytes.js';
import { crc32Le } from './crc32.js';
import { u32ViewOf, wordIndex } from './u32-view.js';
import { WireError, truncated } from './wire-error.js';

/**
 * `struct ksock_msg_hdr` (lnet/include/lnet/socklnd.h): the 24-byte header in front of every
 * socklnd V2–V4 message. Fields are in the sender's native order; `flip` (learned from the
 * hello magic, `ksnc_flip`) says the sender is the other endianness.
 */

export const KSOCK_MSG_HDR_SIZE = 24;

const ZERO4 = new Uint8Array(4);

/** `KSOCK_MSG_*` */
export enum KsockMsgType {
  NOOP = 0xc0,
  LNET = 0xc1,
}

/** Keepalive NOOPs carry this ZC-ACK cookie (V3/V4); real ZC cookies start at 2. */
export const KSOCK_KEEPALIVE_COOKIE = 1;

export class KsockMsgHdr {
  type: KsockMsgType = KsockMsgType.LNET;
  /** 0 = no checksum. */
  csum = 0;
  /** ksm_zc_cookies[0]: zero-copy request cookie the sender wants returned (0 = none). */
  zcReqLo = 0;
  zcReqHi = 0;
  /** ksm_zc_cookies[1]: a ZC-ACK being returned to the peer (0 = none; 1 = keepalive). */
  zcAckLo = 0;
  zcAckHi = 0;
}

const WHAT = 'ksock message header';

/**
 * Decode at `off`. Refuses truncation and any type but NOOP/LNET (the kernel closes the
 * connection with EPROTO). Does not check the checksum: that needs the whole message.
 */
export function decodeKsockMsgHdr(
  b: Uint8Array,
  off = 0,
  flip = false,
  out: KsockMsgHdr = new KsockMsgHdr(),
): KsockMsgHdr | WireError {
  if (b.length - off < KSOCK_MSG_HDR_SIZE) return truncated(WHAT, KSOCK_MSG_HDR_SIZE, Math.max(0, b.length - off), flip);
  const v = flip ? undefined : u32ViewOf(b);
  const w = v ? wordIndex(b, off) : -1;
  if (w >= 0) {
    const t = v![w]!;
    if (t !== KsockMsgType.NOOP && t !== KsockMsgType.LNET) return new WireError(WHAT, 'bad-type', { offset: 0, found: t, flip });
    out.type = t;
    out.csum = v![w + 1]!;
    out.zcReqLo = v![w + 2]!;
    out.zcReqHi = v![w + 3]!;
    out.zcAckLo = v![w + 4]!;
    out.zcAckHi = v![w + 5]!;
    return out;
  }
  const type = rd32(b, off, flip);
  if (type !== KsockMsgType.NOOP && type !== KsockMsgType.LNET)
    return new WireError(WHAT, 'bad-type', { offset: 0, found: type, flip });
  out.type = type;
  out.csum = rd32(b, off + 4, flip);
  out.zcReqLo = rd64lo(b, off + 8, flip);
  out.zcReqHi = rd64hi(b, off + 8, flip);
  out.zcAckLo = rd64lo(b, off + 16, flip);
  out.zcAckHi = rd64hi(b, off + 16, flip);
  return out;
}

/** Encode at `off`; returns the bytes written (24). */
export function encodeKsockMsgHdr(h: KsockMsgHdr, b: Uint8Array, off = 0, flip = false): number {
  if (!(off >= 0) || off + KSOCK_MSG_HDR_SIZE > b.length)
    throw new LNetError('ENOBUFS', `${WHAT}: 24 bytes do not fit at offset ${off} of ${b.length}`);
  const v = flip ? undefined : u32ViewOf(b);
  const w = v ? wordIndex(b, off) : -1;
  if (w >= 0) {
    v![w] = h.type;
    v![w + 1] = h.csum;
    v![w + 2] = h.zcReqLo;
    v![w + 3] = h.zcReqHi;
    v![w + 4] = h.zcAckLo;
    v![w + 5] = h.zcAckHi;
    return KSOCK_MSG_HDR_SIZE;
  }
  wr32(b, off, h.type, flip);
  wr32(b, off + 4, h.csum, flip);
  wr64(b, off + 8, h.zcReqLo, h.zcReqHi, flip);
  wr64(b, off + 16, h.zcAckLo, h.zcAckHi, flip);
  return KSOCK_MSG_HDR_SIZE;
}

/**
 * The socklnd checksum of one message as it sits on the wire at `b[off..off+len)`: the
 * 24-byte header with ksm_csum taken as zero, then the LNet header and the payload
 * (crc32_le seeded with ~0, no final inversion). The stored csum field is skipped rather
 * than zeroed, so `b` is not modified.
 */
export function ksockChecksum(b: Uint8Array, off: number, len: number): number {
  if (!(off >= 0) || len < KSOCK_MSG_HDR_SIZE || off + len > b.length)
    throw new LNetError('EINVAL', `${WHAT}: checksum range ${off}+${len} outside a ${b.length}-byte buffer`);
  let c = crc32Le(0xffffffff, b, off, off + 4);
  c = crc32Le(c, ZERO4, 0, 4);
  return crc32Le(c, b, off + 8, off + len);
}

/**
 * Check a received message's checksum as the kernel does: only when ksm_csum ≠ 0, over the
 * bytes as received. `csum` is the decoded (byte-order corrected) header value.
 */
export function verifyKsockChecksum(csum: number, b: Uint8Array, off: number, len: number): WireError | undefined {
  if (csum === 0) return undefined;
  const got = ksockChecksum(b, off, len);
  if (got === csum >>> 0) return undefined;
  return new WireError(WHAT, 'bad-csum', {
    offset: 4,
    found: csum,
    message: `checksum error, wire 0x${(csum >>> 0).toString(16)} data 0x${got.toString(16)}`,
  });
}

/**
 * Fill in ksm_csum of an encoded message at `b[off..off+len)` (little-endian sender, or
 * `flip`), as a V2 sender with enable_csum=1 does. Returns the checksum.
 */
export function stampKsockChecksum(b: Uint8Array, off: number, len: number, flip = false): number {
  const c = ksockChecksum(b, off, len);
  wr32(b, off + 4, c, flip);
  return c;
}
