/** A tiny seeded PRNG (mulberry32) so property and fuzz tests are repeatable. */
export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
  /** integer in [0, n) */
  int(n: number): number;
  /** unsigned 32-bit integer */
  u32(): number;
  pick<T>(xs: readonly T[]): T;
  bool(): boolean;
}

export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    u32: () => (int(0x10000) * 0x10000 + int(0x10000)) >>> 0,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!,
    bool: () => next() < 0.5,
  };
}
