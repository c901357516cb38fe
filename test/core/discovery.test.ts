// Discovery between two nodes: ping, push, push back (peer.c; wire.md (f) steps 1-5a;
// 02-ping-discover.pcap and the recorded net/peer show of both kernel nodes).
import t from 'tap';
import { formatNid, formatProcessId } from '../../src/index.js';
import { PeerState } from '../../src/core/peer.js';
import { memNodes } from '../helpers/mem-nodes.js';

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
