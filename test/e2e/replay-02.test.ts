/**
 * Replay of `02-ping-discover.pcap` against a live ulnet node on socklnd: the emulator plays
 * kernel A (`lnetctl ping`, `lnetctl discover`, `lnetctl ping` again: GET with sink 3960,
 * discovery GET with sink 272 then a push PUT of A's ping buffer, GET 3960) and ulnet must
 * answer as kernel B did. B's own push-back to A (a PUT after the discovery exchange) belongs
 * to discovery (#5) and is a todo.
 */
import t, { type Test } from 'tap';
import { formatNid } from '../../src/nid/nid-string.js';
import { KsockMsgType } from '../../src/wire/ksock-msg.js';
import { LNET_PROTO_PING_MATCHBITS_HI, NiStatus, PingFeature } from '../../src/wire/ping-buffer.js';
import { haveInterop, interopFile } from '../helpers/interop.js';
import {
  frameKinds,
  haveSocklnd,
  replayAgainstNode,
  type LiveItem,
  type ReplayResult,
  type ReplayScript,
} from '../helpers/kernel-peer.js';

const EMU = '127.0.0.31';
const NODE = '127.0.0.32';
const skip = !haveInterop ? 'recordings not available' : !haveSocklnd() ? 'socklnd not available' : false;

let script: ReplayScript;
let result: ReplayResult;

if (!skip)
  replayAgainstNode(t, { pcap: interopFile('02-ping-discover.pcap'), node: NODE, emu: EMU, expectTimeoutMs: 2000, overallMs: 60000 }, (s, r) => {
    script = s;
    result = r;
  });

const opts = { skip };
const control = (): LiveItem[] => result.conns[0]!.frames;
const replies = (): LiveItem[] => control().filter((f) => f.kind === 'REPLY');
/** Our LNet messages on CONTROL, in order. */
const ours = () => result.conns[0]!.sent.filter((s) => s.lnet);

t.test('the replay ran to the end', opts, async (t) => {
  t.notOk(result.aborted, 'not aborted by the overall time limit');
  t.same(result.inbound, [], 'ulnet opened no connection of its own');
  t.same(
    ours().map((s) => s.kind).filter((k) => k !== 'ACK'),
    ['GET', 'GET', 'PUT', 'GET'],
    'the emulator sent kernel A’s GET, GET, PUT, GET',
  );
});

t.test('three connections; hellos V3 with ctypes 1/3/2 as kernel B', opts, async (t) => {
  t.same(result.conns.map((c) => c.connectError), [undefined, undefined, undefined], 'all connected');
  const hellos = result.conns.map((c) => c.hello?.hello);
  t.same(hellos.map((h) => h?.version), [3, 3, 3], 'V3');
  t.same(hellos.map((h) => h?.ctype), [1, 3, 2], 'inverted ctypes');
  t.ok(hellos.every((h) => h && formatNid(h.srcNid) === `${NODE}@tcp` && formatNid(h.dstNid) === `${EMU}@tcp` && h.srcPid === 12345), 'identities');
  for (const c of result.conns) t.same(c.hello?.raw, c.hello?.expectedRaw, `conn ${c.index}: hello bytes as kernel B`);
});

t.test('everything travels on CONTROL; the bulk connections stay silent', opts, async (t) => {
  t.same(result.conns.slice(1).map((c) => frameKinds(c.frames)), [[], []], 'nothing on BULK_IN/BULK_OUT');
  t.ok(control().every((f) => f.msg?.type === KsockMsgType.LNET && f.msg.csum === 0 && f.msg.zcReqLo === 0 && f.msg.zcAckLo === 0), 'plain 0xc1 frames');
});

/*
 * ulnet bug (core, not socklnd): there is no push target. The kernel attaches a second MD on
 * portal 0 with the ping match bits and OP_PUT (api-ni.c lnet_push_target_setup, done at
 * LNetNIInit whatever the discovery setting) and ACKs pushes into it. src/core/ping-target.ts
 * attaches only the OP_GET ping MD, so the push PUT matches nothing and, portal 0 being lazy,
 * src/core/lnet-core.ts parsePut (`rc === MatchResult.NONE && portal.lazy`) parks it on
 * portal.delayed for good: no ACK, and the socklnd connection waits for the PUT's recv, so
 * nothing after it on CONTROL (the final ping GET) is ever answered.
 */

t.test('the same message kinds in the same order on CONTROL as kernel B (its push-back aside)', { skip }, async (t) => {
  t.same(
    control().filter((f) => f.kind !== 'PUT').map((f) => `${f.kind} ${f.payloadLength}`),
    ['REPLY 48', 'REPLY 48', 'ACK 0', 'REPLY 48'],
    'REPLY, REPLY, ACK, REPLY (kernel B: the same, with its push-back PUT before the ACK)',
  );
  t.same(
    result.missing.filter((m) => m.kind !== 'PUT').map((m) => `${m.kind}@${m.pcapFrame}`),
    [],
    'ulnet sent every REPLY and ACK kernel B sent',
  );
});

function checkReply(t: Test, i: number, sink: number): void {
  const r = replies()[i];
  const gets = ours().filter((s) => s.kind === 'GET');
  t.ok(r, `REPLY #${i + 1} arrived`);
  if (!r?.lnet) return;
  t.equal(gets[i]?.lnet?.sinkLength, sink, `our GET #${i + 1} asked for ${sink} bytes`);
  t.equal(r.answers, gets[i], `it answers GET #${i + 1} (dst_wmd echoed)`);
  t.equal(r.payloadLength, 48, '48-byte ping buffer');
  t.same(r.raw, r.expectedRaw, 'header and payload byte for byte as kernel B (its NID and seqno replaced)');
  const p = r.ping;
  t.ok(p, 'payload is a ping buffer');
  if (!p) return;
  t.equal(p.features, PingFeature.NI_STATUS | PingFeature.MULTI_RAIL | PingFeature.DISCOVERY | PingFeature.RTE_DISABLED, 'features 0x1e');
  t.equal(p.pid, 12345);
  t.same(p.nis.map((e) => formatNid(e.nid)), ['0@lo', `${NODE}@tcp`]);
  t.equal(p.nis[1]!.status, NiStatus.UP);
}

t.test('lnetctl ping: GET (sink 3960) answered with B’s ping REPLY', opts, async (t) => checkReply(t, 0, 3960));
t.test('discovery ping: GET (sink 272) answered with B’s ping REPLY', opts, async (t) => checkReply(t, 1, 272));

t.test('the discovery push PUT is ACKed as kernel B did', { skip }, async (t) => {
  const push = ours().find((s) => s.kind === 'PUT');
  t.ok(push, 'we pushed');
  const ack = control().find((f) => f.kind === 'ACK');
  t.ok(ack, 'ulnet ACKed');
  if (!push?.lnet || !ack?.lnet) return;
  t.equal(push.lnet.ptlIndex, 0);
  t.equal(push.lnet.matchBitsHi, LNET_PROTO_PING_MATCHBITS_HI);
  t.equal(ack.answers, push, 'dst_wmd echoes our ack_wmd');
  t.same([ack.lnet.matchBitsLo, ack.lnet.matchBitsHi], [0, LNET_PROTO_PING_MATCHBITS_HI], 'match bits 0x8000000000000000');
  t.equal(ack.lnet.mlength, 48, 'mlength 48');
  t.same(ack.raw, ack.expectedRaw, 'byte for byte as kernel B');
  t.ok(ack.at > push.at, 'after the push');
});

t.test('lnetctl ping again (after the push): B’s ping REPLY, same sequence number', { skip }, async (t) => {
  checkReply(t, 2, 3960);
  const seqnos = replies().map((r) => r.ping?.nis[0]?.status);
  t.equal(new Set(seqnos).size, 1, `one ping buffer throughout (seqno ${seqnos.join(', ')}), as kernel B`);
});

t.test(
  'discovery push-back: ulnet PUTs its ping buffer to A, which ACKs it',
  { skip },
  async (t) => {
    const rec = script.conns[0]!.passive.filter((i) => i.frame).map((i) => `${i.kind} ${i.payload?.length ?? 0}`);
    t.same(frameKinds(control()), rec, `kernel B’s order on CONTROL: ${rec.join(', ')}`);
    const put = control().find((f) => f.kind === 'PUT');
    t.ok(put, 'ulnet pushed');
    if (!put?.lnet) return;
    t.equal(put.lnet.ptlIndex, 0, 'portal 0');
    t.equal(put.lnet.matchBitsHi, LNET_PROTO_PING_MATCHBITS_HI, 'ping match bits');
    t.notOk(put.lnet.wmd.isNone(), 'ACK requested');
    t.same(put.raw, put.expectedRaw, 'byte for byte as kernel B (its handle and NID replaced)');
    const ourAck = ours().find((s) => s.kind === 'ACK');
    t.ok(ourAck?.lnet?.wmd.equals(put.lnet.wmd), 'the emulator ACKed it with its handle');
  },
);

t.test('teardown: ulnet answers each FIN with its own, no reset', opts, async (t) => {
  for (const c of result.conns) {
    t.ok(c.finSentAt !== undefined, `conn ${c.index}: the emulator sent FIN`);
    t.ok(c.peerFinAt !== undefined, `conn ${c.index}: ulnet closed with FIN`);
    t.equal(c.error, undefined, `conn ${c.index}: no socket error (RST)`);
    t.equal(c.parseError, undefined, `conn ${c.index}: everything decoded`);
    t.equal(c.trailingBytes, 0, `conn ${c.index}: no partial item`);
  }
});

