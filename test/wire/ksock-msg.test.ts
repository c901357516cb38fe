import * as zlib from 'node:zlib';
import t from 'tap';
import { crc32Le, crc32LeTable, hasNativeCrc32 } from '../../src/wire/crc32.js';
import { decodeKsockFrame, ksockFrameFirstRead } from '../../src/wire/ksock-frame.js';
import {
  KSOCK_MSG_HDR_SIZE,
  KsockMsgHdr,
  KsockMsgType,
  decodeKsockMsgHdr,
  encodeKsockMsgHdr,
  ksockChecksum,
  stampKsockChecksum,
  verifyKsockChecksum,
} from '../../src/wire/ksock-msg.js';
import { encodeLNetHdrNid16, encodeLNetHdrNid4 } from '../../src/wire/lnet-hdr-codec.js';
import { LNetHdr } from '../../src/wire/lnet-hdr.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import { WireError } from '../../src/wire/wire-error.js';
import { parseNid } from '../../src/nid/nid-string.js';
import { hex } from '../helpers/hex.js';

function ok<T>(v: T | WireError): T {
  if (v instanceof WireError) throw v;
  return v;
}

function hdr(type: KsockMsgType, req: [number, number], ack: [number, number], csum = 0): KsockMsgHdr {
  const h = new KsockMsgHdr();
  h.type = type;
  h.csum = csum;
  [h.zcReqLo, h.zcReqHi] = req;
  [h.zcAckLo, h.zcAckHi] = ack;
  return h;
}

t.test('ksock_msg_hdr round trip, both kinds, both byte orders', async (t) => {
  for (const flip of [false, true]) {
    for (const h of [
      hdr(KsockMsgType.NOOP, [0, 0], [5, 0]),
      hdr(KsockMsgType.NOOP, [0, 0], [1, 0]),
      hdr(KsockMsgType.LNET, [0x12345678, 0x9abcdef0], [0xfedcba98, 0x76543210], 0xdeadbeef),
    ]) {
      const b = Buffer.alloc(30);
      t.equal(encodeKsockMsgHdr(h, b, 3, flip), 24);
      t.same(ok(decodeKsockMsgHdr(b, 3, flip)), h, `type ${h.type.toString(16)} flip ${flip}`);
    }
  }
});

t.test('captured ZC-ACK NOOP bytes (wire.md c) decode; swapped sender reads the same', async (t) => {
  const le = hex('c0 00 00 00 | 00 00 00 00 | 00*8 | 02 00 00 00 00 00 00 00');
  const d = ok(decodeKsockMsgHdr(le));
  t.same([d.type, d.csum, d.zcReqLo, d.zcReqHi, d.zcAckLo, d.zcAckHi], [KsockMsgType.NOOP, 0, 0, 0, 2, 0]);
  const be = hex('00 00 00 c0 | 00 00 00 00 | 00*8 | 00 00 00 00 00 00 00 02');
  t.same(ok(decodeKsockMsgHdr(be, 0, true)), d, 'big-endian sender');
  const out = Buffer.alloc(24);
  encodeKsockMsgHdr(d, out, 0, true);
  t.same(out, be);
});

t.test('unknown ksock message type is EPROTO; truncation reports 24 needed', async (t) => {
  const b = hex('c2 00 00 00 00*20');
  const e = decodeKsockMsgHdr(b);
  t.ok(e instanceof WireError);
  t.same([(e as WireError).reason, (e as WireError).code, (e as WireError).found], ['bad-type', 'EPROTO', 0xc2]);
  const lnetAsBe = decodeKsockMsgHdr(hex('c1 00 00 00 00*20'), 0, true);
  t.ok(lnetAsBe instanceof WireError && lnetAsBe.reason === 'bad-type', 'byte order matters');
  const s = decodeKsockMsgHdr(b.subarray(0, 23));
  t.ok(s instanceof WireError && s.reason === 'truncated' && s.needed === 24);
  t.throws(() => encodeKsockMsgHdr(new KsockMsgHdr(), Buffer.alloc(23)), { code: 'ENOBUFS' });
});

t.test('crc32_le: table fallback equals zlib-derived value; standard check value', async (t) => {
  const check = Buffer.from('123456789');
  // CRC-32 of "123456789" is 0xcbf43926; crc32_le(~0) is that without the final inversion.
  t.equal(crc32LeTable(0xffffffff, check), (0xcbf43926 ^ 0xffffffff) >>> 0);
  t.equal(crc32Le(0xffffffff, check), (0xcbf43926 ^ 0xffffffff) >>> 0);
  if (hasNativeCrc32) t.equal(crc32Le(0xffffffff, check), (zlib.crc32(check) ^ 0xffffffff) >>> 0, 'zlib.crc32 ^ ~0');
  let seed = 7;
  for (let i = 0; i < 50; i++) {
    const data = Buffer.alloc(i * 13);
    for (let j = 0; j < data.length; j++) data[j] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const s = (seed = (seed * 1103515245 + 12345) >>> 0);
    t.equal(crc32Le(s, data, 3, Math.max(3, data.length - 2)), crc32LeTable(s, data, 3, Math.max(3, data.length - 2)));
  }
  // Chaining: crc over a then b equals crc over a+b, as the kernel feeds header then pages.
  const a = Buffer.from('hello ');
  const b = Buffer.from('world');
  t.equal(crc32Le(crc32Le(0xffffffff, a), b), crc32Le(0xffffffff, Buffer.concat([a, b])));
});

t.test('ksock checksum: over header (csum as 0), LNet header and payload; verify and stamp', async (t) => {
  const h = new LNetHdr();
  h.destNid = parseNid('10.0.0.2@tcp');
  h.srcNid = parseNid('10.0.0.1@tcp');
  h.type = LNetMsgType.PUT;
  h.payloadLength = 8;
  const msg = Buffer.alloc(24 + 72 + 8);
  encodeKsockMsgHdr(new KsockMsgHdr(), msg, 0);
  encodeLNetHdrNid4(h, msg, 24);
  msg.write('ABCDEFGH', 96);
  const expected = (zlib.crc32(msg) ^ 0xffffffff) >>> 0; // computed while ksm_csum is 0
  t.equal(ksockChecksum(msg, 0, msg.length), expected);
  t.equal(stampKsockChecksum(msg, 0, msg.length), expected);
  t.equal(msg.readUInt32LE(4), expected, 'stored in ksm_csum');
  t.equal(ksockChecksum(msg, 0, msg.length), expected, 'the stored field does not feed the sum');
  t.equal(verifyKsockChecksum(expected, msg, 0, msg.length), undefined);
  t.equal(verifyKsockChecksum(0, msg, 0, msg.length), undefined, 'csum 0 means unchecked');
  msg[100] ^= 1;
  const e = verifyKsockChecksum(expected, msg, 0, msg.length);
  t.ok(e instanceof WireError && e.reason === 'bad-csum' && e.code === 'EPROTO');
  // A NOOP is checked over its 24 bytes.
  const noop = Buffer.alloc(24);
  encodeKsockMsgHdr(hdr(KsockMsgType.NOOP, [0, 0], [9, 0]), noop);
  const c = stampKsockChecksum(noop, 0, 24);
  t.equal(verifyKsockChecksum(c, noop, 0, 24), undefined);
  t.throws(() => ksockChecksum(noop, 0, 25), { code: 'EINVAL' });
});

t.test('ksock frames per protocol version: V1 bare header, V2/V3 nid4, V4 nid16, NOOP alone', async (t) => {
  const h = new LNetHdr();
  h.destNid = parseNid('10.0.0.2@tcp');
  h.srcNid = parseNid('10.0.0.1@tcp');
  h.type = LNetMsgType.PUT;
  h.payloadLength = 5;
  const v1 = Buffer.alloc(72 + 5);
  encodeLNetHdrNid4(h, v1);
  const f1 = ok(decodeKsockFrame(v1, 0, 1));
  t.same([f1.msg, f1.headerLength, f1.payloadLength, f1.frameLength], [undefined, 72, 5, 77]);
  t.equal(ksockFrameFirstRead(1), 72);
  for (const v of [2, 3, 4]) {
    const size = v === 4 ? 96 : 72;
    const b = Buffer.alloc(24 + size);
    encodeKsockMsgHdr(new KsockMsgHdr(), b);
    if (v === 4) encodeLNetHdrNid16(h, b, 24);
    else encodeLNetHdrNid4(h, b, 24);
    const f = ok(decodeKsockFrame(b, 0, v));
    t.same([f.headerLength, f.frameLength, f.lnet?.type], [24 + size, 24 + size + 5, LNetMsgType.PUT], `V${v}`);
    const short = decodeKsockFrame(b.subarray(0, 30), 0, v);
    t.ok(short instanceof WireError && short.reason === 'truncated' && short.needed === 24 + size, `V${v} needs ${24 + size}`);
    t.equal(ksockFrameFirstRead(v), KSOCK_MSG_HDR_SIZE);
  }
  const noop = Buffer.alloc(24);
  encodeKsockMsgHdr(hdr(KsockMsgType.NOOP, [0, 0], [1, 0]), noop);
  const fn = ok(decodeKsockFrame(noop, 0, 3));
  t.same([fn.lnet, fn.headerLength, fn.frameLength], [undefined, 24, 24]);
});
