/**
 * Buffers as the kernel's kvec/kiov lists: an MD's memory is one or more fragments, and an
 * offset into the list addresses a byte across fragment boundaries.
 */
export type Iov = readonly Uint8Array[];
// (Fragment sizes are read as .length: the same for a Uint8Array, and an inlined load where
// byteLength is a call in Node 20's V8.)

export function iovLength(iov: Iov): number {
  let n = 0;
  for (const f of iov) n += f.length;
  return n;
}

/** Copy `len` bytes from (src, srcOff) to (dst, dstOff) across fragments. Returns bytes copied. */
export function iovCopy(dst: Iov, dstOff: number, src: Iov, srcOff: number, len: number): number {
  let di = 0;
  while (di < dst.length && dstOff >= dst[di]!.length) dstOff -= dst[di++]!.length;
  let si = 0;
  while (si < src.length && srcOff >= src[si]!.length) srcOff -= src[si++]!.length;
  let left = len;
  while (left > 0 && di < dst.length && si < src.length) {
    const d = dst[di]!;
    const s = src[si]!;
    const n = Math.min(left, d.length - dstOff, s.length - srcOff);
    d.set(s.subarray(srcOff, srcOff + n), dstOff);
    left -= n;
    dstOff += n;
    srcOff += n;
    if (dstOff === d.length) {
      di++;
      dstOff = 0;
    }
    if (srcOff === s.length) {
      si++;
      srcOff = 0;
    }
  }
  return len - left;
}

/** Views (no copy) of `len` bytes at `off`, for writev. */
export function iovSlice(iov: Iov, off: number, len: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < iov.length && off >= iov[i]!.length) off -= iov[i++]!.length;
  while (len > 0 && i < iov.length) {
    const f = iov[i++]!;
    const n = Math.min(len, f.length - off);
    out.push(f.subarray(off, off + n));
    len -= n;
    off = 0;
  }
  return out;
}

/**
 * A view (no copy) of up to `len` bytes at `off`, within the one fragment holding byte `off`
 * (it stops at that fragment's end); undefined when `off` is past the end of the list.
 */
export function iovSpanAt(iov: Iov, off: number, len: number): Uint8Array | undefined {
  for (const f of iov) {
    if (off < f.length) return f.subarray(off, off + Math.min(len, f.length - off));
    off -= f.length;
  }
  return undefined;
}

/** Copy bytes from a flat source (e.g. a socket read buffer) into an iov. */
export function iovWrite(dst: Iov, dstOff: number, src: Uint8Array): number {
  return iovCopy(dst, dstOff, [src], 0, src.length);
}
