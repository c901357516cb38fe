import { makeNid, nidIsAny, LNET_ANY_NID, type Nid } from './nid.js';

/**
 * The 64-bit `lnet_nid_t` as two u32 halves, so per-message code never needs BigInt:
 * `hi` is the net (`type << 16 | num`), `lo` the address.
 */
export interface Nid4 {
  readonly hi: number;
  readonly lo: number;
}

export const LNET_NID_ANY_4: Nid4 = { hi: 0xffffffff, lo: 0xffffffff };

/** lnet_nid4_to_nid */
export function nidFromNid4(hi: number, lo: number): Nid {
  if (hi === 0xffffffff && lo === 0xffffffff) return LNET_ANY_NID;
  return makeNid(hi >>> 16, hi & 0xffff, lo);
}

/**
 * lnet_nid_to_nid4: ANY stays ANY; otherwise net and the first address word. A large
 * address is truncated exactly as the kernel does; callers check nidIsNid4 first.
 */
export function nidToNid4(nid: Nid): Nid4 {
  if (nidIsAny(nid)) return LNET_NID_ANY_4;
  return { hi: ((nid.type << 16) | nid.num) >>> 0, lo: nid.addr0 };
}

export function nidToBigInt(nid: Nid): bigint {
  const n = nidToNid4(nid);
  return (BigInt(n.hi) << 32n) | BigInt(n.lo);
}

export function nidFromBigInt(v: bigint): Nid {
  const x = BigInt.asUintN(64, v);
  return nidFromNid4(Number(x >> 32n), Number(x & 0xffffffffn));
}

/** Read a nid4 stored little-endian (LNet header) at `off`. */
export function readNid4LE(buf: Uint8Array, off: number): Nid {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return nidFromNid4(dv.getUint32(off + 4, true), dv.getUint32(off, true));
}

export function writeNid4LE(buf: Uint8Array, off: number, nid: Nid): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = nidToNid4(nid);
  dv.setUint32(off, n.lo, true);
  dv.setUint32(off + 4, n.hi, true);
}
