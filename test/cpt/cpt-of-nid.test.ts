// NID → CPT (Lustre 2.17.0 lnet/lnet/api-ni.c lnet_nid_cpt_hash, lnet_nid4_cpt_hash,
// lnet_cpt_of_nid_locked; hash_32/hash_64 from <linux/hash.h>, GOLDEN_RATIO_32 = 0x61C88647,
// GOLDEN_RATIO_64 = 0x61C8864680B583EB; LNET_CPT_BITS from lnet_lib_init).
// The expected values come from a BigInt transcription of those formulas below, which works
// on the 20-byte struct lnet_nid as it sits in memory on a little-endian 64-bit host.
import t from 'tap';
import { makeNid, parseNid, LNET_ANY_NID, LndType, type Nid } from '../../src/nid/index.js';
import { cptBits, cptOfNid, cptOfNidIn, linuxHash32, linuxHash64, nidCptHash } from '../../src/cpt/index.js';

const M64 = (1n << 64n) - 1n;
const M32 = (1n << 32n) - 1n;

/** The struct lnet_nid bytes: size, type, num (BE16), addr[4] (BE32 each). */
function structBytes(nid: Nid): DataView {
  const dv = new DataView(new ArrayBuffer(20));
  dv.setUint8(0, nid.size);
  dv.setUint8(1, nid.type);
  dv.setUint16(2, nid.num, false);
  [nid.addr0, nid.addr1, nid.addr2, nid.addr3].forEach((w, i) => dv.setUint32(4 + 4 * i, w, false));
  return dv;
}

function refHash32(val: bigint, bits: number): bigint {
  return ((val * 0x61c88647n) & M32) >> BigInt(32 - bits);
}

function refHash64(val: bigint, bits: number): bigint {
  return ((val * 0x61c8864680b583ebn) & M64) >> BigInt(64 - bits);
}

/** lnet_nid_cpt_hash(nid, number) with LNET_CPT_BITS = bits, literally. */
function refCpt(nid: Nid, number: number, bits: number): number {
  if (number === 1) return 0;
  const mem = structBytes(nid);
  const isAny = mem.getUint8(1) === 0xff; // LNET_NID_IS_ANY
  const net = isAny ? 0xffffffffn : (BigInt(mem.getUint8(1)) << 16n) | BigInt(mem.getUint16(2, false));
  if (mem.getUint8(0) + 4 === 4) {
    // nid_is_nid4 → lnet_nid_to_nid4 → lnet_nid4_cpt_hash
    const key = isAny ? M64 : (net << 32n) | BigInt(mem.getUint32(4, false));
    const lnd = Number((key >> 48n) & 0xffffn);
    if (lnd === 16 /* KFILND */) {
      let cpt = refHash64(key, bits);
      if (cpt >= BigInt(number)) cpt = ((key + cpt + (cpt >> 1n)) & M64) % BigInt(number);
      return Number(cpt);
    }
    const pairBits = 0x0001000100010001n;
    const mask = pairBits * 0xffn;
    let pairSum = (key & mask) + ((key >> 8n) & mask);
    pairSum = ((pairSum * pairBits) & M64) >> 48n;
    return Number((pairSum & M32) % BigInt(number));
  }
  let h = 0n;
  for (let i = 0; i < 4; i++) h = refHash32(BigInt(mem.getUint32(4 + 4 * i, true)) ^ h, 32);
  const val = refHash32(net ^ h, bits);
  if (val < BigInt(number)) return Number(val);
  return Number(((h + val + (val >> 1n)) & M32) % BigInt(number));
}

/** Seeded xorshift32, so the vectors are the same on every run. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function randomNids(count: number, seed: number): Nid[] {
  const r = prng(seed);
  const out: Nid[] = [];
  const types = [LndType.SOCKLND, LndType.O2IBLND, LndType.LOLND, LndType.GNILND, LndType.KFILND, LndType.EFALND, LndType.PTL4LND];
  for (let i = 0; i < count; i++) {
    const type = types[r() % types.length] as number;
    const num = r() % 4 === 0 ? r() & 0xffff : r() % 4;
    if (type === LndType.SOCKLND && r() % 3 === 0) out.push(makeNid(type, num, r(), 12, r(), r(), r()));
    else out.push(makeNid(type, num, r()));
  }
  return out;
}

t.test('ncpt == 1 is always CPT 0', async (t) => {
  for (const nid of [...randomNids(200, 7), LNET_ANY_NID]) t.equal(cptOfNid(nid, 1), 0);
  t.equal(nidCptHash(makeNid(LndType.KFILND, 0, 5), 1, 0), 0);
});

t.test('real vectors: the recorded 2.17.0 nodes (one CPT) put every NID on CPT 0', async (t) => {
  // 02-ping-discover-{A,B}-net-show-v4.yaml and 04-o2ib-rxe-A-net-show-v4.yaml: CPT "[0]" for
  // 0@lo, 192.0.2.11@tcp, 192.0.2.12@tcp, 192.0.2.11@o2ib with the default module parameters.
  for (const s of ['0@lo', '192.0.2.11@tcp', '192.0.2.12@tcp', '192.0.2.11@o2ib', '192.0.2.12@o2ib']) {
    t.equal(cptOfNid(parseNid(s), 1), 0, s);
  }
});

t.test('nid4 by hand: CPT = sum of the eight NID bytes mod ncpt', async (t) => {
  // 192.0.2.11@tcp = 0x00020000c000020b: bytes sum 2 + 192 + 2 + 11 = 207
  const a = parseNid('192.0.2.11@tcp');
  const want: Record<number, number> = { 2: 1, 3: 0, 4: 3, 5: 2, 6: 3, 7: 4, 8: 7, 16: 15 };
  for (const [n, cpt] of Object.entries(want)) t.equal(cptOfNid(a, Number(n)), cpt, `207 % ${n}`);
  // 192.0.2.12@tcp: 208; 10.0.0.1@o2ib3: 5 + 3 + 10 + 1 = 19; 7@gni: 13 + 7 = 20
  t.equal(cptOfNid(parseNid('192.0.2.12@tcp'), 4), 0);
  t.equal(cptOfNid(parseNid('192.0.2.12@tcp'), 3), 1);
  t.equal(cptOfNid(parseNid('10.0.0.1@o2ib3'), 8), 3);
  t.equal(cptOfNid(parseNid('7@gni'), 6), 2);
  // net number bytes count: 0@tcp256 is 0x0002010000000000 → 3
  t.equal(cptOfNid(makeNid(LndType.SOCKLND, 256, 0), 4), 3);
});

t.test('linuxHash32 / linuxHash64 match the 64-bit kernel formulas', async (t) => {
  const r = prng(99);
  let bad = 0;
  for (let i = 0; i < 20000; i++) {
    const v = r();
    const hi = r();
    const bits = 1 + (r() % 32);
    if (linuxHash32(v, bits) !== Number(refHash32(BigInt(v), bits))) bad++;
    if (linuxHash64(hi, v, bits) !== Number(refHash64((BigInt(hi) << 32n) | BigInt(v), bits))) bad++;
  }
  t.equal(bad, 0);
  t.equal(linuxHash32(0, 8), 0);
  t.equal(linuxHash32(1, 32), 0x61c88647);
  t.equal(linuxHash64(0, 1, 32), 0x61c88646);
  t.equal(linuxHash64(0xffffffff, 0xffffffff, 32), Number(refHash64(M64, 32)));
});

t.test('cptBits is LNET_CPT_BITS: the power of two at or above ncpt', async (t) => {
  const want: [number, number][] = [[1, 0], [2, 1], [3, 2], [4, 2], [5, 3], [8, 3], [9, 4], [16, 4], [17, 5], [255, 8], [256, 8]];
  for (const [n, b] of want) t.equal(cptBits(n), b, `${n}`);
});

for (const [label, seed] of [
  ['mixed nid4 and IPv6 NIDs', 1],
  ['a second seed', 2],
] as const) {
  t.test(`cpt_of_nid vectors, ncpt 1..16: ${label}`, async (t) => {
    const nids = randomNids(1500, seed);
    let mismatches = 0;
    for (const nid of nids) {
      for (let ncpt = 1; ncpt <= 16; ncpt++) {
        if (cptOfNid(nid, ncpt) !== refCpt(nid, ncpt, cptBits(ncpt))) mismatches++;
      }
    }
    t.equal(mismatches, 0, `${nids.length * 16} vectors`);
  });
}

t.test('cpt_of_nid vectors, large ncpt up to LNET_CPT_MAX', async (t) => {
  const nids = randomNids(300, 3);
  for (const ncpt of [17, 31, 32, 33, 100, 127, 128, 129, 200, 255, 256]) {
    let bad = 0;
    for (const nid of nids) if (cptOfNid(nid, ncpt) !== refCpt(nid, ncpt, cptBits(ncpt))) bad++;
    t.equal(bad, 0, `ncpt ${ncpt}`);
  }
});

t.test('kfi NIDs hash with hash_64 and fold when the hash exceeds ncpt', async (t) => {
  // With ncpt 3 (bits 2) a hash of 3 must fold: find such NIDs and check them explicitly.
  let folded = 0;
  let bad = 0;
  for (let addr = 0; addr < 5000; addr++) {
    const nid = makeNid(LndType.KFILND, addr & 3, addr * 2654435761);
    for (const ncpt of [3, 5, 6, 7, 9, 12]) {
      const raw = linuxHash64(((LndType.KFILND << 16) | (addr & 3)) >>> 0, nid.addr0, cptBits(ncpt));
      if (raw >= ncpt) folded++;
      if (cptOfNid(nid, ncpt) !== refCpt(nid, ncpt, cptBits(ncpt))) bad++;
    }
  }
  t.equal(bad, 0);
  t.ok(folded > 1000, `${folded} folded cases exercised`);
  // carry into the high word when adding cpt to a key whose low word is near 2^32
  const edge = makeNid(LndType.KFILND, 0xffff, 0xffffffff);
  for (let ncpt = 2; ncpt <= 16; ncpt++) t.equal(cptOfNid(edge, ncpt), refCpt(edge, ncpt, cptBits(ncpt)), `edge ${ncpt}`);
});

t.test('IPv6 NIDs hash the four address words as the kernel reads them (big-endian memory)', async (t) => {
  const nids = ['2001:db8::1@tcp', '2001:db8::2@tcp', 'fe80::1@tcp', '2001:db8:1:2:3:4:5:6@tcp7', '::ffff:c000:20b@tcp'].map((s) => parseNid(s));
  for (const nid of nids) {
    t.equal(nid.size, 12);
    for (let ncpt = 2; ncpt <= 16; ncpt++) t.equal(cptOfNid(nid, ncpt), refCpt(nid, ncpt, cptBits(ncpt)));
  }
});

t.test('LNET_ANY_NID takes the large-NID path with the ANY net', async (t) => {
  for (let ncpt = 2; ncpt <= 16; ncpt++) t.equal(cptOfNid(LNET_ANY_NID, ncpt), refCpt(LNET_ANY_NID, ncpt, cptBits(ncpt)));
  // a size-0 NID of type 0xff converts to LNET_NID_ANY: byte sum 8 * 255 = 2040
  t.equal(cptOfNid(makeNid(0xff, 1, 2), 16), 2040 % 16);
});

t.test('NI/net CPT lists: hash within the list using the global LNET_CPT_BITS', async (t) => {
  const nids = randomNids(500, 11);
  const ncpt = 16;
  const lists = [[3], [1, 5], [0, 2, 4], [15, 14, 13, 12, 11]];
  let bad = 0;
  for (const nid of nids) {
    if (cptOfNidIn(nid, ncpt, null) !== cptOfNid(nid, ncpt)) bad++;
    for (const cpts of lists) {
      if (cptOfNidIn(nid, ncpt, cpts) !== cpts[refCpt(nid, cpts.length, cptBits(ncpt))]) bad++;
    }
  }
  t.equal(bad, 0);
  t.equal(cptOfNidIn(nids[0] as Nid, 1, [0]), 0);
});

t.test('every result is a valid partition id', async (t) => {
  const nids = randomNids(2000, 5);
  let bad = 0;
  for (const nid of nids) {
    for (let ncpt = 1; ncpt <= 40; ncpt++) {
      const c = cptOfNid(nid, ncpt);
      if (!Number.isInteger(c) || c < 0 || c >= ncpt) bad++;
    }
  }
  t.equal(bad, 0);
});
