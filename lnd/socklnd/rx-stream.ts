import type { Iov } from '../../src/core/iov.js';

const EMPTY = Buffer.alloc(0);

/**
 * The bytes a socket has delivered and nobody has consumed yet, as the chunks the socket gave
 * us. Fixed-size headers are read in place when they sit inside one chunk and copied into a
 * reused scratch buffer when they straddle two; payload bytes that came in a chunk are copied
 * into the MD's fragments (the rest of a large payload is read straight into them:
 * read-router.ts). No per-frame concatenation.
 */
export class RxStream {
  private chunks: Buffer[] = [];
  private head = 0;
  /** Bytes available to read. */
  available = 0;
  private scratch = Buffer.allocUnsafe(128);

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /** Where the last successful peekInto found its bytes: `peekBuf[peekOff ..]`. */
  peekBuf: Buffer = EMPTY;
  peekOff = 0;

  /**
   * A view of the next `n` bytes without consuming them (valid until the next push/consume).
   * Undefined if fewer are available.
   */
  peek(n: number): { buf: Buffer; off: number } | undefined {
    return this.peekInto(n) ? { buf: this.peekBuf, off: this.peekOff } : undefined;
  }

  /**
   * peek for the per-frame path: false if fewer than `n` bytes are buffered, else true with
   * the bytes at `peekBuf[peekOff ..]` (no result object to allocate).
   */
  peekInto(n: number): boolean {
    if (this.available < n) return false;
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      this.peekBuf = first;
      this.peekOff = this.head;
      return true;
    }
    if (this.scratch.length < n) this.scratch = Buffer.allocUnsafe(Math.max(n, this.scratch.length * 2));
    let copied = 0;
    let i = 0;
    let off = this.head;
    while (copied < n) {
      const c = this.chunks[i++]!;
      const take = Math.min(n - copied, c.length - off);
      c.copy(this.scratch, copied, off, off + take);
      copied += take;
      off = 0;
    }
    // Only the n bytes that arrived: decoders size-check against the buffer they are given.
    this.peekBuf = this.scratch.subarray(0, n);
    this.peekOff = 0;
    return true;
  }

  /** Drop `n` bytes (n ≤ available). */
  consume(n: number): void {
    this.available -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      const left = first.length - this.head;
      if (n < left) {
        this.head += n;
        return;
      }
      n -= left;
      this.chunks.shift();
      this.head = 0;
    }
  }

  /**
   * Copy up to `n` bytes into `iov` at `iovOff`, consuming them; returns the number copied.
   * `onBytes` sees each piece copied (for checksums).
   */
  copyToIov(iov: Iov, iovOff: number, n: number, onBytes?: (b: Buffer, start: number, end: number) => void): number {
    let copied = 0;
    let fi = 0;
    let fo = iovOff;
    while (fi < iov.length && fo >= iov[fi]!.length) fo -= iov[fi++]!.length;
    while (copied < n && this.available > 0 && fi < iov.length) {
      const c = this.chunks[0]!;
      const frag = iov[fi]!;
      const take = Math.min(n - copied, c.length - this.head, frag.length - fo);
      frag.set(c.subarray(this.head, this.head + take), fo);
      onBytes?.(c, this.head, this.head + take);
      copied += take;
      fo += take;
      if (fo === frag.length) {
        fi++;
        fo = 0;
      }
      this.consume(take);
    }
    return copied;
  }

  /** Consume up to `n` bytes without storing them; returns the number skipped. */
  skip(n: number, onBytes?: (b: Buffer, start: number, end: number) => void): number {
    let skipped = 0;
    while (skipped < n && this.available > 0) {
      const c = this.chunks[0]!;
      const take = Math.min(n - skipped, c.length - this.head);
      onBytes?.(c, this.head, this.head + take);
      skipped += take;
      this.consume(take);
    }
    return skipped;
  }

  /**
   * `chunk` (the last one pushed) is about to be reused by its owner: if part of it is still
   * unconsumed, keep a copy of that part instead.
   */
  ownRest(chunk: Buffer): void {
    const last = this.chunks.length - 1;
    if (last < 0 || this.chunks[last] !== chunk) return;
    if (last === 0) {
      this.chunks[0] = Buffer.from(chunk.subarray(this.head));
      this.head = 0;
    } else this.chunks[last] = Buffer.from(chunk);
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.available = 0;
  }
}
