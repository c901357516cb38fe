/**
 * Word access for the per-message codecs. The LNet and ksock headers are little-endian runs
 * of u32 fields at 4-byte offsets, so on a little-endian host a Uint32Array over the same
 * memory reads and writes them in one operation per field instead of four byte operations
 * (about 10× cheaper per header). Callers fall back to the byte helpers when the host is
 * big-endian or the header is not 4-byte aligned.
 */

export const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// One view per ArrayBuffer, cached on the last one seen: a send slab or a socket chunk serves
// many headers in a row.
let lastBuffer: ArrayBufferLike | undefined;
let lastView: Uint32Array = new Uint32Array(0);

/**
 * A Uint32Array over all whole words of `b`'s ArrayBuffer, or undefined on a big-endian host.
 * Word index of byte `b[off]` is `(b.byteOffset + off) >> 2` when that sum is a multiple of 4.
 */
export function u32ViewOf(b: Uint8Array): Uint32Array | undefined {
  if (!HOST_LE) return undefined;
  const buf = b.buffer;
  if (buf !== lastBuffer) {
    lastView = new Uint32Array(buf, 0, buf.byteLength >>> 2);
    lastBuffer = buf;
  }
  return lastView;
}

/** The word index of `b[off]` in u32ViewOf(b), or -1 when it is not 4-byte aligned. */
export function wordIndex(b: Uint8Array, off: number): number {
  const a = b.byteOffset + off;
  return (a & 3) === 0 ? a >>> 2 : -1;
}
