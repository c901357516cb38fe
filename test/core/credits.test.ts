// Credits and queuing (lib-move.c lnet_post_send_locked / lnet_return_tx_credits_locked; core.md §4),
// shutdown with messages in flight, and multi-node traffic over the memory LND.
import t from 'tap';
import { AckReq, EventKind, LNET_ANY_NID, LNET_PID_ANY, Unlink, formatNid, parseNid } from '../../src/index.js';
import { Errno } from '../../src/errno.js';
import { memNodes, nid } from '../helpers/mem-nodes.js';
import { discovered, flush } from './settle.js';

t.test('saturated credits: messages queue, drain in order, none lost or duplicated; min credits recorded', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2, { latencyMs: 5 }, {}, { peer_credits: 2, credits: 4 });
  t.teardown(close);
  const l = b!.listen({ portal: 40, maxMessage: 64 });
  await discovered(a!, nid(2), [b!]);
  const sent0 = a!.counters.send_count;
  const recv0 = b!.counters.recv_count;
  const N = 60;
  const sends = Array.from({ length: N }, (_, i) =>
    a!.putAsync({ target: nid(2), portal: 40, matchBits: 0, data: Buffer.from(String(i)), ack: false }),
  );
  const lpni = a!.core.peerTab.lpni(a!.parseTarget(nid(2)).nid)!;
  t.equal(lpni.txCredits, 2 - N, 'peer credits went negative: queued');
  t.equal(lpni.txQueue.length, N - 2);
  await Promise.all(sends);
  const got: string[] = [];
  for (let i = 0; i < N; i++) got.push(Buffer.from((await l.next(5000)).data).toString());
  t.same(got, Array.from({ length: N }, (_, i) => String(i)), 'in order, exactly once');
  t.equal(lpni.txCredits, 2, 'all peer credits returned');
  t.equal(lpni.minTxCredits, 2 - N);
  t.equal(lpni.txQueue.length, 0);
  t.equal(lpni.txQnob, 0);
  const ni = a!.nis.find((n) => formatNid(n.nid) === '10.0.0.1@tcp')!;
  t.equal(ni.txQueues[0]!.credits, 4);
  t.equal(ni.txQueues[0]!.minCredits, 2, 'peer credits were the tighter limit');
  t.equal(a!.counters.send_count - sent0, N);
  t.equal(b!.counters.recv_count - recv0, N);
  l.close();
});

t.test('a message that waited for a credit: dropped past its deadline, cancelled if its MD was unlinked (lnet_post_send_locked)', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2, { latencyMs: 5 }, {}, { peer_credits: 1, credits: 4 });
  t.teardown(close);
  const l = b!.listen({ portal: 43, maxMessage: 64 });
  t.teardown(() => l.close());
  await discovered(a!, nid(2), [b!]);
  const target = a!.parseTarget(nid(2));
  const events: Array<{ i: number; type: EventKind; status: number; unlinked: boolean }> = [];
  const mds = [0, 1, 2, 3].map((i) =>
    a!.mdBind({ start: Buffer.from([i]), threshold: 1, handler: (ev) => events.push({ i, type: ev.type, status: ev.status, unlinked: ev.unlinked }) }, Unlink.UNLINK),
  );
  for (const md of mds) a!.put(undefined, md, AckReq.NOACK, target, 43, 0n);
  const lpni = a!.core.peerTab.lpni(target.nid)!;
  t.equal(lpni.txQueue.length, 3, 'one sent, three wait for the peer credit');
  const drops0 = a!.counters.drop_count;
  const dropLen0 = a!.counters.drop_length;
  const ni = a!.nis.find((n) => formatNid(n.nid) === '10.0.0.1@tcp')!;
  const niDrops0 = ni.stats.drop.put;
  const peerDrops0 = lpni.stats.drop.put;
  const resends0 = a!.counters.resend_count;
  lpni.txQueue[0]!.deadline -= 1e9; // as if it had waited longer than its deadline
  a!.mdUnlink(mds[2]!); // unlinked while its message waits
  const got = Buffer.from((await l.next(5000)).data)[0];
  const last = Buffer.from((await l.next(5000)).data)[0];
  await flush();
  t.same([got, last], [0, 3], 'only the first and the last arrive');
  t.same(
    events.map((e) => [e.i, e.status, e.unlinked]),
    [
      [0, 0, true],
      [1, -Errno.ETIMEDOUT, true],
      [2, -Errno.ECANCELED, true],
      [3, 0, true],
    ],
    'SEND events: ok, ETIMEDOUT, ECANCELED, ok',
  );
  t.ok(events.every((e) => e.type === EventKind.SEND));
  t.equal(a!.counters.drop_count - drops0, 1, 'the expired one is counted as a drop');
  t.equal(a!.counters.drop_length - dropLen0, 1, 'its one byte in drop_length');
  t.equal(ni.stats.drop.put - niDrops0, 1, 'in the NI statistics too');
  t.equal(lpni.stats.drop.put - peerDrops0, 1, 'and the peer NI statistics');
  t.equal(a!.counters.resend_count, resends0, 'neither is resent');
  t.equal(lpni.txCredits, 1, 'every credit back');
  t.equal(a!.core.activeCount, 0);
});

t.test('the same when the wait is on the NI queue: past the deadline dropped, MD unlinked cancelled', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2, { latencyMs: 5 }, {}, { peer_credits: 8, credits: 1 });
  t.teardown(close);
  const l = b!.listen({ portal: 44, maxMessage: 64 });
  t.teardown(() => l.close());
  await discovered(a!, nid(2), [b!]);
  const target = a!.parseTarget(nid(2));
  const statuses: number[][] = [[], [], [], []];
  const mds = [0, 1, 2, 3].map((i) => a!.mdBind({ start: Buffer.from([i]), threshold: 1, handler: (ev) => statuses[i]!.push(ev.status) }, Unlink.UNLINK));
  for (const md of mds) a!.put(undefined, md, AckReq.NOACK, target, 44, 0n);
  const ni = a!.nis.find((n) => formatNid(n.nid) === '10.0.0.1@tcp')!;
  const tq = ni.txQueues[0]!;
  t.equal(tq.delayed.length, 3, 'one sent, three wait for the NI credit');
  const drops0 = a!.counters.drop_count;
  tq.delayed[0]!.deadline -= 1e9;
  a!.mdUnlink(mds[2]!);
  const got = [Buffer.from((await l.next(5000)).data)[0], Buffer.from((await l.next(5000)).data)[0]];
  await flush();
  t.same(got, [0, 3], 'only the first and the last arrive');
  t.same(statuses, [[0], [-Errno.ETIMEDOUT], [-Errno.ECANCELED], [0]], 'one SEND event each: ok, ETIMEDOUT, ECANCELED, ok');
  t.equal(a!.counters.drop_count - drops0, 1);
  t.equal(tq.credits, 1, 'the NI credit back');
  t.equal(a!.core.activeCount, 0);
});

t.test('NI credits shared by several peers: the NI queue is the limit', async (t) => {
  const { nodes, close } = await memNodes(4, { latencyMs: 2 }, {}, { peer_credits: 8, credits: 3 });
  t.teardown(close);
  const [a, ...peers] = nodes;
  const ls = peers.map((p) => p.listen({ portal: 41, maxMessage: 16 }));
  for (let i = 2; i <= 4; i++) await discovered(a!, nid(i), peers);
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < 30; i++)
    sends.push(a!.putAsync({ target: nid(2 + (i % 3)), portal: 41, matchBits: 0, data: Buffer.from([i]), ack: false }));
  const ni = a!.nis.find((n) => formatNid(n.nid) === '10.0.0.1@tcp')!;
  // 8 of each peer's 10 get a peer credit; of those 24, 3 get NI credits and 21 wait on the NI.
  t.equal(ni.txQueues[0]!.delayed.length, 21);
  await Promise.all(sends);
  for (let k = 0; k < 3; k++) {
    const got: number[] = [];
    for (let j = 0; j < 10; j++) got.push((await ls[k]!.next(5000)).data[0]!);
    t.same(got, Array.from({ length: 10 }, (_, j) => j * 3 + k), `peer ${k + 2} got its messages in order`);
  }
  t.equal(ni.txQueues[0]!.credits, 3);
  t.equal(ni.txQueues[0]!.minCredits, -21);
  for (const l of ls) l.close();
});

t.test('shutdown with messages in flight: each completes with an error event and nothing leaks', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2, { latencyMs: 50 }, {}, { peer_credits: 2, credits: 8 });
  await a!.discover(nid(2));
  const me = b!.meAttach(42, { nid: LNET_ANY_NID, pid: LNET_PID_ANY }, 0n, 0n);
  b!.mdAttach(me, { start: new Uint8Array(1024), threshold: -1, options: 1 });
  const results = Array.from({ length: 10 }, () =>
    a!.putAsync({ target: nid(2), portal: 42, matchBits: 0, data: new Uint8Array(8) }).then(
      () => 'ok',
      (e: { code: string }) => e.code,
    ),
  );
  await a!.shutdown();
  const codes = await Promise.all(results);
  t.equal(codes.filter((c) => c === 'ok').length, 0);
  t.ok(codes.every((c) => c === 'ESHUTDOWN' || c === 'ETIMEDOUT'), `errors: ${[...new Set(codes)].join(',')}`);
  t.same(a!.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 });
  t.equal(a!.counters.msgs_alloc, 0);
  t.equal(a!.core.state, 'stopped');
  await t.rejects(a!.putAsync({ target: nid(2), portal: 42, matchBits: 0, data: new Uint8Array(1) }), { code: 'ESHUTDOWN' });
  await close();
});

t.test('three nodes: everyone PUTs to and GETs from everyone else', async (t) => {
  const { nodes, close } = await memNodes(3);
  t.teardown(close);
  const ls = nodes.map((n) => n.listen({ portal: 43 }));
  const stops = nodes.map((n, i) => n.serveGet({ portal: 44, data: Buffer.from(`node${i + 1}`) }));
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      if (i !== j) await nodes[i]!.putAsync({ target: nid(j + 1), portal: 43, matchBits: 0, data: Buffer.from(`${i + 1}->${j + 1}`) });
  for (let j = 0; j < 3; j++) {
    const got = [(await ls[j]!.next(2000)), (await ls[j]!.next(2000))].map((m) => Buffer.from(m.data).toString()).sort();
    t.same(got, [0, 1, 2].filter((i) => i !== j).map((i) => `${i + 1}->${j + 1}`).sort(), `node ${j + 1} inbox`);
    const from = (await ls[j]!.next(0).catch(() => undefined)) ?? undefined;
    t.equal(from, undefined, 'nothing extra');
  }
  for (let i = 0; i < 3; i++) {
    const peer = (i + 1) % 3;
    const r = await nodes[i]!.getAsync({ target: nid(peer + 1), portal: 44, matchBits: 0, sink: 32 });
    t.equal(Buffer.from(r.data).toString(), `node${peer + 1}`);
  }
  t.same(nodes.map((n) => n.counters.drop_count), [0, 0, 0]);
  stops.forEach((s) => s());
  ls.forEach((l) => l.close());
});

t.test('lossy fabric: lost PUTs time out, delivered ones arrive intact', async (t) => {
  const { nodes: [a, b], fabric, close } = await memNodes(2, { lossRate: 0.3, seed: 42 });
  t.teardown(close);
  const l = b!.listen({ portal: 45 });
  // Discovery first (its messages may be lost too: a lost one fails it when responses expire).
  for (let tries = 0; ; tries++) {
    const d = a!.discover(nid(2)).then(() => true, () => false);
    await flush();
    a!.core.checkResponseTimeouts(performance.now() + 1e9);
    if (await d) break;
    if (tries > 50) throw new Error('discovery never got through the lossy fabric');
  }
  await flush();
  a!.core.checkResponseTimeouts(performance.now() + 1e9);
  const seen0 = fabric.delivered + fabric.lost;
  const sends = Array.from({ length: 40 }, (_, i) =>
    a!.putAsync({ target: nid(2), portal: 45, matchBits: 0, data: Buffer.from(`m${i}`) }).then(
      () => true,
      () => false,
    ),
  );
  await flush();
  a!.core.checkResponseTimeouts(performance.now() + 1e9);
  const acked = (await Promise.all(sends)).filter(Boolean).length;
  t.ok(fabric.lost > 0, `lost ${fabric.lost}`);
  const got: string[] = [];
  for (;;) {
    const m = await l.next(0).catch(() => undefined);
    if (!m) break;
    got.push(Buffer.from(m.data).toString());
  }
  t.ok(got.every((s) => /^m\d+$/.test(s)), 'intact');
  t.equal(new Set(got).size, got.length, 'no duplicates');
  t.ok(acked <= got.length && got.length < 40, `${got.length} of 40 delivered, ${acked} acknowledged`);
  t.equal(fabric.delivered + fabric.lost - seen0, 40 + got.length, 'every PUT and every ACK sent was either delivered or lost');
  t.same(a!.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 });
  l.close();
});

t.test('NI configuration errors', async (t) => {
  const { LNet, MemoryFabric } = await import('../../src/index.js');
  const fabric = new MemoryFabric();
  await t.rejects(LNet.start({ nets: [{ net: 'tcp', nis: [{ nid: '10.1.0.1@tcp' }] }] }), { code: 'ENODEV' });
  await t.rejects(LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.1.0.1@tcp1' }] }] }), { code: 'EINVAL' });
  await t.rejects(LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{}] }] }), { code: 'EINVAL' });
  const a = await LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.1.0.1@tcp' }] }] });
  t.teardown(() => a.shutdown());
  await t.rejects(LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.1.0.1@tcp' }] }] }), { code: 'EADDRINUSE' });
  t.same(a.nids().map(formatNid), ['0@lo', '10.1.0.1@tcp']);
  t.ok(parseNid('10.1.0.1@tcp'));
});
