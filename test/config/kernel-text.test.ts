// The kernel text primitives the config parsers are built on: lib/kstrtox.c (kstrto*),
// lib/vsprintf.c vsscanf (%u %d %n), lnet/lnet/config.c lnet_str2tbs_sep, lnet_new_text_buf
// and lnet_str2tbs_expand.
import t from 'tap';
import { expandLeaves } from '../../src/config/bracket-expand.js';
import { ksscanf, scanWholeUnsigned } from '../../src/config/ksscanf.js';
import { kstrtoint, kstrtoll, kstrtouint, kstrtoul } from '../../src/config/kstrtox.js';
import { LNET_MAX_TEXTBUF_NOB, splitEntries, TextBufBudget, textBufNob } from '../../src/config/text-bufs.js';
import { checkTotal, Prng, total } from './helpers.js';

const show = (r: ReturnType<typeof kstrtoint>): string => (r.ok ? String(r.value) : r.errno);

// Source: lib/kstrtox.c (_parse_integer_fixup_radix, _kstrtoull, kstrtoll, kstrtoint, kstrtouint).
t.test('kstrtoint / kstrtouint / kstrtoul (lib/kstrtox.c)', async (t) => {
  const cases: [string, string, string, string][] = [
    // input, kstrtoint, kstrtouint, kstrtoul
    ['0', '0', '0', '0'],
    ['42', '42', '42', '42'],
    ['+42', '42', '42', '42'],
    ['-42', '-42', 'EINVAL', 'EINVAL'],
    ['-0', '0', 'EINVAL', 'EINVAL'],
    ['0x1f', '31', '31', '31'],
    ['0X1F', '31', '31', '31'],
    ['010', '8', '8', '8'],
    ['08', 'EINVAL', 'EINVAL', 'EINVAL'],
    ['0x', 'EINVAL', 'EINVAL', 'EINVAL'],
    ['5\n', '5', '5', '5'],
    ['5\n\n', 'EINVAL', 'EINVAL', 'EINVAL'],
    [' 5', 'EINVAL', 'EINVAL', 'EINVAL'],
    ['5 ', 'EINVAL', 'EINVAL', 'EINVAL'],
    ['', 'EINVAL', 'EINVAL', 'EINVAL'],
    ['+', 'EINVAL', 'EINVAL', 'EINVAL'],
    ['-', 'EINVAL', 'EINVAL', 'EINVAL'],
    ['+-1', 'EINVAL', 'EINVAL', 'EINVAL'],
    ['--1', 'EINVAL', 'EINVAL', 'EINVAL'],
    ['1x', 'EINVAL', 'EINVAL', 'EINVAL'],
    ['2147483647', '2147483647', '2147483647', '2147483647'],
    ['2147483648', 'ERANGE', '2147483648', '2147483648'],
    ['-2147483648', '-2147483648', 'EINVAL', 'EINVAL'],
    ['-2147483649', 'ERANGE', 'EINVAL', 'EINVAL'],
    ['4294967295', 'ERANGE', '4294967295', '4294967295'],
    ['4294967296', 'ERANGE', 'ERANGE', '4294967296'],
    ['18446744073709551615', 'ERANGE', 'ERANGE', '18446744073709551615'],
    ['18446744073709551616', 'ERANGE', 'ERANGE', 'ERANGE'],
    ['99999999999999999999999x', 'ERANGE', 'ERANGE', 'ERANGE'],
  ];
  for (const [s, i, u, ul] of cases) {
    t.equal(show(kstrtoint(s)), i, `kstrtoint(${JSON.stringify(s)})`);
    t.equal(show(kstrtouint(s)), u, `kstrtouint(${JSON.stringify(s)})`);
    t.equal(show(kstrtoul(s)), ul, `kstrtoul(${JSON.stringify(s)})`);
  }
  t.equal(show(kstrtoll('-9223372036854775808')), '-9223372036854775808');
  t.equal(show(kstrtoll('-9223372036854775809')), 'ERANGE');
  t.equal(show(kstrtoll('9223372036854775808')), 'ERANGE');
});

// Source: lib/vsprintf.c vsscanf, as lnet/lnet/config.c and nidstrings.c call it.
t.test('vsscanf subset (%u %d %n)', async (t) => {
  t.same(ksscanf('123', '%u%n'), { count: 1, values: [123], consumed: [3] });
  t.same(ksscanf(' 12x', '%u%n'), { count: 1, values: [12], consumed: [3] });
  t.same(ksscanf('-1', '%u%n'), { count: 0, values: [], consumed: [] });
  t.same(ksscanf('+1', '%u%n'), { count: 0, values: [], consumed: [] });
  t.same(ksscanf('4294967297', '%u%n').values, [1], '%u wraps to 32 bits');
  t.same(ksscanf('-3-7/2]', '%d-%d/%d%n'), { count: 3, values: [-3, 7, 2], consumed: [6] });
  t.same(ksscanf('1-3]', '%d-%d/%d%n'), { count: 2, values: [1, 3], consumed: [] });
  t.same(ksscanf('1-3]', '%d-%d%n'), { count: 2, values: [1, 3], consumed: [3] });
  t.same(ksscanf('', '%n'), { count: 0, values: [], consumed: [0] });
  t.same(ksscanf('', '%u'), { count: 0, values: [], consumed: [] });
  t.equal(scanWholeUnsigned('255'), 255);
  t.equal(scanWholeUnsigned('255 '), undefined);
  t.equal(scanWholeUnsigned(''), undefined);
  t.equal(ksscanf('2147483648', '%d').values[0], -2147483648, '%d wraps to 32 bits');
});

// Source: lnet/lnet/config.c lnet_str2tbs_sep, lnet_new_text_buf.
t.test('entry splitting (lnet_str2tbs_sep)', async (t) => {
  const b = new TextBufBudget();
  // '#' comments to the end of its entry: the ';' after "c" ends the comment.
  const e = splitEntries('  a b\t;\n# c ; d\r e #f\n\n g  ', b)!;
  t.same(
    e.map((x) => [x.text, x.position]),
    [
      ['a b ', 2],
      ['d', 14],
      ['e ', 17],
      ['g  ', 24],
    ],
  );
  t.equal(b.inUse, e.reduce((n, x) => n + x.nob, 0));
  t.equal(textBufNob(0), 21, 'header + NUL');
  // One buffer holds at most 4096 - 21 characters; all buffers 64 KiB.
  t.ok(splitEntries('x'.repeat(4075), new TextBufBudget()));
  t.equal(splitEntries('x'.repeat(4076), new TextBufBudget()), undefined);
  const many = Array.from({ length: 3200 }, () => 'x').join(';');
  t.equal(splitEntries(many, new TextBufBudget()), undefined, `3200 × 22 bytes > ${LNET_MAX_TEXTBUF_NOB}`);
  t.ok(splitEntries(Array.from({ length: 2900 }, () => 'x').join(';'), new TextBufBudget()));
});

// Source: lnet/lnet/config.c lnet_str2tbs_expand, lnet_expand1tb.
t.test('bracket expansion (lnet_str2tbs_expand)', async (t) => {
  const leaves = (s: string): string[] | string => {
    const b = new TextBufBudget();
    const nob = b.alloc(s.length)!;
    const out: string[] = [];
    for (const step of expandLeaves(s, nob, b)) {
      if (step.kind === 'error') return `error: ${step.reason}`;
      out.push(step.text);
      b.free(step.nob);
    }
    t.equal(b.inUse, 0, `no buffer leaked for ${s}`);
    return out;
  };
  t.same(leaves('abc'), ['abc']);
  t.same(leaves('a[1-3]b'), ['a1b', 'a2b', 'a3b']);
  t.same(leaves('a[0-6/3]'), ['a0', 'a3', 'a6']);
  t.same(leaves('[x,y][1,2]'), ['x1', 'x2', 'y1', 'y2']);
  t.same(leaves('[a-b]'), ['a-b'], 'not numbers: plain text');
  t.same(leaves('[1-x]'), ['1-x'], 'half a range is plain text');
  t.same(leaves('[ 1- 2]'), ['1', '2'], '%d skips leading blanks');
  t.match(leaves('[1-2/3]'), /stride 3 does not divide/);
  t.match(leaves('[2-1]'), /bad range/);
  t.match(leaves('[1-3/0]'), /zero stride/);
  t.match(leaves('a[1'), /without a matching/);
  t.match(leaves('[1,,2]'), /empty item/);
  // A budget failure frees everything.
  const b = new TextBufBudget();
  const nob = b.alloc(12)!;
  const steps = [...expandLeaves('x[0-9999999]', nob, b)];
  t.equal(steps[steps.length - 1]!.kind, 'error');
  for (const s of steps) if (s.kind === 'leaf') b.free(s.nob);
  t.equal(b.inUse, 0, 'nothing held after a failed expansion');
});

// Source: as above.
t.test('fuzz: number readers and expansion never throw', async (t) => {
  const rng = new Prng(0x6b737472);
  for (let i = 0; i < 3000; i++) {
    const s = rng.string('0123456789xX+- \n[],/abc', 24);
    for (const f of [kstrtoint, kstrtouint, kstrtoul]) if (!checkTotal(t, total(() => f(s)), s)) return;
    if (!checkTotal(t, total(() => ksscanf(s, '%d-%d/%d%n')), s)) return;
    const r = total(() => {
      const b = new TextBufBudget();
      let n = 0;
      for (const step of expandLeaves(s, b.alloc(s.length)!, b)) if (step.kind === 'leaf') n++;
      return n;
    });
    if (!checkTotal(t, r, s)) return;
  }
  t.pass('3000 random inputs');
});
