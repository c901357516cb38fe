import { LNetError } from '../errors.js';

/** A 64-bit value at the API boundary: a bigint, or a non-negative safe integer. */
export type U64 = bigint | number;

/** Split into u32 halves (no BigInt work for plain numbers), validated as u64Lo does. */
export function u64Split(v: U64, what: string): [lo: number, hi: number] {
  const lo = u64Lo(v, what);
  return [lo, u64Hi(v)];
}

export function u64Join(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * The last bigint u64Lo split, and its halves: callers pass the same match bits message
 * after message (a ping's 0x8000000000000000n, a stream's 0n), and converting one costs a
 * runtime call (two BigInt allocations above 32 bits). Comparing bigints allocates nothing.
 */
let lastBig = 0n;
let lastLo = 0;
let lastHi = 0;

/** The low u32 of a 64-bit API value, validating it as u64Split does (without an array). */
export function u64Lo(v: U64, what: string): number {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) badU64(what, 'must be a non-negative integer or a bigint');
    return v >>> 0;
  }
  if (v === lastBig) return lastLo;
  return u64LoBig(v, what);
}

/** u64Lo of a bigint not seen last time (out of line: u64Lo stays small enough to inline). */
function u64LoBig(v: bigint, what: string): number {
  if (v >= 0n && v <= 0xffffffffn) {
    lastLo = Number(v);
    lastHi = 0;
  } else {
    if (v < 0n || v > 0xffffffffffffffffn) badU64(what, 'must fit in 64 bits');
    lastLo = Number(v & 0xffffffffn);
    lastHi = Number(v >> 32n);
  }
  lastBig = v;
  return lastLo;
}

function badU64(what: string, problem: string): never {
  throw new LNetError('EINVAL', `${what} ${problem}`);
}

/** The high u32 of a value u64Lo accepted. */
export function u64Hi(v: U64): number {
  if (typeof v === 'number') return Math.floor(v / 0x100000000) >>> 0;
  if (v === lastBig) return lastHi;
  return v <= 0xffffffffn ? 0 : Number(v >> 32n);
}
