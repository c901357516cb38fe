import t from 'tap';
import { coarseNow } from '../../src/core/coarse-clock.js';

t.test('coarseNow: one clock read per synchronous run, fresh after a microtask', async (t) => {
  const a = coarseNow();
  const spin = performance.now() + 5;
  while (performance.now() < spin);
  t.equal(coarseNow(), a, 'same value within one run of JS');
  await Promise.resolve();
  await new Promise((r) => setTimeout(r, 2));
  t.ok(coarseNow() > a, 'a later run reads the clock again');
});
