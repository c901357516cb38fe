import { LNET_HDR_NID16_SIZE, LNET_HDR_NID4_SIZE, LNetHdr } from './lnet-hdr.js';
import { decodeLNetHdrNid16, decodeLNetHdrNid4 } from './lnet-hdr-codec.js';
import { KSOCK_MSG_HDR_SIZE, KsockMsgHdr, KsockMsgType, decodeKsockMsgHdr } from './ksock-msg.js';
import { WireError } from './wire-error.js';

/**
 * Where one socklnd message's parts lie in a byte stream, per protocol version:
 * V1 = bare 72-byte LNet header + payload; V2/V3 = 24-byte ksock header, 72-byte LNet header
 * (LNET only) + payload; V4 = the same with the 96-byte header. A NOOP is the ksock header alone.
 * Only the headers must be present; the payload is described, not required, so a receiver
 * can decide where to put it before it arrives.
 */
export interface KsockFrame {
  /** The ksock header; undefined on V1, which has none. */
  msg: KsockMsgHdr | undefined;
  /** The LNet header; undefined for a NOOP. */
  lnet: LNetHdr | undefined;
  /** Bytes of headers (ksock + LNet) from the frame start. */
  headerLength: number;
  /** payload_length of the LNet header (0 for a NOOP). */
  payloadLength: number;
  /** headerLength + payloadLength: where the next frame starts. */
  frameLength: number;
}

/** Header bytes a frame of this protocol version starts with before its type is known. */
export function ksockFrameFirstRead(version: number): number {
  return version === 1 ? LNET_HDR_NID4_SIZE : KSOCK_MSG_HDR_SIZE;
}

/**
 * Decode the headers of the frame at `off` on a connection speaking `version` (1–4), with the
 * sender's byte order `flip` (ksock header only: the LNet header is always LE).
 * Truncation is reported with `needed` = the header bytes required.
 */
export function decodeKsockFrame(b: Uint8Array, off: number, version: number, flip = false): KsockFrame | WireError {
  if (version === 1) {
    const lnet = decodeLNetHdrNid4(b, off);
    if (lnet instanceof WireError) return lnet;
    return frame(undefined, lnet, LNET_HDR_NID4_SIZE);
  }
  const msg = decodeKsockMsgHdr(b, off, flip);
  if (msg instanceof WireError) return msg;
  if (msg.type === KsockMsgType.NOOP) return frame(msg, undefined, KSOCK_MSG_HDR_SIZE);
  const lnet =
    version >= 4 ? decodeLNetHdrNid16(b, off + KSOCK_MSG_HDR_SIZE) : decodeLNetHdrNid4(b, off + KSOCK_MSG_HDR_SIZE);
  if (lnet instanceof WireError) return shift(lnet, KSOCK_MSG_HDR_SIZE);
  return frame(msg, lnet, KSOCK_MSG_HDR_SIZE + (version >= 4 ? LNET_HDR_NID16_SIZE : LNET_HDR_NID4_SIZE));
}

function frame(msg: KsockMsgHdr | undefined, lnet: LNetHdr | undefined, headerLength: number): KsockFrame {
  const payloadLength = lnet ? lnet.payloadLength >>> 0 : 0;
  return { msg, lnet, headerLength, payloadLength, frameLength: headerLength + payloadLength };
}

/** Re-base an LNet header error onto the frame start. */
function shift(e: WireError, by: number): WireError {
  return new WireError('ksock frame', e.reason, {
    offset: e.offset + by,
    needed: e.reason === 'truncated' ? e.needed + by : 0,
    found: e.found,
    flip: e.flip,
    code: e.code,
  });
}
