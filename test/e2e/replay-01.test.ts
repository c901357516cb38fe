/**
 * Replay of `01-start-teardown.pcap` against a live ulnet node on socklnd: the emulator plays
 * kernel A (it opens CONTROL, BULK_IN, BULK_OUT from ports 1023…, pings with a GET, then
 * FINs every connection) and ulnet must answer as kernel B did in the recording.
 */
import t from 'tap';
import { formatNid } from '../../src/nid/nid-string.js';
import { KSOCK_MSG_HDR_SIZE, KsockMsgType } from '../../src/wire/ksock-msg.js';
import { LNET_HDR_NID4_SIZE } from '../../src/wire/lnet-hdr.js';
import { NiStatus, PingFeature } from '../../src/wire/ping-buffer.js';
import { haveInterop, interopFile } from '../helpers/interop.js';
import {
  frameKinds,
  haveSocklnd,
  replayAgainstNode,
  type ReplayResult,
} from '../helpers/kernel-peer.js';

const EMU = '127.0.0.21';
const NODE = '127.0.0.22';
const skip = !haveInterop ? 'recordings not available' : !haveSocklnd() ? 'socklnd not available' : false;

const isRoot = process.getuid?.() === 0;
let result: ReplayResult;

if (!skip)
  replayAgainstNode(t, { pcap: interopFile('01-start-teardown.pcap'), node: NODE, emu: EMU, expectTimeoutMs: 3000, overallMs: 30000 }, (_s, r) => {
    result = r;
  });

const opts = { skip };

t.test('the replay ran to the end', opts, async (t) => {
  t.notOk(result.aborted, 'not aborted by the overall time limit');
  t.same(result.missing.map((m) => `${m.kind}@${m.pcapFrame}`), [], 'ulnet sent everything kernel B sent');
  t.same(result.skipped.map((s) => `${s.item.kind}@${s.item.pcapFrame}`), [], 'the emulator sent everything kernel A sent');
  t.same(result.inbound, [], 'ulnet opened no connection of its own (the passive side opens none)');
});

t.test('three connections accepted in the recorded order, from privileged ports', opts, async (t) => {
  t.same(result.conns.map((c) => c.connectError), [undefined, undefined, undefined], 'all connected');
  if (isRoot) t.same(result.conns.map((c) => c.localPort), [1023, 1022, 1021], 'source ports 1023, 1022, 1021 as the kernel');
  t.same(result.conns.map((c) => c.ctype), [1, 2, 3], 'asked for CONTROL, BULK_IN, BULK_OUT');
});

t.test('hellos: V3, ctypes inverted (1/3/2), identities as kernel B', opts, async (t) => {
  const hellos = result.conns.map((c) => c.hello?.hello);
  t.same(hellos.map((h) => h?.version), [3, 3, 3], 'V3 on every connection');
  t.same(hellos.map((h) => h?.ctype), [1, 3, 2], 'CONTROL, BULK_OUT, BULK_IN: the inverse of what was asked');
  for (const h of hellos) {
    if (!h) continue;
    t.equal(formatNid(h.srcNid), `${NODE}@tcp`, 'src_nid is the node');
    t.equal(formatNid(h.dstNid), `${EMU}@tcp`, 'dst_nid is the emulator');
    t.equal(h.srcPid, 12345, 'src_pid 12345');
    t.equal(h.dstPid, 0, 'dst_pid 0');
    t.same([h.dstIncarnationLo, h.dstIncarnationHi], [0, 0], 'dst_incarnation 0');
    t.same(h.ips, [], 'nips 0');
    t.not(h.srcIncarnationLo | h.srcIncarnationHi, 0, 'an incarnation');
  }
  const incs = new Set(hellos.map((h) => `${h?.srcIncarnationHi}:${h?.srcIncarnationLo}`));
  t.equal(incs.size, 1, 'one incarnation on all connections');
  for (const c of result.conns)
    t.same(c.hello?.raw, c.hello?.expectedRaw, `conn ${c.index}: the 56 bytes kernel B would have sent`);
});

t.test('the ping GET gets a REPLY on CONTROL, as kernel B answered', opts, async (t) => {
  t.same(result.conns.map((c) => frameKinds(c.frames)), [['REPLY 48'], [], []], 'one 48-byte REPLY on CONTROL, nothing on the bulk connections');
  const reply = result.conns[0]!.frames[0];
  if (!reply?.lnet) return;
  t.equal(reply.msg?.type, KsockMsgType.LNET, 'ksock type 0xc1');
  t.equal(reply.msg?.csum, 0, 'no checksum');
  t.same([reply.msg?.zcReqLo, reply.msg?.zcReqHi, reply.msg?.zcAckLo, reply.msg?.zcAckHi], [0, 0, 0, 0], 'no ZC cookies');
  t.equal(reply.answers?.kind, 'GET', 'dst_wmd echoes the GET return_wmd we sent');
  t.equal(formatNid(reply.lnet.srcNid), `${NODE}@tcp`);
  t.equal(formatNid(reply.lnet.destNid), `${EMU}@tcp`);
  t.same([reply.lnet.srcPid, reply.lnet.destPid], [12345, 12345]);
  t.equal(reply.raw.length, KSOCK_MSG_HDR_SIZE + LNET_HDR_NID4_SIZE + 48);
  t.same(
    reply.raw.subarray(0, KSOCK_MSG_HDR_SIZE + LNET_HDR_NID4_SIZE),
    reply.expectedRaw?.subarray(0, KSOCK_MSG_HDR_SIZE + LNET_HDR_NID4_SIZE),
    'ksock and LNet headers byte for byte as kernel B (NIDs and handle of this session)',
  );
});

t.test('the ping buffer has kernel B’s layout', opts, async (t) => {
  const reply = result.conns[0]!.frames[0];
  const p = reply?.ping;
  t.ok(p, 'the REPLY payload is a ping buffer (magic "ping")');
  if (!p || !reply) return;
  t.equal(p.flip, false, 'little-endian');
  t.equal(p.features, PingFeature.NI_STATUS | PingFeature.MULTI_RAIL | PingFeature.DISCOVERY | PingFeature.RTE_DISABLED, 'features 0x1e');
  t.equal(p.pid, 12345, 'pid 12345');
  t.equal(p.nis.length, 2, 'nnis 2');
  t.equal(formatNid(p.nis[0]!.nid), '0@lo', 'entry 0 is 0@lo');
  t.ok(p.nis[0]!.status > 0, `entry 0 status is the sequence number (${p.nis[0]!.status})`);
  t.equal(p.nis[0]!.msgSize, 0);
  t.equal(formatNid(p.nis[1]!.nid), `${NODE}@tcp`, 'entry 1 is the tcp NI');
  t.equal(p.nis[1]!.status, NiStatus.UP, 'UP');
  t.equal(p.nis[1]!.msgSize, 0);
  t.same(reply.payload, reply.expectedRaw?.subarray(KSOCK_MSG_HDR_SIZE + LNET_HDR_NID4_SIZE), '48 bytes as kernel B (its NID and seqno replaced)');
});

t.test('teardown: ulnet answers each FIN with its own, no reset', opts, async (t) => {
  for (const c of result.conns) {
    t.ok(c.finSentAt !== undefined, `conn ${c.index}: the emulator sent FIN`);
    t.ok(c.peerFinAt !== undefined, `conn ${c.index}: ulnet closed with FIN`);
    t.equal(c.error, undefined, `conn ${c.index}: no socket error (RST)`);
    t.equal(c.parseError, undefined, `conn ${c.index}: everything decoded`);
    t.equal(c.trailingBytes, 0, `conn ${c.index}: no partial item`);
    t.ok(c.frames.every((f) => f.at <= (c.finSentAt ?? Infinity)), `conn ${c.index}: nothing sent after our FIN`);
  }
});
