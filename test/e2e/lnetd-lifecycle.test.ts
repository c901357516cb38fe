/**
 * lnetd as a process: structured logs, SIGTERM/SIGINT take LNet down (connections closed) and
 * exit 0, a second lnetd on the same socket is refused, a stale socket is taken over, bad module
 * parameters stop it from starting, the CLIs name the socket when no lnetd answers, and other
 * users are refused. Uses dist/ (built by npm test).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveLnetdDist, LCTL, LNETCTL, LNETD, runProcess, startLnetd } from '../helpers/lnetd.js';

const skip = haveLnetdDist() ? false : 'dist/ is not built (npx tsc -p tsconfig.build.json)';
const port = (): number => 21000 + Math.floor(Math.random() * 9000);

t.test('logs are JSON lines; SIGTERM takes LNet down, removes the socket and exits 0', { skip, timeout: 60_000 }, async (t) => {
  const d = await startLnetd(t, { config: `options lnet accept_port=${port()}` });
  t.equal((await d.ctl(['lnet', 'configure'])).status, 0);
  t.equal((await d.ctl(['net', 'add', '--nid', '127.0.0.2@tcp'])).status, 0);
  t.equal(await d.stop('SIGTERM'), 0);
  t.notOk(existsSync(d.socket), 'the socket file is gone');
  const lines = d.log().trim().split('\n');
  for (const l of lines) {
    const rec = JSON.parse(l) as Record<string, unknown>;
    t.type(rec.time, 'string');
    t.match(rec.level, /^(debug|info|warn|error)$/);
    t.type(rec.msg, 'string');
  }
  const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
  t.ok(msgs.includes('lnetd ready'));
  t.ok(msgs.includes('LNet configured'));
  t.ok(msgs.includes('LNet unconfigured'), 'networks taken down on SIGTERM');
  t.equal(msgs[msgs.length - 1], 'lnetd stopped');
});

t.test('SIGINT on a node with open connections: its peer sees them closed', { skip, timeout: 90_000 }, async (t) => {
  const p = port();
  const a = await startLnetd(t, { config: `options lnet accept_port=${p}` });
  const b = await startLnetd(t, { config: `options lnet accept_port=${p}` });
  await a.ctl(['lnet', 'configure']);
  await a.ctl(['net', 'add', '--nid', '127.0.0.2@tcp']);
  await b.ctl(['lnet', 'configure']);
  await b.ctl(['net', 'add', '--nid', '127.0.0.3@tcp']);
  const ping = await a.ctl(['ping', '127.0.0.3@tcp']);
  t.equal(ping.status, 0, ping.stdout + ping.stderr);
  const before = await a.lctl(['--net', 'tcp', 'conn_list']);
  t.match(before.stdout, /^12345-127\.0\.0\.3@tcp +C\[0\]/m, 'A opened connections to B');
  t.equal(await b.stop('SIGINT'), 0);
  let after = '';
  for (let i = 0; i < 100 && !after.includes('<no connections>'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = (await a.lctl(['--net', 'tcp', 'conn_list'])).stdout;
  }
  t.equal(after, '<no connections>\n');
});

t.test('one lnetd per socket; a stale socket left by a killed lnetd is taken over', { skip, timeout: 60_000 }, async (t) => {
  const d = await startLnetd(t);
  const second = spawnSync(process.execPath, [LNETD, '--config', '/dev/null', '--socket', d.socket], { encoding: 'utf8', timeout: 30_000 });
  t.equal(second.status, 1);
  t.match(second.stderr, new RegExp(`another lnetd is already serving ${d.socket.replace(/[.]/g, '\\.')}`));
  t.equal((await d.ctl(['lnet', 'configure'])).status, 0, 'the first one still serves');
  await d.stop('SIGKILL');
  t.ok(existsSync(d.socket), 'SIGKILL left the socket file');
  const next = spawnSync(
    process.execPath,
    ['-e', `const {spawn}=require('child_process');const p=spawn(process.execPath,${JSON.stringify([LNETD, '--config', '/dev/null', '--socket', d.socket])},{stdio:['ignore','ignore','pipe']});let e='';p.stderr.on('data',c=>{e+=c;if(e.includes('lnetd ready')){p.kill('SIGTERM');}});p.on('exit',c=>{console.log(c, e.includes('taking over a stale control socket'));});`],
    { encoding: 'utf8', timeout: 30_000 },
  );
  t.equal(next.stdout.trim(), '0 true', 'a new lnetd took the stale socket over, then exited cleanly');
});

t.test('module parameters that would not load keep lnetd from starting', { skip, timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lnetd-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'lustre.conf');
  writeFileSync(conf, 'options lnet networks="tcp0(eth0" ip2nets="tcp 10.0.0.*"\n');
  const r = spawnSync(process.execPath, [LNETD, '--config', conf, '--socket', join(dir, 's.sock')], { encoding: 'utf8', timeout: 20_000 });
  t.equal(r.status, 1);
  t.match(r.stderr, /lnetd: cannot load the lnet module parameters: .*networks/);
  t.notOk(existsSync(join(dir, 's.sock')));
  const bad = spawnSync(process.execPath, [LNETD, '--bogus'], { encoding: 'utf8', timeout: 20_000 });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /unrecognized option '--bogus'/);
});

t.test('no lnetd: the tools say which socket they tried, and fail', { skip, timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lnetd-none-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, 'lnetd.sock');
  const show = runProcess(LNETCTL, sock, ['net', 'show']);
  t.equal(show.status, 234);
  t.equal(show.stdout, '');
  t.match(show.stderr, new RegExp(`lnetctl: cannot reach lnetd at ${sock.replace(/[.]/g, '\\.')}: no such socket \\(is lnetd running`));
  // lctl network down with nothing loaded: the kernel's text and status (06-start-stop-modparams.txt).
  const down = runProcess(LCTL, sock, ['network', 'down']);
  t.equal(down.status, 22);
  t.equal(down.stdout, 'LNET unconfigure error 22: Invalid argument\n');
  t.match(down.stderr, /cannot reach lnetd at/);
  const nids = runProcess(LCTL, sock, ['list_nids']);
  t.equal(nids.status, 1);
  t.match(nids.stderr, /cannot reach lnetd/);
});

t.test('other users cannot use the control socket', { skip: skip || (process.getuid?.() !== 0 ? 'needs root' : false), timeout: 30_000 }, async (t) => {
  const d = await startLnetd(t);
  const r = spawnSync(process.execPath, [LNETCTL, 'net', 'show'], {
    encoding: 'utf8',
    env: { ...process.env, LNETD_SOCKET: d.socket },
    uid: 65534,
    gid: 65534,
    timeout: 20_000,
  });
  t.equal(r.status, 234);
  t.match(r.stderr, /permission denied/);
  t.equal((await d.ctl(['lnet', 'configure'])).status, 0, 'its owner still can');
});
