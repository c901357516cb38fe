// Seeded fuzzing of every NID-string parser (the grammars of lnet/lnet/nidstrings.c,
// libcfs/libcfs/util/nidstrings.c and libcfs/libcfs/util/string.c): random strings and
// mutations of valid inputs. Each call must return a value or throw an LNetError (ParseError
// included), never anything else; whatever parses must also print, match and (bounded) expand
// without surprises. Bounded in case count, not time.
import t from 'tap';
import { LNetError } from '../../src/errors.js';
import {
  exprListMatch,
  exprListValues,
  formatExprList,
  formatIpAddrRange,
  formatNet,
  formatNetRange,
  formatNid,
  formatNidParts,
  formatNidRange,
  ipAddrRangeExpand,
  ipAddrRangeMatch,
  makeNid,
  netRangeMatch,
  nidEquals,
  nidPartsMatch,
  nidRangeExpand,
  nidRangeMatches,
  nidRangeMinMax,
  parseExprList,
  parseIpAddrRange,
  parseNet,
  parseNetRange,
  parseNid,
  parseNidParts,
  parseNidRange,
  parseProcessId,
  type Net,
  type Nid,
} from '../../src/nid/index.js';
import { makeRng, type Rng } from './prng.js';

const CASES = 3000;
const LIMIT = 1000;

const ALPHABET = [
  ...'0123456789', ...'0123456789', '.', '.', '.', '@', '@', '[', ']', '-', ',', '/', '*', ':', ':', ' ', '\t', '\n',
  'x', 'X', 'a', 'f', 'F', 'g', 'U', 'u', '+', '<', '>', '?', '%', '\0', 'é', '\u{1F600}',
  'tcp', 'o2ib', 'lo', 'gni', 'gip', 'ptlf', 'kfi', 'efa', 'bxi3f', '0x', '255', '256', '4294967295', '4294967296', '::',
];

function randomString(rng: Rng): string {
  let s = '';
  const n = rng.int(24);
  for (let i = 0; i < n; i++) s += rng.pick(ALPHABET);
  return s;
}

function mutate(rng: Rng, seed: string): string {
  let s = seed;
  const steps = 1 + rng.int(3);
  for (let i = 0; i < steps; i++) {
    const at = rng.int(s.length + 1);
    switch (rng.int(6)) {
      case 0: // insert
        s = s.slice(0, at) + rng.pick(ALPHABET) + s.slice(at);
        break;
      case 1: // delete
        s = s.slice(0, at) + s.slice(at + 1 + rng.int(3));
        break;
      case 2: // replace
        s = s.slice(0, at) + rng.pick(ALPHABET) + s.slice(at + 1);
        break;
      case 3: {
        // duplicate a chunk
        const len = rng.int(6);
        s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
        break;
      }
      case 4: // splice with another seed-like fragment
        s = s.slice(0, at) + rng.pick(['[0-4294967295]', '[1-5/0]', '*', '/64', '/33', '@tcp', '@gni', ' ', '[', ']']) + s.slice(at);
        break;
      default: // truncate
        s = s.slice(0, at);
    }
  }
  return s;
}

function inputs(rng: Rng, seeds: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < CASES; i++) out.push(rng.bool() ? randomString(rng) : mutate(rng, rng.pick(seeds)));
  return out;
}

const probeNids: Nid[] = [
  parseNid('0@lo'), parseNid('1.2.3.4@tcp'), parseNid('192.168.0.1@tcp1'), parseNid('10.0.0.1@o2ib'),
  parseNid('5@gni'), parseNid('2001:db8::1@tcp'), parseNid('4294967295@kfi'), makeNid(99, 0, 1),
];

/** Runs `body` on every input; anything thrown that is not an LNetError is a failure. */
function fuzz(name: string, seeds: readonly string[], seed: number, body: (s: string) => void): { parsed: number; foreign: string[] } {
  const rng = makeRng(seed);
  let parsed = 0;
  const foreign: string[] = [];
  for (const s of [...seeds, ...inputs(rng, seeds)]) {
    try {
      body(s);
      parsed++;
    } catch (e) {
      if (!(e instanceof LNetError)) foreign.push(`${name}(${JSON.stringify(s)}) threw ${String(e)}`);
    }
  }
  return { parsed, foreign };
}

/** The assertions every fuzz case makes. */
function check(t: { same: (a: unknown, b: unknown, m: string) => unknown; ok: (v: unknown, m: string) => unknown },
  name: string, seeds: readonly string[], r: { parsed: number; foreign: string[] }): void {
  t.same(r.foreign.slice(0, 5), [], `${name}: only LNetErrors thrown (${r.foreign.length} others)`);
  t.ok(r.parsed >= seeds.length, `${name}: ${r.parsed} inputs parsed (valid seeds included)`);
}

type Asserts = Parameters<typeof check>[0];
function run(t: Asserts, name: string, seeds: readonly string[], seed: number, body: (s: string) => void): void {
  check(t, name, seeds, fuzz(name, seeds, seed, body));
}

const NID_SEEDS = [
  '0@lo', '192.168.1.2@tcp', '192.168.1.2@tcp1', '10.0.0.1@o2ib3', '27@gni', '0x1b@gni', '10.1.2.3@gip', '12@ptlf1',
  '5@kfi', '10.0.0.9@efa', '7@bxi3f', '2001:db8::5@tcp', '::ffff:1.2.3.4@tcp', '<?>', '1.2.3.4',
];

t.test('fuzz parseNid', async (t) => {
  run(t, 'parseNid', NID_SEEDS, 1, (s) => {
    const nid = parseNid(s);
    const again = parseNid(formatNid(nid));
    if (!nidEquals(again, nid)) throw new Error(`${s} printed as ${formatNid(nid)} which parses differently`);
    parseNid(s, { flavor: 'userspace', resolve: (h) => (h.length % 2 ? '10.0.0.1' : undefined) });
  });
});

t.test('fuzz parseNet', async (t) => {
  run(t, 'parseNet', ['tcp', 'tcp0', 'tcp7', 'o2ib65535', 'lo', 'gni2', 'efa', 'bxi3f1', 'kfi', 'ptlf', 'gip3'], 2, (s) => {
    const net = parseNet(s);
    if (parseNet(formatNet(net)) !== net) throw new Error(`${s} does not round-trip`);
  });
});

t.test('fuzz parseProcessId', async (t) => {
  run(t, 'parseProcessId', ['12345-1.2.3.4@tcp', 'U12345-1.2.3.4@tcp', 'u7-27@gni', '0x3039-0@lo', '1.2.3.4@tcp', '12345-2001:db8::1@tcp'], 3, (s) => {
    parseProcessId(s);
  });
});

const EXPR_SEEDS = ['5', '*', '[*]', '[1-5]', '[1-10/2]', '[2,4]', '[1,3-5,7-15/4]', '[0x10-020]', ' 7 ', '[0-4294967295]'];

t.test('fuzz parseExprList', async (t) => {
  const rng = makeRng(4);
  run(t, 'parseExprList', EXPR_SEEDS, 5, (s) => {
    const max = rng.pick([255, 0xffff, 0xffffffff]);
    const l = parseExprList(s, rng.pick([0, 0, 1]), max);
    const printed = formatExprList(l);
    if (formatExprList(parseExprList(printed, 0, 0xffffffff)) !== printed) throw new Error(`${s}: print not canonical`);
    exprListMatch(l, rng.u32());
    exprListValues(l, LIMIT); // E2BIG for huge ranges, never a long loop
  });
});

const IP_SEEDS = ['192.168.0.1', '192.168.0.[1-8]', '10.0.[1,3,5-7].*', '*.*.*.*', '132.6.[1-3].[2-8/2]', '1.2.3.[0-255/0]'];

t.test('fuzz parseIpAddrRange', async (t) => {
  const rng = makeRng(6);
  run(t, 'parseIpAddrRange', IP_SEEDS, 7, (s) => {
    const r = parseIpAddrRange(s);
    formatIpAddrRange(r);
    ipAddrRangeMatch(r, rng.u32());
    ipAddrRangeExpand(r, LIMIT);
  });
});

const RANGE_SEEDS = [
  '192.168.0.[1-10/2]@tcp', '10.0.[1,3,5-7].*@o2ib1', '*@tcp', '[0-99]@gni', '10.1.0.0/16@tcp', '2001:db8::/64@tcp',
  '2001:db8::1@tcp', '1.2.3.4@tcp 5.6.7.8@o2ib *@gni', '[0-4294967295]@kfi', '0@lo', '1.2.3.4@tcp0x10',
];

t.test('fuzz parseNidRange', async (t) => {
  run(t, 'parseNidRange', RANGE_SEEDS, 8, (s) => {
    const l = parseNidRange(s);
    const printed = formatNidRange(l);
    if (formatNidRange(parseNidRange(printed)) !== printed) throw new Error(`${s}: print not canonical (${printed})`);
    for (const n of probeNids) nidRangeMatches(l, n);
    try {
      nidRangeExpand(l, LIMIT);
    } catch (e) {
      if (!(e instanceof LNetError)) throw e;
    }
    try {
      nidRangeMinMax(l);
    } catch (e) {
      if (!(e instanceof LNetError)) throw e;
    }
    parseNidRange(s, { flavor: 'userspace' });
  });
});

t.test('fuzz parseNetRange and parseNidParts', async (t) => {
  const net = (s: string) => parseNet(s) as Net;
  run(t, 'parseNetRange', ['tcp', 'tcp1', 'tcp*', 'o2ib[1-3]', 'gni[3-5,7]', 'tcp[*]'], 9, (s) => {
    const r = parseNetRange(s);
    formatNetRange(r);
    netRangeMatch(r, net('tcp1'));
  });
  run(t, 'parseNidParts', ['192.168.1.[1-5]@tcp[1,2]', '[1-5]@gni', 'o2ib[1-3]', '*.*.*.*@tcp'], 10, (s) => {
    const p = parseNidParts(s);
    formatNidParts(p);
    for (const n of probeNids) nidPartsMatch(p, n);
  });
});
