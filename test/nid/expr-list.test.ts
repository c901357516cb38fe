// cfs_expr_list: parse, match, values and print, following lnet/lnet/nidstrings.c
// (cfs_expr_list_parse, cfs_range_expr_parse, cfs_expr_list_match, cfs_expr_list_values,
// cfs_expr_list_print) and kstrtouint (lib/kstrtox.c) for numbers.
import t from 'tap';
import { LNetError, ParseError } from '../../src/errors.js';
import {
  exprListCount,
  exprListMatch,
  exprListValues,
  formatExprList,
  kstrtouint,
  parseExprList,
  strim,
} from '../../src/nid/index.js';

const p = (s: string, min = 0, max = 255) => parseExprList(s, min, max);

// cfs_range_expr_parse / cfs_expr_list_parse: accepted forms and what they mean.
t.test('parse: accepted forms', async (t) => {
  const cases: [string, [number, number, number][]][] = [
    ['5', [[5, 5, 1]]],
    ['*', [[0, 255, 1]]],
    ['[*]', [[0, 255, 1]]],
    ['[5]', [[5, 5, 1]]],
    ['[1-5]', [[1, 5, 1]]],
    ['[1-10/2]', [[1, 10, 2]]],
    ['[2,4]', [[2, 2, 1], [4, 4, 1]]],
    ['[1,3-5,7-15/4,*]', [[1, 1, 1], [3, 5, 1], [7, 15, 4], [0, 255, 1]]],
    ['[3-3]', [[3, 3, 1]]],
    ['[0-255/255]', [[0, 255, 255]]],
    [' 7 ', [[7, 7, 1]]],
    ['\t*\n', [[0, 255, 1]]],
    ['[ 1 - 5 / 2 , 7 ]', [[1, 5, 2], [7, 7, 1]]],
    ['[1 -5]', [[1, 5, 1]]],
    ['+9', [[9, 9, 1]]],
    ['0x10', [[16, 16, 1]]],
    ['0X1f', [[31, 31, 1]]],
    ['010', [[8, 8, 1]]],
    ['0', [[0, 0, 1]]],
    ['00', [[0, 0, 1]]],
    ['[0x10-020]', [[16, 16, 1]]],
    ['[5,5]', [[5, 5, 1], [5, 5, 1]]],
  ];
  for (const [s, want] of cases)
    t.same(p(s), want.map(([lo, hi, stride]) => ({ lo, hi, stride })), JSON.stringify(s));
});

// The kernel's refusals (each returns -EINVAL there).
t.test('parse: refusals', async (t) => {
  const bad = [
    '', ' ', '[]', '[ ]', '[,]', '[1,]', '[,1]', '[1,,2]', '1-5', '1,2', '[1-5', '1-5]', ' [1-5]', '[1-5] ',
    '[[1]]', '[5-3]', '[1-]', '[-5]', '[1-5/]', '[1-5/x]', '[1-5/2/3]', '[1-5-7]', '256', '[1-256]', '[1-5/256]',
    '-1', '[-1-5]', '0x', '08', '1e3', 'x', '[a]', '**', '[*-5]', '[1-*]', '5 5', '[5 5]', '4294967296',
  ];
  for (const s of bad) t.throws(() => p(s), { name: 'ParseError', code: 'EINVAL' }, JSON.stringify(s));
});

// Corners the kernel handles oddly: stride 0 (it would divide by zero), min/max bounds.
t.test('parse: stride and bounds corners', async (t) => {
  t.throws(() => p('[0-5/0]'), /stride must be at least 1/, 'stride 0 is refused');
  t.throws(() => p('[3-3/0]'), ParseError);
  t.same(p('[1-5/9]'), [{ lo: 1, hi: 5, stride: 9 }], 'a stride beyond the span is fine');
  t.same(parseExprList('*', 3, 7), [{ lo: 3, hi: 7, stride: 1 }], "'*' takes the bounds");
  t.throws(() => parseExprList('2', 3, 7), /out of range 3-7/, 'below min');
  t.throws(() => parseExprList('[3-7/1]', 2, 7), /stride 1 is out of range 2-7/,
    'the kernel bounds the stride like a value, so stride 1 is refused when min is 2');
  t.same(parseExprList('[3-7/2]', 2, 7), [{ lo: 3, hi: 7, stride: 2 }]);
  t.same(parseExprList('[0-4294967295]', 0, 0xffffffff), [{ lo: 0, hi: 0xffffffff, stride: 1 }], 'full u32');
  t.same(parseExprList('0xffffffff', 0, 0xffffffff), [{ lo: 0xffffffff, hi: 0xffffffff, stride: 1 }]);
  t.throws(() => parseExprList('0x100000000', 0, 0xffffffff), ParseError, 'above UINT_MAX');
});

t.test('parse errors name input, position and reason', async (t) => {
  try {
    p('[1,2-x]');
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof ParseError);
    const pe = e as ParseError;
    t.equal(pe.input, '[1,2-x]');
    t.equal(pe.position, 5, 'points at the bad range end');
    t.match(pe.reason, /not a number/);
    t.equal(pe.code, 'EINVAL');
    t.match(pe.message, /\[1,2-x\].*position 5/);
  }
});

// cfs_expr_list_match
t.test('match', async (t) => {
  const l = p('[1,3-5,10-20/5]');
  const yes = [1, 3, 4, 5, 10, 15, 20];
  const no = [0, 2, 6, 9, 11, 14, 16, 21, 25, 255];
  for (const v of yes) t.ok(exprListMatch(l, v), `${v} matches`);
  for (const v of no) t.notOk(exprListMatch(l, v), `${v} does not match`);
  const big = parseExprList('[0-4294967295/65536]', 0, 0xffffffff);
  t.ok(exprListMatch(big, 0x7fff0000));
  t.notOk(exprListMatch(big, 0x7fff0001));
});

// cfs_expr_list_values: list order, duplicates kept, bounded before expanding.
t.test('values', async (t) => {
  t.same(exprListValues(p('[1-9/4,2,2]'), 10), [1, 5, 9, 2, 2]);
  t.same(exprListValues(p('7'), 1), [7]);
  t.equal(exprListCount(p('*')), 256);
  t.equal(exprListCount(parseExprList('[0-4294967295]', 0, 0xffffffff)), 4294967296);
  t.throws(() => exprListValues(parseExprList('[0-4294967295]', 0, 0xffffffff), 1000), { name: 'LNetError', code: 'E2BIG' },
    'a huge range is refused without being expanded');
  t.throws(() => exprListValues(p('[1-3]'), 2), LNetError, 'one over the limit');
  t.same(exprListValues(p('[1-3]'), 3), [1, 2, 3], 'exactly the limit');
});

// cfs_expr_list_print / cfs_range_expr_print
t.test('print', async (t) => {
  const cases: [string, string][] = [
    ['5', '5'],
    ['[5]', '5'],
    ['*', '[0-255]'],
    ['[1-5]', '[1-5]'],
    ['[1-5/1]', '[1-5]'],
    ['[1-9/2]', '[1-9/2]'],
    ['[3-3/2]', '3'],
    ['[1,3-5,7-15/4]', '[1,3-5,7-15/4]'],
    ['[ 0x10 , 020-0x20 ]', '[16,16-32]'],
    ['[2,4]', '[2,4]'],
  ];
  for (const [s, want] of cases) t.equal(formatExprList(p(s)), want, s);
  // Printing is canonical: the printed form parses and prints to itself.
  for (const [, want] of cases) t.equal(formatExprList(p(want)), want, `${want} is a fixed point`);
});

// kstrtouint (lib/kstrtox.c) and strim, which the grammar builds on.
t.test('kstrtouint and strim', async (t) => {
  const ok: [string, number][] = [['0', 0], ['+1', 1], ['0x1F', 31], ['0Xff', 255], ['017', 15], ['4294967295', 0xffffffff], ['7\n', 7]];
  for (const [s, v] of ok) t.equal(kstrtouint(s), v, JSON.stringify(s));
  for (const s of ['', '+', '-1', ' 1', '1 ', '0x', '0xg', '09', '4294967296', '1\n\n', '++1'])
    t.equal(kstrtouint(s), undefined, JSON.stringify(s));
  t.equal(kstrtouint('10', 16), 16, 'explicit base');
  t.equal(kstrtouint('0x10', 16), 16, 'base 16 skips 0x');
  t.equal(kstrtouint('0x10', 10), undefined);
  t.equal(kstrtouint('99', 10, 50), undefined, 'custom max');
  t.equal(strim(' \t a b \n'), 'a b');
});
