// Property tests: parse(format(nid)) == nid for random NIDs of every LND and address kind
// (libcfs_nidstr_r and libcfs_strnid of lnet/lnet/nidstrings.c must be inverses).
import t from 'tap';
import {
  LND_TABLE,
  decodeNidBytes,
  encodeNidBytes,
  formatNet,
  formatNid,
  formatProcessId,
  makeNet,
  makeNid,
  nidEquals,
  nidFromNid4,
  nidToNid4,
  parseNet,
  parseNid,
  parseProcessId,
  type LndInfo,
  type Nid,
} from '../../src/nid/index.js';
import { makeRng, type Rng } from './prng.js';

const N = 2000;

function randomNum(rng: Rng): number {
  // Bias towards 0 and small numbers, which print differently (`tcp` vs `tcp1`).
  return rng.pick([0, 0, 1, rng.int(10), rng.int(0x10000), 0xffff]);
}

function randomV6Words(rng: Rng): [number, number, number, number] {
  // Zero runs of varied length exercise '::' compression; mapped addresses exercise dotted tails.
  const w = [0, 1, 2, 3].map(() => (rng.int(3) === 0 ? 0 : rng.int(4) === 0 ? rng.int(0x10000) : rng.u32()));
  if (rng.int(8) === 0) return [0, 0, 0xffff, rng.u32()];
  return w as [number, number, number, number];
}

function randomNid(rng: Rng, lnd: LndInfo): Nid {
  const num = lnd.addrKind === 'lo' ? 0 : randomNum(rng);
  switch (lnd.addrKind) {
    case 'lo':
      return makeNid(lnd.type, 0, 0);
    case 'num':
      return makeNid(lnd.type, num, rng.pick([0, 1, rng.int(1000), rng.u32(), 0xffffffff]));
    case 'ipv4':
      return makeNid(lnd.type, num, rng.u32());
    case 'ip': {
      if (rng.bool()) return makeNid(lnd.type, num, rng.u32());
      const [a, b, c, d] = randomV6Words(rng);
      return makeNid(lnd.type, num, a, 12, b, c, d);
    }
  }
}

t.test('parse(format(nid)) == nid for every LND', async (t) => {
  const rng = makeRng(0x1d5eed);
  for (const lnd of LND_TABLE) {
    let bad = 0;
    for (let i = 0; i < N; i++) {
      const nid = randomNid(rng, lnd);
      const s = formatNid(nid);
      const back = parseNid(s);
      if (!nidEquals(back, nid)) {
        bad++;
        if (bad <= 3) t.fail(`${lnd.name}: ${s} parsed back as ${formatNid(back)}`);
      }
    }
    t.equal(bad, 0, `${lnd.name}: ${N} random NIDs round-trip`);
  }
});

t.test('format(parse(s)) is stable (printing is canonical)', async (t) => {
  const rng = makeRng(42);
  let bad = 0;
  for (let i = 0; i < N; i++) {
    const s = formatNid(randomNid(rng, rng.pick(LND_TABLE)));
    if (formatNid(parseNid(s)) !== s) bad++;
  }
  t.equal(bad, 0);
});

t.test('nets round-trip', async (t) => {
  const rng = makeRng(7);
  let bad = 0;
  for (let i = 0; i < N; i++) {
    const lnd = rng.pick(LND_TABLE);
    const net = makeNet(lnd.type, lnd.addrKind === 'lo' ? 0 : randomNum(rng));
    if (parseNet(formatNet(net)) !== net) bad++;
  }
  t.equal(bad, 0);
});

t.test('process ids round-trip', async (t) => {
  const rng = makeRng(99);
  let bad = 0;
  for (let i = 0; i < N; i++) {
    const nid = randomNid(rng, rng.pick(LND_TABLE));
    const pid = rng.pick([12345, rng.int(0x80000000), (rng.int(0x80000000) | 0x80000000) >>> 0]);
    const back = parseProcessId(formatProcessId({ nid, pid }));
    if (back.pid !== pid || !nidEquals(back.nid, nid)) bad++;
  }
  t.equal(bad, 0);
});

t.test('byte forms round-trip', async (t) => {
  const rng = makeRng(1234);
  let bad20 = 0;
  let bad8 = 0;
  for (let i = 0; i < N; i++) {
    const nid = randomNid(rng, rng.pick(LND_TABLE));
    const back = decodeNidBytes(encodeNidBytes(nid));
    if (!back || !nidEquals(back, nid)) bad20++;
    if (nid.size === 0) {
      const n4 = nidToNid4(nid);
      if (!nidEquals(nidFromNid4(n4.hi, n4.lo), nid)) bad8++;
    }
  }
  t.equal(bad20, 0, '20-byte form');
  t.equal(bad8, 0, 'nid4 form of 4-byte NIDs');
});
