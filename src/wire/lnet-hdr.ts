import { LNET_ANY_NID, type Nid } from '../nid/nid.js';
import { LNetMsgType } from './lnet-msg-type.js';
import { WireHandle } from './wire-handle.js';

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
  wmd: WireHandle = WireHandle.none();
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
