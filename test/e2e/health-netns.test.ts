/**
 * Health and recovery over real links: two node processes in two network namespaces joined by
 * two veth pairs (rail 0 on tcp, rail 1 on tcp1; private 10.250/10.251 addresses made here).
 * With both rails up, PUTs spread over both. Rail 1 is taken down with `ip link set down`: both
 * ends see their NI's link fail (fatal: DOWN in net show and in their ping buffers, pushed to
 * the other), the peer NI on that rail loses health (and more with each failed recovery ping),
 * and every PUT goes over rail 0, none lost. With `ip link set up` the NIs come back UP and the
 * recovery pings bring the peer NI's health back to 1000; traffic uses both rails again.
 *
 * Needs root and iproute2 (skips otherwise) and dist/. The namespaces and links are deleted in
 * teardown and on exit, whatever happened.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { haveDist, run } from '../helpers/node-process.js';
import { MrNode, waitFor, type HealthReport } from '../helpers/mr-node.js';

const tag = process.pid;
const NS_A = `uhA${tag}`;
const NS_B = `uhB${tag}`;
const N = tag % 250;
const RAIL = [
  { devA: `uh0A${tag}`, devB: `uh0B${tag}`, a: `10.250.${N}.1`, b: `10.250.${N}.2`, net: 'tcp' },
  { devA: `uh1A${tag}`, devB: `uh1B${tag}`, a: `10.251.${N}.1`, b: `10.251.${N}.2`, net: 'tcp1' },
];
const PORT = 20000 + ((tag * 7) % 12000);
const A_NIDS = RAIL.map((r) => `${r.a}@${r.net}`);
const B_NIDS = RAIL.map((r) => `${r.b}@${r.net}`);
const B_TARGET = `12345-${B_NIDS[0]}`;
/** Fast enough for a test, slow enough for loaded machines. */
const params = { health_sensitivity: 250, max_recovery_ping_interval: 2, transaction_timeout: 30 };
const sock = { sock_timeout: 5 };

let cleaned = false;
function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  run('ip', ['netns', 'del', NS_A]);
  run('ip', ['netns', 'del', NS_B]);
  for (const r of RAIL) {
    run('ip', ['link', 'del', r.devA]);
    run('ip', ['link', 'del', r.devB]);
  }
}

function setUp(): string | false {
  if (!haveDist()) return 'dist/ is not built (npx tsc -p tsconfig.build.json)';
  const first = run('ip', ['netns', 'add', NS_A]);
  if (!first.ok) return `ip netns add failed (needs root and iproute2): ${first.out}`;
  process.once('exit', cleanup);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
    process.once(sig, () => {
      cleanup();
      process.exit(128 + constants.signals[sig]);
    });
  const steps: string[][] = [['netns', 'add', NS_B], ['-n', NS_A, 'link', 'set', 'lo', 'up'], ['-n', NS_B, 'link', 'set', 'lo', 'up']];
  for (const r of RAIL)
    steps.push(
      ['link', 'add', r.devA, 'netns', NS_A, 'type', 'veth', 'peer', 'name', r.devB, 'netns', NS_B],
      ['-n', NS_A, 'addr', 'add', `${r.a}/24`, 'dev', r.devA],
      ['-n', NS_B, 'addr', 'add', `${r.b}/24`, 'dev', r.devB],
      ['-n', NS_A, 'link', 'set', r.devA, 'up'],
      ['-n', NS_B, 'link', 'set', r.devB, 'up'],
    );
  for (const s of steps) {
    const r = run('ip', s);
    if (!r.ok) {
      cleanup();
      return `network set-up failed at 'ip ${s.join(' ')}': ${r.out}`;
    }
  }
  // A veth end reports carrier (UP, RUNNING) a moment after `link set up`: wait for all four,
  // as interfaces are up long before LNet starts on a real node.
  const end = Date.now() + 10_000;
  const allUp = (): boolean =>
    RAIL.every((r) => [[NS_A, r.devA], [NS_B, r.devB]].every(([ns, dev]) => / UP /.test(` ${run('ip', ['-n', ns!, '-br', 'link', 'show', dev!]).out} `)));
  while (!allUp() && Date.now() < end) spawnSync('sleep', ['0.2']);
  return false;
}

const skip = setUp();
t.teardown(cleanup);

const rail1 = (state: 'up' | 'down') => run('ip', ['-n', NS_A, 'link', 'set', RAIL[1]!.devA, state]);

/** PUTs seq from..to-1 from A to B; what B got, as "our NI>its NI" counts, and the seqs. */
async function traffic(a: MrNode, b: MrNode, listener: number, from: number, to: number): Promise<{ seqs: number[]; paths: Record<string, number> }> {
  for (let i = from; i < to; i++) await a.ok('put', { target: B_TARGET, portal: 30, seq: i, timeoutMs: 40_000 }, 60_000);
  const got: Array<{ seq: number; source: string; ni: string }> = [];
  for (let tries = 0; got.length < to - from && tries < 50; tries++) {
    got.push(...(await b.ok<{ got: typeof got }>('drain', { listener })).got);
    if (got.length < to - from) await new Promise((r) => setTimeout(r, 100));
  }
  const paths: Record<string, number> = {};
  for (const g of got) paths[`${g.source}>${g.ni}`] = (paths[`${g.source}>${g.ni}`] ?? 0) + 1;
  return { seqs: got.map((g) => g.seq), paths };
}

async function diagnose(t: { comment: (s: string) => void }, a: MrNode, b: MrNode): Promise<void> {
  t.comment(`A: ${JSON.stringify(await a.health())}`);
  t.comment(`B: ${JSON.stringify(await b.health())}`);
  t.comment(`A stderr: ${a.stderr.slice(-2000)}`);
  t.comment(`B stderr: ${b.stderr.slice(-2000)}`);
}

const peerNi = (h: HealthReport, nid: string) => h.peers.flatMap((p) => p.nis).find((n) => n.nid === nid);
const ni = (h: HealthReport, nid: string) => h.nis.find((n) => n.nid === nid);

t.test('a rail taken down and brought back: traffic moves, nothing is lost, health drops and recovers', { skip, timeout: 240_000 }, async (t) => {
  const a = await MrNode.spawn({ nids: A_NIDS, port: PORT, netns: NS_A, params, sock });
  t.teardown(() => a.close());
  const b = await MrNode.spawn({ nids: B_NIDS, port: PORT, netns: NS_B, params, sock });
  t.teardown(() => b.close());
  const d = await a.ok<{ peerNis: string[] }>('discover', { target: B_NIDS[0] }, 60_000);
  t.same(d.peerNis, B_NIDS.map((n) => `12345-${n}`), 'A discovered both of B’s NIDs');
  const { listener } = await b.ok<{ listener: number }>('listen', { portal: 30 });

  const before = await traffic(a, b, listener, 0, 10);
  t.same(before.seqs, Array.from({ length: 10 }, (_, i) => i), 'both rails up: every PUT arrived once');
  t.same(Object.keys(before.paths).sort(), [`${A_NIDS[0]}>${B_NIDS[0]}`, `${A_NIDS[1]}>${B_NIDS[1]}`], `spread over both rails (${JSON.stringify(before.paths)})`);

  const down = rail1('down');
  t.ok(down.ok, `ip -n ${NS_A} link set ${RAIL[1]!.devA} down ${down.out}`);
  const seenDown = await waitFor(async () => {
    const h = await a.health();
    return ni(h, A_NIDS[1]!)?.status === 'down' && (peerNi(h, B_NIDS[1]!)?.health ?? 1000) < 1000 ? h : undefined;
  }, 30_000);
  if (!t.ok(seenDown, 'A: its rail-1 NI is DOWN (link failed) and B’s rail-1 peer NI lost health')) await diagnose(t, a, b);
  if (seenDown) {
    t.equal(ni(seenDown, A_NIDS[1]!)?.fatal, true, 'fatal_error on A’s rail-1 NI');
    t.ok(peerNi(seenDown, B_NIDS[1]!)?.inRecovery, 'B’s rail-1 peer NI is on the recovery queue');
  }
  const hbDown = await waitFor(async () => {
    const h = await b.health();
    return (peerNi(h, A_NIDS[1]!)?.health ?? 1000) < 1000 ? h : undefined;
  }, 30_000);
  if (!t.ok(hbDown, "B: A's push said its rail-1 NID is DOWN, and B lowered that peer NI's health")) await diagnose(t, a, b);

  const during = await traffic(a, b, listener, 10, 30);
  t.same(during.seqs, Array.from({ length: 20 }, (_, i) => 10 + i), 'rail 1 down: every PUT arrived once');
  t.same(Object.keys(during.paths), [`${A_NIDS[0]}>${B_NIDS[0]}`], 'all over rail 0');
  const failedPings = await waitFor(async () => {
    const h = await a.health();
    return (peerNi(h, B_NIDS[1]!)?.pingCount ?? 0) >= 1 ? h : undefined;
  }, 30_000);
  t.ok(failedPings, `recovery pings went to B’s rail-1 NID while it was down (ping_count ${peerNi(failedPings ?? (await a.health()), B_NIDS[1]!)?.pingCount})`);

  const up = rail1('up');
  t.ok(up.ok, `ip -n ${NS_A} link set ${RAIL[1]!.devA} up ${up.out}`);
  const recovered = await waitFor(async () => {
    const h = await a.health();
    const p = peerNi(h, B_NIDS[1]!);
    return ni(h, A_NIDS[1]!)?.status === 'up' && p?.health === 1000 && !p.inRecovery ? h : undefined;
  }, 90_000, 500);
  t.ok(recovered, 'A: its NI is UP again and recovery pings brought B’s rail-1 peer NI back to 1000');
  const last = await a.health();
  t.same(last.nis.map((x) => [x.nid, x.status]), A_NIDS.map((n) => [n, 'up']), 'both NIs up');
  t.ok(last.counters.resend_count >= 0, `resends ${last.counters.resend_count}, remote drops ${last.counters.remote_dropped_count}`);

  const after = await traffic(a, b, listener, 30, 40);
  t.same(after.seqs, Array.from({ length: 10 }, (_, i) => 30 + i), 'after recovery: every PUT arrived once');
  t.same(Object.keys(after.paths).sort(), [`${A_NIDS[0]}>${B_NIDS[0]}`, `${A_NIDS[1]}>${B_NIDS[1]}`], `both rails used again (${JSON.stringify(after.paths)})`);
});
