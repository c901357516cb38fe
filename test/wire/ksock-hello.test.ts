import t from 'tap';
import { LNET_ANY_NID } from '../../src/nid/nid.js';
import { parseNid } from '../../src/nid/nid-string.js';
import {
  KSOCK_HELLO_NID16_SIZE,
  KSOCK_HELLO_NID4_SIZE,
  KSOCK_HELLO_V1_SIZE,
  KsockProtoVersion,
  LNET_PROTO_MAGIC,
  LNET_PROTO_TCP_MAGIC,
  SOCKLND_CONN_ACK,
  SocklndConnType,
  decodeHello,
  encodeHello,
  helloSize,
  helloToBuffer,
  invertConnType,
  peekHelloVersion,
  type KsockHello,
} from '../../src/wire/ksock-hello.js';
import { decodeLNetHdrNid4 } from '../../src/wire/lnet-hdr-codec.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import { WireError } from '../../src/wire/wire-error.js';
import { hex } from '../helpers/hex.js';

function ok<T>(v: T | WireError): T {
  if (v instanceof WireError) throw v;
  return v;
}

function hello(version: KsockProtoVersion, over: Partial<KsockHello> = {}): KsockHello {
  const v4 = version === KsockProtoVersion.V4;
  return {
    version,
    srcNid: parseNid(v4 ? '2001:db8::11@tcp' : '192.0.2.11@tcp'),
    dstNid: version === KsockProtoVersion.V1 ? LNET_ANY_NID : parseNid(v4 ? '2001:db8::12@tcp' : '192.0.2.12@tcp'),
    srcPid: 12345,
    dstPid: 0,
    srcIncarnationLo: 0xad82aebc,
    srcIncarnationHi: 0x18ea06e9,
    dstIncarnationLo: 0,
    dstIncarnationHi: 0,
    ctype: SocklndConnType.BULK_IN,
    ips: [],
    ...over,
  };
}

const strip = ({ flip: _f, length: _l, ...rest }: KsockHello & { flip?: boolean; length?: number }) => rest;

t.test('captured V3 hello from A (02-ping-discover, quoted in wire.md b) decodes and re-encodes', async (t) => {
  const bytes = hex(`63 69 72 45 | 03 00 00 00 | 0b 02 00 c0 00 00 02 00 | 0c 02 00 c0 00 00 02 00
    39 30 00 00 | 00 00 00 00 | bc ae 82 ad e9 06 ea 18 | 00*8 | 01 00 00 00 | 00 00 00 00`);
  t.equal(bytes.length, KSOCK_HELLO_NID4_SIZE);
  const h = ok(decodeHello(bytes));
  t.same(strip(h), hello(KsockProtoVersion.V3, { ctype: SocklndConnType.CONTROL }));
  t.equal(h.flip, false);
  t.equal(h.length, 56);
  t.same(helloToBuffer(h), bytes);
});

t.test('every version round-trips; V2/V3 and V4 also from a big-endian sender', async (t) => {
  const cases: [KsockProtoVersion, boolean][] = [
    [KsockProtoVersion.V1, false],
    [KsockProtoVersion.V2, false],
    [KsockProtoVersion.V2, true],
    [KsockProtoVersion.V3, false],
    [KsockProtoVersion.V3, true],
    [KsockProtoVersion.V4, false],
    [KsockProtoVersion.V4, true],
  ];
  for (const [v, flip] of cases) {
    for (const ips of v === KsockProtoVersion.V4 ? [[]] : [[], [0xc0000201, 0x0a000001]]) {
      const h = hello(v, { ips, ctype: SocklndConnType.NONE, dstPid: 7, dstIncarnationLo: v === 1 ? 0 : 9 });
      if (v === KsockProtoVersion.V1) h.dstPid = 0;
      const b = Buffer.alloc(helloSize(h) + 3, 0xee);
      t.equal(encodeHello(h, b, 3, flip), helloSize(h));
      const d = ok(decodeHello(b.subarray(0, 3 + helloSize(h)), 3));
      t.same(strip(d), h, `V${v} flip=${flip} nips=${ips.length}`);
      t.equal(d.flip, flip);
      t.equal(d.length, helloSize(h));
      t.equal(d.ctype, -1, 'ctype NONE decodes as -1');
    }
  }
  t.equal(helloSize(hello(KsockProtoVersion.V4)), KSOCK_HELLO_NID16_SIZE);
  t.equal(helloSize(hello(KsockProtoVersion.V1, { ips: [1] })), KSOCK_HELLO_V1_SIZE + 4);
});

t.test('V1 hello is an LNet header: magicversion in dest_nid, type HELLO, IPs as payload', async (t) => {
  const h = hello(KsockProtoVersion.V1, { ips: [0xc0000201] });
  const b = helloToBuffer(h);
  t.same(b.subarray(0, 8), hex('ed 0d bc ee 01 00 00 00'), 'LE TCP magic, version 1.0');
  const l = ok(decodeLNetHdrNid4(b));
  t.equal(l.type, LNetMsgType.HELLO);
  t.equal(l.payloadLength, 4);
  t.same([l.helloIncarnationLo, l.helloIncarnationHi, l.helloType], [0xad82aebc, 0x18ea06e9, SocklndConnType.BULK_IN]);
  t.equal(b.readUInt32LE(72), 0xc0000201);
  const notHello = Buffer.from(b);
  notHello.writeUInt32LE(LNetMsgType.PUT, 24);
  const e = decodeHello(notHello);
  t.ok(e instanceof WireError && e.reason === 'bad-type' && e.code === 'EPROTO');
});

t.test('peekHelloVersion: magic and version from the first 8 bytes, as ksocknal_recv_hello', async (t) => {
  const p3 = ok(peekHelloVersion(hex('63 69 72 45 03 00 00 00')));
  t.same(p3, { version: 3, flip: false, fixedLength: 56 });
  t.same(ok(peekHelloVersion(hex('45 72 69 63 00 00 00 04'))), { version: 4, flip: true, fixedLength: 80 });
  t.same(ok(peekHelloVersion(hex('ed 0d bc ee 01 00 00 00'))), { version: 1, flip: false, fixedLength: 72 });
  const refusals: [string, string, number][] = [
    ['00 00 00 00 03 00 00 00', 'bad-magic', 0],
    ['ee bc 0d ed 01 00 00 00', 'bad-magic', 0xed0dbcee], // V1 is only ever little-endian
    ['00 71 ce ac 01 00 00 00', 'bad-magic', 0xacce7100], // a connreq where a hello belongs
    ['63 69 72 45 05 00 00 00', 'bad-version', 5],
    ['63 69 72 45 01 00 00 00', 'bad-version', 1],
    ['63 69 72 45 00 00 00 00', 'bad-version', 0],
    ['45 72 69 63 03 00 00 00', 'bad-version', 0x03000000],
    ['ed 0d bc ee 02 00 00 00', 'bad-version', 2],
    ['ed 0d bc ee 01 00 01 00', 'bad-version', 0x00010001],
  ];
  for (const [bytes, reason, found] of refusals) {
    const e = peekHelloVersion(hex(bytes));
    t.ok(e instanceof WireError, bytes);
    if (e instanceof WireError) {
      t.same([e.reason, e.found >>> 0, e.code], [reason, found, 'EPROTO'], bytes);
    }
  }
  const short = peekHelloVersion(hex('63 69 72'));
  t.ok(short instanceof WireError && short.reason === 'truncated' && short.needed === 4);
  const short2 = peekHelloVersion(hex('63 69 72 45 03'));
  t.ok(short2 instanceof WireError && short2.reason === 'truncated' && short2.needed === 8);
  const badEarly = peekHelloVersion(hex('99 99 99'));
  t.ok(badEarly instanceof WireError && badEarly.reason === 'truncated', 'magic needs 4 bytes before judging');
  const badMagic = peekHelloVersion(hex('99 99 99 99'));
  t.ok(badMagic instanceof WireError && badMagic.reason === 'bad-magic', '4 bytes suffice to refuse a magic');
});

t.test('decodeHello refusals: truncation, IP list limits, ANY source, bad V4 NIDs', async (t) => {
  const v3 = helloToBuffer(hello(KsockProtoVersion.V3, { ips: [1, 2] }));
  const tr = decodeHello(v3.subarray(0, 40));
  t.ok(tr instanceof WireError && tr.reason === 'truncated' && tr.needed === 56);
  const tr2 = decodeHello(v3.subarray(0, 60));
  t.ok(tr2 instanceof WireError && tr2.reason === 'truncated' && tr2.needed === 64, 'needs the IP list too');

  const many = Buffer.from(v3);
  many.writeUInt32LE(17, 52);
  const e1 = decodeHello(many);
  t.ok(e1 instanceof WireError && e1.reason === 'too-many-ips' && e1.found === 17);
  const sixteen = helloToBuffer(hello(KsockProtoVersion.V2, { ips: Array.from({ length: 16 }, (_, i) => i + 1) }));
  t.equal(ok(decodeHello(sixteen)).ips.length, 16, '16 IPs are allowed');

  const zero = Buffer.from(v3);
  zero.writeUInt32LE(0, 60);
  const e2 = decodeHello(zero);
  t.ok(e2 instanceof WireError && e2.reason === 'zero-ip' && e2.offset === 60);

  const any = helloToBuffer(hello(KsockProtoVersion.V3, { srcNid: LNET_ANY_NID }));
  const e3 = decodeHello(any);
  t.ok(e3 instanceof WireError && e3.reason === 'nid-any' && e3.code === 'EPROTO');

  const v4 = helloToBuffer(hello(KsockProtoVersion.V4));
  const bad = Buffer.from(v4);
  bad[28] = 200; // dst nid_size
  const e4 = decodeHello(bad);
  t.ok(e4 instanceof WireError && e4.reason === 'bad-nid' && e4.offset === 28);
  const v4nips = Buffer.from(v4);
  v4nips.writeUInt32LE(3, 76);
  t.same(ok(decodeHello(v4nips)).ips, [], 'V4 never reads an IP list, whatever kshm_nips says');
  t.equal(ok(decodeHello(v4nips)).length, 80);

  const v1many = helloToBuffer(hello(KsockProtoVersion.V1));
  v1many.writeUInt32LE(17 * 4, 28);
  const e5 = decodeHello(v1many);
  t.ok(e5 instanceof WireError && e5.reason === 'too-many-ips');
});

t.test('encodeHello refuses what the wire cannot carry', async (t) => {
  t.throws(() => helloToBuffer(hello(KsockProtoVersion.V3, { srcNid: parseNid('2001:db8::1@tcp') })), { code: 'EINVAL' });
  t.throws(() => helloToBuffer(hello(KsockProtoVersion.V4, { ips: [1] })), { code: 'EINVAL' });
  t.throws(() => helloToBuffer(hello(KsockProtoVersion.V2, { ips: new Array<number>(17).fill(1) })), { code: 'EINVAL' });
  t.throws(() => encodeHello(hello(KsockProtoVersion.V3), Buffer.alloc(55)), { code: 'ENOBUFS' });
});

t.test('constants carry the kernel numbers; ctype inversion as ksocknal_invert_type', async (t) => {
  t.equal(LNET_PROTO_MAGIC, 0x45726963);
  t.equal(LNET_PROTO_TCP_MAGIC, 0xeebc0ded);
  t.same(
    [SocklndConnType.NONE, SocklndConnType.ANY, SocklndConnType.CONTROL, SocklndConnType.BULK_IN, SocklndConnType.BULK_OUT],
    [-1, 0, 1, 2, 3],
  );
  t.equal(SOCKLND_CONN_ACK, SocklndConnType.BULK_IN);
  t.same([1, 2, 3, 4].map((v) => KsockProtoVersion[v]), ['V1', 'V2', 'V3', 'V4']);
  t.same([0, 1, 2, 3, -1, 4, 99].map(invertConnType), [0, 1, 3, 2, -1, -1, -1]);
});
