import { LNetError } from '../errors.js';
import { LNET_NID_BYTES } from '../nid/nid-bytes.js';
import { makeNid, nidIsAny, type Nid } from '../nid/nid.js';
import { nidFromNid4 } from '../nid/nid4.js';
import { rd32be, rd64hi, rd64lo, wr16be, wr32be, wr64 } from './bytes.js';

/**
 * NID fields as they sit inside wire structures: the 8-byte nid4 (LE, or the sender's order)
 * and the 20-byte `struct lnet_nid` (never swapped). Decoded NIDs are memoised in small
 * direct-mapped caches so that a steady stream of headers between the same peers decodes
 * without allocating new NID objects (NIDs are immutable, so sharing them is safe).
 */

const CACHE = 64;
const n4Hi = new Uint32Array(CACHE);
const n4Lo = new Uint32Array(CACHE);
const n4Nid: (Nid | undefined)[] = new Array<Nid | undefined>(CACHE).fill(undefined);

/** A nid4 at `o`: little-endian u64, or big-endian when the sender's magic was swapped. */
export function readNid4(b: Uint8Array, o: number, flip = false): Nid {
  return nid4FromWords(rd64lo(b, o, flip), rd64hi(b, o, flip));
}

/** The NID of a nid4 given as its two u32 halves (memoised like readNid4). */
export function nid4FromWords(lo: number, hi: number): Nid {
  const slot = (lo ^ hi ^ (hi >>> 16)) & (CACHE - 1);
  const hit = n4Nid[slot];
  if (hit !== undefined && n4Lo[slot] === lo && n4Hi[slot] === hi) return hit;
  const nid = nidFromNid4(hi, lo);
  n4Lo[slot] = lo;
  n4Hi[slot] = hi;
  n4Nid[slot] = nid;
  return nid;
}

/**
 * Write a nid4. A large-address NID cannot be represented; the kernel would silently truncate
 * it (lnet_nid_to_nid4), which misroutes, so this refuses with EINVAL instead.
 */
export function writeNid4(b: Uint8Array, o: number, nid: Nid, flip = false): void {
  const hi = nid4Hi(nid);
  wr64(b, o, nid4Lo(nid), hi, flip);
}

/** The high u32 of a NID's nid4 form (net type and number; all ones for ANY); EINVAL for a large address. */
export function nid4Hi(nid: Nid): number {
  if (nidIsAny(nid)) return 0xffffffff;
  if (nid.size !== 0) throw new LNetError('EINVAL', 'a large-address NID does not fit a 64-bit nid field');
  return ((nid.type << 16) | nid.num) >>> 0;
}

/** The low u32 of a NID's nid4 form (the address; all ones for ANY). Call nid4Hi to validate. */
export function nid4Lo(nid: Nid): number {
  return nidIsAny(nid) ? 0xffffffff : nid.addr0;
}

const n16Key = new Uint32Array(CACHE * 5);
const n16Nid: (Nid | undefined)[] = new Array<Nid | undefined>(CACHE).fill(undefined);

/**
 * A 20-byte `struct lnet_nid` at `o` (caller checked 20 bytes are there). Same acceptance as
 * decodeNidBytes: undefined if the size byte exceeds 12 or padding past the address is not
 * zero, except that any NID with type 0xff is ANY and taken as is.
 */
export function readNid16(b: Uint8Array, o: number): Nid | undefined {
  const head = rd32be(b, o);
  const a0 = rd32be(b, o + 4);
  const a1 = rd32be(b, o + 8);
  const a2 = rd32be(b, o + 12);
  const a3 = rd32be(b, o + 16);
  const slot = (head ^ a0 ^ a3 ^ (a0 >>> 8)) & (CACHE - 1);
  const k = slot * 5;
  const hit = n16Nid[slot];
  if (
    hit !== undefined &&
    n16Key[k] === head &&
    n16Key[k + 1] === a0 &&
    n16Key[k + 2] === a1 &&
    n16Key[k + 3] === a2 &&
    n16Key[k + 4] === a3
  )
    return hit;
  const size = head >>> 24;
  const type = (head >>> 16) & 0xff;
  if (type !== 0xff) {
    if (size > 12) return undefined;
    for (let i = o + 8 + size; i < o + LNET_NID_BYTES; i++) if (b[i] !== 0) return undefined;
  }
  const nid = makeNid(type, head & 0xffff, a0, size, a1, a2, a3);
  n16Key[k] = head;
  n16Key[k + 1] = a0;
  n16Key[k + 2] = a1;
  n16Key[k + 3] = a2;
  n16Key[k + 4] = a3;
  n16Nid[slot] = nid;
  return nid;
}

export function writeNid16(b: Uint8Array, o: number, nid: Nid): void {
  b[o] = nid.size & 0xff;
  b[o + 1] = nid.type & 0xff;
  wr16be(b, o + 2, nid.num);
  wr32be(b, o + 4, nid.addr0);
  wr32be(b, o + 8, nid.addr1);
  wr32be(b, o + 12, nid.addr2);
  wr32be(b, o + 16, nid.addr3);
}
