// Health, resends and recovery (lib-msg.c lnet_health_check, lib-move.c lnet_recover_local_nis /
// lnet_recover_peer_nis / lnet_finalize_expired_responses, peer.c and lib-msg.c *_add_to_recoveryq;
// core.md §6). Links are cut with a wrapper LND whose failures arrive asynchronously, as a socket
// LND's do; the recovery monitor is driven by hand with a fake clock (tick(now)).
import t from 'tap';
import { AckReq, LNet, MemoryFabric, Unlink, formatNid } from '../../src/index.js';
import { HealthStatus, healthStatusForErrno, monoSeconds } from '../../src/core/health.js';
import { nextRecoveryPing } from '../../src/core/recovery.js';
import { niStatus } from '../../src/core/ni.js';
import { PeerNiState } from '../../src/core/peer-ni.js';
import { Errno } from '../../src/errno.js';
import { NiStatus, decodePingInfo } from '../../src/wire/ping-buffer.js';
import { WireError } from '../../src/wire/wire-error.js';
import { Links } from './flaky-lnd.js';
import type { Lnd, LndCore } from '../../src/core/lnd.js';
import { twoRailNodes } from '../helpers/mem-nodes.js';
import { quiet } from './settle.js';

const lpniOf = (n: LNet, nid: string) => n.core.peerTab.lpni(n.parseTarget(nid).nid)!;
const niOf = (n: LNet, nid: string) => n.nis.find((x) => formatNid(x.nid) === nid)!;

t.test('recovery ping interval: 2^k seconds, capped by max_recovery_ping_interval once k passes log2(cap)', async (t) => {
  const seen = Array.from({ length: 12 }, (_, k) => nextRecoveryPing(k, 1000, 900) - 1000);
  t.same(seen, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
  t.same([0, 1, 2, 3].map((k) => nextRecoveryPing(k, 0, 5)), [1, 2, 4, 5], 'cap 5: k ≤ 2 doubles, then 5');
});

t.test('health status of an LND error without one of its own (ksocknal_txlist_done)', async (t) => {
  t.equal(healthStatusForErrno(0), HealthStatus.OK);
  t.equal(healthStatusForErrno(-Errno.ETIMEDOUT), HealthStatus.NETWORK_TIMEOUT);
  for (const e of ['ENETDOWN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED'] as const)
    t.equal(healthStatusForErrno(-Errno[e]), HealthStatus.REMOTE_DROPPED, e);
  t.equal(healthStatusForErrno(-Errno.EIO), HealthStatus.LOCAL_ERROR);
  t.equal(healthStatusForErrno(-Errno.ENOMEM), HealthStatus.LOCAL_ERROR);
});

t.test("a peer rail goes down: traffic moves to the other with nothing lost, the peer NI's health drops, then recovers by recovery pings", async (t) => {
  const links = new Links();
  const { a, b, close } = await twoRailNodes({ wrapLnd: (l) => links.wrap(l) });
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  await quiet([a, b]);
  const inbox = b.listen({ portal: 54 });
  // Both rails carry traffic first: both of B's NIDs have been heard from (lpni_last_alive).
  for (let i = 0; i < 4; i++) await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 54, matchBits: 0, data: Buffer.from([100 + i]) });
  for (let i = 0; i < 4; i++) await inbox.next(2000);
  const rail1 = lpniOf(a, '10.1.0.2@tcp1');
  t.ok(rail1.lastAlive > 0, 'heard from 10.1.0.2@tcp1');

  links.cut('10.1.0.2@tcp1');
  for (let i = 0; i < 20; i++) await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 54, matchBits: 0, data: Buffer.from([i]) });
  const got: number[] = [];
  for (let i = 0; i < 20; i++) got.push((await inbox.next(2000)).data[0]!);
  t.same(got, Array.from({ length: 20 }, (_, i) => i), 'no message lost, none duplicated, in order');
  t.equal(rail1.healthValue, 900, 'one REMOTE_DROPPED: health 1000 − health_sensitivity; then selection avoided it');
  t.equal(rail1.health.dropped, 1, 'peer NI health stats: dropped 1');
  t.equal(a.counters.remote_dropped_count, 1);
  t.equal(a.counters.resend_count, 1, 'resent once, on the other rail');
  t.equal(a.counters.successful_resends, 1, 'counted when the resent message completed');
  t.equal(lpniOf(a, '10.0.0.2@tcp').healthValue, 1000, 'the other rail is healthy');
  t.ok(rail1.inRecovery, 'on the peer NI recovery queue');
  t.same(a.core.recovery.peerQueue.map((p) => formatNid(p.nid)), ['10.1.0.2@tcp1']);
  t.equal(rail1.health.ping_count, 0);
  t.ok(rail1.health.next_ping > 0, `next_ping set (${rail1.health.next_ping})`);

  // The monitor pings it while the link is down: each ping fails, the interval doubles.
  let now = monoSeconds() + 10_000;
  const pingsAt: number[] = [];
  for (let i = 0; i < 3; i++) {
    now = rail1.health.next_ping;
    pingsAt.push(now);
    a.core.recovery.tick(now);
    await quiet([a, b]);
  }
  t.same(pingsAt.slice(1).map((x, i) => x - pingsAt[i]!), [2, 4], 'ping intervals 2 s, 4 s after the 1st and 2nd failed ping');
  t.equal(rail1.health.ping_count, 3, 'ping_count 3');
  t.equal(rail1.healthValue, 600, 'each failed recovery ping is a failure too (−100 each)');
  t.notOk(rail1.state & PeerNiState.RECOVERY_PENDING, 'no ping pending');

  links.restore('10.1.0.2@tcp1');
  let pings = 0;
  while (rail1.healthValue < 1000 && pings < 20) {
    now = Math.max(now + 1, rail1.health.next_ping);
    a.core.recovery.tick(now);
    pings++;
    await quiet([a, b]);
  }
  t.equal(rail1.healthValue, 1000, `recovered by ${pings} recovery ping(s)`);
  t.equal(pings, 4, 'each successful ping: +health_sensitivity, 600 → 1000 in four');
  t.equal(rail1.health.ping_count, 0, 'ping_count reset by the reply');
  a.core.recovery.tick(now + 1000);
  t.notOk(rail1.inRecovery, 'healthy: off the recovery queue');
  t.same(a.core.recovery.peerQueue, []);
  t.same(a.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 }, 'no recovery ping left behind');
  inbox.close();
});

t.test('recovery_limit: a peer NI last heard from longer ago than the limit is not recovered', async (t) => {
  const links = new Links();
  const { a, b, close } = await twoRailNodes({ wrapLnd: (l) => links.wrap(l), paramsA: { recovery_limit: 30 }, paramsB: { recovery_limit: 30 } });
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  await quiet([a, b]);
  const rail1 = lpniOf(a, '10.1.0.2@tcp1');
  rail1.lastAlive = monoSeconds() - 100;
  rail1.health.ping_count = 5;
  links.cut('10.1.0.2@tcp1');
  a.core.health.remoteFailure(rail1);
  t.equal(rail1.healthValue, 900, 'health dropped');
  t.notOk(rail1.inRecovery, 'aged out: not queued');
  t.equal(rail1.health.ping_count, 0, 'ping_count reset, so a later recovery pings at once');
  void b;
});

t.test('a peer NI never heard from is not put into recovery (lpni_last_alive 0)', async (t) => {
  const links = new Links();
  const { a, close } = await twoRailNodes({ wrapLnd: (l) => links.wrap(l) });
  t.teardown(close);
  a.discovery.add({ primNid: '10.0.0.7@tcp', nids: ['10.1.0.7@tcp1'] });
  const lpni = lpniOf(a, '10.1.0.7@tcp1');
  a.core.health.remoteFailure(lpni);
  t.equal(lpni.healthValue, 900);
  t.notOk(lpni.inRecovery);
});

t.test('local failures: the NI loses health, goes DOWN at 0 (in the ping buffer too), and recovers by pinging its own NID', async (t) => {
  const links = new Links();
  const { a, b, close } = await twoRailNodes({ wrapLnd: (l) => links.wrap(l), paramsA: { health_sensitivity: 1000 }, paramsB: { health_sensitivity: 1000 } });
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  await quiet([a, b]);
  const inbox = b.listen({ portal: 55 });
  const ni1 = niOf(a, '10.1.0.1@tcp1');
  // The NI's sends fail as the LND's own (LOCAL_DROPPED): local NI health, resend on another NI.
  links.cut('10.1.0.1@tcp1', -Errno.EIO, HealthStatus.LOCAL_DROPPED);
  for (let i = 0; i < 6; i++) await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 55, matchBits: 0, data: Buffer.from([i]) });
  const got: number[] = [];
  for (let i = 0; i < 6; i++) got.push((await inbox.next(2000)).data[0]!);
  t.same(got, [0, 1, 2, 3, 4, 5], 'all delivered: the failed one was resent from the other NI');
  t.equal(ni1.healthValue, 0, 'health_sensitivity 1000: one failure takes it to 0');
  t.equal(ni1.health.dropped, 1, 'NI health stats: dropped 1');
  t.equal(a.counters.local_dropped_count, 1);
  t.equal(niStatus(ni1), 'down', 'status down at health 0 (net show)');
  const info = decodePingInfo(a.core.pingTarget.buffer);
  if (info instanceof WireError) throw info;
  t.equal(info.nis.find((e) => formatNid(e.nid) === '10.1.0.1@tcp1')!.status >>> 0, NiStatus.DOWN, 'our ping buffer says DOWN');
  t.ok(ni1.inRecovery, 'on the local NI recovery queue');

  links.restore('10.1.0.1@tcp1');
  let now = monoSeconds() + 10_000;
  for (let i = 0; i < 5 && ni1.healthValue < 1000; i++) {
    now = Math.max(now + 1, ni1.health.next_ping);
    a.core.recovery.tick(now);
    await quiet([a, b]);
  }
  t.equal(ni1.healthValue, 1000, 'a successful ping of its own NID brings it back (+1000)');
  // The ping went through the NI to a peer for ourselves: its REPLY, received from that peer,
  // resets the NI's ping_count (lnet_health_check).
  t.equal(ni1.health.ping_count, 0, 'ping_count back to 0');
  const selfPeer = a.core.peerTab.lpni(ni1.nid);
  t.ok(selfPeer && selfPeer.stats.recv.reply >= 1, 'the recovery ping came back through the NI, from the self peer');
  t.equal(niStatus(ni1), 'up', 'status up again');
  const info2 = decodePingInfo(a.core.pingTarget.buffer);
  if (info2 instanceof WireError) throw info2;
  t.equal(info2.nis.find((e) => formatNid(e.nid) === '10.1.0.1@tcp1')!.status >>> 0, NiStatus.UP, 'our ping buffer says UP');
  t.equal(info2.nis[0]!.status, info.nis[0]!.status, 'status changes keep the ping buffer sequence number');
  a.core.recovery.tick(now + 1000);
  t.notOk(ni1.inRecovery, 'off the queue');
  inbox.close();
});

t.test('a single-NI peer: failures do not touch its health and are not resent', async (t) => {
  const links = new Links();
  const fabric = new MemoryFabric();
  const a = await LNet.start({ nets: [{ net: 'tcp', lnd: links.wrap(fabric.lnd()), nis: [{ nid: '10.0.0.1@tcp' }] }] });
  const b = await LNet.start({ nets: [{ net: 'tcp', lnd: links.wrap(fabric.lnd()), nis: [{ nid: '10.0.0.2@tcp' }] }] });
  t.teardown(async () => void (await Promise.all([a.shutdown(), b.shutdown()])));
  await a.discover('10.0.0.2@tcp');
  await quiet([a, b]);
  links.cut('10.0.0.2@tcp');
  await t.rejects(a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 56, matchBits: 0, data: Buffer.from('x') }), { code: 'EHOSTUNREACH' });
  const lpni = lpniOf(a, '10.0.0.2@tcp');
  t.equal(lpni.healthValue, 1000, 'remote health is not tracked for a single-NI peer');
  t.equal(lpni.health.dropped, 1, 'but the drop is counted');
  t.equal(a.counters.resend_count, 0, 'no resend');
  t.notOk(lpni.inRecovery);
});

t.test('retry_count bounds resends; failed_resends counts a message that used them up', async (t) => {
  const links = new Links();
  const { a, b, close } = await twoRailNodes({ wrapLnd: (l) => links.wrap(l), paramsA: { retry_count: 1 }, paramsB: { retry_count: 1 } });
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  await quiet([a, b]);
  links.cut('10.0.0.2@tcp');
  links.cut('10.1.0.2@tcp1');
  await t.rejects(a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 57, matchBits: 0, data: Buffer.from('x') }), { code: 'EHOSTUNREACH' });
  t.equal(a.counters.resend_count, 1, 'one resend (retry_count 1)');
  t.equal(a.counters.failed_resends, 1);
  t.equal(a.counters.remote_dropped_count, 2);
});

t.test('a failure reported past the message deadline is not resent (msg_deadline, set at commit)', async (t) => {
  const links = new Links();
  // An LND that reports the failure as if the message had been committed long ago.
  const aged = (l: Lnd): Lnd => ({
    ...l,
    send(ni, msg) {
      msg.deadline -= 1e9;
      return l.send(ni, msg);
    },
  });
  const { a, b, close } = await twoRailNodes({ wrapLnd: (l) => aged(links.wrap(l)) });
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  await quiet([a, b]);
  const before = a.counters.resend_count;
  links.cut('10.1.0.2@tcp1');
  links.cut('10.0.0.2@tcp');
  await t.rejects(a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 57, matchBits: 0, data: Buffer.from('x') }), { code: 'EHOSTUNREACH' });
  t.equal(a.counters.resend_count, before, 'no resend: the deadline had passed');
  t.equal(a.counters.remote_dropped_count, 0, 'nor a health verdict (lnet_health_check returns early)');
});

t.test('a resend whose MD is unlinked while it waits is cancelled (ECANCELED), not sent', async (t) => {
  // An LND that fails the first PUT on portal 58, whichever rail carries it, as a dropped
  // connection does (on a later turn), then lets the test act before the resend goes out.
  let afterFailure: (() => void) | undefined;
  let failedOne = false;
  const failFirst = (l: Lnd): Lnd => {
    let core: LndCore | undefined;
    return {
      ...l,
      startup(ni, c) {
        core = c;
        return l.startup(ni, c);
      },
      send(ni, msg) {
        if (failedOne || msg.hdr.ptlIndex !== 58) return l.send(ni, msg);
        failedOne = true;
        setImmediate(() => {
          core!.finalize(msg, -Errno.EHOSTUNREACH);
          afterFailure?.();
        });
        return 0;
      },
    };
  };
  // (Over Links' plain-object wrapper: spreading the memory LND itself would lose its methods.)
  const { a, b, close } = await twoRailNodes({ wrapLnd: (l) => failFirst(new Links().wrap(l)) });
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  await quiet([a, b]);
  const inbox = b.listen({ portal: 58 });
  t.teardown(() => inbox.close());
  const statuses: number[] = [];
  const md = a.mdBind({ start: Buffer.from('x'), threshold: 1, handler: (ev) => statuses.push(ev.status) }, Unlink.UNLINK);
  afterFailure = () => a.mdUnlink(md);
  const resends0 = a.counters.resend_count;
  a.put(undefined, md, AckReq.NOACK, a.parseTarget('12345-10.0.0.2@tcp'), 58, 0n);
  await quiet([a, b]);
  t.ok(failedOne, 'the first attempt failed');
  t.same(statuses, [-Errno.ECANCELED], 'one SEND event: ECANCELED');
  t.equal(a.counters.resend_count, resends0, 'not resent');
  await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 58, matchBits: 0, data: Buffer.from('after'), ack: false });
  t.equal(Buffer.from((await inbox.next(2000)).data).toString(), 'after', 'the first to arrive is the next PUT');
});

t.test('health_sensitivity 0: failures leave health at 1000, nothing enters recovery, and nothing is resent (retry_count forced to 0)', async (t) => {
  const links = new Links();
  const { a, b, close } = await twoRailNodes({ wrapLnd: (l) => links.wrap(l), paramsA: { health_sensitivity: 0 }, paramsB: { health_sensitivity: 0 } });
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  await quiet([a, b]);
  links.cut('10.1.0.2@tcp1');
  const inbox = b.listen({ portal: 58 });
  const results = [];
  for (let i = 0; i < 4; i++)
    results.push(await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 58, matchBits: 0, data: Buffer.from([i]) }).then(() => 'ok', (e: { code: string }) => e.code));
  t.same(results.filter((r) => r !== 'ok'), ['EHOSTUNREACH', 'EHOSTUNREACH'], 'the ones sent to the cut rail fail: no resend');
  t.equal(a.counters.resend_count, 0);
  t.equal(lpniOf(a, '10.1.0.2@tcp1').healthValue, 1000);
  t.same(a.core.recovery.peerQueue, []);
  inbox.close();
});

t.test('response_tracking 0: a PUT is not tracked, but discovery pings and pushes are (MD TRACK_RESPONSE)', async (t) => {
  const links = new Links();
  const { a, b, close } = await twoRailNodes({ wrapLnd: (l) => links.wrap(l), paramsA: { response_tracking: 0 }, paramsB: { response_tracking: 0 } });
  t.teardown(close);
  const d = a.discover('10.0.0.2@tcp');
  t.equal(a.core.resourceCounts().trackers, 1, 'the discovery ping is tracked');
  await d;
  await quiet([a, b]);
  void a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 59, matchBits: 0, data: Buffer.from('x') }).catch(() => undefined);
  t.equal(a.core.resourceCounts().trackers, 0, 'the PUT is not');
  await quiet([a, b]);
});

t.test('response timeout: the MD is unlinked (ETIMEDOUT), response_timeout_count, and the next hop loses health', async (t) => {
  const links = new Links();
  const { a, b, close } = await twoRailNodes({ wrapLnd: (l) => links.wrap(l) });
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  await quiet([a, b]);
  // Nothing listens on portal 59: B drops the PUT silently and no ACK comes.
  const p = a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 59, matchBits: 0, data: Buffer.from('x') });
  await quiet([a, b]);
  const hop = [...a.core.peers.values()].find((l) => l.stats.send.put > 0 && l.peerNet.peer === lpniOf(a, '10.0.0.2@tcp').peerNet.peer && l.healthValue === 1000)!;
  a.core.checkResponseTimeouts(performance.now() + 151_000);
  await t.rejects(p, { code: 'ETIMEDOUT' });
  t.equal(a.counters.response_timeout_count, 1);
  const lowered = [...a.core.peers.values()].filter((l) => l.healthValue < 1000).map((l) => formatNid(l.nid));
  t.equal(lowered.length, 1, `one peer NI lost health: ${lowered}`);
  void hop;
});

t.test('net set / peer set --health: values, status and the recovery queues', async (t) => {
  const links = new Links();
  const { a, b, close } = await twoRailNodes({ wrapLnd: (l) => links.wrap(l) });
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  await quiet([a, b]);
  const ni = niOf(a, '10.0.0.1@tcp');
  a.core.setNiHealth(0, ni.nid);
  t.equal(niStatus(ni), 'down');
  t.ok(ni.inRecovery);
  t.equal(ni.health.next_ping, 0, 'manually queued: pinged at once');
  a.core.setNiHealth(1000);
  t.equal(niStatus(ni), 'up');
  a.core.setPeerNiHealth(300);
  t.same([...a.core.peers.values()].map((l) => l.healthValue).filter((h) => h !== 300), [], 'peer set --all: every peer NI');
});
