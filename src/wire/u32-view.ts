/**
 * Word access for the per-message codecs. The LNet and ksock headers are little-endian runs
 * of u32 fields at 4-byte offsets, so on a little-endian host a Uint32Array over the same
 * memory reads and writes them in one operation per field instead of four byte operations
 * (about 10× cheaper per header). Callers fall back to the byte helpers when the host is
 * big-endian or the header is not 4-byte aligned.
 */

export const HOST_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// Cached on the last array seen (a send slab region or a socket chunk serves many headers in
// a row), so the `buffer`/`byteOffset` getters and the view are not redone per header.
let lastArray: Uint8Array | undefined;
let lastBase = 0;
let lastBuffer: ArrayBufferLike | undefined;
let lastView: Uint32Array = new Uint32Array(0);

/**
 * A Uint32Array over all whole words of `b`'s ArrayBuffer, or undefined on a big-endian host.
 * Use wordIndex(b, off) for the index of byte `b[off]` in it.
 */
export function u32ViewOf(b: Uint8Array): Uint32Array | undefined {
  if (b === lastArray) return lastView;
  if (!HOST_LE) return undefined;
  const buf = b.buffer;
  if (buf !== lastBuffer) {
    lastView = new Uint32Array(buf, 0, buf.byteLength >>> 2);
    lastBuffer = buf;
  }
  lastArray = b;
  lastBase = b.byteOffset;
  return lastView;
}

/** The word index of `b[off]` in u32ViewOf(b) (call that first), or -1 when not 4-byte aligned. */
export function wordIndex(b: Uint8Array, off: number): number {
  const a = (b === lastArray ? lastBase : b.byteOffset) + off;
  return (a & 3) === 0 ? a >>> 2 : -1;
}
