/**
 * The bracketed number-list syntax of cpu_pattern, as libcfs parses it
 * (lnet/lnet/nidstrings.c cfs_expr_list_parse / cfs_range_expr_parse, with kstrtouint for
 * each number): `[a, b-c, d-e/s, *]`. Reimplemented from the kernel's behaviour so that the
 * same inputs succeed and fail; positions are reported in the caller's string.
 */
import { isCSpace, kstrtouint } from '../nid/kstrto.js';

/** One element of a list: lo..hi every `stride`; `pos` is where its text starts. */
export interface RangeExpr {
  readonly lo: number;
  readonly hi: number;
  readonly stride: number;
  readonly pos: number;
}

export interface ExprListError {
  readonly pos: number;
  readonly reason: string;
}

export { isCSpace as isSpace, kstrtouint } from '../nid/kstrto.js';

export function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

/** strim(): [start, end) of `s` with leading and trailing whitespace removed. */
function trimRange(s: string, start: number, end: number): [number, number] {
  while (end > start && isCSpace(s[end - 1])) end--;
  while (start < end && isCSpace(s[start])) start++;
  return [start, end];
}

type RangeResult = { lo: number; hi: number; stride: number } | string;

/** cfs_range_expr_parse(bracketed=1) on an already split element. Returns a reason on failure. */
function parseRange(tok: string, max: number): RangeResult {
  const [a, b] = trimRange(tok, 0, tok.length);
  const src = tok.slice(a, b);
  if (src === '*') return { lo: 0, hi: max, stride: 1 };

  const single = kstrtouint(src);
  if (single !== undefined) {
    if (single > max) return `${single} is out of range 0..${max}`;
    return { lo: single, hi: single, stride: 1 };
  }

  const dash = src.indexOf('-');
  if (dash < 0) return `'${src}' is not a number, a range or '*'`;
  const loText = src.slice(...trimRange(src, 0, dash));
  const lo = kstrtouint(loText);
  if (lo === undefined) return `range start '${loText}' is not a number`;
  if (lo > max) return `${lo} is out of range 0..${max}`;

  // The kernel trims the tail in place before trying it as a number, so a failed attempt
  // leaves the trailing blanks cut off for the stride split below; the result is the same.
  const rest = src.slice(dash + 1);
  const hiOnly = kstrtouint(rest.slice(...trimRange(rest, 0, rest.length)));
  let hi: number;
  let stride = 1;
  if (hiOnly !== undefined) {
    if (hiOnly > max) return `${hiOnly} is out of range 0..${max}`;
    hi = hiOnly;
  } else {
    const slash = rest.indexOf('/');
    if (slash < 0) return `range end '${rest.trim()}' is not a number`;
    const hiText = rest.slice(...trimRange(rest, 0, slash));
    const h = kstrtouint(hiText);
    if (h === undefined) return `range end '${hiText}' is not a number`;
    if (h > max) return `${h} is out of range 0..${max}`;
    hi = h;
    const strideText = rest.slice(...trimRange(rest, slash + 1, rest.length));
    const st = kstrtouint(strideText);
    if (st === undefined) return `stride '${strideText}' is not a number`;
    // the kernel checks a stride against the same bounds as the numbers
    if (st > max) return `stride ${st} is out of range 0..${max}`;
    stride = st;
  }
  if (lo > hi) return `range ${lo}-${hi} runs backwards`;
  return { lo, hi, stride };
}

/**
 * Parse the list between s[open] === '[' and s[close] === ']' with every number in 0..max.
 * Elements are split on ',' before trimming, so an empty element (`[]`, `[1,]`) fails.
 */
export function parseExprList(s: string, open: number, close: number, max: number): RangeExpr[] | ExprListError {
  const out: RangeExpr[] = [];
  let start = open + 1;
  for (;;) {
    let comma = s.indexOf(',', start);
    if (comma < 0 || comma > close) comma = close;
    if (comma === start) return { pos: start, reason: 'empty list element' };
    const r = parseRange(s.slice(start, comma), max);
    const [pos] = trimRange(s, start, comma);
    if (typeof r === 'string') return { pos, reason: r };
    out.push({ ...r, pos });
    if (comma === close) return out;
    start = comma + 1;
  }
}
