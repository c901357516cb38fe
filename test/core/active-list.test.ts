import t from 'tap';
import { ActiveList } from '../../src/core/active-list.js';
import { coarseNow } from '../../src/core/coarse-clock.js';
import { LNetMsg } from '../../src/core/msg.js';

t.test('ActiveList: Set semantics over messages linked through themselves', async (t) => {
  const l = new ActiveList();
  const [a, b, c, d] = [new LNetMsg(), new LNetMsg(), new LNetMsg(), new LNetMsg()];
  l.add(a).add(b).add(c);
  l.add(b); // already there: no change
  t.equal(l.size, 3);
  t.same([...l], [a, b, c], 'commit order');
  t.ok(l.has(b));
  t.notOk(l.has(d));
  t.notOk(l.delete(d), 'deleting what is not there is false');
  t.ok(l.delete(b), 'middle');
  t.same([...l], [a, c]);
  t.ok(l.delete(a), 'head');
  t.ok(l.delete(c), 'tail');
  t.equal(l.size, 0);
  t.same([...l], []);
  // Deleting while iterating (shutdown finalizes everything on the list) is safe.
  for (const m of [a, b, c, d]) l.add(m);
  const seen: LNetMsg[] = [];
  for (const m of l) {
    seen.push(m);
    l.delete(m);
    if (m === a) l.delete(c); // one further ahead goes too
  }
  t.same(seen, [a, b, c, d], 'the iteration is a snapshot');
  t.equal(l.size, 0);
  // A message on one list is not on another.
  const other = new ActiveList();
  l.add(a);
  t.notOk(other.has(a));
  t.notOk(other.delete(a));
  t.equal(l.size, 1);
  l.clear();
  t.equal(l.size, 0);
  t.equal(a.activeNext, undefined);
  t.equal(a.activePrev, undefined);
});

t.test('coarseNow: one clock read per synchronous run, fresh after a microtask', async (t) => {
  const a = coarseNow();
  const spin = performance.now() + 5;
  while (performance.now() < spin);
  t.equal(coarseNow(), a, 'same value within one run of JS');
  await Promise.resolve();
  await new Promise((r) => setTimeout(r, 2));
  t.ok(coarseNow() > a, 'a later run reads the clock again');
});
