/**
 * Buffers as the kernel's kvec/kiov lists: an MD's memory is one or more fragments, and an
 * offset into the list addresses a byte across fragment boundaries.
 */
export type Iov = readonly Uint8Array[];

export function iovLength(iov: Iov): number {
  let n = 0;
  for (const f of iov) n += f.byteLength;
  return n;
}

/** Copy `len` bytes from (src, srcOff) to (dst, dstOff) across fragments. Returns bytes copied. */
export function iovCopy(dst: Iov, dstOff: number, src: Iov, srcOff: number, len: number): number {
  let di = 0;
  while (di < dst.length && dstOff >= dst[di]!.byteLength) dstOff -= dst[di++]!.byteLength;
  let si = 0;
  while (si < src.length && srcOff >= src[si]!.byteLength) srcOff -= src[si++]!.byteLength;
  let left = len;
  while (left > 0 && di < dst.length && si < src.length) {
    const d = dst[di]!;
    const s = src[si]!;
    const n = Math.min(left, d.byteLength - dstOff, s.byteLength - srcOff);
    d.set(s.subarray(srcOff, srcOff + n), dstOff);
    left -= n;
    dstOff += n;
    srcOff += n;
    if (dstOff === d.byteLength) {
      di++;
      dstOff = 0;
    }
    if (srcOff === s.byteLength) {
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
  while (i < iov.length && off >= iov[i]!.byteLength) off -= iov[i++]!.byteLength;
  while (len > 0 && i < iov.length) {
    const f = iov[i++]!;
    const n = Math.min(len, f.byteLength - off);
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
    if (off < f.byteLength) return f.subarray(off, off + Math.min(len, f.byteLength - off));
    off -= f.byteLength;
  }
  return undefined;
}

/** Copy bytes from a flat source (e.g. a socket read buffer) into an iov. */
export function iovWrite(dst: Iov, dstOff: number, src: Uint8Array): number {
  return iovCopy(dst, dstOff, [src], 0, src.byteLength);
}
