/**
 * What lnetd adds to `lnetctl import`: a document is applied whole or not at all. One that fails
 * part-way leaves the configuration as it was and prints the kernel's error document; one that
 * does not parse is refused before anything is applied. (Moved here from the first sanity-lnet
 * ports; it is not a sanity test.)
 */
import t from 'tap';
import { parse } from 'yaml';
import { haveLnetdDist, startLnetd } from '../helpers/lnetd.js';

const skip = haveLnetdDist() ? false : 'dist/ is not built (npx tsc -p tsconfig.build.json)';
const PORT = 21000 + Math.floor(Math.random() * 9000);

const load = (text: string): unknown => parse(text, { schema: 'yaml-1.1' }) ?? {};

t.test('an import that fails part-way changes nothing and prints the kernel error', { skip, timeout: 120_000 }, async (t) => {
  const d = await startLnetd(t, { config: `options lnet accept_port=${PORT}` });
  await d.ctl(['lnet', 'unconfigure']);
  t.equal((await d.ctl(['lnet', 'configure'])).status, 0, 'lnet configure');
  const exportBackup = async (): Promise<string> => {
    const r = await d.ctl(['export', '--backup']);
    t.equal(r.status, 0, 'export --backup');
    return r.stdout;
  };
  const before = await exportBackup();
  const doc = `peer:
    - primary nid: 1.1.1.1@tcp
      Multi-Rail: True
      peer ni:
        - nid: 1.1.1.2@tcp
global:
    retry_count: 1
route:
    - net: tcp5
      gateway: 9.9.9.9@tcp9
`;
  const r = await d.ctl(['import'], doc);
  t.equal(r.status, 234);
  t.equal(r.stdout, '');
  t.equal(r.stderr, '---\nadd:\n-     import:\n      errno: -113\n      descr: ! "No interface configured on the same net as gateway"\n...\n');
  t.same(load(await exportBackup()), load(before), 'the peer and the retry count were undone');
  // A document that does not parse is refused before anything is applied, too.
  const bad = await d.ctl(['import'], 'peer:\n    - primary nid: 2.2.2.2@tcp\nglobal:\n    foo: 1\n');
  t.equal(bad.status, 234);
  t.match(bad.stderr, /invalid key 'foo'/);
  t.same(load(await exportBackup()), load(before), 'nothing from the bad document');
});
