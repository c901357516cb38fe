/**
 * Allocation-free integer access to byte arrays. Codecs read Buffers (or any Uint8Array) at an
 * offset without building a DataView per call; 64-bit values travel as u32 halves so no BigInt is
 * needed on the message path. Callers check bounds first: these helpers do not.
 */

export function rd8(b: Uint8Array, o: number): number {
  return b[o]!;
}

export function rd16le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

export function rd16be(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function rd32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

export function rd32be(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** A u32 in the sender's order: little-endian unless `flip` says the sender was big-endian. */
export function rd32(b: Uint8Array, o: number, flip: boolean): number {
  return flip ? rd32be(b, o) : rd32le(b, o);
}

export function wr8(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
}

export function wr16le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

export function wr16be(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function wr32le(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

export function wr32be(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

export function wr32(b: Uint8Array, o: number, v: number, flip: boolean): void {
  if (flip) wr32be(b, o, v);
  else wr32le(b, o, v);
}

/**
 * A u64 as {lo, hi} halves in the sender's order. Little-endian: lo at o, hi at o+4.
 * Big-endian (flip): hi at o, lo at o+4, each half big-endian.
 */
export function rd64lo(b: Uint8Array, o: number, flip: boolean): number {
  return flip ? rd32be(b, o + 4) : rd32le(b, o);
}

export function rd64hi(b: Uint8Array, o: number, flip: boolean): number {
  return flip ? rd32be(b, o) : rd32le(b, o + 4);
}

export function wr64(b: Uint8Array, o: number, lo: number, hi: number, flip: boolean): void {
  if (flip) {
    wr32be(b, o, hi);
    wr32be(b, o + 4, lo);
  } else {
    wr32le(b, o, lo);
    wr32le(b, o + 4, hi);
  }
}

export function swab32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** Signed view of a u32 (SOCKLND_CONN_NONE travels as 0xffffffff and means -1). */
export function toInt32(v: number): number {
  return v | 0;
}

export function fillZero(b: Uint8Array, from: number, to: number): void {
  b.fill(0, from, to);
}
