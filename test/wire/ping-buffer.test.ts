import t from 'tap';
import { parseNid, formatNid } from '../../src/nid/nid-string.js';
import { LNET_NID_LO_0, makeNid } from '../../src/nid/nid.js';
import {
  LNET_INTERFACES_MAX_DEFAULT,
  LNET_PING_FEAT_BITS,
  LNET_PING_INFO_MIN_SIZE,
  LNET_PROTO_PING_MAGIC,
  NiStatus,
  PingFeature,
  buildPingInfo,
  decodePingInfo,
  encodePingInfo,
  pingBufferSize,
  pingInfoToBuffer,
  pingLargeEntrySize,
  pingPrimaryNid,
  pingSeqno,
  type PingInfo,
} from '../../src/wire/ping-buffer.js';
import { WireError } from '../../src/wire/wire-error.js';
import { hex } from '../helpers/hex.js';

function ok<T>(v: T | WireError): T {
  if (v instanceof WireError) throw v;
  return v;
}

/** Swap every u32 of a buffer laid out in u32/u64 fields only (no 20-byte NIDs). */
function swapNid4Buffer(b: Buffer): Buffer {
  const out = Buffer.from(b);
  out.swap32();
  // u64 nids: after swapping each half, the halves trade places too.
  for (let o = 16; o + 16 <= out.length; o += 16) {
    const lo = out.readUInt32BE(o);
    out.writeUInt32BE(out.readUInt32BE(o + 4), o);
    out.writeUInt32BE(lo, o + 4);
  }
  return out;
}

const CAPTURED = hex(`67 6e 69 70 | 1e 00 00 00 | 39 30 00 00 | 02 00 00 00
  00 00 00 00 00 00 09 00 | 02 00 00 00 | 00 00 00 00
  0c 02 00 c0 00 00 02 00 | de c0 aa 15 | 00 00 00 00`);

t.test("captured 48-byte ping reply from B (02-ping-discover, wire.md f)", async (t) => {
  const p = ok(decodePingInfo(CAPTURED));
  t.equal(p.features, 0x1e);
  t.equal(p.features, PingFeature.NI_STATUS | PingFeature.RTE_DISABLED | PingFeature.MULTI_RAIL | PingFeature.DISCOVERY);
  t.equal(p.pid, 12345);
  t.same(p.nis, [
    { nid: LNET_NID_LO_0, status: 2, msgSize: 0 },
    { nid: parseNid('192.0.2.12@tcp'), status: NiStatus.UP, msgSize: 0 },
  ]);
  t.same([p.flip, p.infoSize, p.largeNis, p.duplicates, p.ignoredLargeEntries, p.trailer.length], [false, 48, [], [], 0, 0]);
  t.equal(pingSeqno(p), 2);
  t.equal(formatNid(pingPrimaryNid(p)!), '192.0.2.12@tcp');
  t.same(pingInfoToBuffer(p), CAPTURED);
  const built = buildPingInfo({ features: 0x1e, pid: 12345, seqno: 2, nis: [{ nid: parseNid('192.0.2.12@tcp'), status: NiStatus.UP }] });
  t.same(pingInfoToBuffer(built), CAPTURED, 'buildPingInfo lays it out as the kernel did');
});

t.test('a big-endian sender: swapped magic, everything swapped but 20-byte NIDs', async (t) => {
  const be = swapNid4Buffer(CAPTURED);
  t.same(be.subarray(0, 4), hex('70 69 6e 67'));
  const p = ok(decodePingInfo(be));
  t.equal(p.flip, true);
  t.same(p.nis, ok(decodePingInfo(CAPTURED)).nis);
  t.same(pingInfoToBuffer(p, true), be);

  const large = buildPingInfo({
    features: 0x1a,
    pid: 12345,
    seqno: 5,
    nis: [{ nid: parseNid('2001:db8::12@tcp'), status: NiStatus.DOWN }],
  });
  const le = pingInfoToBuffer(large);
  const beLarge = pingInfoToBuffer(large, true);
  t.same(beLarge.subarray(36, 56), le.subarray(36, 56), 'the large entry NID bytes are identical in both orders');
  t.same(ok(decodePingInfo(beLarge)).largeNis, ok(decodePingInfo(le)).largeNis);
});

t.test('large NIDs: LARGE_ADDR area, total size in entry 0, PRIMARY_LARGE, round trip', async (t) => {
  const v6 = parseNid('2001:db8::12@tcp');
  const info = buildPingInfo({
    features: PingFeature.NI_STATUS | PingFeature.MULTI_RAIL,
    pid: 12345,
    seqno: 3,
    nis: [
      { nid: v6, status: NiStatus.UP },
      { nid: parseNid('192.0.2.12@tcp'), status: NiStatus.UP },
      { nid: parseNid('2001:db8::13@tcp1'), status: NiStatus.DOWN },
    ],
  });
  t.equal(info.features & PingFeature.LARGE_ADDR, PingFeature.LARGE_ADDR);
  t.equal(info.features & PingFeature.PRIMARY_LARGE, PingFeature.PRIMARY_LARGE, 'first NI is large');
  t.equal(info.nis.length, 2, 'pi_nnis counts only nid4 entries');
  t.equal(info.nis[0]!.msgSize, 16 + 2 * 16 + 2 * 24);
  t.equal(pingLargeEntrySize(v6), 24);
  const b = pingInfoToBuffer(info);
  t.equal(b.length, 96);
  t.same(b.subarray(48, 52), hex('de c0 aa 15'), 'large entry: status first');
  t.same(b.subarray(52, 72), hex('0c 02 00 00 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 12'), 'then the 20-byte NID');
  const d = ok(decodePingInfo(b));
  t.same(d.largeNis, info.largeNis);
  t.equal(d.infoSize, 96);
  t.same(pingInfoToBuffer(d), b);
  t.same(pingPrimaryNid(d), v6);

  const notFirst = buildPingInfo({
    features: PingFeature.NI_STATUS,
    pid: 1,
    seqno: 1,
    nis: [
      { nid: parseNid('192.0.2.12@tcp'), status: NiStatus.UP },
      { nid: v6, status: NiStatus.UP },
    ],
  });
  t.equal(notFirst.features & PingFeature.PRIMARY_LARGE, 0);
  t.equal(formatNid(pingPrimaryNid(notFirst)!), '192.0.2.12@tcp');
  t.equal(buildPingInfo({ features: 2, pid: 1, seqno: 1, nis: [] }).features & PingFeature.LARGE_ADDR, 0);
});

t.test('large-area iteration follows ping_iter_next: entry sizes, skips, and the end', async (t) => {
  const base: PingInfo = {
    features: PingFeature.NI_STATUS | PingFeature.LARGE_ADDR,
    pid: 7,
    nis: [{ nid: LNET_NID_LO_0, status: 1, msgSize: 0 }],
    largeNis: [],
    trailer: new Uint8Array(0),
  };
  // Hand-built area: a 4-byte-address entry (16 B), an oversized NID (skipped), an IPv6 one.
  const area = Buffer.concat([
    hex('de c0 aa 15 | 00 02 00 05 0a 00 00 01 | 00 00 00 00'),
    hex('de c0 aa 15 | 10 02 00 00 | 00*20'), // nid_size 16: entry 4+8+16 = 28 bytes, skipped
    hex('ce fa ad de | 0c 02 00 00 20 01 0d b8 00*11 01'),
  ]);
  const head = pingInfoToBuffer({ ...base, nis: [{ nid: LNET_NID_LO_0, status: 1, msgSize: 32 + area.length }] });
  const b = Buffer.concat([head.subarray(0, 32), area]);
  const d = ok(decodePingInfo(b));
  t.equal(d.ignoredLargeEntries, 1);
  t.same(d.largeNis.map((e) => [formatNid(e.nid), e.status >>> 0]), [
    ['10.0.0.1@tcp5', NiStatus.UP],
    ['2001:db8::1@tcp', NiStatus.DOWN],
  ]);
  t.equal(pingLargeEntrySize(makeNid(2, 5, 0x0a000001)), 16);

  // msg_size low bits are ignored (& ~3); a partial entry at the end is not read.
  // Here the 8 bytes after the first entry announce a 20-byte entry that would overrun.
  const partial = Buffer.concat([head.subarray(0, 32), area.subarray(0, 16), hex('01 02 03 04 05 06 07 08'), hex('aa bb cc')]);
  partial.writeUInt32LE(32 + 16 + 8 + 3, 28);
  const p = ok(decodePingInfo(partial));
  t.equal(p.infoSize, 32 + 16 + 8, 'msg_size & ~3');
  t.equal(p.largeNis.length, 1);
  t.same(p.trailer, hex('aa bb cc'), 'bytes past the info size are the trailer');
  t.same(pingInfoToBuffer(p).subarray(0, 48), partial.subarray(0, 48));
});

t.test('refusals in lnet_ping_info_validate order, with the kernel errnos', async (t) => {
  const mut = (f: (b: Buffer) => void) => {
    const b = Buffer.from(CAPTURED);
    f(b);
    return b;
  };
  const cases: [string, Buffer, string, string][] = [
    ['bad magic', mut((b) => b.writeUInt32LE(0x70696e68, 0)), 'bad-magic', 'EPROTO'],
    ['no NI_STATUS', mut((b) => b.writeUInt32LE(0x1c, 4)), 'no-ni-status', 'EPROTO'],
    ['nnis 0', mut((b) => b.writeUInt32LE(0, 12)), 'bad-nnis', 'ERANGE'],
    ['nnis 201', mut((b) => b.writeUInt32LE(201, 12)), 'bad-nnis', 'ERANGE'],
    ['nnis 0xffffffff', mut((b) => b.writeUInt32LE(0xffffffff, 12)), 'bad-nnis', 'ERANGE'],
    ['entry 0 not 0@lo', mut((b) => b.writeUInt32LE(1, 16)), 'no-loopback', 'EPROTO'],
    ['LARGE_ADDR size below the nid4 entries', mut((b) => (b.writeUInt32LE(0x3e, 4), b.writeUInt32LE(40, 28))), 'bad-size', 'EPROTO'],
    ['LARGE_ADDR absurd size', mut((b) => (b.writeUInt32LE(0x3e, 4), b.writeUInt32LE(0x7fffffff, 28))), 'bad-size', 'EPROTO'],
  ];
  for (const [name, b, reason, code] of cases) {
    const e = decodePingInfo(b);
    t.ok(e instanceof WireError, name);
    if (e instanceof WireError) t.same([e.reason, e.code], [reason, code], name);
  }
  t.equal(LNET_INTERFACES_MAX_DEFAULT, 200);
  const many = mut((b) => b.writeUInt32LE(201, 12));
  const e = decodePingInfo(many, 0, { interfacesMax: 300 });
  t.ok(e instanceof WireError && e.reason === 'truncated' && e.needed === 16 + 201 * 16, 'a raised lnet_interfaces_max admits it');
});

t.test('truncation: needed bytes tell a discovery ping what sink to use next', async (t) => {
  for (const n of [0, 15]) {
    const e = decodePingInfo(CAPTURED.subarray(0, n));
    t.ok(e instanceof WireError && e.reason === 'truncated' && e.needed === 16, `${n} bytes`);
  }
  const e = decodePingInfo(CAPTURED.subarray(0, 47));
  t.ok(e instanceof WireError && e.reason === 'truncated' && e.needed === 48);
  const large = pingInfoToBuffer(
    buildPingInfo({ features: 2, pid: 1, seqno: 1, nis: [{ nid: parseNid('2001:db8::1@tcp'), status: NiStatus.UP }] }),
  );
  const e2 = decodePingInfo(large.subarray(0, 40));
  t.ok(e2 instanceof WireError && e2.reason === 'truncated' && e2.needed === 56, 'needs msg_size bytes');
  t.equal(LNET_PING_INFO_MIN_SIZE, 272);
});

t.test('duplicate NIDs are reported, not refused', async (t) => {
  const nid = parseNid('192.0.2.12@tcp');
  const b = pingInfoToBuffer(
    buildPingInfo({
      features: 0x1e,
      pid: 12345,
      seqno: 4,
      nis: [
        { nid, status: NiStatus.UP },
        { nid: parseNid('192.0.2.13@tcp'), status: NiStatus.UP },
        { nid, status: NiStatus.DOWN },
        { nid, status: NiStatus.UP },
      ],
    }),
  );
  const d = ok(decodePingInfo(b));
  t.same(d.duplicates, [nid], 'each duplicate reported once');
  t.equal(d.nis.length, 5);
});

t.test('trailer bytes (METADATA block) survive a round trip; encoder bounds', async (t) => {
  const info = { ...ok(decodePingInfo(CAPTURED)), features: 0x9e, trailer: hex('01 00 00 00 00*40') };
  const b = pingInfoToBuffer(info);
  t.equal(b.length, 48 + 44);
  t.equal(pingBufferSize(info), 92);
  const d = ok(decodePingInfo(b));
  t.same(d.trailer, info.trailer);
  t.same(pingInfoToBuffer(d), b);
  t.throws(() => encodePingInfo(info, Buffer.alloc(91)), { code: 'ENOBUFS' });
  t.equal(LNET_PROTO_PING_MAGIC, 0x70696e67);
  t.equal(LNET_PING_FEAT_BITS, 0xff);
  t.same(
    [PingFeature.BASE, PingFeature.NI_STATUS, PingFeature.RTE_DISABLED, PingFeature.MULTI_RAIL, PingFeature.DISCOVERY, PingFeature.LARGE_ADDR, PingFeature.PRIMARY_LARGE, PingFeature.METADATA],
    [1, 2, 4, 8, 16, 32, 64, 128],
  );
  t.same([NiStatus.UP, NiStatus.DOWN, NiStatus.INVALID], [0x15aac0de, 0xdeadface, 0]);
});
