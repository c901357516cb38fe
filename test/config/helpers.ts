/** Shared helpers for the config tests: error expectations and a seeded fuzzing PRNG. */
import { readFileSync } from 'node:fs';
import type { Test } from 'tap';
import { LNetError, ParseError } from '../../src/errors.js';

export const INTEROP = new URL('../../../shared/interop/kernel-2.17.0/', import.meta.url);

export function readInterop(name: string): string {
  return readFileSync(new URL(name, INTEROP), 'utf8');
}

/** Run `fn`, which must throw an LNetError; returns it for further checks. */
export function expectLNetError(t: Test, fn: () => unknown, code: string, msg: string): LNetError | undefined {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof LNetError)) {
      t.fail(`${msg}: threw a non-LNetError ${String(e)}`);
      return undefined;
    }
    t.equal(e.code, code, `${msg}: errno ${code}`);
    return e;
  }
  t.fail(`${msg}: did not throw`);
  return undefined;
}

/** As expectLNetError, but the error must be a ParseError at `position` when given. */
export function expectParseError(t: Test, fn: () => unknown, code: string, position: number | undefined, msg: string): ParseError | undefined {
  const e = expectLNetError(t, fn, code, msg);
  if (!e) return undefined;
  if (!(e instanceof ParseError)) {
    t.fail(`${msg}: not a ParseError`);
    return undefined;
  }
  if (position !== undefined) t.equal(e.position, position, `${msg}: position ${position}`);
  return e;
}

/**
 * Fuzz helper: `fn` must return or throw an LNetError (ParseError included). Anything else
 * is recorded as a failure with the input.
 */
export function total(fn: () => unknown): { ok: true; value: unknown } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    return { ok: false, error: e };
  }
}

/** A seeded PRNG (xoshiro128**, seeded through splitmix32) so fuzz runs are repeatable. */
export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    // splitmix32 to spread the seed over the state.
    let x = seed >>> 0;
    const mix = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = mix();
    this.s1 = mix();
    this.s2 = mix();
    this.s3 = mix() | 1;
  }

  /** xoshiro128** step: an unsigned 32-bit value. */
  u32(): number {
    const result = Math.imul(((Math.imul(this.s1, 5) << 7) | (Math.imul(this.s1, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = ((this.s3 << 11) | (this.s3 >>> 21)) >>> 0;
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  /** A random string of up to `max` characters drawn from `alphabet`. */
  string(alphabet: string, max: number): string {
    const n = this.int(max + 1);
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  /** A few random edits (insert, delete, replace, duplicate a slice) of `s`. */
  mutate(s: string, alphabet: string): string {
    let out = s;
    const edits = 1 + this.int(4);
    for (let k = 0; k < edits; k++) {
      const at = this.int(out.length + 1);
      switch (this.int(4)) {
        case 0:
          out = out.slice(0, at) + alphabet[this.int(alphabet.length)] + out.slice(at);
          break;
        case 1:
          out = out.slice(0, at) + out.slice(at + 1);
          break;
        case 2:
          out = out.slice(0, at) + alphabet[this.int(alphabet.length)] + out.slice(at + 1);
          break;
        default: {
          const len = this.int(8);
          out = out.slice(0, at) + out.slice(at, at + len) + out.slice(at);
        }
      }
    }
    return out;
  }
}

/** Check that a fuzz outcome is a value or an LNetError; returns false (after failing) otherwise. */
export function checkTotal(t: Test, r: ReturnType<typeof total>, input: string): boolean {
  if (r.ok) return true;
  if (r.error instanceof LNetError) return true;
  t.fail(`unexpected ${r.error instanceof Error ? r.error.stack : String(r.error)} for input ${JSON.stringify(input)}`);
  return false;
}
