// Multi-rail selection among a discovered peer's NIs (lib-move.c lnet_get_best_ni,
// lnet_select_peer_ni: health, then credits, then round robin by selection count).
import t from 'tap';
import { LNet, MemoryFabric, formatNid, formatProcessId } from '../../src/index.js';
import { PeerState } from '../../src/core/peer.js';
import { twoRailNodes } from '../helpers/mem-nodes.js';

t.test('after discovery, traffic to the primary NID alternates over both rails', async (t) => {
  const { a, b, close } = await twoRailNodes();
  t.teardown(close);
  const r = await a.discover('10.0.0.2@tcp');
  t.same(r.peerNis.map(formatProcessId), ['12345-10.0.0.2@tcp', '12345-10.1.0.2@tcp1']);
  // Let the push-back exchange finish (our ACK of it counts as a sent "put").
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  const inbox = b.listen({ portal: 50 });
  const sendStats = () => a.nis.filter((n) => n.nid.type === 2).map((n) => n.stats.send.put);
  const before = sendStats();
  for (let i = 0; i < 40; i++) await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 50, matchBits: 0, data: Buffer.from([i]), ack: false });
  const after = sendStats();
  const used = after.map((x, i) => x - before[i]!);
  t.same(used, [20, 20], 'both local NIs carried half the PUTs');
  const got: number[] = [];
  const initiators = new Set<string>();
  const sources = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const m = await inbox.next(2000);
    got.push(m.data[0]!);
    initiators.add(formatNid(m.initiator.nid));
    sources.add(formatNid(m.source.nid));
  }
  t.same(got, Array.from({ length: 40 }, (_, i) => i), 'all arrived, in order');
  t.same([...initiators], ['10.0.0.1@tcp'], 'the initiator is always the primary NID (the peer record maps the other rail)');
  t.same([...sources].sort(), ['10.0.0.1@tcp', '10.1.0.1@tcp1'], 'while the source NID shows the rail used');
  inbox.close();
});

t.test('a rail that is down is not chosen', async (t) => {
  const { a, b, close } = await twoRailNodes();
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  const rail1 = a.nis.find((n) => formatNid(n.nid) === '10.1.0.1@tcp1')!;
  await a.core.delNi(rail1);
  const inbox = b.listen({ portal: 51 });
  for (let i = 0; i < 10; i++) await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 51, matchBits: 0, data: Buffer.from([i]) });
  const sources = new Set<string>();
  for (let i = 0; i < 10; i++) sources.add(formatNid((await inbox.next(2000)).source.nid));
  t.same([...sources], ['10.0.0.1@tcp'], 'everything went over the remaining rail, none lost');
  inbox.close();
});

t.test('a target with discovery off is non-MR: the NID given, from one local NI', async (t) => {
  const fabric = new MemoryFabric();
  const start = (i: number, params = {}) =>
    LNet.start({
      params,
      nets: [
        { net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: `10.0.0.${i}@tcp` }, { nid: `10.0.0.${i + 10}@tcp` }] },
        { net: 'tcp1', lnd: fabric.lnd(), nis: [{ nid: `10.1.0.${i}@tcp1` }] },
      ],
    });
  const a = await start(1);
  const b = await start(2, { lnet_peer_discovery_disabled: 1 });
  t.teardown(async () => void (await Promise.all([a.shutdown(), b.shutdown()])));
  const inbox = b.listen({ portal: 52 });
  for (let i = 0; i < 6; i++) await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 52, matchBits: 0, data: Buffer.from([i]), ack: false });
  const sources = new Set<string>();
  const dests = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const m = await inbox.next(2000);
    sources.add(formatNid(m.source.nid));
    dests.add(formatNid(m.event.target.nid));
  }
  const peer = a.discovery.peer(a.parseTarget('10.0.0.2@tcp').nid)!;
  t.notOk(peer.multiRail, 'its ping showed no DISCOVERY feature: not Multi-Rail');
  t.ok(peer.state & PeerState.NO_DISCOVERY, 'NO_DISCOVERY');
  t.same(peer.nids.map(formatNid), ['10.0.0.2@tcp'], 'its other NIDs were not learnt');
  t.equal(sources.size, 1, `one local NI for a non-MR peer (lnet_set_non_mr_pref_nid): ${[...sources]}`);
  t.same([...dests], ['10.0.0.2@tcp'], 'always the NID given');
  inbox.close();
});

t.test('over TCP: two nets on loopback, discovery, then PUTs spread over both rails', async (t) => {
  const { SockLnd } = await import('../../lnd/socklnd/index.js');
  const port = 31000 + (process.pid % 500) * 2;
  const start = (x: number) => {
    const lnd = new SockLnd({ acceptPort: port, accept: 'all' });
    return LNet.start({
      nets: [
        { net: 'tcp', lnd, nis: [{ nid: `127.0.0.${x}@tcp` }] },
        { net: 'tcp1', lnd, nis: [{ nid: `127.0.0.${x + 10}@tcp1` }] },
      ],
    });
  };
  const a = await start(2);
  t.teardown(() => a.shutdown());
  const b = await start(3);
  t.teardown(() => b.shutdown());
  const r = await a.discover('127.0.0.3@tcp', { timeoutMs: 10_000 });
  t.same(r.peerNis.map((p) => formatNid(p.nid)), ['127.0.0.3@tcp', '127.0.0.13@tcp1']);
  const inbox = b.listen({ portal: 53 });
  const sources = new Map<string, number>();
  for (let i = 0; i < 20; i++) await a.putAsync({ target: '12345-127.0.0.3@tcp', portal: 53, matchBits: 0, data: Buffer.from([i]) });
  for (let i = 0; i < 20; i++) {
    const s = formatNid((await inbox.next(5000)).source.nid);
    sources.set(s, (sources.get(s) ?? 0) + 1);
  }
  t.same(Object.fromEntries(sources), { '127.0.0.2@tcp': 10, '127.0.0.12@tcp1': 10 }, 'ten over each rail');
  inbox.close();
});

t.test("a peer deletes a rail: its push (lnet_push_update_to_peers) takes that NID off its peer here", async (t) => {
  const { a, b, close } = await twoRailNodes();
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  const bRail1 = b.nis.find((n) => formatNid(n.nid) === '10.1.0.2@tcp1')!;
  await b.core.delNi(bRail1);
  for (let i = 0; i < 40; i++) await new Promise((r) => setImmediate(r));
  const peer = a.discovery.peer(a.parseTarget('10.0.0.2@tcp').nid)!;
  t.same(peer.nids.map(formatNid), ['10.0.0.2@tcp'], "B's push removed 10.1.0.2@tcp1");
  t.equal(a.core.peerTab.lpni(a.parseTarget('10.1.0.2@tcp1').nid), undefined, 'and its peer NI');
  const inbox = b.listen({ portal: 54 });
  for (let i = 0; i < 10; i++) await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 54, matchBits: 0, data: Buffer.from([i]) });
  const got: number[] = [];
  for (let i = 0; i < 10; i++) got.push((await inbox.next(2000)).data[0]!);
  t.same(got, Array.from({ length: 10 }, (_, i) => i), 'everything over the remaining rail, in order');
  t.equal(a.core.resourceCounts().active, 0);
  inbox.close();
});
