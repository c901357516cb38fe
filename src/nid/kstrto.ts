/**
 * The kernel's number readers, as module-parameter and NID-range parsers rely on them
 * (lib/kstrtox.c semantics). Pure; return undefined instead of an errno.
 */

/** isspace() of the kernel/C locale, ASCII only. */
export const isCSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

/** strim(): drop leading and trailing C whitespace. */
export function strim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isCSpace(s[a])) a++;
  while (b > a && isCSpace(s[b - 1])) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

const DIGITS = '0123456789abcdef';

/**
 * kstrtouint(s, base): an optional '+', then (base 0) `0x` hex, leading-`0` octal or decimal;
 * every remaining character must be a digit, except one final '\n'. No other whitespace, no
 * '-'. Values above `max` (default UINT_MAX) are refused, as -ERANGE would be.
 */
export function kstrtouint(s: string, base: 0 | 8 | 10 | 16 = 0, max = 0xffffffff): number | undefined {
  let i = 0;
  if (s[i] === '+') i++;
  let b: number = base;
  const hexPrefix = s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X');
  if (b === 0) {
    // "0x" needs a hex digit after it to mean hex; otherwise the 0 starts an octal number.
    if (hexPrefix && s[i + 2] !== undefined && DIGITS.includes(s[i + 2]!.toLowerCase())) b = 16;
    else b = s[i] === '0' ? 8 : 10;
  }
  if (b === 16 && hexPrefix) i += 2;
  let end = s.length;
  if (s[end - 1] === '\n') end--;
  if (i >= end) return undefined;
  let v = 0;
  for (; i < end; i++) {
    const d = DIGITS.indexOf(s[i]!.toLowerCase());
    if (d < 0 || d >= b) return undefined;
    v = v * b + d;
    if (v > max) return undefined; // stop early: no precision loss on long inputs
  }
  return v;
}
