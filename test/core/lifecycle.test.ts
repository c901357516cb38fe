// Message life cycle, events and their order, lazy portals, response tracking and cancellation
// (lnet/lnet/lib-move.c, lib-msg.c, lib-md.c; core.md §1 events and §2).
import t from 'tap';
import {
  AckReq,
  EventKind,
  LNET_ANY_NID,
  LNET_MD_THRESH_INF,
  LNET_PID_ANY,
  MdOption,
  formatNid,
  type LNetEvent,
} from '../../src/index.js';
import { memNodes, nid } from '../helpers/mem-nodes.js';
import { discovered } from './settle.js';

const ANY = { nid: LNET_ANY_NID, pid: LNET_PID_ANY };

t.test('PUT with ACK: initiator sees SEND then ACK; target PUT event fields', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  const tq = b!.eventQueue();
  const me = b!.meAttach(30, ANY, 5n, 0n);
  b!.mdAttach(me, { start: new Uint8Array(32), threshold: 1, options: MdOption.OP_PUT, handler: tq.handler, userPtr: 'mine' });
  const q = a!.eventQueue();
  const md = a!.mdBind({ start: Buffer.from('payload'), threshold: 2, handler: q.handler });
  a!.put(undefined, md, AckReq.ACK, a!.parseTarget(nid(2)), 30, 5n, 0, 0xfeedn);
  const e1 = await q.next(2000);
  const e2 = await q.next(2000);
  t.same([e1.type, e2.type], [EventKind.SEND, EventKind.ACK]);
  t.equal(e1.status, 0);
  t.equal(e1.mlength, 7);
  t.equal(e1.hdrData, 0xfeedn);
  t.equal(e2.mlength, 7);
  t.equal(e2.matchBits, 5n);
  t.equal(e2.unlinked, true, 'threshold 2 used up by SEND + ACK');
  const p = await tq.next(2000);
  t.equal(p.type, EventKind.PUT);
  t.equal(formatNid(p.initiator.nid), '10.0.0.1@tcp');
  t.equal(p.initiator.pid, 12345);
  t.equal(formatNid(p.source.nid), '10.0.0.1@tcp');
  t.equal(formatNid(p.sender), '10.0.0.1@tcp');
  t.equal(formatNid(p.target.nid), '10.0.0.2@tcp');
  t.equal(p.ptIndex, 30);
  t.equal(p.rlength, 7);
  t.equal(p.hdrData, 0xfeedn);
  t.equal(p.mdUserPtr, 'mine');
  t.equal(Buffer.from(p.mdStart[0]!.subarray(0, 7)).toString(), 'payload');
});

t.test('GET: initiator SEND then REPLY; target GET event; stats count a sent REPLY as get', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  await discovered(a!, nid(2), [b!]);
  const bni = b!.nis.find((n) => formatNid(n.nid) === '10.0.0.2@tcp')!;
  const ani = a!.nis.find((n) => formatNid(n.nid) === '10.0.0.1@tcp')!;
  const before = { bs: { ...bni.stats.send }, br: { ...bni.stats.recv }, ar: { ...ani.stats.recv }, arl: a!.counters.recv_length, bsl: b!.counters.send_length };
  const gets: LNetEvent[] = [];
  const stop = b!.serveGet({ portal: 31, matchBits: 9n, data: Buffer.from('0123456789'), onGet: (e) => gets.push(e.clone()) });
  const r = await a!.getAsync({ target: nid(2), portal: 31, matchBits: 9n, sink: 4, offset: 3 });
  t.equal(Buffer.from(r.data).toString(), '3456', 'serveGet MDs are MANAGE_REMOTE: the offset asked for is used');
  t.equal(r.mlength, 4);
  t.equal(gets.length, 1);
  t.equal(gets[0]!.mlength, 4);
  t.equal(gets[0]!.rlength, 0, 'the kernel fills rlength from payload_length, 0 for a GET');
  t.equal(bni.stats.send.get - before.bs.get, 1);
  t.equal(bni.stats.send.reply - before.bs.reply, 0);
  t.equal(bni.stats.recv.get - before.br.get, 1);
  t.equal(ani.stats.recv.reply - before.ar.reply, 1);
  t.equal(a!.counters.recv_length - before.arl, 4);
  t.equal(b!.counters.send_length - before.bsl, 4);
  stop();
});

t.test('to our own NID: a peer for ourselves and our NI\'s LND, as the kernel; only 0@lo goes through lolnd', async (t) => {
  const { nodes: [a], fabric, close } = await memNodes(1);
  t.teardown(close);
  const tcpNi = a!.core.nis.find((ni) => formatNid(ni.nid) === '10.0.0.1@tcp')!;
  const sent = fabric.delivered;
  const l = a!.listen({ portal: 32 });
  const res = await a!.putAsync({ target: nid(1), portal: 32, matchBits: 0, data: Buffer.from('self') });
  t.equal(res.mlength, 4);
  const m = await l.next(2000);
  t.equal(Buffer.from(m.data).toString(), 'self');
  t.equal(formatNid(m.initiator.nid), '10.0.0.1@tcp', 'from our tcp NID, not 0@lo');
  t.ok(fabric.delivered > sent, 'carried by the memory LND');
  // A PUT off the reserved portal discovers the peer first, ourselves too (the kernel's self
  // peer after lst in 03-selftest-A-stats-after.yaml: Multi-Rail, peer state 273). Ping: GET
  // out and in, REPLY out (counted as a GET sent) and in; push and PUT: out and in, each ACK
  // out (counted as a PUT sent) and in.
  const self = a!.core.peerTab.lpni(tcpNi.nid);
  t.ok(self, 'a peer NI for our own NID');
  t.equal(self!.peerNet.peer.state, 273, 'discovered: MULTI_RAIL | DISCOVERED | NIDS_UPTODATE');
  const counts = { send: { put: 4, get: 2, reply: 0, ack: 0, hello: 0 }, recv: { put: 2, get: 1, reply: 1, ack: 2, hello: 0 } };
  t.match(tcpNi.stats, counts, 'the tcp NI sent and received all of it');
  t.match(self!.stats, counts, 'so did the self peer NI');
  t.equal(a!.core.loNi.stats.send.put, 0, 'nothing through lolnd');
  const stop = a!.serveGet({ portal: 33, data: Buffer.from('mine') });
  const g = await a!.getAsync({ target: '0@lo', portal: 33, matchBits: 0, sink: 16 });
  t.equal(Buffer.from(g.data).toString(), 'mine');
  t.equal(a!.core.loNi.stats.send.get, 2, '0@lo: GET and REPLY through lolnd');
  t.notOk(a!.core.peerTab.lpni(a!.core.loNi.nid), 'no peer for 0@lo');
  stop();
  l.close();
});

t.test('lazy portal: an unmatched PUT waits, then lands in the next MD; clearing drops the rest', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  await discovered(a!, nid(2), [b!]);
  b!.setLazyPortal(34);
  const p1 = a!.putAsync({ target: nid(2), portal: 34, matchBits: 1n, data: Buffer.from('first') });
  const p2 = a!.putAsync({ target: nid(2), portal: 34, matchBits: 1n, data: Buffer.from('second') });
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  t.equal(b!.core.portals.get(34)!.delayed.length, 2);
  const q = b!.eventQueue();
  const me = b!.meAttach(34, ANY, 1n, 0n);
  b!.mdAttach(me, { start: new Uint8Array(16), threshold: 1, options: MdOption.OP_PUT, handler: q.handler });
  const ev = await q.next(2000);
  t.equal(ev.mlength, 5, 'the first delayed PUT, in arrival order');
  await p1;
  b!.clearLazyPortal(34);
  t.equal(b!.core.portals.get(34)!.delayed.length, 0);
  t.equal(b!.counters.drop_count, 1);
  a!.core.checkResponseTimeouts(performance.now() + 1e9);
  await t.rejects(p2, { code: 'ETIMEDOUT' }, 'the dropped PUT never gets its ACK');
});

t.test('response tracking: a PUT into nothing times out with ETIMEDOUT and is counted', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  await discovered(a!, nid(2), [b!]);
  const p = a!.putAsync({ target: nid(2), portal: 35, matchBits: 1n, data: new Uint8Array(1) });
  await new Promise((r) => setTimeout(r, 10));
  t.equal(a!.core.resourceCounts().trackers, 1);
  a!.core.checkResponseTimeouts(performance.now() + 151_000);
  await t.rejects(p, { code: 'ETIMEDOUT' });
  t.equal(a!.counters.response_timeout_count, 1);
  t.same(a!.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 });
});

t.test('unlink while in flight: the completion reports ETIMEDOUT and unlinked', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2, { latencyMs: 30 });
  t.teardown(close);
  const me = b!.meAttach(36, ANY, 1n, 0n);
  b!.mdAttach(me, { start: new Uint8Array(8), threshold: LNET_MD_THRESH_INF, options: MdOption.OP_PUT });
  // Discovered first, so the PUT goes to the LND at once (one held for discovery whose MD is
  // unlinked is cancelled instead: test/core/discovery.test.ts).
  await a!.discover(nid(2));
  const q = a!.eventQueue();
  const md = a!.mdBind({ start: new Uint8Array(4), threshold: 1, handler: q.handler });
  a!.put(undefined, md, AckReq.NOACK, a!.parseTarget(nid(2)), 36, 1n);
  a!.mdUnlink(md);
  t.equal(q.length, 0, 'busy MD: no UNLINK event yet');
  const ev = await q.next(2000);
  t.equal(ev.type, EventKind.SEND);
  t.equal(ev.status, -110, '-ETIMEDOUT');
  t.equal(ev.unlinked, true);
});

t.test('AbortSignal cancels a PUT waiting for its ACK', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  await discovered(a!, nid(2), [b!]);
  const ac = new AbortController();
  const p = a!.putAsync({ target: nid(2), portal: 37, matchBits: 1n, data: new Uint8Array(1), signal: ac.signal });
  await new Promise((r) => setTimeout(r, 10));
  ac.abort();
  await t.rejects(p, { code: 'ECANCELED' });
  t.same(a!.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 });
  await t.rejects(a!.putAsync({ target: nid(2), portal: 37, matchBits: 1n, data: new Uint8Array(1), signal: AbortSignal.abort() }), { code: 'ECANCELED' });
});

t.test('unreachable targets fail with EHOSTUNREACH', async (t) => {
  const { nodes: [a], close } = await memNodes(1);
  t.teardown(close);
  await t.rejects(a!.putAsync({ target: '12345-10.0.0.99@tcp', portal: 1, matchBits: 1n, data: new Uint8Array(1) }), { code: 'EHOSTUNREACH' });
  await t.rejects(a!.putAsync({ target: '12345-10.0.0.2@o2ib', portal: 1, matchBits: 1n, data: new Uint8Array(1) }), { code: 'EHOSTUNREACH' });
  t.equal(a!.core.resourceCounts().active, 0);
});

t.test('bad headers are protocol errors (EPROTO): GET/ACK with payload, > LNET_MTU, unknown type, misdirected', async (t) => {
  const { nodes: [a], close } = await memNodes(1);
  t.teardown(close);
  const { LNetHdr, LNetMsgType, parseNid } = await import('../../src/index.js');
  const ni = a!.nis.find((n) => n.nid.type === 2)!;
  const mk = (type: number, len: number, dest = ni.nid) => {
    const h = new LNetHdr();
    h.type = type;
    h.payloadLength = len;
    h.destNid = dest;
    h.srcNid = parseNid('10.0.0.7@tcp');
    return h;
  };
  t.equal(a!.core.parse(ni, mk(LNetMsgType.GET, 1), parseNid('10.0.0.7@tcp'), null), -71);
  t.equal(a!.core.parse(ni, mk(LNetMsgType.ACK, 1), parseNid('10.0.0.7@tcp'), null), -71);
  t.equal(a!.core.parse(ni, mk(LNetMsgType.PUT, (1 << 20) + 1), parseNid('10.0.0.7@tcp'), null), -71);
  t.equal(a!.core.parse(ni, mk(9, 0), parseNid('10.0.0.7@tcp'), null), -71);
  t.equal(a!.core.parse(ni, mk(LNetMsgType.PUT, 0, parseNid('10.0.0.8@tcp')), parseNid('10.0.0.7@tcp'), null), -71, 'same net: should have gone direct');
});

t.test('ping target: a GET on portal 0 with the ping match bits returns our ping buffer', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  const { decodePingInfo, WireError, NiStatus } = await import('../../src/index.js');
  const r = await a!.getAsync({ target: nid(2), portal: 0, matchBits: 0x8000000000000000n, sink: 3960 });
  t.equal(r.mlength, 48, 'header + 0@lo + one NI, as the kernel answers (02-ping-discover.pcap)');
  const info = decodePingInfo(r.data);
  if (info instanceof WireError) throw info;
  t.equal(info.features, 0x1e);
  t.equal(info.pid, 12345);
  t.same(info.nis.map((e) => formatNid(e.nid)), ['0@lo', '10.0.0.2@tcp']);
  t.equal(info.nis[1]!.status, NiStatus.UP);
  t.same(b!.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 }, 'the ping target is not a user resource');
});
