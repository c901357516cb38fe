import t from 'tap';
import { parseNid } from '../../src/nid/nid-string.js';
import { LNET_HDR_NID16_SIZE, LNET_HDR_NID4_SIZE, LNET_MTU, LNetHdr } from '../../src/wire/lnet-hdr.js';
import {
  decodeLNetHdrNid16,
  decodeLNetHdrNid4,
  encodeLNetHdrNid16,
  encodeLNetHdrNid4,
  validateLNetHdr,
} from '../../src/wire/lnet-hdr-codec.js';
import { KSOCK_MSG_HDR_SIZE, KsockMsgHdr, KsockMsgType, decodeKsockMsgHdr, encodeKsockMsgHdr } from '../../src/wire/ksock-msg.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import { WireError } from '../../src/wire/wire-error.js';
import { WireHandle } from '../../src/wire/wire-handle.js';
import { hex } from '../helpers/hex.js';

function ok<T>(v: T | WireError): T {
  if (v instanceof WireError) throw v;
  return v;
}

/** One header of each type with every field the type defines set to something distinctive. */
function sample(type: LNetMsgType, dest = '192.0.2.12@tcp', src = '192.0.2.11@tcp'): LNetHdr {
  const h = new LNetHdr();
  h.destNid = parseNid(dest);
  h.srcNid = parseNid(src);
  h.destPid = 12345;
  h.srcPid = 0x80001234;
  h.type = type;
  h.payloadLength = type === LNetMsgType.PUT || type === LNetMsgType.REPLY ? 4096 : 0;
  if (type !== LNetMsgType.HELLO) h.wmd = new WireHandle(0xa4ad8cdc, 0x18ea06e9, 0x15, 0);
  if (type === LNetMsgType.PUT || type === LNetMsgType.GET || type === LNetMsgType.ACK) {
    h.matchBitsLo = 0x01020304;
    h.matchBitsHi = 0x80000000;
  }
  if (type === LNetMsgType.PUT) {
    h.hdrDataLo = 0xdeadbeef;
    h.hdrDataHi = 0xcafef00d;
    h.ptlIndex = 51;
    h.offset = 77;
  }
  if (type === LNetMsgType.GET) {
    h.ptlIndex = 52;
    h.offset = 8;
    h.sinkLength = 3960;
  }
  if (type === LNetMsgType.ACK) h.mlength = 48;
  if (type === LNetMsgType.HELLO) {
    h.helloIncarnationLo = 0xad82aebc;
    h.helloIncarnationHi = 0x18ea06e9;
    h.helloType = 3;
  }
  return h;
}

const TYPES = [LNetMsgType.ACK, LNetMsgType.PUT, LNetMsgType.GET, LNetMsgType.REPLY, LNetMsgType.HELLO];

t.test('worked example of wire.md: socklnd V3 PUT of 8 bytes encodes to exactly those bytes', async (t) => {
  const expected = hex(`
    c1 00 00 00 | 00 00 00 00 | 00*8 | 00*8
    02 00 00 0a 00 00 02 00
    01 00 00 0a 00 00 02 00
    39 30 00 00  39 30 00 00
    01 00 00 00  08 00 00 00
    ff*16
    11 00 00 00 00 00 00 00
    00*8
    04 00 00 00  00 00 00 00
    41 42 43 44 45 46 47 48`);
  const k = new KsockMsgHdr();
  const h = new LNetHdr();
  h.destNid = parseNid('10.0.0.2@tcp');
  h.srcNid = parseNid('10.0.0.1@tcp');
  h.destPid = 12345;
  h.srcPid = 12345;
  h.type = LNetMsgType.PUT;
  h.payloadLength = 8;
  h.wmd = WireHandle.none();
  h.matchBitsLo = 0x11;
  h.ptlIndex = 4;
  const out = Buffer.alloc(KSOCK_MSG_HDR_SIZE + LNET_HDR_NID4_SIZE + 8);
  let n = encodeKsockMsgHdr(k, out, 0);
  n += encodeLNetHdrNid4(h, out, n);
  Buffer.from('ABCDEFGH').copy(out, n);
  t.same(out, expected);

  const km = ok(decodeKsockMsgHdr(expected, 0));
  t.equal(km.type, KsockMsgType.LNET);
  t.equal(km.csum, 0);
  const d = ok(decodeLNetHdrNid4(expected, KSOCK_MSG_HDR_SIZE));
  t.same(
    [d.destNid, d.srcNid, d.destPid, d.srcPid, d.type, d.payloadLength, d.matchBitsLo, d.matchBitsHi, d.ptlIndex, d.offset],
    [h.destNid, h.srcNid, 12345, 12345, LNetMsgType.PUT, 8, 0x11, 0, 4, 0],
  );
  t.ok(d.wmd.isNone(), 'all-ones ack_wmd: no ACK wanted');
  t.same([d.hdrDataLo, d.hdrDataHi], [0, 0]);
  t.equal(validateLNetHdr(d), undefined);
});

t.test('worked example, V4 form: dest_nid is the 20-byte NID at offset 0 of the 96-byte header', async (t) => {
  const h = new LNetHdr();
  h.destNid = parseNid('10.0.0.2@tcp');
  h.srcNid = parseNid('10.0.0.1@tcp');
  h.destPid = 12345;
  h.srcPid = 12345;
  h.type = LNetMsgType.PUT;
  h.payloadLength = 8;
  h.matchBitsLo = 0x11;
  h.ptlIndex = 4;
  const b = Buffer.alloc(LNET_HDR_NID16_SIZE);
  t.equal(encodeLNetHdrNid16(h, b), 96);
  t.same(
    b,
    hex(`00 02 00 00 0a 00 00 02 00*12  00 02 00 00 0a 00 00 01 00*12
         39 30 00 00 39 30 00 00 01 00 00 00 08 00 00 00
         ff*16 11 00*7 00*8 04 00 00 00 00 00 00 00`),
  );
  const d = ok(decodeLNetHdrNid16(b));
  t.same([d.destNid, d.srcNid, d.type, d.payloadLength, d.ptlIndex], [h.destNid, h.srcNid, 1, 8, 4]);
});

t.test('captured discovery GET and its REPLY (02-ping-discover, as quoted in wire.md)', async (t) => {
  const get = hex(`0c 02 00 c0 00 00 02 00 | 0b 02 00 c0 00 00 02 00 | 39 30 00 00 | 39 30 00 00 | 02 00 00 00 | 00 00 00 00
    dc 8c ad a4 e9 06 ea 18 11 00 00 00 00 00 00 00 | 00 00 00 00 00 00 00 80
    00 00 00 00 | 00 00 00 00 | 10 01 00 00 | 00 00 00 00`);
  const g = ok(decodeLNetHdrNid4(get));
  t.equal(g.type, LNetMsgType.GET);
  t.same([g.wmd.ifLo, g.wmd.ifHi, g.wmd.objLo, g.wmd.objHi], [0xa4ad8cdc, 0x18ea06e9, 0x11, 0]);
  t.same([g.matchBitsLo, g.matchBitsHi, g.ptlIndex, g.offset, g.sinkLength], [0, 0x80000000, 0, 0, 272]);
  const reply = hex(`0b 02 00 c0 00 00 02 00 | 0c 02 00 c0 00 00 02 00 | 39 30 00 00 | 39 30 00 00 | 03 00 00 00 | 30 00 00 00
    dc 8c ad a4 e9 06 ea 18 11 00 00 00 00 00 00 00 | 00*24`);
  const r = ok(decodeLNetHdrNid4(reply));
  t.ok(r.wmd.equals(g.wmd), 'dst_wmd echoes return_wmd');
  t.equal(r.payloadLength, 48);
  for (const [name, bytes] of [['GET', get], ['REPLY', reply]] as const) {
    const out = Buffer.alloc(72);
    encodeLNetHdrNid4(ok(decodeLNetHdrNid4(bytes)), out);
    t.same(out, bytes, `${name} re-encodes byte for byte`);
  }
});

t.test('every message type round-trips through the nid4 header', async (t) => {
  for (const type of TYPES) {
    const h = sample(type);
    const b = Buffer.alloc(72 + 5, 0xee);
    t.equal(encodeLNetHdrNid4(h, b, 5), 72);
    t.equal(b[4], 0xee, 'nothing written before the offset');
    t.same(ok(decodeLNetHdrNid4(b, 5)), h, LNetMsgType[type]);
    const again = Buffer.alloc(77, 0xee);
    encodeLNetHdrNid4(ok(decodeLNetHdrNid4(b, 5)), again, 5);
    t.same(again, b, `${LNetMsgType[type]} bytes stable`);
  }
});

t.test('every message type round-trips through the nid16 header, IPv4 and IPv6 NIDs', async (t) => {
  for (const [dest, src] of [
    ['192.0.2.12@tcp', '192.0.2.11@tcp'],
    ['2001:db8::12@tcp', '2001:db8::11@tcp3'],
  ] as const) {
    for (const type of TYPES) {
      const h = sample(type, dest, src);
      const b = Buffer.alloc(96);
      t.equal(encodeLNetHdrNid16(h, b), 96);
      t.same(ok(decodeLNetHdrNid16(b)), h, `${LNetMsgType[type]} ${dest}`);
    }
  }
});

t.test('union offsets: nid4 at 32, nid16 at 56; unused union bytes are zero', async (t) => {
  const put = sample(LNetMsgType.PUT);
  const b4 = Buffer.alloc(72);
  const b16 = Buffer.alloc(96);
  encodeLNetHdrNid4(put, b4);
  encodeLNetHdrNid16(put, b16);
  t.same(b4.subarray(32), b16.subarray(56), 'identical 40-byte union');
  t.equal(b4.readUInt32LE(64), 51, 'PUT ptl_index at 64');
  t.equal(b16.readUInt32LE(88), 51, 'PUT ptl_index at 88 in nid16');
  t.equal(b4.readUInt32LE(56), 0xdeadbeef, 'hdr_data at 56');

  const reply = Buffer.alloc(72, 0xaa);
  encodeLNetHdrNid4(sample(LNetMsgType.REPLY), reply);
  t.same(reply.subarray(48), Buffer.alloc(24), 'REPLY: 24 unused bytes zero');
  const ack = Buffer.alloc(72, 0xaa);
  encodeLNetHdrNid4(sample(LNetMsgType.ACK), ack);
  t.equal(ack.readUInt32LE(56), 48, 'ACK mlength at 56');
  t.same(ack.subarray(60), Buffer.alloc(12), 'ACK: 12 unused bytes zero');
  const get = Buffer.alloc(72, 0xaa);
  encodeLNetHdrNid4(sample(LNetMsgType.GET), get);
  t.same([get.readUInt32LE(56), get.readUInt32LE(60), get.readUInt32LE(64)], [52, 8, 3960]);
  t.same(get.subarray(68), Buffer.alloc(4), 'GET: 4 unused bytes zero');
  const hello = Buffer.alloc(72, 0xaa);
  encodeLNetHdrNid4(sample(LNetMsgType.HELLO), hello);
  t.same([hello.readUInt32LE(32), hello.readUInt32LE(36), hello.readUInt32LE(40)], [0xad82aebc, 0x18ea06e9, 3]);
  t.same(hello.subarray(44), Buffer.alloc(28));
});

t.test('decoding into a reused header resets fields the new type lacks', async (t) => {
  const out = new LNetHdr();
  const b = Buffer.alloc(72);
  encodeLNetHdrNid4(sample(LNetMsgType.PUT), b);
  const first = ok(decodeLNetHdrNid4(b, 0, out));
  t.equal(first, out, 'decodes into the given object');
  const putWmd = out.wmd;
  encodeLNetHdrNid4(sample(LNetMsgType.REPLY), b);
  ok(decodeLNetHdrNid4(b, 0, out));
  t.same([out.hdrDataLo, out.ptlIndex, out.matchBitsHi, out.offset], [0, 0, 0, 0]);
  t.not(out.wmd, putWmd, 'a fresh handle: one kept from the earlier message is not overwritten');
  t.same(out, sample(LNetMsgType.REPLY));
});

t.test('a decode writes every header field: decoding into any used header equals decoding into a new one', async (t) => {
  // Pooled messages' headers are not reset on free (LNetMsg.reset): the decoder must leave
  // nothing of the header's last use, in both forms and on the word and byte paths.
  const used = (): LNetHdr => {
    const h = new LNetHdr();
    let n = 1;
    for (const k of Object.keys(h) as Array<keyof LNetHdr>) {
      if (typeof h[k] === 'number') (h as unknown as Record<string, number>)[k] = 1000 + n++;
    }
    h.destNid = parseNid('10.9.9.9@o2ib7');
    h.srcNid = parseNid('10.8.8.8@o2ib7');
    h.wmd = new WireHandle(1, 2, 3, 4);
    return h;
  };
  const UNKNOWN = 9 as LNetMsgType;
  for (const type of [...TYPES, UNKNOWN]) {
    const b4 = Buffer.alloc(72 + 1);
    const b16 = Buffer.alloc(96 + 1);
    encodeLNetHdrNid4(sample(type), b4, 0);
    encodeLNetHdrNid16(sample(type), b16, 0);
    if (type === UNKNOWN) {
      b4.writeUInt32LE(9, 24);
      b16.writeUInt32LE(9, 48);
    }
    const name = LNetMsgType[type] ?? 'unknown';
    t.same(ok(decodeLNetHdrNid4(b4, 0, used())), ok(decodeLNetHdrNid4(b4, 0)), `${name}, nid4, word path`);
    t.same(ok(decodeLNetHdrNid16(b16, 0, used())), ok(decodeLNetHdrNid16(b16, 0)), `${name}, nid16, word path`);
    b4.copyWithin(1, 0, 72);
    b16.copyWithin(1, 0, 96);
    t.same(ok(decodeLNetHdrNid4(b4, 1, used())), ok(decodeLNetHdrNid4(b4, 1)), `${name}, nid4, byte path`);
    t.same(ok(decodeLNetHdrNid16(b16, 1, used())), ok(decodeLNetHdrNid16(b16, 1)), `${name}, nid16, byte path`);
  }
});

t.test('unknown message type: common fields decode, union ignored, validation refuses', async (t) => {
  const b = Buffer.alloc(72);
  encodeLNetHdrNid4(sample(LNetMsgType.PUT), b);
  b.writeUInt32LE(9, 24);
  const h = ok(decodeLNetHdrNid4(b));
  t.equal(h.type, 9);
  t.ok(h.wmd.isNone());
  const e = validateLNetHdr(h);
  t.ok(e instanceof WireError);
  t.equal(e?.code, 'EPROTO');
  t.equal(e?.reason, 'bad-type');
});

t.test('validateLNetHdr: the lnet_parse type and length checks', async (t) => {
  const cases: [LNetMsgType, number, string | undefined][] = [
    [LNetMsgType.ACK, 0, undefined],
    [LNetMsgType.ACK, 1, 'bad-length'],
    [LNetMsgType.GET, 0, undefined],
    [LNetMsgType.GET, 48, 'bad-length'],
    [LNetMsgType.PUT, LNET_MTU, undefined],
    [LNetMsgType.PUT, LNET_MTU + 1, 'bad-length'],
    [LNetMsgType.REPLY, LNET_MTU, undefined],
    [LNetMsgType.REPLY, 0xffffffff, 'bad-length'],
    [LNetMsgType.HELLO, 0, 'bad-type'],
  ];
  for (const [type, len, reason] of cases) {
    const h = sample(type);
    h.payloadLength = len;
    const e = validateLNetHdr(h);
    t.equal(e?.reason, reason, `${LNetMsgType[type]} payload ${len}`);
    if (e) t.equal(e.code, 'EPROTO');
  }
});

t.test('truncated input and malformed NIDs are typed refusals', async (t) => {
  const b = Buffer.alloc(96);
  encodeLNetHdrNid16(sample(LNetMsgType.GET), b);
  const short4 = decodeLNetHdrNid4(b.subarray(0, 71));
  t.ok(short4 instanceof WireError && short4.reason === 'truncated' && short4.needed === 72);
  const short16 = decodeLNetHdrNid16(b, 1);
  t.ok(short16 instanceof WireError && short16.reason === 'truncated' && short16.needed === 96);
  const past = decodeLNetHdrNid4(b, 500);
  t.ok(past instanceof WireError && past.reason === 'truncated');
  const badSize = Buffer.from(b);
  badSize[0] = 13;
  const e1 = decodeLNetHdrNid16(badSize);
  t.ok(e1 instanceof WireError && e1.reason === 'bad-nid' && e1.offset === 0 && e1.code === 'EPROTO');
  const badPad = Buffer.from(b);
  badPad[20 + 19] = 1; // src NID padding of a 4-byte address
  const e2 = decodeLNetHdrNid16(badPad);
  t.ok(e2 instanceof WireError && e2.reason === 'bad-nid' && e2.offset === 20);
});

t.test('encoders refuse what cannot be sent', async (t) => {
  t.throws(() => encodeLNetHdrNid4(sample(LNetMsgType.PUT, '2001:db8::1@tcp'), Buffer.alloc(72)), { code: 'EINVAL' });
  t.throws(() => encodeLNetHdrNid4(sample(LNetMsgType.PUT), Buffer.alloc(71)), { code: 'ENOBUFS' });
  t.throws(() => encodeLNetHdrNid16(sample(LNetMsgType.PUT), Buffer.alloc(100), 5), { code: 'ENOBUFS' });
  const any = new LNetHdr(); // ANY NIDs encode as all-ones nid4
  const b = Buffer.alloc(72);
  encodeLNetHdrNid4(any, b);
  t.same(b.subarray(0, 16), Buffer.alloc(16, 0xff));
});

t.test('word fast path (4-byte aligned) and byte path (unaligned) agree byte for byte', async (t) => {
  // Aligned offsets go through a Uint32Array view, unaligned ones through byte writes: both must
  // produce the same bytes, overwrite every union byte (no stale data), and decode alike.
  const forms = [
    { size: LNET_HDR_NID4_SIZE, enc: encodeLNetHdrNid4, dec: decodeLNetHdrNid4, nids: ['192.0.2.12@tcp', '192.0.2.11@tcp'] },
    { size: LNET_HDR_NID16_SIZE, enc: encodeLNetHdrNid16, dec: decodeLNetHdrNid16, nids: ['2001:db8::12@tcp', '192.0.2.11@tcp'] },
  ];
  for (const f of forms) {
    for (const type of TYPES) {
      const h = sample(type, f.nids[0], f.nids[1]);
      const ref = Buffer.alloc(f.size);
      f.enc(h, ref, 0);
      for (let off = 0; off < 8; off++) {
        const b = Buffer.alloc(f.size + 16, 0xa5);
        t.equal(f.enc(h, b, off), f.size);
        t.same(b.subarray(off, off + f.size), ref, `${LNetMsgType[type]} ${f.size} B at offset ${off}: same bytes`);
        t.equal(b[off - 1] ?? 0xa5, 0xa5, 'nothing written before the header');
        t.equal(b[off + f.size], 0xa5, 'nothing written after it');
        const d = ok(f.dec(b, off, new LNetHdr()));
        t.same(d, ok(f.dec(ref, 0)), `${LNetMsgType[type]} ${f.size} B at offset ${off}: same decode`);
      }
    }
  }
  // A header without an ACK carries the all-ones handle, decoded as the shared NONE value.
  const h = sample(LNetMsgType.PUT);
  h.wmd = WireHandle.none();
  const b = Buffer.alloc(72);
  encodeLNetHdrNid4(h, b);
  const d = ok(decodeLNetHdrNid4(b));
  t.ok(d.wmd.isNone());
  t.equal(d.wmd, WireHandle.none(), 'NONE is one shared value');
  t.ok(Object.isFrozen(WireHandle.none()), 'and cannot be changed by accident');
});

t.test('ksock header: word and byte paths agree, flipped headers still use byte order', async (t) => {
  const k = new KsockMsgHdr();
  k.type = KsockMsgType.LNET;
  k.csum = 0x12345678;
  k.zcReqLo = 5;
  k.zcReqHi = 6;
  k.zcAckLo = 0xfffffffe;
  k.zcAckHi = 1;
  for (const flip of [false, true]) {
    const ref = Buffer.alloc(KSOCK_MSG_HDR_SIZE);
    encodeKsockMsgHdr(k, ref, 0, flip);
    for (let off = 0; off < 8; off++) {
      const b = Buffer.alloc(KSOCK_MSG_HDR_SIZE + 8, 0x5a);
      encodeKsockMsgHdr(k, b, off, flip);
      t.same(b.subarray(off, off + KSOCK_MSG_HDR_SIZE), ref, `flip=${flip} offset ${off}`);
      t.same(ok(decodeKsockMsgHdr(b, off, flip)), k);
    }
    const bad = Buffer.from(ref);
    bad[flip ? 3 : 0] = 0x42;
    const e = decodeKsockMsgHdr(bad, 0, flip);
    t.ok(e instanceof WireError && e.reason === 'bad-type', `flip=${flip}: unknown type refused`);
  }
});
