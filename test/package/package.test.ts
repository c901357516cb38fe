// The package itself: `import … from 'ulnet'` after a build, the README example, the tool stubs.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

t.test("import from 'ulnet' resolves to dist through the package exports", async (t) => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', "import { parseNid, formatNid, parseNet, formatNet, parseNidRange, nidRangeMatches, LNet } from 'ulnet'; console.log(formatNid(parseNid('192.168.0.1@tcp0')), formatNet(parseNet('o2ib0')), nidRangeMatches(parseNidRange('192.168.0.[1-8]@tcp'), parseNid('192.168.0.3@tcp')), typeof LNet)"], { cwd: root, encoding: 'utf8' });
  t.equal(out.trim(), '192.168.0.1@tcp o2ib true function');
});

t.test('the README embedding example runs as written', async (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const code = /## Embedding\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  t.ok(code, 'README has the example');
  mkdirSync(join(root, '.tap'), { recursive: true });
  const file = join(root, '.tap', 'readme-example.mjs');
  writeFileSync(file, `${code}\nconsole.log('example done', Buffer.from(data).toString());\n`);
  const r = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /hello/);
  t.match(r.stdout, /example done state/);
});

t.test('tools whose issues have not landed say so and exit 2', async (t) => {
  for (const tool of ['lst']) {
    const r = spawnSync(process.execPath, [join(root, 'dist', 'src', 'cli', `${tool}.js`)], { encoding: 'utf8', timeout: 30_000 });
    t.equal(r.status, 2, tool);
    t.match(r.stderr, /not available yet/);
  }
});

t.test('lnetd, lnetctl and lctl are installed tools that answer --help / --version', async (t) => {
  const run = (tool: string, args: string[]) =>
    spawnSync(process.execPath, [join(root, 'dist', 'src', 'cli', `${tool}.js`), ...args], { encoding: 'utf8', timeout: 30_000 });
  const d = run('lnetd', ['--help']);
  t.equal(d.status, 0);
  t.match(d.stdout, /Usage: lnetd/);
  const c = run('lnetctl', ['--version']);
  t.equal(c.status, 0);
  t.match(c.stdout, /^lnetctl 2\.17/);
  const l = run('lctl', ['bogus']);
  t.equal(l.status, 1);
  t.match(l.stderr, /'bogus' is not a valid command/);
});

t.test('npm start: two lnetds on loopback, ping and discovery through lnetctl, the self-check passes', async (t) => {
  const r = spawnSync(process.execPath, [join(root, 'dist', 'src', 'cli', 'start.js'), '--check'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /lnetd A: 127\.0\.0\.2@tcp/);
  t.match(r.stdout, /\$ lnetctl ping 127\.0\.0\.3@tcp[^\n]*\nping:\n- primary nid: 127\.0\.0\.3@tcp/);
  t.match(r.stdout, /\$ lnetctl discover 127\.0\.0\.3@tcp[^\n]*\ndiscover:\n- primary nid: 127\.0\.0\.3@tcp\n  Multi-Rail: true/);
  t.match(r.stdout, /self-check passed/);
});
