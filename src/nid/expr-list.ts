/**
 * `cfs_expr_list`: a number, `*`, or a bracketed comma list of ranges, as the kernel parses it
 * (lnet/lnet/nidstrings.c cfs_expr_list_parse / cfs_range_expr_parse; the userspace copy in
 * libcfs/libcfs/util/string.c prints the same way).
 *
 *   expr-list := range-nb | '[' range { ',' range } ']'
 *   range-nb  := '*' | n                         (outside brackets)
 *   range     := '*' | n | n '-' m | n '-' m '/' s
 *
 * Numbers are read as kstrtouint(base 0) reads them: decimal, 0x hex or leading-0 octal,
 * an optional '+'. Whitespace around each range and around '-' and '/' is ignored.
 */
import { LNetError, ParseError } from '../errors.js';
import { isCSpace, kstrtouint } from './kstrto.js';

export interface ExprRange {
  lo: number;
  hi: number;
  stride: number;
}
export type ExprList = readonly ExprRange[];

const WHAT = 'expression list';

/** A slice of the input with its offset, so errors can point at the right column. */
interface Span {
  s: string;
  at: number;
}

function trimSpan(sp: Span): Span {
  let a = 0;
  let b = sp.s.length;
  while (a < b && isCSpace(sp.s[a])) a++;
  while (b > a && isCSpace(sp.s[b - 1])) b--;
  return { s: sp.s.slice(a, b), at: sp.at + a };
}

/** Split at the first `ch`, as strsep does; `rest` is undefined when there is none. */
function splitFirst(sp: Span, ch: string): { head: Span; rest: Span | undefined } {
  const i = sp.s.indexOf(ch);
  if (i < 0) return { head: sp, rest: undefined };
  return { head: { s: sp.s.slice(0, i), at: sp.at }, rest: { s: sp.s.slice(i + 1), at: sp.at + i + 1 } };
}

type Fail = (pos: number, reason: string) => never;

function readBound(sp: Span, min: number, max: number, what: string, fail: Fail): number {
  const t = trimSpan(sp);
  if (t.s.length === 0) fail(t.at, `missing ${what}`);
  const n = kstrtouint(t.s);
  if (n === undefined) fail(t.at, `${what} '${t.s}' is not a number`);
  if (n < min || n > max) fail(t.at, `${what} ${n} is out of range ${min}-${max}`);
  return n;
}

/** cfs_range_expr_parse: one range; the '-' and '/' forms only when `bracketed`. */
function parseRange(raw: Span, min: number, max: number, bracketed: boolean, fail: Fail): ExprRange {
  const sp = trimSpan(raw);
  let r: ExprRange;
  if (sp.s === '*') {
    r = { lo: min, hi: max, stride: 1 };
  } else if (!bracketed || !sp.s.includes('-')) {
    if (sp.s.length === 0) fail(sp.at, 'empty range');
    const n = readBound(sp, min, max, 'value', fail);
    r = { lo: n, hi: n, stride: 1 };
  } else {
    const { head, rest } = splitFirst(sp, '-');
    const lo = readBound(head, min, max, 'range start', fail);
    const { head: hiSp, rest: strideSp } = splitFirst(rest!, '/');
    const hi = readBound(hiSp, min, max, 'range end', fail);
    let stride = 1;
    if (strideSp) {
      // The kernel bounds the stride like a value; it does not refuse 0, but would then
      // divide by zero when matching, so 0 is refused here.
      stride = readBound(strideSp, min, max, 'stride', fail);
      if (stride === 0) fail(trimSpan(strideSp).at, 'stride must be at least 1');
    }
    r = { lo, hi, stride };
  }
  if (r.lo > r.hi) fail(sp.at, `range start ${r.lo} is above its end ${r.hi}`);
  return r;
}

/**
 * cfs_expr_list_parse with bounds [min, max] (both within 0..UINT_MAX). The brackets must be
 * the very first and last characters (no whitespace outside them); an empty element (`[1,,2]`,
 * `[]`, `[1,]`) is refused. Throws ParseError (EINVAL).
 */
export function parseExprList(text: string, min: number, max: number): ExprList {
  const fail: Fail = (pos, reason) => {
    throw new ParseError(WHAT, text, pos, reason);
  };
  if (text.length > 1 && text[0] === '[' && text[text.length - 1] === ']') {
    const out: ExprRange[] = [];
    let cur: Span | undefined = { s: text.slice(1, -1), at: 1 };
    while (cur) {
      const { head, rest } = splitFirst(cur, ',');
      if (trimSpan(head).s.length === 0) fail(head.at, 'empty element in list');
      out.push(parseRange(head, min, max, true, fail));
      cur = rest;
    }
    return out;
  }
  if (text.includes('[') || text.includes(']')) {
    const t = text.trim();
    const reason = t.startsWith('[') && t.endsWith(']') ? "'[' and ']' must be the first and last characters" : 'unbalanced brackets';
    fail(Math.max(0, text.search(/[[\]]/)), reason);
  }
  return [parseRange({ s: text, at: 0 }, min, max, false, fail)];
}

/** cfs_expr_list_match */
export function exprListMatch(list: ExprList, value: number): boolean {
  for (const r of list) {
    if (value >= r.lo && value <= r.hi && (value - r.lo) % r.stride === 0) return true;
  }
  return false;
}

/** How many values a range yields (no expansion). */
export const exprRangeCount = (r: ExprRange): number => Math.floor((r.hi - r.lo) / r.stride) + 1;

/** Total values of a list, duplicates included (the kernel does not merge ranges). */
export function exprListCount(list: ExprList): number {
  let n = 0;
  for (const r of list) n += exprRangeCount(r);
  return n;
}

/**
 * cfs_expr_list_values: every value in list order (duplicates kept). Counts first, so a huge
 * range costs nothing; more than `limit` values throws LNetError E2BIG (the kernel says EINVAL).
 */
export function exprListValues(list: ExprList, limit: number): number[] {
  const n = exprListCount(list);
  if (n > limit) throw new LNetError('E2BIG', `expression list has ${n} values, more than ${limit}`);
  const out: number[] = [];
  for (const r of list) for (let v = r.lo; v <= r.hi; v += r.stride) out.push(v);
  return out;
}

/** cfs_range_expr_print: brackets only for a lone multi-value range. */
function formatRange(r: ExprRange, inList: boolean): string {
  if (r.lo === r.hi) return String(r.lo);
  const body = r.stride === 1 ? `${r.lo}-${r.hi}` : `${r.lo}-${r.hi}/${r.stride}`;
  return inList ? body : `[${body}]`;
}

/** cfs_expr_list_print: `5`, `[1-4]`, `[1-9/2]`, `[1,3-5]`. */
export function formatExprList(list: ExprList): string {
  if (list.length === 1) return formatRange(list[0]!, false);
  return `[${list.map((r) => formatRange(r, true)).join(',')}]`;
}
