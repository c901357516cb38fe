import t from 'tap';
import { parseNid } from '../../src/nid/nid-string.js';
import { makeNid } from '../../src/nid/nid.js';
import {
  ACCEPTOR_CONNREQ_V1_SIZE,
  ACCEPTOR_CONNREQ_V2_SIZE,
  AcceptorVersion,
  LNET_PROTO_ACCEPTOR_MAGIC,
  acceptorReplyFor,
  connReqFor,
  connReqToBuffer,
  decodeConnReq,
  encodeConnReq,
} from '../../src/wire/acceptor.js';
import { decodeHello } from '../../src/wire/ksock-hello.js';
import { WireError } from '../../src/wire/wire-error.js';
import { hex } from '../helpers/hex.js';

function ok<T>(v: T | WireError): T {
  if (v instanceof WireError) throw v;
  return v;
}

t.test('captured v1 connreq (01-start-teardown, quoted in wire.md a)', async (t) => {
  const bytes = hex('00 71 ce ac | 01 00 00 00 | 0c 02 00 c0 00 00 02 00');
  const r = ok(decodeConnReq(bytes));
  t.same(r, { version: AcceptorVersion.V1, nid: parseNid('192.0.2.12@tcp'), flip: false, length: 16 });
  t.same(connReqToBuffer(r), bytes);
  t.same(connReqToBuffer(connReqFor(parseNid('192.0.2.12@tcp'))), bytes, 'what an active side sends');
});

t.test('v1 and v2 round trip, native and swapped byte order', async (t) => {
  for (const flip of [false, true]) {
    for (const nid of [parseNid('192.0.2.12@tcp'), parseNid('2001:db8::12@tcp7'), parseNid('10.1.2.3@o2ib')]) {
      const req = connReqFor(nid);
      const b = Buffer.alloc(40, 0xee);
      const n = encodeConnReq(req, b, 4, flip);
      t.equal(n, nid.size === 0 ? ACCEPTOR_CONNREQ_V1_SIZE : ACCEPTOR_CONNREQ_V2_SIZE);
      const d = ok(decodeConnReq(b.subarray(0, 4 + n), 4));
      t.same(d, { ...req, flip, length: n });
    }
  }
  t.same(
    connReqToBuffer({ version: AcceptorVersion.V1, nid: parseNid('192.0.2.12@tcp') }, true),
    hex('ac ce 71 00 | 00 00 00 01 | 00 02 00 00 c0 00 02 0c'),
    'a big-endian sender swaps magic, version and nid4',
  );
  const v2 = connReqToBuffer({ version: AcceptorVersion.V2, nid: parseNid('192.0.2.12@tcp') }, true);
  t.same(v2.subarray(8), hex('00 02 00 00 c0 00 02 0c 00*12'), 'the 20-byte NID is never swapped');
  t.equal(connReqFor(parseNid('2001:db8::1@tcp')).version, AcceptorVersion.V2, 'large NID needs v2');
});

t.test('refusals as lnet_accept distinguishes them, with the kernel reply where there is one', async (t) => {
  const cases: [string, string, boolean][] = [
    // A socklnd hello with no connreq in front: the acceptor says "I'm old" and closes.
    ['63 69 72 45 03 00 00 00', 'lnet-magic', true],
    ['45 72 69 63 00 00 00 03', 'lnet-magic', true],
    // "old socknal/tcpnal" and anything else: closed without a word.
    ['ed 0d bc ee 01 00 00 00', 'bad-magic', false],
    ['ee bc 0d ed 01 00 00 00', 'bad-magic', false],
    ['de ad be ef 01 00 00 00', 'bad-magic', false],
    // A future acceptor version gets the v1 connreq back, then a close.
    ['00 71 ce ac 03 00 00 00', 'bad-version', true],
    ['00 71 ce ac 00 00 00 00', 'bad-version', true],
    ['ac ce 71 00 01 00 00 00', 'bad-version', true], // swapped magic, unswapped version = 0x01000000
  ];
  for (const [bytes, reason, replies] of cases) {
    const e = decodeConnReq(hex(bytes));
    t.ok(e instanceof WireError, bytes);
    if (!(e instanceof WireError)) continue;
    t.equal(e.reason, reason, bytes);
    t.equal(e.code, 'EPROTO');
    const reply = acceptorReplyFor(e);
    if (replies) t.same(reply, hex('00 71 ce ac 01 00 00 00 00*8'), `${bytes}: replies {magic, 1, nid 0}`);
    else t.equal(reply, undefined, `${bytes}: no reply`);
  }
  const old = decodeConnReq(hex('ed 0d bc ee'));
  t.match((old as WireError).message, /'old' socknal/);
  const helloErr = decodeHello(hex('63 69 72 45 09 00 00 00'));
  t.equal(acceptorReplyFor(helloErr as WireError), undefined, 'only acceptor refusals have an acceptor reply');
  t.equal(LNET_PROTO_ACCEPTOR_MAGIC, 0xacce7100);
});

t.test('truncation is reported stage by stage with the bytes needed', async (t) => {
  const v1 = connReqToBuffer(connReqFor(parseNid('192.0.2.12@tcp')));
  const v2 = connReqToBuffer(connReqFor(parseNid('2001:db8::12@tcp')));
  const needs: [Buffer, number][] = [
    [v1.subarray(0, 0), 4],
    [v1.subarray(0, 3), 4],
    [v1.subarray(0, 7), 8],
    [v1.subarray(0, 15), 16],
    [v2.subarray(0, 27), 28],
  ];
  for (const [b, needed] of needs) {
    const e = decodeConnReq(b);
    t.ok(e instanceof WireError && e.reason === 'truncated' && e.needed === needed, `${b.length} bytes → need ${needed}`);
  }
  const bad = Buffer.from(v2);
  bad[8] = 16; // nid_size beyond 12
  const e = decodeConnReq(bad);
  t.ok(e instanceof WireError && e.reason === 'bad-nid');
});

t.test('the "I am old" reply decodes as a v1 request for nid 0', async (t) => {
  const e = decodeConnReq(hex('00 71 ce ac 07 00 00 00')) as WireError;
  const reply = acceptorReplyFor(e)!;
  t.same(ok(decodeConnReq(reply)), { version: 1, nid: makeNid(0, 0, 0), flip: false, length: 16 });
});
