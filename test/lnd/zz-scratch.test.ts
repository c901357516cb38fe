import t from 'tap';
t.test('a plan0', async (t) => {
  await new Promise((r) => setTimeout(r, 10));
  t.plan(0, 'no hook');
});
t.test('b skip opt', { skip: 'why' }, async () => {});
t.test('c todo', { todo: 'bug' }, async (t) => { t.equal(1, 2); });
t.test('d todo pass', { todo: 'bug' }, async (t) => { t.equal(1, 1); });
