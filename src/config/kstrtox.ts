/**
 * The kernel's kstrto*() number readers (lib/kstrtox.c semantics) with their errno, because
 * module-parameter setters pass that errno straight back to insmod: EINVAL for text that is
 * not a number, ERANGE for a number that does not fit.
 */

export type KstrtoxErrno = 'EINVAL' | 'ERANGE';
export type KstrtoxResult = { ok: true; value: bigint } | { ok: false; errno: KstrtoxErrno };

const U64_MAX = (1n << 64n) - 1n;
const S64_MAX = (1n << 63n) - 1n;

function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return 99;
}

const isXDigit = (c: string | undefined): boolean => c !== undefined && digitValue(c) < 16;

/** _parse_integer_fixup_radix: base 0 picks 16 for `0x<hexdigit>`, 8 for a leading 0, else 10. */
function fixupRadix(s: string, base: number): { base: number; start: number } {
  let b = base;
  if (b === 0) {
    if (s[0] === '0') b = (s[1] === 'x' || s[1] === 'X') && isXDigit(s[2]) ? 16 : 8;
    else b = 10;
  }
  const start = b === 16 && s[0] === '0' && (s[1] === 'x' || s[1] === 'X') ? 2 : 0;
  return { base: b, start };
}

/** _kstrtoull: no sign accepted here; one trailing newline allowed; nothing else after the digits. */
function kstrtoullNoSign(s: string, base: number): KstrtoxResult {
  const { base: b, start } = fixupRadix(s, base);
  let i = start;
  let v = 0n;
  let overflow = false;
  const bb = BigInt(b);
  for (; i < s.length; i++) {
    const d = digitValue(s[i]!);
    if (d >= b) break;
    v = v * bb + BigInt(d);
    if (v > U64_MAX) {
      overflow = true;
      v &= U64_MAX;
    }
  }
  if (overflow) return { ok: false, errno: 'ERANGE' };
  if (i === start) return { ok: false, errno: 'EINVAL' };
  if (s[i] === '\n') i++;
  if (i !== s.length) return { ok: false, errno: 'EINVAL' };
  return { ok: true, value: v };
}

/** kstrtoull: an optional single leading '+'. */
export function kstrtoull(s: string, base = 0): KstrtoxResult {
  return kstrtoullNoSign(s[0] === '+' ? s.slice(1) : s, base);
}

/** kstrtoul on a 64-bit kernel (the only kind ulnet models). */
export const kstrtoul = kstrtoull;

/** kstrtoll: '-' or '+' (not both), then as kstrtoull; the result must fit in s64. */
export function kstrtoll(s: string, base = 0): KstrtoxResult {
  if (s[0] === '-') {
    const r = kstrtoullNoSign(s.slice(1), base);
    if (!r.ok) return r;
    if (r.value > S64_MAX + 1n) return { ok: false, errno: 'ERANGE' };
    return { ok: true, value: -r.value };
  }
  const r = kstrtoull(s, base);
  if (!r.ok) return r;
  if (r.value > S64_MAX) return { ok: false, errno: 'ERANGE' };
  return r;
}

/** kstrtoint: kstrtoll, then ERANGE unless it fits in a C int. */
export function kstrtoint(s: string, base = 0): KstrtoxResult {
  const r = kstrtoll(s, base);
  if (!r.ok) return r;
  if (r.value < -(1n << 31n) || r.value > (1n << 31n) - 1n) return { ok: false, errno: 'ERANGE' };
  return r;
}

/** kstrtouint: kstrtoull, then ERANGE unless it fits in a C unsigned int. */
export function kstrtouint(s: string, base = 0): KstrtoxResult {
  const r = kstrtoull(s, base);
  if (!r.ok) return r;
  if (r.value > 0xffffffffn) return { ok: false, errno: 'ERANGE' };
  return r;
}
