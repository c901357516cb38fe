/**
 * Bracket expansion of route tokens (config.c lnet_str2tbs_expand): the first `[...]` of a
 * token is replaced by each of its comma-separated items, in order; an item is a decimal
 * range `lo-hi` or `lo-hi/stride` (expanded), or any other text (substituted as is). The
 * results are expanded again until no '[' is left, depth first, so the output order is
 * the left-to-right reading order. Every intermediate string is a kernel text buffer, so
 * the total output is bounded by the text-buffer budget.
 *
 * This is not cfs_expr_list: items may be arbitrary strings (`o2ib[1,x]` gives `o2ib1`,
 * `o2ibx`), numbers are signed C ints, and a range's stride must divide its span.
 */
import { ksscanf } from './ksscanf.js';
import type { TextBufBudget } from './text-bufs.js';

export type ExpandOneResult =
  | { kind: 'none' }
  | { kind: 'expanded'; items: { text: string; nob: number }[] }
  | { kind: 'error'; reason: string; nomem?: boolean };

/** One level: expand the first bracket group of `str`, charging each result to `budget`. */
export function expandOnce(str: string, budget: TextBufBudget): ExpandOneResult {
  const open = str.indexOf('[');
  if (open < 0) return { kind: 'none' };
  const close = str.indexOf(']', open);
  if (close < 0) return { kind: 'error', reason: "'[' without a matching ']'" };
  const head = str.slice(0, open);
  const tail = str.slice(close + 1);
  const items: { text: string; nob: number }[] = [];
  const fail = (reason: string, nomem = false): ExpandOneResult => {
    for (const it of items) budget.free(it.nob);
    return { kind: 'error', reason, nomem };
  };
  const add = (middle: string): boolean => {
    const text = head + middle + tail;
    const nob = budget.alloc(text.length);
    if (nob === undefined) return false;
    items.push({ text, nob });
    return true;
  };
  let parsed = open;
  while (parsed < close) {
    const start = parsed + 1;
    let end = start;
    while (end < close && str[end] !== ',') end++;
    parsed = end;
    if (end === start) return fail('empty item in brackets');
    // The kernel scans from the item start without stopping at ',' or ']'; the digits and
    // '-' '/' it accepts cannot cross them, so scanning the rest of the string is the same.
    const rest = str.slice(start);
    let r = ksscanf(rest, '%d-%d/%d%n');
    let lo: number;
    let hi: number;
    let stride: number;
    let scanned: number;
    if (r.count >= 3 && r.consumed.length === 1) {
      [lo, hi, stride] = r.values as [number, number, number];
      scanned = r.consumed[0]!;
    } else {
      r = ksscanf(rest, '%d-%d%n');
      if (r.count >= 2 && r.consumed.length === 1) {
        [lo, hi] = r.values as [number, number];
        stride = 1;
        scanned = r.consumed[0]!;
      } else {
        if (!add(str.slice(start, end))) return fail('too many text buffers', true);
        continue;
      }
    }
    if (start + scanned !== end) return fail(`trailing characters after range in '${str.slice(start, end)}'`);
    if (lo < 0 || hi < 0 || stride < 0 || hi < lo) return fail(`bad range '${str.slice(start, end)}'`);
    // The kernel divides by the stride here; a 0 stride would fault it, so refuse it.
    if (stride === 0) return fail(`zero stride in '${str.slice(start, end)}'`);
    if ((hi - lo) % stride !== 0) return fail(`stride ${stride} does not divide range ${lo}-${hi}`);
    for (let v = lo; v <= hi; v += stride) {
      if (!add(String(v))) return fail('too many text buffers', true);
    }
  }
  return { kind: 'expanded', items };
}

export type ExpandStep = { kind: 'leaf'; text: string; nob: number } | { kind: 'error'; reason: string; nomem: boolean };

/**
 * Expand `str` completely, yielding each fully expanded string in the kernel's order, so the
 * caller can check each one as the kernel does, before later groups are expanded. `nob` is
 * what the caller charged for `str`'s own buffer; ownership passes here (it is freed once
 * `str` has been expanded). Each leaf's buffer passes to the caller, and the expansion stays
 * bounded only while the caller holds the leaves, as the kernel does until the route is added.
 * After an error step the generator ends; buffers of pending strings are then released.
 */
export function* expandLeaves(str: string, nob: number, budget: TextBufBudget): Generator<ExpandStep, void, void> {
  // A stack of pending strings, next on top, each owning its buffer.
  const pending: { text: string; nob: number }[] = [{ text: str, nob }];
  try {
    while (pending.length > 0) {
      const cur = pending.pop()!;
      const r = expandOnce(cur.text, budget);
      if (r.kind === 'error') {
        budget.free(cur.nob);
        yield { kind: 'error', reason: r.reason, nomem: r.nomem ?? false };
        return;
      }
      if (r.kind === 'none') {
        yield { kind: 'leaf', text: cur.text, nob: cur.nob };
        continue;
      }
      budget.free(cur.nob);
      for (let k = r.items.length - 1; k >= 0; k--) pending.push(r.items[k]!);
    }
  } finally {
    for (const it of pending) budget.free(it.nob);
  }
}
