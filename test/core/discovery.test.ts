// Discovery between two nodes: ping, push, push back (peer.c; wire.md (f) steps 1-5a;
// 02-ping-discover.pcap and the recorded net/peer show of both kernel nodes).
import t from 'tap';
import { AckReq, Unlink, formatNid, formatProcessId } from '../../src/index.js';
import { Errno } from '../../src/errno.js';
import { PeerState } from '../../src/core/peer.js';
import { memNodes, twoRailNodes } from '../helpers/mem-nodes.js';
import { quiet } from './settle.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

t.test('discover: GET/REPLY, then PUT/ACK each way; both peers end MULTI_RAIL|DISCOVERED|NIDS_UPTODATE (273)', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  const before = await a!.ping('10.0.0.2@tcp');
  t.equal(before.multiRail, false, 'a first ping prints Multi-Rail: false');
  const r = await a!.discover('10.0.0.2@tcp');
  t.equal(r.multiRail, true);
  t.same(r.peerNis.map(formatProcessId), ['12345-10.0.0.2@tcp']);
  await flush();
  const aNi = a!.nis.find((n) => n.nid.type === 2)!;
  const bNi = b!.nis.find((n) => n.nid.type === 2)!;
  // The kernel counts a sent ACK as "put" (lnet_msg_decommit_tx restores the type).
  t.same({ ...aNi.stats.send }, { put: 2, get: 2, reply: 0, ack: 0, hello: 0 }, "A sent: ping GET ×2 (ping, discover), push PUT, ACK of B's push");
  t.same({ ...aNi.stats.recv }, { put: 1, get: 0, reply: 2, ack: 1, hello: 0 }, "A received: 2 REPLYs, B's push, the ACK of its push");
  t.same({ ...bNi.stats.send }, { put: 2, get: 2, reply: 0, ack: 0, hello: 0 }, 'B sent: 2 REPLYs (counted as get), its push, the ACK (counted as put)');
  const pa = a!.discovery.peer(b!.nids()[1]!)!;
  const pb = b!.discovery.peer(a!.nids()[1]!)!;
  const s273 = PeerState.MULTI_RAIL | PeerState.DISCOVERED | PeerState.NIDS_UPTODATE;
  t.equal(pa.state, s273, 'peer state 273 on A');
  t.equal(pb.state, s273, 'peer state 273 on B');
  const again = await a!.ping('10.0.0.2@tcp');
  t.equal(again.multiRail, true, 'after discovery, ping prints Multi-Rail: true');
  // No push storm: a second discover pushes nothing new (B has our current buffer).
  await a!.discover('10.0.0.2@tcp');
  await flush();
  t.equal(aNi.stats.send.put, 2, 'no second push');
  t.equal(formatNid(pa.primaryNid), '10.0.0.2@tcp');
});

t.test('discovery errors: an unreachable peer fails; the next discovery must ping (FORCE_PING, REDISCOVER)', async (t) => {
  const { nodes: [a], close } = await memNodes(1);
  t.teardown(close);
  await t.rejects(a!.discover('10.0.0.9@tcp'), { code: 'EHOSTUNREACH' });
  const p = a!.discovery.peer(a!.parseTarget('10.0.0.9@tcp').nid)!;
  // lnet_peer_ping_failed clears PING_FAILED and sets FORCE_PING; lnet_peer_discovery_complete
  // records the error and sets REDISCOVER.
  t.equal(p.state, PeerState.FORCE_PING | PeerState.REDISCOVER);
  t.equal(p.dcError, -113, 'lp_dc_error: -EHOSTUNREACH');
});

const sent = (n: { nis: readonly { nid: { type: number }; stats: { send: { get: number; put: number } } }[] }) => {
  const ni = n.nis.filter((x) => x.nid.type === 2);
  return { get: ni.reduce((s, x) => s + x.stats.send.get, 0), put: ni.reduce((s, x) => s + x.stats.send.put, 0) };
};

t.test('a first PUT to an unknown peer waits on it until discovery is done, then goes (lnet_initiate_peer_discovery)', async (t) => {
  const { a, b, close } = await twoRailNodes();
  t.teardown(close);
  const inbox = b.listen({ portal: 30 });
  const p = a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 30, matchBits: 0, data: Buffer.from('first') });
  const peer = a.discovery.peer(a.parseTarget('10.0.0.2@tcp').nid)!;
  t.equal(peer.pending.length, 1, 'held on the peer');
  t.ok(peer.state & PeerState.DISCOVERING, 'DISCOVERING');
  t.ok(peer.state & PeerState.PING_SENT, 'the ping is out');
  await p;
  t.equal(Buffer.from((await inbox.next(2000)).data).toString(), 'first');
  t.equal(peer.pending.length, 0);
  t.ok(peer.state & PeerState.DISCOVERED && peer.multiRail, 'discovered, Multi-Rail');
  t.same(peer.nids.map(formatNid), ['10.0.0.2@tcp', '10.1.0.2@tcp1'], 'both NIDs learnt');
  await flush();
  const before = sent(a);
  await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 30, matchBits: 0, data: Buffer.from('second') });
  await inbox.next(2000);
  t.same(sent(a), { get: before.get, put: before.put + 1 }, 'the next PUT goes at once: no ping, no push');
  inbox.close();
});

t.test('a PUT held for discovery whose MD is unlinked meanwhile is cancelled when discovery is done (ECANCELED)', async (t) => {
  const { a, b, close } = await twoRailNodes();
  t.teardown(close);
  const inbox = b.listen({ portal: 30 });
  t.teardown(() => inbox.close());
  const statuses: number[] = [];
  const md = a.mdBind({ start: Buffer.from('held'), threshold: 1, handler: (ev) => statuses.push(ev.status) }, Unlink.UNLINK);
  a.put(undefined, md, AckReq.NOACK, a.parseTarget('12345-10.0.0.2@tcp'), 30, 0n);
  const peer = a.discovery.peer(a.parseTarget('10.0.0.2@tcp').nid)!;
  t.equal(peer.pending.length, 1, 'held on the peer');
  a.mdUnlink(md);
  await a.discover('10.0.0.2@tcp');
  await quiet([a, b]);
  t.same(statuses, [-Errno.ECANCELED], 'one SEND event: ECANCELED');
  t.equal(peer.pending.length, 0);
  await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 30, matchBits: 0, data: Buffer.from('after'), ack: false });
  t.equal(Buffer.from((await inbox.next(2000)).data).toString(), 'after', 'the first to arrive is the next PUT: the held one never went');
  t.equal(a.core.activeCount, 0);
});

t.test('discovery disabled here: a first send still pings once (lnet_discover_peer_locked), never pushes; the peer is not MR', async (t) => {
  const { a, b, close } = await twoRailNodes({ paramsA: { lnet_peer_discovery_disabled: 1 } });
  t.teardown(close);
  const inbox = b.listen({ portal: 31 });
  await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 31, matchBits: 0, data: Buffer.from('x') });
  await inbox.next(2000);
  await flush();
  t.same(sent(a), { get: 1, put: 1 }, 'one ping GET and the PUT: no push');
  const peer = a.discovery.peer(a.parseTarget('10.0.0.2@tcp').nid)!;
  t.equal(peer.state, PeerState.NO_DISCOVERY | PeerState.DISCOVERED | PeerState.NIDS_UPTODATE, 'NO_DISCOVERY | DISCOVERED | NIDS_UPTODATE (274)');
  t.same(peer.nids.map(formatNid), ['10.0.0.2@tcp'], 'its other NIDs are not taken in');
  const info = a.core.pingTarget.features();
  t.notOk(info & 0x10, 'our ping buffer has no DISCOVERY feature');
  await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 31, matchBits: 0, data: Buffer.from('y') });
  await inbox.next(2000);
  t.same(sent(a), { get: 1, put: 2 }, 'no second ping');
  inbox.close();
});

t.test('discover --force pings and pushes again; plain discover pings but does not push an unchanged buffer', async (t) => {
  const { a, b, close } = await twoRailNodes();
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  await flush();
  const s0 = sent(a);
  await a.discover('10.0.0.2@tcp');
  await flush();
  t.same(sent(a), { get: s0.get + 1, put: s0.put }, 'plain: one more ping, no push');
  await a.discover('10.0.0.2@tcp', { force: true });
  await flush();
  t.same(sent(a), { get: s0.get + 2, put: s0.put + 1 }, '--force: ping and push');
  const peer = a.discovery.peer(a.parseTarget('10.0.0.2@tcp').nid)!;
  t.equal(peer.state, PeerState.MULTI_RAIL | PeerState.DISCOVERED | PeerState.NIDS_UPTODATE, 'state 273 again');
  void b;
});

t.test('set discovery 0 at run time: our buffer loses DISCOVERY, MR peers are pushed it and stop treating us as MR', async (t) => {
  const { a, b, close } = await twoRailNodes();
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  await flush();
  t.ok(b.discovery.peer(a.parseTarget('10.0.0.1@tcp').nid)!.multiRail, 'B sees A as MR');
  a.discovery.setEnabled(false);
  t.notOk(a.core.pingTarget.features() & 0x10, 'DISCOVERY feature gone');
  for (let i = 0; i < 3; i++) await flush();
  const pb = b.discovery.peer(a.parseTarget('10.0.0.1@tcp').nid);
  t.ok(!pb || !pb.multiRail || pb.state & PeerState.NO_DISCOVERY, `B's peer for A was marked for deletion or NO_DISCOVERY (${pb?.state})`);
  const inbox = a.listen({ portal: 32 });
  await b.putAsync({ target: '12345-10.0.0.1@tcp', portal: 32, matchBits: 0, data: Buffer.from('z') });
  await inbox.next(2000);
  const again = b.discovery.peer(a.parseTarget('10.0.0.1@tcp').nid)!;
  t.ok(again.state & PeerState.NO_DISCOVERY, 'rediscovered: NO_DISCOVERY');
  t.notOk(again.multiRail, 'and not Multi-Rail');
  a.discovery.setEnabled(true);
  t.ok(a.core.pingTarget.features() & 0x10, 'DISCOVERY back');
  inbox.close();
});

t.test('two peers discovery finds to be one node are merged (lnet_peer_set_primary_data)', async (t) => {
  const { a, b, close } = await twoRailNodes();
  t.teardown(close);
  await a.ping('10.1.0.2@tcp1');
  await a.ping('10.0.0.2@tcp');
  t.equal(a.discovery.list().length, 2, 'two pinged NIDs: two peers');
  const r = await a.discover('10.1.0.2@tcp1');
  t.equal(formatNid(r.primaryNid), '10.0.0.2@tcp', "the peer of 10.1.0.2 is now known by B's primary NID");
  await flush();
  t.equal(a.discovery.list().length, 1, 'one peer');
  const p1 = a.core.peerTab.lpni(a.parseTarget('10.0.0.2@tcp').nid)!.peerNet.peer;
  const p2 = a.core.peerTab.lpni(a.parseTarget('10.1.0.2@tcp1').nid)!.peerNet.peer;
  t.equal(p1, p2, 'both NIDs in one peer');
  t.same(p1.nids.map(formatNid), ['10.0.0.2@tcp', '10.1.0.2@tcp1'], 'primary first');
  t.equal(p1.state, PeerState.MULTI_RAIL | PeerState.DISCOVERED | PeerState.NIDS_UPTODATE);
  void b;
});

t.test('a locked primary NID stays primary through discovery; the other NIDs join', async (t) => {
  const { a, b, close } = await twoRailNodes();
  t.teardown(close);
  const prim = a.parseTarget('10.1.0.2@tcp1').nid;
  const p = a.core.peerTab.createPeer(prim, 12345, PeerState.LOCK_PRIMARY);
  await a.discover('10.1.0.2@tcp1');
  await flush();
  t.equal(formatNid(p.primaryNid), '10.1.0.2@tcp1', 'still the locked one');
  t.same(p.nids.map(formatNid).sort(), ['10.0.0.2@tcp', '10.1.0.2@tcp1']);
  t.ok(p.state & PeerState.LOCK_PRIMARY && p.multiRail);
  void b;
});

t.test('a configured peer is changed only by configuration: discovery adds no NID to it', async (t) => {
  const { a, b, close } = await twoRailNodes();
  t.teardown(close);
  const p = a.discovery.add({ primNid: '10.0.0.2@tcp' });
  await a.discover('10.0.0.2@tcp');
  t.same(p.nids.map(formatNid), ['10.0.0.2@tcp']);
  t.ok(p.state & PeerState.CONFIGURED && p.state & PeerState.DISCOVERED);
  void b;
});

t.test('shutdown while a first PUT waits for discovery: it fails with ESHUTDOWN, nothing leaks', async (t) => {
  const { memNodes: mk } = await import('../helpers/mem-nodes.js');
  const { nodes: [a, b], close } = await mk(2, { latencyMs: 50 });
  t.teardown(close);
  const p = a!.putAsync({ target: '12345-10.0.0.2@tcp', portal: 30, matchBits: 0, data: Buffer.from('x') }).then(
    () => 'ok',
    (e: { code: string }) => e.code,
  );
  t.equal(a!.discovery.peer(a!.parseTarget('10.0.0.2@tcp').nid)!.pending.length, 1, 'held');
  await a!.shutdown();
  t.equal(await p, 'ESHUTDOWN');
  t.same(a!.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 });
  void b;
});
