/**
 * Fuzzing every decoder with random bytes and with mutations of real and synthetic frames:
 * the answer must always be a value or a WireError (an LNetError), never another exception,
 * and a value must re-encode to bytes that decode to the same value.
 * Default budget 210 000 cases in all (≥ 10^5); ULNET_FUZZ_CASES raises it (e.g. 10000000),
 * ULNET_FUZZ_SEED changes the seed.
 */
import { existsSync, readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { LNetError } from '../../src/errors.js';
import { parseNid } from '../../src/nid/nid-string.js';
import { connReqFor, connReqToBuffer, decodeConnReq, encodeConnReq } from '../../src/wire/acceptor.js';
import { decodeKsockFrame } from '../../src/wire/ksock-frame.js';
import { KsockProtoVersion, decodeHello, helloToBuffer, peekHelloVersion, SocklndConnType } from '../../src/wire/ksock-hello.js';
import { KsockMsgHdr, decodeKsockMsgHdr, encodeKsockMsgHdr, verifyKsockChecksum } from '../../src/wire/ksock-msg.js';
import {
  decodeLNetHdrNid16,
  decodeLNetHdrNid4,
  encodeLNetHdrNid16,
  encodeLNetHdrNid4,
  validateLNetHdr,
} from '../../src/wire/lnet-hdr-codec.js';
import { LNetHdr } from '../../src/wire/lnet-hdr.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import { NiStatus, buildPingInfo, decodePingInfo, pingInfoToBuffer } from '../../src/wire/ping-buffer.js';
import { WireError } from '../../src/wire/wire-error.js';
import { WireHandle } from '../../src/wire/wire-handle.js';
import { interopFile } from '../helpers/interop.js';
import { readPcap, tcpConnections } from '../helpers/pcap.js';
import { SeededRng } from '../helpers/seeded-rng.js';
import { walkSocklnd } from '../helpers/socklnd-walk.js';

const TOTAL = Math.max(1, Number(process.env.ULNET_FUZZ_CASES ?? 210_000));
const SEED = Number(process.env.ULNET_FUZZ_SEED ?? 0x1057e7) >>> 0;

// ---- seed corpus: every item the kernels sent in the small recordings, plus synthetic ones ----

const corpus: Buffer[] = [];
for (const name of ['01-start-teardown.pcap', '02-ping-discover.pcap']) {
  const url = interopFile(name);
  if (!existsSync(url)) continue;
  for (const c of tcpConnections(readPcap(readFileSync(url)))) {
    const w = walkSocklnd(c);
    for (const side of [w.active, w.passive]) {
      if (side.connreq) corpus.push(Buffer.from(side.connreq.raw));
      if (side.hello) corpus.push(Buffer.from(side.hello.raw));
      for (const f of side.frames) {
        corpus.push(Buffer.from(f.headerBytes));
        if (f.payload && f.payload.length > 0) {
          corpus.push(Buffer.concat([f.headerBytes, f.payload]));
          corpus.push(Buffer.from(f.payload));
        }
      }
    }
  }
}
{
  const nid4 = parseNid('192.0.2.11@tcp');
  const nid16 = parseNid('2001:db8::11@tcp');
  for (const v of [1, 2, 3, 4] as KsockProtoVersion[])
    for (const flip of v === 1 ? [false] : [false, true])
      corpus.push(
        helloToBuffer(
          {
            version: v,
            srcNid: v === 4 ? nid16 : nid4,
            dstNid: v === 4 ? nid16 : nid4,
            srcPid: 12345,
            dstPid: 0,
            srcIncarnationLo: 1,
            srcIncarnationHi: 2,
            dstIncarnationLo: 0,
            dstIncarnationHi: 0,
            ctype: SocklndConnType.CONTROL,
            ips: v === 4 ? [] : [0x0a000001, 0x0a000002],
          },
          flip,
        ),
      );
  corpus.push(connReqToBuffer(connReqFor(nid16)), connReqToBuffer(connReqFor(nid4), true));
  const h = new LNetHdr();
  h.destNid = nid16;
  h.srcNid = nid16;
  h.type = LNetMsgType.PUT;
  h.payloadLength = 3;
  h.wmd = new WireHandle(1, 2, 3, 4);
  for (const type of [LNetMsgType.ACK, LNetMsgType.PUT, LNetMsgType.GET, LNetMsgType.REPLY]) {
    h.type = type;
    h.srcNid = type === LNetMsgType.GET ? nid4 : nid16;
    const m = Buffer.alloc(24 + 96 + 3);
    encodeKsockMsgHdr(new KsockMsgHdr(), m);
    encodeLNetHdrNid16(h, m, 24);
    corpus.push(m);
  }
  corpus.push(
    pingInfoToBuffer(
      buildPingInfo({
        features: 0x1e,
        pid: 12345,
        seqno: 9,
        nis: [
          { nid: nid16, status: NiStatus.UP },
          { nid: nid4, status: NiStatus.DOWN },
          { nid: parseNid('2001:db8::12@tcp1'), status: NiStatus.UP },
        ],
      }),
    ),
    pingInfoToBuffer(buildPingInfo({ features: 0x1e, pid: 12345, seqno: 9, nis: [{ nid: nid4, status: NiStatus.UP }] }), true),
  );
}

// ---- input generators ----

const INTERESTING32 = [
  0, 1, 2, 3, 4, 5, 16, 17, 200, 201, 0x7fffffff, 0x80000000, 0xffffffff, 0x45726963, 0x63697245, 0xeebc0ded, 0xed0dbcee,
  0xacce7100, 0x0071ceac, 0x70696e67, 0x676e6970, 0xc0, 0xc1, 1 << 20, (1 << 20) + 1,
];

function mutate(rng: SeededRng, src: Buffer): Buffer {
  let b = Buffer.from(src);
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) {
    switch (rng.int(7)) {
      case 0: // flip a bit
        if (b.length) b[rng.int(b.length)]! ^= 1 << rng.int(8);
        break;
      case 1: // an interesting byte
        if (b.length) b[rng.int(b.length)] = rng.pick([0, 0xff, 0x7f, 0x80, 0x0c, 0x10, 0x11]);
        break;
      case 2: // an interesting u32 at an aligned offset, either order
        if (b.length >= 4) {
          const o = rng.int(b.length >> 2) * 4;
          const v = rng.pick(INTERESTING32);
          if (rng.int(2)) b.writeUInt32LE(v, o);
          else b.writeUInt32BE(v, o);
        }
        break;
      case 3: // truncate
        b = b.subarray(0, rng.int(b.length + 1));
        break;
      case 4: // extend with random bytes
        b = Buffer.concat([b, rng.bytes(rng.int(64))]);
        break;
      case 5: // splice another corpus item's head
        b = Buffer.concat([b.subarray(0, rng.int(b.length + 1)), rng.pick(corpus).subarray(rng.int(8))]);
        break;
      default: // random run
        if (b.length) rng.bytes(1 + rng.int(8)).copy(b, rng.int(b.length));
    }
  }
  return b;
}

function input(rng: SeededRng, seeds: readonly Buffer[]): { buf: Buffer; off: number } {
  const from = seeds.length > 0 && rng.int(2) === 0 ? seeds : corpus;
  const body = rng.int(4) === 0 || from.length === 0 ? rng.bytes(rng.int(160)) : mutate(rng, rng.pick(from));
  // Sometimes decode at an offset inside a larger buffer, to exercise offset arithmetic.
  const pad = rng.int(3) === 0 ? rng.int(9) : 0;
  return { buf: Buffer.concat([rng.bytes(pad), body]), off: pad };
}

// ---- the properties ----

type Check = (b: Buffer, off: number, rng: SeededRng) => string | undefined;

/** Run `cases` inputs through `check`; any non-WireError exception or property failure fails. */
function fuzz(t: Test, name: string, cases: number, seed: number, check: Check, seeds: readonly Buffer[]): void {
  const rng = new SeededRng(seed);
  const failures: string[] = [];
  let values = 0;
  let refusals = 0;
  for (let i = 0; i < cases && failures.length < 5; i++) {
    const { buf, off } = input(rng, seeds);
    try {
      const problem = check(buf, off, rng);
      if (problem === 'refused') refusals++;
      else if (problem === undefined) values++;
      else failures.push(`case ${i}: ${problem}: ${buf.toString('hex')} @${off}`);
    } catch (e) {
      failures.push(`case ${i}: threw ${e instanceof Error ? e.stack : String(e)}: ${buf.toString('hex')} @${off}`);
    }
  }
  t.same(failures, [], `${name}: ${cases} cases (seed 0x${seed.toString(16)}): ${values} values, ${refusals} refusals`);
}

/** The decoder's answer must be a value or a WireError; returns 'refused' for the latter. */
function refusal(r: unknown): 'refused' | undefined | string {
  if (r instanceof WireError) return r instanceof LNetError && r.code ? 'refused' : 'WireError without code';
  if (r instanceof Error) return `returned a foreign error ${r.name}`;
  return undefined;
}

/**
 * Re-encoding property: encoding a decoded value gives bytes that decode, and encoding that
 * second value gives the same bytes again. (Not "decodes to the same value": a nid4 whose
 * type field is 0xff or wider reads as an ANY NID, as in lnet_nid4_to_nid, and ANY encodes
 * as all-ones — the same normalisation the kernel applies.)
 */
function fixpoint<V>(v: V, encode: (v: V) => Buffer, decode: (b: Buffer) => V | WireError): string | undefined {
  const y = encode(v);
  const v2 = decode(y);
  if (v2 instanceof WireError) return `re-encoded bytes refused: ${v2.message}`;
  return encode(v2).equals(y) ? undefined : 're-encoding is not stable';
}

const lnet4 = (h: LNetHdr) => {
  const b = Buffer.alloc(72);
  encodeLNetHdrNid4(h, b);
  return b;
};
const lnet16 = (h: LNetHdr) => {
  const b = Buffer.alloc(96);
  encodeLNetHdrNid16(h, b);
  return b;
};

const checks: [string, Check][] = [
  [
    'decodeLNetHdrNid4 + validateLNetHdr',
    (b, off) => {
      const r = decodeLNetHdrNid4(b, off);
      const rf = refusal(r);
      if (rf !== undefined) return rf;
      const h = r as LNetHdr;
      const v = validateLNetHdr(h);
      if (v !== undefined && !(v instanceof WireError)) return 'validate returned a non-WireError';
      // Bytes of a known type survive exactly, except where a NID is normalised.
      if (h.type <= LNetMsgType.REPLY && !lnet4(h).subarray(16).equals(b.subarray(off + 16, off + 16 + 56)) && usedUnionOnly(h, b, off))
        return 'pids, type, length or union fields changed';
      return fixpoint(h, lnet4, (x) => decodeLNetHdrNid4(x));
    },
  ],
  [
    'decodeLNetHdrNid16 + validateLNetHdr',
    (b, off) => {
      const r = decodeLNetHdrNid16(b, off);
      const rf = refusal(r);
      if (rf !== undefined) return rf;
      const h = r as LNetHdr;
      validateLNetHdr(h);
      return fixpoint(h, lnet16, (x) => decodeLNetHdrNid16(x));
    },
  ],
  [
    'decodeKsockMsgHdr (both byte orders) + verifyKsockChecksum',
    (b, off, rng) => {
      const flip = rng.int(2) === 1;
      const r = decodeKsockMsgHdr(b, off, flip);
      const rf = refusal(r);
      if (rf !== undefined) return rf;
      const h = r as KsockMsgHdr;
      const c = verifyKsockChecksum(h.csum, b, off, b.length - off);
      if (c !== undefined && !(c instanceof WireError)) return 'checksum check returned a non-WireError';
      const out = Buffer.alloc(24);
      encodeKsockMsgHdr(h, out, 0, flip);
      return out.equals(b.subarray(off, off + 24)) ? undefined : 're-encode differs';
    },
  ],
  [
    'decodeKsockFrame (V1–V4)',
    (b, off, rng) => {
      const r = decodeKsockFrame(b, off, 1 + rng.int(4), rng.int(4) === 0);
      const rf = refusal(r);
      if (rf !== undefined) return rf;
      const f = r as { headerLength: number; frameLength: number; payloadLength: number };
      return f.frameLength === f.headerLength + f.payloadLength && f.headerLength <= b.length - off ? undefined : 'bad frame geometry';
    },
  ],
  [
    'peekHelloVersion + decodeHello',
    (b, off) => {
      const p = peekHelloVersion(b, off);
      const pr = refusal(p);
      if (pr !== undefined && pr !== 'refused') return pr;
      const r = decodeHello(b, off);
      const rf = refusal(r);
      if (rf !== undefined) return rf;
      const h = r as Exclude<ReturnType<typeof decodeHello>, WireError>;
      if (pr === 'refused') return 'peek refused what decodeHello accepted';
      return fixpoint(h, (x) => helloToBuffer(x, h.flip), (x) => decodeHello(x));
    },
  ],
  [
    'decodeConnReq',
    (b, off) => {
      const r = decodeConnReq(b, off);
      const rf = refusal(r);
      if (rf !== undefined) return rf;
      const c = r as Exclude<ReturnType<typeof decodeConnReq>, WireError>;
      return fixpoint(
        c,
        (x) => {
          const out = Buffer.alloc(x.length);
          encodeConnReq(x, out, 0, c.flip);
          return out;
        },
        (x) => decodeConnReq(x),
      );
    },
  ],
  [
    'decodePingInfo',
    (b, off, rng) => {
      const r = decodePingInfo(b, off, rng.int(8) === 0 ? { interfacesMax: 1 + rng.int(400) } : {});
      const rf = refusal(r);
      if (rf !== undefined) return rf;
      const p = r as Exclude<ReturnType<typeof decodePingInfo>, WireError>;
      return fixpoint(p, (x) => pingInfoToBuffer(x, p.flip), (x) => decodePingInfo(x, 0, { interfacesMax: 400 }));
    },
  ],
];

/** True when the union bytes the type does not define are zero (then exact equality is due). */
function usedUnionOnly(h: LNetHdr, b: Buffer, off: number): boolean {
  const used = h.type === LNetMsgType.PUT ? 40 : h.type === LNetMsgType.GET ? 36 : h.type === LNetMsgType.ACK ? 28 : 16;
  return b.subarray(off + 32 + used, off + 72).every((x) => x === 0);
}

const perCheck = Math.ceil(TOTAL / checks.length);

t.test('fuzz corpus holds the captured items', async (t) => {
  t.ok(corpus.length >= 20, `${corpus.length} seed inputs`);
});

/** Extra seeds favoured for a decoder whose inputs are rare in the shared corpus. */
const nid16Seeds: Buffer[] = corpus.filter((b) => b.length >= 120 && b[24] !== undefined && b[24] <= 12).map((b) => b.subarray(24));

checks.forEach(([name, check], i) => {
  t.test(`fuzz ${name}`, async (t) => {
    fuzz(t, name, perCheck, (SEED + i * 0x9e3779b9) >>> 0, check, name.startsWith('decodeLNetHdrNid16') ? nid16Seeds : []);
  });
});
