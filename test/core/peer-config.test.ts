// Configured peers as lnetctl peer add/del make them (peer.c lnet_add_peer_ni/lnet_del_peer_ni;
// sanity-lnet test_4: 4.4.4.[1-3]@tcp expands to three NIDs).
import t from 'tap';
import { formatNid } from '../../src/index.js';
import { PeerState } from '../../src/core/peer.js';
import { memNodes, twoRailNodes } from '../helpers/mem-nodes.js';

t.test('peer add: primary plus a NID range, Multi-Rail and CONFIGURED; del of NIDs and of the peer', async (t) => {
  const { nodes: [a], close } = await memNodes(1);
  t.teardown(close);
  const p = a!.discovery.add({ primNid: '4.4.4.4@tcp', nids: ['4.4.4.[1-3]@tcp'] });
  t.same(p.nids.map(formatNid), ['4.4.4.4@tcp', '4.4.4.1@tcp', '4.4.4.2@tcp', '4.4.4.3@tcp']);
  t.ok(p.state & PeerState.CONFIGURED && p.state & PeerState.MULTI_RAIL);
  t.equal(a!.discovery.list().length, 1, 'one peer, whatever NID it is looked up by');
  a!.discovery.del({ primNid: '4.4.4.4@tcp', nids: ['4.4.4.2@tcp'] });
  t.same(a!.discovery.peer(a!.parseTarget('4.4.4.4@tcp').nid)!.nids.map(formatNid), ['4.4.4.4@tcp', '4.4.4.1@tcp', '4.4.4.3@tcp']);
  a!.discovery.del({ primNid: '4.4.4.4@tcp' });
  t.equal(a!.discovery.list().length, 0);
});

t.test('peer add/del errors as the kernel returns them (peer.c lnet_peer_add, lnet_add_peer_ni, lnet_del_peer_ni)', async (t) => {
  const { nodes: [a], close } = await memNodes(1);
  t.teardown(close);
  a!.discovery.add({ primNid: '5.5.5.5@tcp', nids: ['5.5.5.6@tcp'] });
  t.throws(() => a!.discovery.add({ primNid: '6.6.6.6@tcp', nids: ['5.5.5.6@tcp'] }), { code: 'EEXIST' }, 'a NID of another configured peer');
  t.throws(() => a!.discovery.add({ primNid: '5.5.5.5@tcp', nonMr: true }), { code: 'EPERM' }, 'Multi-Rail mismatch');
  t.throws(() => a!.discovery.add({ primNid: '5.5.5.6@tcp', nids: ['5.5.5.7@tcp'] }), { code: 'EEXIST' }, 'the primary is a NID of another configured peer');
  t.throws(() => a!.discovery.del({ primNid: '5.5.5.6@tcp' }), { code: 'ENODEV' }, 'del by a NID that is not the primary');
  t.throws(() => a!.discovery.del({ primNid: '5.5.5.5@tcp', nids: ['6.6.6.6@tcp'] }), { code: 'ECHILD' }, "del of another peer's NID");
  t.throws(() => a!.discovery.del({ primNid: '5.5.5.5@tcp', nids: ['7.7.7.9@tcp'] }), { code: 'ENOENT' }, 'del of an unknown NID');
  t.throws(() => a!.discovery.del({ primNid: '7.7.7.7@tcp' }), { code: 'ENOENT' });
  t.throws(() => a!.discovery.add({ primNid: '8.8.8.*@tcp' }), { code: 'EINVAL' });
  t.throws(() => a!.discovery.add({ primNid: '8.8.8.8@tcp', nonMr: true, nids: ['8.8.8.9@tcp'] }), { code: 'ENOTUNIQ' }, 'two NIDs on one net of a non-MR peer');
  // sanity-lnet test_26: without force a locked primary stays (its other NIDs go); with force the peer goes.
  a!.discovery.add({ primNid: '9.9.9.9@tcp', nids: ['9.9.9.10@tcp'], lockPrim: true });
  const locked = a!.discovery.peer(a!.parseTarget('9.9.9.9@tcp').nid)!;
  t.ok(locked.state & PeerState.LOCK_PRIMARY, 'peer state has the locked bit (1 << 20)');
  a!.discovery.del({ primNid: '9.9.9.9@tcp' });
  t.same(a!.discovery.peer(a!.parseTarget('9.9.9.9@tcp').nid)?.nids.map(formatNid), ['9.9.9.9@tcp'], 'still listed, with its primary NID only');
  a!.discovery.del({ primNid: '9.9.9.9@tcp', force: true });
  t.equal(a!.discovery.peer(a!.parseTarget('9.9.9.9@tcp').nid), undefined, 'gone with --force');
});

t.test('peer add takes over a peer that traffic created; the peer table stays one tree', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  await a!.ping('10.0.0.2@tcp');
  const made = a!.discovery.peer(a!.parseTarget('10.0.0.2@tcp').nid)!;
  t.equal(made.state, 0, 'a peer only reached by ping: state 0 (01-start-teardown-A-peer-show.yaml)');
  const p = a!.discovery.add({ primNid: '10.0.0.2@tcp', nids: ['10.0.0.12@tcp'] });
  t.equal(p.state, PeerState.CONFIGURED | PeerState.MULTI_RAIL);
  t.same(p.nids.map(formatNid), ['10.0.0.2@tcp', '10.0.0.12@tcp']);
  for (const nid of p.nids) t.equal(a!.core.peerTab.lpni(nid)!.peerNet.peer, p, `${formatNid(nid)} is in the tree of its peer`);
  t.equal(a!.discovery.list().length, 1);
  void b;
});

t.test('a configured MR peer is used for multi-rail selection without discovery', async (t) => {
  const { a, b, close } = await twoRailNodes();
  t.teardown(close);
  a.discovery.add({ primNid: '10.0.0.2@tcp', nids: ['10.1.0.2@tcp1'] });
  const inbox = b.listen({ portal: 60 });
  for (let i = 0; i < 10; i++) await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 60, matchBits: 0, data: Buffer.from([i]), ack: false });
  const sources = new Set<string>();
  for (let i = 0; i < 10; i++) sources.add(formatNid((await inbox.next(2000)).source.nid));
  t.same([...sources].sort(), ['10.0.0.1@tcp', '10.1.0.1@tcp1']);
  inbox.close();
});

t.test('peer del: the next lookup of the same NID object finds the peer traffic makes anew, not the deleted one', async (t) => {
  const { nodes: [a], close } = await memNodes(1);
  t.teardown(close);
  // One NID object, as a connection hands the core for every message it receives.
  const nid = a!.parseTarget('10.0.0.9@tcp').nid;
  const first = a!.core.peerNiFor(nid);
  t.equal(a!.core.peerNiFor(nid), first, 'the same peer NI while nothing changes');
  a!.discovery.del({ primNid: '10.0.0.9@tcp' });
  t.equal(a!.core.peerTab.lpni(nid), undefined, 'deleted');
  const again = a!.core.peerNiFor(nid);
  t.not(again, first, 'a new peer NI');
  t.equal(a!.core.peerTab.lpni(nid), again, 'and it is the one in the table');
});
