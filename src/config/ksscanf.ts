/**
 * The subset of the kernel's vsscanf (lib/vsprintf.c) that config.c relies on: `%u`, `%d`,
 * `%n`, literal characters and format whitespace. The quirks matter for what the module
 * parameters accept: `%u` takes no sign, numbers are not range-checked (they wrap to 32 bits),
 * and leading whitespace in the input is skipped before a number.
 */
import { isCSpace } from '../nid/kstrto.js';

export interface ScanResult {
  /** How many `%u`/`%d` conversions were stored (the sscanf return value). */
  readonly count: number;
  /** The converted values, in order: u32 for `%u`, s32 for `%d`. */
  readonly values: readonly number[];
  /** The value of each `%n` that was reached, in order. */
  readonly consumed: readonly number[];
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** Digits from `i`, wrapping modulo 2^64 as simple_strntoull does. */
function readDigits(str: string, i: number): { v: bigint; end: number } {
  let v = 0n;
  let j = i;
  while (isDigit(str[j])) {
    v = (v * 10n + BigInt(str.charCodeAt(j) - 48)) & 0xffffffffffffffffn;
    j++;
  }
  return { v, end: j };
}

export function ksscanf(str: string, fmt: string): ScanResult {
  const values: number[] = [];
  const consumed: number[] = [];
  let s = 0;
  let f = 0;
  while (f < fmt.length) {
    if (isCSpace(fmt[f])) {
      while (isCSpace(fmt[f])) f++;
      while (isCSpace(str[s])) s++;
      continue;
    }
    if (fmt[f] !== '%') {
      if (fmt[f] !== str[s]) break;
      f++;
      s++;
      continue;
    }
    const conv = fmt[f + 1];
    f += 2;
    if (conv === 'n') {
      consumed.push(s);
      continue;
    }
    if (s >= str.length) break;
    if (conv !== 'u' && conv !== 'd') throw new Error(`ksscanf: unsupported conversion %${conv}`);
    while (isCSpace(str[s])) s++;
    const neg = conv === 'd' && str[s] === '-';
    const first = neg ? s + 1 : s;
    if (!isDigit(str[first])) break;
    const { v, end } = readDigits(str, first);
    const wrapped = neg ? (-v) & 0xffffffffffffffffn : v;
    // Stored through an int / unsigned int: keep the low 32 bits.
    values.push(conv === 'u' ? Number(BigInt.asUintN(32, wrapped)) : Number(BigInt.asIntN(32, wrapped)));
    s = end;
  }
  return { count: values.length, values, consumed };
}

/** `sscanf(str, "%u%n") >= 1 && n == strlen(str)`: the whole string is one unsigned number. */
export function scanWholeUnsigned(str: string): number | undefined {
  const r = ksscanf(str, '%u%n');
  return r.count === 1 && r.consumed[0] === str.length ? r.values[0] : undefined;
}
