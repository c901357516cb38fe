import { LndType } from '../nid/lnd-type.js';
import type { Nid } from '../nid/nid.js';

/**
 * NID → CPT, bit-identical to lnet/lnet/api-ni.c (lnet_nid_cpt_hash, lnet_nid4_cpt_hash,
 * lnet_cpt_of_nid_locked) on a 64-bit little-endian host with the kernel's <linux/hash.h>
 * (hash_32 / hash_64 with GOLDEN_RATIO_32 / GOLDEN_RATIO_64).
 *
 * Runs per message, so it is plain 32-bit integer arithmetic: no BigInt, no allocation.
 * Micro-benchmark (Node 20.20, x86_64 dev host, 3 x 10M calls over 1024 NIDs, ncpt 1..16, loop
 * included): ~6.5 ns/call for nid4 (tcp/o2ib), ~14 ns for kfi, ~15 ns for IPv6 NIDs; --trace-gc
 * showed no collection during the runs, i.e. no allocation.
 */

/** GOLDEN_RATIO_32 (hash_32, and cfs_hash_32 which is hash_32 on current kernels). */
const GOLDEN_RATIO_32 = 0x61c88647;
/** GOLDEN_RATIO_64 = 0x61C8864680B583EB, as two u32 halves. */
const GOLDEN_RATIO_64_HI = 0x61c88646;
const GOLDEN_RATIO_64_LO = 0x80b583eb;
const TWO_32 = 4294967296;

/** LNET_CPT_BITS for `ncpt` partitions: the kernel rounds the count up to a power of two. */
export function cptBits(ncpt: number): number {
  return ncpt <= 1 ? 0 : 32 - Math.clz32(ncpt - 1);
}

/** hash_32(val, bits) = (val * GOLDEN_RATIO_32) >> (32 - bits) in u32; bits in 1..32. */
export function linuxHash32(val: number, bits: number): number {
  const x = Math.imul(val, GOLDEN_RATIO_32) >>> 0;
  return bits === 32 ? x : x >>> (32 - bits);
}

/** High 32 bits of the 64-bit product of two u32 values, exact in doubles. */
function mulHi32(a: number, b: number): number {
  const a1 = a >>> 16;
  const a0 = a & 0xffff;
  const b1 = b >>> 16;
  const b0 = b & 0xffff;
  const mid = a1 * b0 + a0 * b1; // < 2^33
  return (a1 * b1 + Math.floor((mid * 65536 + a0 * b0) / TWO_32)) >>> 0;
}

/**
 * hash_64(hi:lo, bits) on a 64-bit host = (val * GOLDEN_RATIO_64 mod 2^64) >> (64 - bits),
 * for bits in 1..32 (LNET_CPT_BITS is at most 8): only the product's high word is needed.
 */
export function linuxHash64(hi: number, lo: number, bits: number): number {
  const top =
    (mulHi32(lo, GOLDEN_RATIO_64_LO) + Math.imul(hi, GOLDEN_RATIO_64_LO) + Math.imul(lo, GOLDEN_RATIO_64_HI)) >>> 0;
  return bits === 32 ? top : top >>> (32 - bits);
}

/** The u32 value the kernel sees when it reads a big-endian address word on a little-endian host. */
function rawBE(v: number): number {
  return ((v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/**
 * lnet_nid_cpt_hash(nid, number) with the kernel's LNET_CPT_BITS passed in: `bits` is
 * that of the *whole* table (cptBits(LNET_CPT_NUMBER)), while `number` may be a smaller
 * NI/net CPT list length. Requires 1 <= number <= 2^bits.
 */
export function nidCptHash(nid: Nid, number: number, bits: number): number {
  if (number === 1) return 0;

  if (nid.size === 0) {
    // lnet_nid_to_nid4: an ANY-typed NID becomes LNET_NID_ANY (all ones)
    const any = nid.type === 0xff;
    const hi = any ? 0xffffffff : ((nid.type << 16) | nid.num) >>> 0;
    const lo = any ? 0xffffffff : nid.addr0;
    if (!any && nid.type === LndType.KFILND) {
      const cpt = linuxHash64(hi, lo, bits);
      if (cpt < number) return cpt;
      // NB: ncpt need not be a power of two: (key + cpt + cpt/2) mod 2^64, then mod number
      let l = lo + cpt + (cpt >>> 1);
      let h = hi;
      if (l >= TWO_32) {
        l -= TWO_32;
        h = (h + 1) >>> 0;
      }
      return ((h % number) * TWO_32 + l) % number;
    }
    // Sum of the eight bytes of the 64-bit NID (the kernel's pairwise multiply trick), mod number.
    const sum =
      (hi & 0xff) + ((hi >>> 8) & 0xff) + ((hi >>> 16) & 0xff) + (hi >>> 24) +
      (lo & 0xff) + ((lo >>> 8) & 0xff) + ((lo >>> 16) & 0xff) + (lo >>> 24);
    return sum % number;
  }

  // Large NID: chain hash_32(…, 32) over the four raw address words, then the net.
  let h = Math.imul(rawBE(nid.addr0), GOLDEN_RATIO_32);
  h = Math.imul(rawBE(nid.addr1) ^ h, GOLDEN_RATIO_32);
  h = Math.imul(rawBE(nid.addr2) ^ h, GOLDEN_RATIO_32);
  h = Math.imul(rawBE(nid.addr3) ^ h, GOLDEN_RATIO_32) >>> 0;
  const net = nid.type === 0xff ? 0xffffffff : ((nid.type << 16) | nid.num) >>> 0;
  const val = (Math.imul(net ^ h, GOLDEN_RATIO_32) >>> 0) >>> (32 - bits);
  if (val < number) return val;
  return ((h + val + (val >>> 1)) >>> 0) % number;
}

/**
 * The CPT of a NID in a table of `ncpt` partitions when no NI/net restricts it
 * (lnet_nid_cpt_hash(nid, LNET_CPT_NUMBER), as `lnetctl cpt-of-nid` reports). 1 → 0.
 */
export function cptOfNid(nid: Nid, ncpt: number): number {
  if (ncpt <= 1) return 0;
  return nidCptHash(nid, ncpt, 32 - Math.clz32(ncpt - 1));
}

/**
 * lnet_cpt_of_nid_locked: with the NI's (or net's) CPT list, hash within the list and return
 * the CPT it names; without a list, hash over all `ncpt` partitions.
 */
export function cptOfNidIn(nid: Nid, ncpt: number, cpts: readonly number[] | null | undefined): number {
  if (ncpt <= 1) return 0;
  const bits = 32 - Math.clz32(ncpt - 1);
  if (cpts) return cpts[nidCptHash(nid, cpts.length, bits)] as number;
  return nidCptHash(nid, ncpt, bits);
}
