import { LNET_ANY_NID, type Nid } from '../nid/nid.js';
import { LNetMsgType } from './lnet-msg-type.js';
import { WIRE_HANDLE_NONE, WireHandle } from './wire-handle.js';

/** Sizes of the two wire forms (lnet_assert_wire_constants). */
export const LNET_HDR_NID4_SIZE = 72;
export const LNET_HDR_NID16_SIZE = 96;
/** LNET_MTU: the largest PUT or REPLY payload. */
export const LNET_MTU = 1 << 20;

/**
 * The in-memory LNet header (`struct lnet_hdr` of lib-types.h) with the `msg` union flattened:
 * a field is meaningful only for the message types noted. 64-bit values (match bits, hdr_data)
 * are u32 pairs so that per-message code needs no BigInt. One fixed shape keeps V8 monomorphic.
 */
export class LNetHdr {
  destNid: Nid = LNET_ANY_NID;
  srcNid: Nid = LNET_ANY_NID;
  destPid = 0;
  srcPid = 0;
  type: LNetMsgType = LNetMsgType.PUT;
  payloadLength = 0;
  /** PUT ack_wmd, GET return_wmd, ACK/REPLY dst_wmd. */
  wmd: WireHandle = WIRE_HANDLE_NONE;
  /** PUT, GET, ACK. */
  matchBitsLo = 0;
  matchBitsHi = 0;
  /** PUT: opaque u64, delivered without byte-order conversion (LE on every real host). */
  hdrDataLo = 0;
  hdrDataHi = 0;
  /** PUT, GET. */
  ptlIndex = 0;
  /** PUT offset, GET src_offset. */
  offset = 0;
  /** GET. */
  sinkLength = 0;
  /** ACK: bytes the target deposited. */
  mlength = 0;
  /** HELLO (socklnd V1): incarnation and connection type. */
  helloIncarnationLo = 0;
  helloIncarnationHi = 0;
  helloType = 0;
}

/** Back to the state of `new LNetHdr()` (reused headers of pooled messages). */
export function resetHdr(h: LNetHdr): void {
  h.destNid = LNET_ANY_NID;
  h.srcNid = LNET_ANY_NID;
  h.destPid = 0;
  h.srcPid = 0;
  h.type = LNetMsgType.PUT;
  h.payloadLength = 0;
  h.wmd = WIRE_HANDLE_NONE;
  resetUnionFields(h);
}

/** Zero the fields of the `msg` union other than the wire handle (decoders fill what the type has). */
export function resetUnionFields(h: LNetHdr): void {
  h.matchBitsLo = 0;
  h.matchBitsHi = 0;
  h.hdrDataLo = 0;
  h.hdrDataHi = 0;
  h.ptlIndex = 0;
  h.offset = 0;
  h.sinkLength = 0;
  h.mlength = 0;
  h.helloIncarnationLo = 0;
  h.helloIncarnationHi = 0;
  h.helloType = 0;
}

/** Copy every field of `src` into `dst` (NIDs and wire handles are values, shared as they are). */
export function copyHdr(dst: LNetHdr, src: LNetHdr): void {
  dst.destNid = src.destNid;
  dst.srcNid = src.srcNid;
  dst.destPid = src.destPid;
  dst.srcPid = src.srcPid;
  dst.type = src.type;
  dst.payloadLength = src.payloadLength;
  dst.wmd = src.wmd;
  dst.matchBitsLo = src.matchBitsLo;
  dst.matchBitsHi = src.matchBitsHi;
  dst.hdrDataLo = src.hdrDataLo;
  dst.hdrDataHi = src.hdrDataHi;
  dst.ptlIndex = src.ptlIndex;
  dst.offset = src.offset;
  dst.sinkLength = src.sinkLength;
  dst.mlength = src.mlength;
  dst.helloIncarnationLo = src.helloIncarnationLo;
  dst.helloIncarnationHi = src.helloIncarnationHi;
  dst.helloType = src.helloType;
}
