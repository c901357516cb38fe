// The control socket (src/control/server.ts, client.ts, protocol.ts): NDJSON requests and
// answers, mode 0600 in a 0700 directory, other users refused by the socket itself, malformed
// and oversized requests answered without disturbing other clients, one daemon per socket,
// stale sockets taken over.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient, DaemonUnreachable } from '../../src/control/client.js';
import { createLogger } from '../../src/control/log.js';
import { ControlError, encode, LineSplitter, parseRequest } from '../../src/control/protocol.js';
import { ControlServer } from '../../src/control/server.js';

const quiet = createLogger('error', () => {});

function tmp(t: Test): string {
  const d = mkdtempSync(join(tmpdir(), 'ctl-srv-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Raw NDJSON exchange on a socket: write `text`, collect `n` answer lines (bounded). */
function raw(path: string, text: string | Buffer, n: number, ms = 5000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ path });
    const lines: string[] = [];
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`only ${lines.length} of ${n} answers`));
    }, ms);
    s.on('data', (c) => {
      buf += c.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      if (lines.length >= n) {
        clearTimeout(timer);
        s.destroy();
        resolve(lines);
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.write(text);
  });
}

async function echoServer(t: Test, path: string, maxRequestBytes?: number): Promise<ControlServer> {
  const server = new ControlServer({
    path,
    logger: quiet,
    ...(maxRequestBytes ? { maxRequestBytes } : {}),
    handler: async (req) => {
      if (req.op === 'fail') throw new ControlError('EEXIST', 'cannot add LNet NI');
      if (req.op === 'slow') await new Promise((r) => setTimeout(r, 200));
      if (req.op === 'big') return { n: 2n ** 64n - 1n, small: 5n };
      return { op: req.op, args: req.args ?? {} };
    },
  });
  await server.start();
  t.teardown(() => server.close());
  return server;
}

t.test('protocol: request validation, bigints, line splitting with a size limit', async (t) => {
  t.same(parseRequest('{"id":1,"op":"net.show","args":{"verbose":2}}'), { id: 1, op: 'net.show', args: { verbose: 2 } });
  for (const bad of ['', 'not json', '[1]', '{"op":"x"}', '{"id":1}', '{"id":1,"op":""}', '{"id":1,"op":"x","args":[1]}', '{"id":{},"op":"x"}'])
    t.throws(() => parseRequest(bad), { code: 'EINVAL' }, bad);
  t.equal(encode({ id: 1, ok: true, result: { a: 5n, b: 2n ** 64n - 1n } }), '{"id":1,"ok":true,"result":{"a":5,"b":"18446744073709551615"}}\n');
  const lines: (string | undefined)[] = [];
  const sp = new LineSplitter(10, (l) => lines.push(l));
  sp.push(Buffer.from('abc\nde'));
  sp.push(Buffer.from('f\n0123456789xyz\n'));
  t.same(lines, ['abc', 'def', undefined]);
});

t.test('requests and answers; errors carry the errno and the kernel text', async (t) => {
  const d = tmp(t);
  const path = join(d, 'ctl.sock');
  await echoServer(t, path);
  const c = await ControlClient.connect(path);
  t.teardown(() => c.close());
  t.same(await c.call('net.show', { verbose: 1 }), { op: 'net.show', args: { verbose: 1 } });
  await t.rejects(c.call('fail'), { code: 'EEXIST', errno: -17, descr: 'cannot add LNet NI' });
  t.same(await c.call('big'), { n: '18446744073709551615', small: 5 });
  // Concurrent calls on one connection are matched by id, whatever order they finish in.
  const [a, b] = await Promise.all([c.call('slow'), c.call('quick')]);
  t.same([a, b], [{ op: 'slow', args: {} }, { op: 'quick', args: {} }]);
});

t.test('the socket is 0600, in a 0700 directory lnetd creates', async (t) => {
  const d = tmp(t);
  const path = join(d, 'run', 'ulnet', 'lnetd.sock');
  await echoServer(t, path);
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.ok(statSync(path).isSocket());
  t.equal(statSync(join(d, 'run', 'ulnet')).mode & 0o777, 0o700);
});

t.test('malformed and oversized requests get an error; other clients carry on', async (t) => {
  const d = tmp(t);
  const path = join(d, 'ctl.sock');
  await echoServer(t, path, 1024);
  const good = await ControlClient.connect(path);
  t.teardown(() => good.close());
  const answers = await raw(path, 'garbage\n{"id":7,"op":""}\n{"id":8,"op":"ping"}\n\n', 3);
  const parsed = answers.map((l) => JSON.parse(l) as { id: unknown; ok: boolean; error?: { code: string } });
  t.same(
    parsed.map((p) => [p.id, p.ok, p.error?.code]),
    [
      [null, false, 'EINVAL'],
      [7, false, 'EINVAL'],
      [8, true, undefined],
    ],
  );
  const big = await raw(path, Buffer.alloc(5000, 0x61), 1);
  t.match(JSON.parse(big[0]!), { id: null, ok: false, error: { code: 'EMSGSIZE' } });
  t.same(await good.call('still-here'), { op: 'still-here', args: {} }, 'a well-behaved client is not disturbed');
});

t.test('one daemon per socket: a live socket refuses a second server, a stale one is taken over', async (t) => {
  const d = tmp(t);
  const path = join(d, 'ctl.sock');
  await echoServer(t, path);
  const second = new ControlServer({ path, logger: quiet, handler: async () => null });
  await t.rejects(second.start(), { code: 'EADDRINUSE' });
  // A socket file nobody listens on (a crashed daemon's): a process that exits while listening.
  const stalePath = join(d, 'stale.sock');
  const dead = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stalePath)}, () => process.exit(0))`]);
  t.equal(dead.status, 0);
  t.ok(statSync(stalePath).isSocket(), 'the stale socket file is there');
  const taken = new ControlServer({ path: stalePath, logger: quiet, handler: async () => 'ok' });
  await taken.start();
  t.teardown(() => taken.close());
  const c = await ControlClient.connect(stalePath);
  t.equal(await c.call('x'), 'ok');
  c.close();
  // A regular file in the way is never replaced.
  writeFileSync(join(d, 'file.sock'), 'keep me');
  await t.rejects(new ControlServer({ path: join(d, 'file.sock'), logger: quiet, handler: async () => null }).start(), { code: 'EEXIST' });
});

t.test('no daemon: the client names the socket', async (t) => {
  const d = tmp(t);
  const e = await ControlClient.connect(join(d, 'none.sock')).catch((x: unknown) => x);
  t.ok(e instanceof DaemonUnreachable);
  t.match((e as Error).message, /none\.sock.*no such socket/);
});

t.test('other users are refused by the socket mode', { skip: process.getuid?.() !== 0 ? 'needs root to switch users' : false }, async (t) => {
  const d = tmp(t);
  chmodSync(d, 0o755);
  const path = join(d, 'ctl.sock');
  await echoServer(t, path);
  const script = `const s = require('net').createConnection(${JSON.stringify(path)});
    s.on('connect', () => { console.log('CONNECTED'); process.exit(0); });
    s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
  const r = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 20_000 });
  t.equal(r.stdout.trim(), 'EACCES', `as uid 65534: ${r.stdout}${r.stderr}`);
  // Root (the owner) still gets in.
  const c = await ControlClient.connect(path);
  t.same(await c.call('mine'), { op: 'mine', args: {} });
  c.close();
});
