// Matching rules of lnet/lnet/lib-ptl.c (lnet_try_match_md, lnet_mt_match_md, lnet_ptl_match_type)
// and MD options of lib-md.c, exercised through a real PUT/GET path over the memory LND.
import t from 'tap';
import {
  AckReq,
  EventKind,
  InsPos,
  LNET_ANY_NID,
  LNET_MD_THRESH_INF,
  LNET_PID_ANY,
  MdOption,
  Unlink,
  parseNid,
  type LNetEvent,
} from '../../src/index.js';
import { memNodes, nid } from '../helpers/mem-nodes.js';

const ANY = { nid: LNET_ANY_NID, pid: LNET_PID_ANY };
const settle = () => new Promise((r) => setTimeout(r, 20));

t.test('exact match bits select the ME; others are dropped and counted', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  const got: LNetEvent[] = [];
  const me = b!.meAttach(10, ANY, 0x1234n, 0);
  b!.mdAttach(me, { start: new Uint8Array(64), threshold: LNET_MD_THRESH_INF, options: MdOption.OP_PUT, handler: (e) => got.push(e.clone()) });
  await a!.putAsync({ target: nid(2), portal: 10, matchBits: 0x1234n, data: Buffer.from('hello'), ack: false });
  await a!.putAsync({ target: nid(2), portal: 10, matchBits: 0x1235n, data: Buffer.from('nope'), ack: false });
  await settle();
  t.equal(got.length, 1);
  t.equal(got[0]!.type, EventKind.PUT);
  t.equal(got[0]!.mlength, 5);
  t.equal(b!.counters.drop_count, 1);
  t.equal(b!.counters.drop_length, 4);
});

t.test('ignore bits widen a match; 64-bit match bits compare in both halves', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  const got: bigint[] = [];
  const me = b!.meAttach(11, ANY, 0xabcd_0000_0000_0000n, 0x0000_ffff_ffff_ffffn);
  b!.mdAttach(me, { start: new Uint8Array(64), threshold: LNET_MD_THRESH_INF, options: MdOption.OP_PUT, handler: (e) => got.push(e.matchBits) });
  await a!.putAsync({ target: nid(2), portal: 11, matchBits: 0xabcd_0000_0000_0042n, data: new Uint8Array(1), ack: false });
  await a!.putAsync({ target: nid(2), portal: 11, matchBits: 0xabce_0000_0000_0042n, data: new Uint8Array(1), ack: false });
  await settle();
  t.same(got, [0xabcd_0000_0000_0042n]);
});

t.test('MEs with ignore bits are tried before exact MEs; BEFORE inserts at the head', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  const hits: string[] = [];
  const attach = (name: string, ignore: bigint, pos: InsPos) => {
    const me = b!.meAttach(12, ANY, 7n, ignore, Unlink.UNLINK, pos);
    b!.mdAttach(me, { start: new Uint8Array(8), threshold: 1, options: MdOption.OP_PUT, handler: (e) => e.type === EventKind.PUT && hits.push(name) });
  };
  attach('exact1', 0n, InsPos.AFTER);
  attach('exact0', 0n, InsPos.BEFORE);
  attach('ignore', 0xf0n, InsPos.AFTER);
  for (let i = 0; i < 3; i++) await a!.putAsync({ target: nid(2), portal: 12, matchBits: 7n, data: new Uint8Array(1), ack: false });
  await settle();
  t.same(hits, ['ignore', 'exact0', 'exact1']);
});

t.test('match id: pid and initiator NID must match unless wildcard', async (t) => {
  const { nodes: [a, b, c], close } = await memNodes(3);
  t.teardown(close);
  const hits: string[] = [];
  const me = b!.meAttach(13, { nid: parseNid('10.0.0.3@tcp'), pid: LNET_PID_ANY }, 1n, 0n);
  b!.mdAttach(me, { start: new Uint8Array(8), threshold: LNET_MD_THRESH_INF, options: MdOption.OP_PUT, handler: (e) => e.type === EventKind.PUT && hits.push(`${e.initiator.pid}`) });
  await a!.putAsync({ target: nid(2), portal: 13, matchBits: 1n, data: new Uint8Array(1), ack: false });
  await c!.putAsync({ target: nid(2), portal: 13, matchBits: 1n, data: new Uint8Array(1), ack: false });
  await settle();
  t.same(hits, ['12345'], 'only the PUT from 10.0.0.3 matched');
});

t.test('unique vs wildcard portal: the first ME fixes the type, the other kind gets EPERM', async (t) => {
  const { nodes: [a], close } = await memNodes(1);
  t.teardown(close);
  a!.meAttach(14, { nid: parseNid('10.0.0.9@tcp'), pid: 12345 }, 1n, 0n);
  t.throws(() => a!.meAttach(14, ANY, 1n, 0n), { code: 'EPERM' });
  a!.meAttach(15, ANY, 1n, 0n);
  t.throws(() => a!.meAttach(15, { nid: parseNid('10.0.0.9@tcp'), pid: 12345 }, 1n, 0n), { code: 'EPERM' });
  t.throws(() => a!.meAttach(64, ANY, 1n, 0n), { code: 'EINVAL' });
  t.throws(() => a!.meAttach(-1, ANY, 1n, 0n), { code: 'EINVAL' });
});

t.test('threshold exhaustion auto-unlinks; the exhausting event says unlinked', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  const evs: LNetEvent[] = [];
  const me = b!.meAttach(16, ANY, 1n, 0n);
  b!.mdAttach(me, { start: new Uint8Array(64), threshold: 2, options: MdOption.OP_PUT, handler: (e) => evs.push(e.clone()) });
  for (let i = 0; i < 3; i++) await a!.putAsync({ target: nid(2), portal: 16, matchBits: 1n, data: new Uint8Array(4), ack: false });
  await settle();
  t.equal(evs.length, 2);
  t.equal(evs[0]!.unlinked, false);
  t.equal(evs[1]!.unlinked, true);
  t.equal(evs[1]!.offset, 4, 'local offset advanced by the first PUT');
  t.equal(b!.counters.drop_count, 1, 'third PUT found no MD');
  t.same(b!.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 }, 'ME went with its MD (LNET_UNLINK)');
});

t.test('RETAIN keeps the ME without an MD: it matches nothing until a new MD is attached', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  const evs: LNetEvent[] = [];
  const me = b!.meAttach(17, ANY, 1n, 0n, Unlink.RETAIN);
  b!.mdAttach(me, { start: new Uint8Array(8), threshold: 1, options: MdOption.OP_PUT, handler: (e) => evs.push(e.clone()) });
  await a!.putAsync({ target: nid(2), portal: 17, matchBits: 1n, data: new Uint8Array(1), ack: false });
  await a!.putAsync({ target: nid(2), portal: 17, matchBits: 1n, data: new Uint8Array(1), ack: false });
  await settle();
  t.equal(evs.length, 1);
  t.equal(b!.core.resourceCounts().mes, 1);
  b!.mdAttach(me, { start: new Uint8Array(8), threshold: 1, options: MdOption.OP_PUT, handler: (e) => evs.push(e.clone()) });
  await a!.putAsync({ target: nid(2), portal: 17, matchBits: 1n, data: new Uint8Array(1), ack: false });
  await settle();
  t.equal(evs.length, 2);
});

t.test('TRUNCATE delivers mlength < rlength; without it a too-long PUT is dropped and matching stops', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  const evs: LNetEvent[] = [];
  const small = b!.meAttach(18, ANY, 1n, 0n);
  b!.mdAttach(small, { start: new Uint8Array(4), threshold: LNET_MD_THRESH_INF, options: MdOption.OP_PUT, handler: (e) => evs.push(e.clone()) });
  const big = b!.meAttach(18, ANY, 1n, 0n);
  b!.mdAttach(big, { start: new Uint8Array(100), threshold: LNET_MD_THRESH_INF, options: MdOption.OP_PUT, handler: (e) => evs.push(e.clone()) });
  await a!.putAsync({ target: nid(2), portal: 18, matchBits: 1n, data: new Uint8Array(10), ack: false });
  await settle();
  t.equal(evs.length, 0, 'DROP from the first MD ends matching (lib-ptl.c LNET_MATCHMD_DROP)');
  t.equal(b!.counters.drop_count, 1);

  const tr = b!.meAttach(19, ANY, 1n, 0n);
  const buf = new Uint8Array(4);
  b!.mdAttach(tr, { start: buf, threshold: 1, options: MdOption.OP_PUT | MdOption.TRUNCATE, handler: (e) => evs.push(e.clone()) });
  const r = await a!.putAsync({ target: nid(2), portal: 19, matchBits: 1n, data: Buffer.from('abcdefgh') });
  t.equal(evs[0]!.rlength, 8);
  t.equal(evs[0]!.mlength, 4);
  t.equal(r.mlength, 4, 'the ACK carries mlength');
  t.equal(Buffer.from(buf).toString(), 'abcd');
});

t.test('MANAGE_REMOTE takes the offset from the header; MAX_SIZE caps each op', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  const buf = new Uint8Array(16);
  const evs: LNetEvent[] = [];
  const me = b!.meAttach(20, ANY, 1n, 0n);
  b!.mdAttach(me, { start: buf, threshold: LNET_MD_THRESH_INF, options: MdOption.OP_PUT | MdOption.MANAGE_REMOTE, handler: (e) => evs.push(e.clone()) });
  await a!.putAsync({ target: nid(2), portal: 20, matchBits: 1n, data: Buffer.from('XY'), offset: 10 });
  t.equal(evs[0]!.offset, 10);
  t.equal(Buffer.from(buf.subarray(10, 12)).toString(), 'XY');

  const me2 = b!.meAttach(21, ANY, 1n, 0n);
  const evs2: LNetEvent[] = [];
  b!.mdAttach(me2, {
    start: new Uint8Array(10),
    threshold: LNET_MD_THRESH_INF,
    maxSize: 4,
    options: MdOption.OP_PUT | MdOption.MAX_SIZE | MdOption.TRUNCATE,
    handler: (e) => evs2.push(e.clone()),
  });
  await a!.putAsync({ target: nid(2), portal: 21, matchBits: 1n, data: new Uint8Array(6) });
  await a!.putAsync({ target: nid(2), portal: 21, matchBits: 1n, data: new Uint8Array(3) });
  t.same(evs2.map((e) => [e.offset, e.mlength, e.unlinked]), [
    [0, 4, false],
    [4, 3, true],
  ], 'the MD is exhausted once offset + max_size > length');
});

t.test('ACK_DISABLE suppresses the ACK; OP_GET-only MDs refuse PUTs', async (t) => {
  const { nodes: [a, b], close } = await memNodes(2);
  t.teardown(close);
  const me = b!.meAttach(22, ANY, 1n, 0n);
  b!.mdAttach(me, { start: new Uint8Array(8), threshold: LNET_MD_THRESH_INF, options: MdOption.OP_PUT | MdOption.ACK_DISABLE });
  const q = a!.eventQueue();
  const md = a!.mdBind({ start: new Uint8Array(2), threshold: 2, handler: q.handler });
  a!.put(undefined, md, AckReq.ACK, a!.parseTarget(nid(2)), 22, 1n);
  const send = await q.next(2000);
  t.equal(send.type, EventKind.SEND);
  await settle();
  t.equal(q.length, 0, 'no ACK came back');
  a!.mdUnlink(md);
  const unlink = await q.next(2000);
  t.equal(unlink.type, EventKind.UNLINK);

  const me2 = b!.meAttach(23, ANY, 1n, 0n);
  b!.mdAttach(me2, { start: new Uint8Array(8), threshold: LNET_MD_THRESH_INF, options: MdOption.OP_GET });
  await a!.putAsync({ target: nid(2), portal: 23, matchBits: 1n, data: new Uint8Array(1), ack: false });
  await settle();
  t.equal(b!.counters.drop_count, 1);
});

t.test('mdBind refuses OP_PUT/OP_GET and > LNET_MTU; unknown handles are ENOENT', async (t) => {
  const { nodes: [a], close } = await memNodes(1);
  t.teardown(close);
  t.throws(() => a!.mdBind({ start: new Uint8Array(1), threshold: 1, options: MdOption.OP_PUT }), { code: 'EINVAL' });
  t.throws(() => a!.mdBind({ start: new Uint8Array((1 << 20) + 1), threshold: 1 }), { code: 'EINVAL' });
  t.throws(() => a!.mdBind({ start: new Uint8Array(1), threshold: -2 }), { code: 'EINVAL' });
  const md = a!.mdBind({ start: new Uint8Array(1), threshold: 1 });
  a!.mdUnlink(md);
  t.throws(() => a!.mdUnlink(md), { code: 'ENOENT' });
  t.throws(() => a!.put(undefined, md, AckReq.NOACK, a!.parseTarget(nid(2)), 1, 1n), { code: 'ENOENT' });
});
