import { LNetError } from '../errors.js';
import { LNET_HDR_NID16_SIZE, LNET_HDR_NID4_SIZE, LNET_MTU, LNetHdr, resetUnionFields } from './lnet-hdr.js';
import { LNetMsgType, formatMsgType } from './lnet-msg-type.js';
import { rd32le, wr32le } from './bytes.js';
import { nid4FromWords, nid4Hi, nid4Lo, readNid16, readNid4, writeNid16, writeNid4 } from './nid-wire.js';
import { u32ViewOf, wordIndex } from './u32-view.js';
import { WireError, truncated } from './wire-error.js';
import { WIRE_HANDLE_NONE, WireHandle } from './wire-handle.js';

/**
 * The LNet header on the wire (lnet-idl.h): the 72-byte nid4 form (socklnd V1–V3, o2iblnd)
 * and the 96-byte nid16 form (socklnd V4). Everything but the 20-byte NIDs is little-endian.
 * Both forms share the 40-byte `msg` union; only its offset differs (32 vs 56).
 * Decoding only reads the union fields the type defines; encoding writes those and zeroes
 * the rest of the union, as every kernel sender does (it builds headers in zeroed memory).
 */

/** Size of `union lnet_cmd_hdr`. */
export const LNET_HDR_UNION_SIZE = 40;
const UNION_NID4 = 32;
const UNION_NID16 = 56;

const WHAT4 = 'LNet header (nid4)';
const WHAT16 = 'LNet header (nid16)';

/** Read the union at `u` into `h` according to h.type, resetting fields the type lacks. */
function readUnion(b: Uint8Array, u: number, h: LNetHdr): void {
  resetUnionFields(h);
  const t = h.type;
  if (t === LNetMsgType.HELLO) {
    h.wmd = WireHandle.none();
    h.helloIncarnationLo = rd32le(b, u);
    h.helloIncarnationHi = rd32le(b, u + 4);
    h.helloType = rd32le(b, u + 8);
    return;
  }
  if (t > LNetMsgType.REPLY) {
    // Unknown type: nothing in the union is defined; validateLNetHdr refuses it.
    h.wmd = WireHandle.none();
    return;
  }
  // A fresh handle each time (handles are values the engine may keep after reusing `h`),
  // except the all-ones one, which is shared.
  h.wmd = wireHandleOf(rd32le(b, u), rd32le(b, u + 4), rd32le(b, u + 8), rd32le(b, u + 12));
  switch (t) {
    case LNetMsgType.PUT:
      h.matchBitsLo = rd32le(b, u + 16);
      h.matchBitsHi = rd32le(b, u + 20);
      h.hdrDataLo = rd32le(b, u + 24);
      h.hdrDataHi = rd32le(b, u + 28);
      h.ptlIndex = rd32le(b, u + 32);
      h.offset = rd32le(b, u + 36);
      break;
    case LNetMsgType.GET:
      h.matchBitsLo = rd32le(b, u + 16);
      h.matchBitsHi = rd32le(b, u + 20);
      h.ptlIndex = rd32le(b, u + 24);
      h.offset = rd32le(b, u + 28);
      h.sinkLength = rd32le(b, u + 32);
      break;
    case LNetMsgType.ACK:
      h.matchBitsLo = rd32le(b, u + 16);
      h.matchBitsHi = rd32le(b, u + 20);
      h.mlength = rd32le(b, u + 24);
      break;
    default: // REPLY: the handle only
      break;
  }
}

function writeUnion(b: Uint8Array, u: number, h: LNetHdr): void {
  b.fill(0, u, u + LNET_HDR_UNION_SIZE);
  const t = h.type;
  if (t === LNetMsgType.HELLO) {
    wr32le(b, u, h.helloIncarnationLo);
    wr32le(b, u + 4, h.helloIncarnationHi);
    wr32le(b, u + 8, h.helloType);
    return;
  }
  if (t > LNetMsgType.REPLY || t < 0) return;
  const w = h.wmd;
  wr32le(b, u, w.ifLo);
  wr32le(b, u + 4, w.ifHi);
  wr32le(b, u + 8, w.objLo);
  wr32le(b, u + 12, w.objHi);
  switch (t) {
    case LNetMsgType.PUT:
      wr32le(b, u + 16, h.matchBitsLo);
      wr32le(b, u + 20, h.matchBitsHi);
      wr32le(b, u + 24, h.hdrDataLo);
      wr32le(b, u + 28, h.hdrDataHi);
      wr32le(b, u + 32, h.ptlIndex);
      wr32le(b, u + 36, h.offset);
      break;
    case LNetMsgType.GET:
      wr32le(b, u + 16, h.matchBitsLo);
      wr32le(b, u + 20, h.matchBitsHi);
      wr32le(b, u + 24, h.ptlIndex);
      wr32le(b, u + 28, h.offset);
      wr32le(b, u + 32, h.sinkLength);
      break;
    case LNetMsgType.ACK:
      wr32le(b, u + 16, h.matchBitsLo);
      wr32le(b, u + 20, h.matchBitsHi);
      wr32le(b, u + 24, h.mlength);
      break;
    default:
      break;
  }
}

function wireHandleOf(ifLo: number, ifHi: number, objLo: number, objHi: number): WireHandle {
  if ((ifLo & ifHi & objLo & objHi) === -1) return WIRE_HANDLE_NONE;
  return new WireHandle(ifLo, ifHi, objLo, objHi);
}

/** readUnion over u32 words (`u` is a word index into a little-endian view). */
function readUnionWords(v: Uint32Array, u: number, h: LNetHdr): void {
  resetUnionFields(h);
  const t = h.type;
  if (t === LNetMsgType.HELLO) {
    h.wmd = WIRE_HANDLE_NONE;
    h.helloIncarnationLo = v[u]!;
    h.helloIncarnationHi = v[u + 1]!;
    h.helloType = v[u + 2]!;
    return;
  }
  if (t > LNetMsgType.REPLY) {
    h.wmd = WIRE_HANDLE_NONE;
    return;
  }
  h.wmd = wireHandleOf(v[u]!, v[u + 1]!, v[u + 2]!, v[u + 3]!);
  switch (t) {
    case LNetMsgType.PUT:
      h.matchBitsLo = v[u + 4]!;
      h.matchBitsHi = v[u + 5]!;
      h.hdrDataLo = v[u + 6]!;
      h.hdrDataHi = v[u + 7]!;
      h.ptlIndex = v[u + 8]!;
      h.offset = v[u + 9]!;
      break;
    case LNetMsgType.GET:
      h.matchBitsLo = v[u + 4]!;
      h.matchBitsHi = v[u + 5]!;
      h.ptlIndex = v[u + 6]!;
      h.offset = v[u + 7]!;
      h.sinkLength = v[u + 8]!;
      break;
    case LNetMsgType.ACK:
      h.matchBitsLo = v[u + 4]!;
      h.matchBitsHi = v[u + 5]!;
      h.mlength = v[u + 6]!;
      break;
    default:
      break;
  }
}

/** writeUnion over u32 words: every one of the 10 words is written (no separate zero fill). */
function writeUnionWords(v: Uint32Array, u: number, h: LNetHdr): void {
  const t = h.type;
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  let w4 = 0;
  let w5 = 0;
  let w6 = 0;
  let w7 = 0;
  let w8 = 0;
  let w9 = 0;
  if (t === LNetMsgType.HELLO) {
    w0 = h.helloIncarnationLo;
    w1 = h.helloIncarnationHi;
    w2 = h.helloType;
  } else if (t >= 0 && t <= LNetMsgType.REPLY) {
    const w = h.wmd;
    w0 = w.ifLo;
    w1 = w.ifHi;
    w2 = w.objLo;
    w3 = w.objHi;
    switch (t) {
      case LNetMsgType.PUT:
        w4 = h.matchBitsLo;
        w5 = h.matchBitsHi;
        w6 = h.hdrDataLo;
        w7 = h.hdrDataHi;
        w8 = h.ptlIndex;
        w9 = h.offset;
        break;
      case LNetMsgType.GET:
        w4 = h.matchBitsLo;
        w5 = h.matchBitsHi;
        w6 = h.ptlIndex;
        w7 = h.offset;
        w8 = h.sinkLength;
        break;
      case LNetMsgType.ACK:
        w4 = h.matchBitsLo;
        w5 = h.matchBitsHi;
        w6 = h.mlength;
        break;
      default:
        break;
    }
  }
  v[u] = w0;
  v[u + 1] = w1;
  v[u + 2] = w2;
  v[u + 3] = w3;
  v[u + 4] = w4;
  v[u + 5] = w5;
  v[u + 6] = w6;
  v[u + 7] = w7;
  v[u + 8] = w8;
  v[u + 9] = w9;
}

function checkRoom(b: Uint8Array, off: number, size: number, what: string): void {
  if (!(off >= 0) || off + size > b.length)
    throw new LNetError('ENOBUFS', `${what}: ${size} bytes do not fit at offset ${off} of ${b.length}`);
}

/**
 * Decode a 72-byte nid4 header at `off` into `out` (a fresh LNetHdr by default; pass one to
 * reuse it on the receive path). Every 72 bytes are a structurally valid header, so the only
 * refusal is truncation; semantic checks are validateLNetHdr's.
 */
export function decodeLNetHdrNid4(b: Uint8Array, off = 0, out: LNetHdr = new LNetHdr()): LNetHdr | WireError {
  if (b.length - off < LNET_HDR_NID4_SIZE) return truncated(WHAT4, LNET_HDR_NID4_SIZE, Math.max(0, b.length - off));
  const v = u32ViewOf(b);
  const w = v ? wordIndex(b, off) : -1;
  if (w >= 0) {
    out.destNid = nid4FromWords(v![w]!, v![w + 1]!);
    out.srcNid = nid4FromWords(v![w + 2]!, v![w + 3]!);
    out.destPid = v![w + 4]!;
    out.srcPid = v![w + 5]!;
    out.type = v![w + 6]!;
    out.payloadLength = v![w + 7]!;
    readUnionWords(v!, w + UNION_NID4 / 4, out);
    return out;
  }
  out.destNid = readNid4(b, off);
  out.srcNid = readNid4(b, off + 8);
  out.destPid = rd32le(b, off + 16);
  out.srcPid = rd32le(b, off + 20);
  out.type = rd32le(b, off + 24);
  out.payloadLength = rd32le(b, off + 28);
  readUnion(b, off + UNION_NID4, out);
  return out;
}

/** Encode the nid4 header at `off`; returns the bytes written (72). EINVAL for a large NID. */
export function encodeLNetHdrNid4(h: LNetHdr, b: Uint8Array, off = 0): number {
  checkRoom(b, off, LNET_HDR_NID4_SIZE, WHAT4);
  const v = u32ViewOf(b);
  const w = v ? wordIndex(b, off) : -1;
  if (w >= 0) {
    const dHi = nid4Hi(h.destNid);
    const sHi = nid4Hi(h.srcNid);
    v![w] = nid4Lo(h.destNid);
    v![w + 1] = dHi;
    v![w + 2] = nid4Lo(h.srcNid);
    v![w + 3] = sHi;
    v![w + 4] = h.destPid;
    v![w + 5] = h.srcPid;
    v![w + 6] = h.type;
    v![w + 7] = h.payloadLength;
    writeUnionWords(v!, w + UNION_NID4 / 4, h);
    return LNET_HDR_NID4_SIZE;
  }
  writeNid4(b, off, h.destNid);
  writeNid4(b, off + 8, h.srcNid);
  wr32le(b, off + 16, h.destPid);
  wr32le(b, off + 20, h.srcPid);
  wr32le(b, off + 24, h.type);
  wr32le(b, off + 28, h.payloadLength);
  writeUnion(b, off + UNION_NID4, h);
  return LNET_HDR_NID4_SIZE;
}

/**
 * Decode a 96-byte nid16 header. Refuses truncation and malformed 20-byte NIDs (the kernel
 * copies them blindly; a NID whose size byte overruns the struct is garbage either way).
 */
export function decodeLNetHdrNid16(b: Uint8Array, off = 0, out: LNetHdr = new LNetHdr()): LNetHdr | WireError {
  if (b.length - off < LNET_HDR_NID16_SIZE)
    return truncated(WHAT16, LNET_HDR_NID16_SIZE, Math.max(0, b.length - off));
  const dest = readNid16(b, off);
  if (dest === undefined) return new WireError(WHAT16, 'bad-nid', { offset: 0, found: b[off]! });
  const src = readNid16(b, off + 20);
  if (src === undefined) return new WireError(WHAT16, 'bad-nid', { offset: 20, found: b[off + 20]! });
  out.destNid = dest;
  out.srcNid = src;
  const v = u32ViewOf(b);
  const w = v ? wordIndex(b, off) : -1;
  if (w >= 0) {
    out.destPid = v![w + 10]!;
    out.srcPid = v![w + 11]!;
    out.type = v![w + 12]!;
    out.payloadLength = v![w + 13]!;
    readUnionWords(v!, w + UNION_NID16 / 4, out);
    return out;
  }
  out.destPid = rd32le(b, off + 40);
  out.srcPid = rd32le(b, off + 44);
  out.type = rd32le(b, off + 48);
  out.payloadLength = rd32le(b, off + 52);
  readUnion(b, off + UNION_NID16, out);
  return out;
}

export function encodeLNetHdrNid16(h: LNetHdr, b: Uint8Array, off = 0): number {
  checkRoom(b, off, LNET_HDR_NID16_SIZE, WHAT16);
  writeNid16(b, off, h.destNid);
  writeNid16(b, off + 20, h.srcNid);
  const v = u32ViewOf(b);
  const w = v ? wordIndex(b, off) : -1;
  if (w >= 0) {
    v![w + 10] = h.destPid;
    v![w + 11] = h.srcPid;
    v![w + 12] = h.type;
    v![w + 13] = h.payloadLength;
    writeUnionWords(v!, w + UNION_NID16 / 4, h);
    return LNET_HDR_NID16_SIZE;
  }
  wr32le(b, off + 40, h.destPid);
  wr32le(b, off + 44, h.srcPid);
  wr32le(b, off + 48, h.type);
  wr32le(b, off + 52, h.payloadLength);
  writeUnion(b, off + UNION_NID16, h);
  return LNET_HDR_NID16_SIZE;
}

/** Size of the header form: 96 when `nid16` (socklnd V4), else 72. */
export function lnetHdrSize(nid16: boolean): number {
  return nid16 ? LNET_HDR_NID16_SIZE : LNET_HDR_NID4_SIZE;
}

/**
 * The type and length checks lnet_parse makes before anything else (lib-move.c); a failure
 * is EPROTO and the LND closes the connection. `maxPayload` is LNET_MTU (LNET_MAX_PAYLOAD
 * equals it in 2.17), for messages to this node and routed ones alike.
 */
export function validateLNetHdr(h: LNetHdr, maxPayload = LNET_MTU): WireError | undefined {
  const what = 'LNet header';
  switch (h.type) {
    case LNetMsgType.ACK:
    case LNetMsgType.GET:
      if (h.payloadLength !== 0)
        return new WireError(what, 'bad-length', {
          found: h.payloadLength,
          message: `${formatMsgType(h.type)} with payload ${h.payloadLength >>> 0} (0 expected)`,
        });
      return undefined;
    case LNetMsgType.PUT:
    case LNetMsgType.REPLY:
      if (h.payloadLength >>> 0 > maxPayload)
        return new WireError(what, 'bad-length', {
          found: h.payloadLength,
          message: `${formatMsgType(h.type)} payload ${h.payloadLength >>> 0} (${maxPayload} max expected)`,
        });
      return undefined;
    default:
      return new WireError(what, 'bad-type', { found: h.type, message: `bad message type 0x${(h.type >>> 0).toString(16)}` });
  }
}
