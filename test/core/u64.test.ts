import t from 'tap';
import { u64Hi, u64Join, u64Lo, u64Split } from '../../src/core/u64.js';

t.test('u64Lo/u64Hi: halves of numbers and bigints, the same across repeats and alternations', async (t) => {
  const vals: Array<bigint | number> = [0n, 5n, 0xffffffffn, 0x100000000n, 0x8000000000000000n, 0xffffffffffffffffn, 0x123456789abcdef0n, 7, 0x1_0000_0001];
  for (let round = 0; round < 3; round++)
    for (const v of [...vals, ...vals.slice().reverse()]) {
      const [lo, hi] = u64Split(v, 'v');
      t.equal(u64Lo(v, 'v'), lo, `lo of ${v}`);
      t.equal(u64Hi(v), hi, `hi of ${v}`);
      t.equal(u64Join(lo, hi), BigInt(v));
    }
  // A value seen before is split again correctly after another one went through.
  t.equal(u64Lo(0x8000000000000000n, 'v'), 0);
  t.equal(u64Lo(0x123456789abcdef0n, 'v'), 0x9abcdef0);
  t.equal(u64Hi(0x8000000000000000n), 0x80000000, 'hi of a value other than the last one split');
  t.throws(() => u64Lo(-1n, 'match bits'), { code: 'EINVAL' });
  t.throws(() => u64Lo(1n << 64n, 'match bits'), { code: 'EINVAL' });
  t.throws(() => u64Lo(-1, 'match bits'), { code: 'EINVAL' });
});
