/**
 * Two LNet node processes in two network namespaces joined by a veth pair (names unique to
 * this run, private 10.250.x.0/24 addresses on the link this test creates): ping (GET on
 * portal 0), PUT/ACK and GET across the link; with the link down a PUT fails with an
 * errno-named LNetError and neither process crashes; with the link up again traffic resumes.
 *
 * Needs root and iproute2: the whole file skips when `ip netns add` fails. The namespaces
 * and the veth pair are deleted in teardown (and on process exit), whatever happened.
 */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { NiStatus } from '../../src/wire/ping-buffer.js';
import { haveDist, NodeProcess, retry, run, sha256 } from '../helpers/node-process.js';

const tag = process.pid;
const NS_A = `ulnA${tag}`;
const NS_B = `ulnB${tag}`;
const DEV_A = `uvA${tag}`;
const DEV_B = `uvB${tag}`;
const SUBNET = `10.250.${tag % 250}`;
const IP_A = `${SUBNET}.1`;
const IP_B = `${SUBNET}.2`;
const NID_A = `${IP_A}@tcp`;
const NID_B = `${IP_B}@tcp`;
const PORT = 20000 + (tag % 12000);
/** lnet transaction_timeout (s) for both nodes: how long an unanswered PUT waits for its ACK. */
const TRANSACTION_TIMEOUT = 6;
const params = { transaction_timeout: TRANSACTION_TIMEOUT };

/** Errno names for "could not reach / lost the peer" (ECANCELED: our AbortSignal bound). */
const NET_ERRORS = ['EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ENOTCONN', 'ESHUTDOWN', 'EIO', 'ECANCELED'];

let cleaned = false;
function cleanupNetns(): void {
  if (cleaned) return;
  cleaned = true;
  // Deleting a namespace destroys the veth end inside it and so the pair; the link delete
  // covers a pair left in the root namespace by a set-up that failed half way.
  run('ip', ['netns', 'del', NS_A]);
  run('ip', ['netns', 'del', NS_B]);
  run('ip', ['link', 'del', DEV_A]);
  run('ip', ['link', 'del', DEV_B]);
}

/** Create the namespaces and the link; a reason to skip, or false. */
function setUp(): string | false {
  if (!haveDist()) return 'dist/ is not built (npx tsc -p tsconfig.build.json)';
  const first = run('ip', ['netns', 'add', NS_A]);
  if (!first.ok) return `ip netns add failed (needs root and iproute2): ${first.out}`;
  process.once('exit', cleanupNetns);
  // Killed (e.g. by tap's timeout): clean up, then exit as that signal would. The node processes
  // exit by themselves when their stdin (our end) closes.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
    process.once(sig, () => {
      cleanupNetns();
      process.exit(128 + constants.signals[sig]);
    });
  const steps: string[][] = [
    ['netns', 'add', NS_B],
    ['link', 'add', DEV_A, 'netns', NS_A, 'type', 'veth', 'peer', 'name', DEV_B, 'netns', NS_B],
    ['-n', NS_A, 'addr', 'add', `${IP_A}/24`, 'dev', DEV_A],
    ['-n', NS_B, 'addr', 'add', `${IP_B}/24`, 'dev', DEV_B],
    ['-n', NS_A, 'link', 'set', 'lo', 'up'],
    ['-n', NS_B, 'link', 'set', 'lo', 'up'],
    ['-n', NS_A, 'link', 'set', DEV_A, 'up'],
    ['-n', NS_B, 'link', 'set', DEV_B, 'up'],
  ];
  for (const s of steps) {
    const r = run('ip', s);
    if (!r.ok) {
      cleanupNetns();
      return `network set-up failed at 'ip ${s.join(' ')}': ${r.out}`;
    }
  }
  return false;
}

const skip = setUp();
const nodes: NodeProcess[] = [];
let a: NodeProcess;
let b: NodeProcess;

// One teardown for the file: the processes first (a namespace outlives its processes), then
// the namespaces and the link.
t.teardown(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  cleanupNetns();
});

const linkA = (state: 'up' | 'down'): { ok: boolean; out: string } => run('ip', ['-n', NS_A, 'link', 'set', DEV_A, state]);

async function bothAlive(t: Test, when: string): Promise<void> {
  for (const n of [a, b]) {
    t.ok(n.alive, `${when}: ${n.nid} is still running`);
    const s = await n.call('stats', {}, 20_000).catch((e: Error) => ({ ok: false, message: e.message }));
    t.ok(s.ok, `${when}: ${n.nid} still answers commands`);
  }
}

t.test('ping, PUT/ACK and GET across the veth', { skip }, async (t) => {
  // Node A is closed in the file's teardown, with the namespaces.
  a = await NodeProcess.spawn({ nid: NID_A, port: PORT, netns: NS_A, params });
  nodes.push(a);
  b = await NodeProcess.spawn({ nid: NID_B, port: PORT, netns: NS_B, params });
  nodes.push(b);
  t.same(a.nids, ['0@lo', NID_A], `A runs in ${NS_A} as ${NID_A}`);
  t.same(b.nids, ['0@lo', NID_B], `B runs in ${NS_B} as ${NID_B}`);

  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    const p = await x.ping(y.target, 20_000);
    t.equal(p.info.pid, 12345, `ping ${x.nid} → ${y.nid}: pid 12345`);
    t.same(
      p.info.nis.map((n) => n.nid),
      ['0@lo', y.nid],
      `ping ${x.nid} → ${y.nid}: 0@lo and its NID`,
    );
    t.equal(p.info.nis[1]!.status >>> 0, NiStatus.UP, `ping ${x.nid} → ${y.nid}: its tcp NI is UP`);
  }

  const lb = await b.listen({ portal: 30 });
  for (const size of [4096, 1 << 20]) {
    const data = randomBytes(size);
    const r = await a.put({ target: b.target, portal: 30, data, timeoutMs: 30_000 });
    t.equal(r.mlength, size, `PUT ${size} B A→B: ACKed with ${size} bytes`);
    const m = await b.next(lb);
    t.equal(m.sha256, sha256(data), `PUT ${size} B A→B: the bytes sent`);
    t.equal(m.initiator, a.target, `PUT ${size} B A→B: from ${a.target}`);
  }
  const la = await a.listen({ portal: 31 });
  const back = randomBytes(65536);
  await b.put({ target: a.target, portal: 31, data: back, timeoutMs: 30_000 });
  t.equal((await a.next(la)).sha256, sha256(back), 'PUT 64 KiB B→A: the bytes sent');

  const served = randomBytes(256 * 1024);
  await b.serveGet({ portal: 32, data: served });
  const g = await a.get({ target: b.target, portal: 32, sink: served.length, timeoutMs: 30_000 });
  t.equal(g.mlength, served.length, 'GET 256 KiB A←B: all of it');
  t.equal(g.sha256, sha256(served), 'GET 256 KiB A←B: the served bytes');

  const ca = await a.conns();
  t.ok(ca.length >= 3, `A has its typed connections (${ca.length})`);
  t.ok(
    ca.every((c) => c.peer === NID_B && c.local.startsWith(`${IP_A}:`) && c.remote.startsWith(`${IP_B}:`)),
    'all of them over the veth, between the two namespace addresses',
  );
});

t.test('link down: a PUT fails with a network errno and neither process crashes', { skip }, async (t) => {
  t.ok(a?.alive && b?.alive, 'both nodes are up from the previous test');
  if (!a?.alive || !b?.alive) return;
  // A listener for the PUTs below, so that they would be ACKed if they got through (one of them
  // may still arrive once the link is back: TCP retransmits what the socket had taken).
  await b.listen({ portal: 35, matchBits: 0x99n });
  const down = linkA('down');
  t.ok(down.ok, `ip -n ${NS_A} link set ${DEV_A} down ${down.out}`);

  // Over the connections that were up: nothing can reach B, so no ACK comes back, and LNet
  // gives up after its transaction timeout (the nodes run with TRANSACTION_TIMEOUT s). The
  // command's AbortSignal (ECANCELED) bounds it in case LNet does not.
  const stale = await a.call('put', { target: b.target, portal: 35, matchBits: '0x99', b64: randomBytes(2048).toString('base64'), timeoutMs: 30_000 }, 60_000);
  t.notOk(stale.ok, 'PUT over the existing connections fails');
  t.ok(NET_ERRORS.includes(String(stale.code)), `… with a network errno: ${stale.code} (${stale.message})`);
  t.equal(stale.name, 'LNetError', '… as an LNetError');

  // A new connection cannot even be made: no route to B with the link down.
  await a.drop();
  const fresh = await a.call('put', { target: b.target, portal: 35, matchBits: '0x99', b64: 'eA==', timeoutMs: 30_000 }, 60_000);
  t.notOk(fresh.ok, 'PUT needing a new connection fails');
  t.ok(NET_ERRORS.includes(String(fresh.code)), `… with a network errno: ${fresh.code} (${fresh.message})`);
  t.not(fresh.code, 'ECANCELED', '… reported by LNet, not by our time bound');
  t.equal(fresh.name, 'LNetError', '… as an LNetError');

  const ping = await a.call('ping', { target: b.target, timeoutMs: 20_000 }, 40_000);
  t.notOk(ping.ok, `ping A → B fails too (${ping.code})`);

  await bothAlive(t, 'with the link down');
});

t.test('link up again: traffic resumes both ways', { skip }, async (t) => {
  if (!a?.alive || !b?.alive) {
    t.fail('the nodes did not survive the previous test');
    return;
  }
  const up = linkA('up');
  t.ok(up.ok, `ip -n ${NS_A} link set ${DEV_A} up ${up.out}`);

  const lb = await b.listen({ portal: 33 });
  const data = randomBytes(100_000);
  const r = await retry(30, 500, () => a.put({ target: b.target, portal: 33, data, timeoutMs: 5_000 }));
  t.equal(r.value.mlength, data.length, `PUT A→B ACKed again (after ${r.tries} tries: ${r.errors.join(',') || 'first time'})`);
  t.equal((await b.next(lb)).sha256, sha256(data), 'with the bytes sent');

  // B never saw A's connections go (A dropped them while the link was down): its first sends
  // may meet dead sockets before it reconnects.
  const la = await a.listen({ portal: 34 });
  const back = randomBytes(30_000);
  const r2 = await retry(30, 500, () => b.put({ target: a.target, portal: 34, data: back, timeoutMs: 5_000 }));
  t.equal(r2.value.mlength, back.length, `PUT B→A ACKed (after ${r2.tries} tries: ${r2.errors.join(',') || 'first time'})`);
  t.equal((await a.next(la)).sha256, sha256(back), 'with the bytes sent');

  const p = await a.ping(b.target, 20_000);
  t.ok(p.info.nis.some((n) => n.nid === NID_B), 'ping A → B works again');
  await bothAlive(t, 'after the link came back');
});
