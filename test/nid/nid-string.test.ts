// NID and net strings: parsing and printing, following lnet/lnet/nidstrings.c (kernel) and
// libcfs/libcfs/util/nidstrings.c (userspace), plus the byte forms of wire.md (e).
import t from 'tap';
import { ParseError } from '../../src/errors.js';
import {
  LNET_ANY_NID,
  LNET_PID_USERFLAG,
  LndType,
  decodeNidBytes,
  encodeNidBytes,
  formatLnd,
  formatNet,
  formatNid,
  formatProcessId,
  lndTypeByName,
  makeNet,
  makeNid,
  nidEquals,
  nidFromBigInt,
  nidFromNid4,
  nidIsAny,
  nidIsNid4,
  nidToBigInt,
  nidToNid4,
  parseAnyNid,
  parseNet,
  parseNid,
  parseProcessId,
  readNid4LE,
  tryParseNid,
  writeNid4LE,
  type Nid,
} from '../../src/nid/index.js';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const v6 = (a: number, b: number, c: number, d: number): Nid => makeNid(LndType.SOCKLND, 0, a, 12, b, c, d);

// libcfs_netstrfns[] (lnet/lnet/nidstrings.c): every named LND, type number and net printing.
t.test('net names: every LND in the table', async (t) => {
  const table: [string, LndType][] = [
    ['lo', LndType.LOLND],
    ['tcp', LndType.SOCKLND],
    ['o2ib', LndType.O2IBLND],
    ['gni', LndType.GNILND],
    ['gip', LndType.GNIIPLND],
    ['ptlf', LndType.PTL4LND],
    ['kfi', LndType.KFILND],
    ['efa', LndType.EFALND],
    ['bxi3f', LndType.BXI3LND],
  ];
  for (const [name, type] of table) {
    t.equal(lndTypeByName(name), type, `lnd ${name}`);
    t.equal(formatLnd(type), name, `lnd2str ${name}`);
    t.equal(parseNet(name), makeNet(type, 0), `parse ${name}`);
    t.equal(formatNet(makeNet(type, 0)), name, `print ${name}`);
    if (type !== LndType.LOLND) {
      t.equal(parseNet(`${name}0`), makeNet(type, 0), `${name}0 parses as ${name}`);
      t.equal(formatNet(parseNet(`${name}0`)), name, `${name}0 prints as ${name}`);
      t.equal(parseNet(`${name}7`), makeNet(type, 7), `${name}7`);
      t.equal(formatNet(makeNet(type, 7)), `${name}7`);
      t.equal(formatNet(makeNet(type, 65535)), `${name}65535`);
    }
  }
  t.equal(formatLnd(17), '?17?', 'tofu has no string');
});

// libcfs_str2net_internal / libcfs_net2str_r (lnet/lnet/nidstrings.c)
t.test('net strings: rejections and odd cases', async (t) => {
  for (const bad of ['', 'foo', 'TCP', 'lo0', 'lo1', 'tcp-1', 'tcp1x', 'tcp65536', 'tcp 1', ' tcp', 'tc'])
    t.throws(() => parseNet(bad), { name: 'ParseError', code: 'EINVAL' }, `refuses '${bad}'`);
  t.equal(parseNet('tcp00012'), makeNet(LndType.SOCKLND, 12), 'leading zeros in the number');
  t.equal(formatNet(0xffffffff as ReturnType<typeof makeNet>), '<?>', 'LNET_NET_ANY');
  t.equal(formatNet(makeNet(99, 3)), '<99:3>', 'unknown LND');
  t.equal(formatNet(makeNet(17, 0)), '<17:0>', 'tofu is unknown to the string table');
});

// libcfs_strnid / libcfs_nidstr_r: one NID per LND and address kind.
t.test('NID strings: every net type, parse and print', async (t) => {
  const table: [string, Nid, string?][] = [
    ['0@lo', makeNid(LndType.LOLND, 0, 0)],
    ['192.168.1.2@tcp', makeNid(LndType.SOCKLND, 0, 0xc0a80102)],
    ['192.168.1.2@tcp1', makeNid(LndType.SOCKLND, 1, 0xc0a80102)],
    ['192.168.1.2@tcp0', makeNid(LndType.SOCKLND, 0, 0xc0a80102), '192.168.1.2@tcp'],
    ['192.168.1.2', makeNid(LndType.SOCKLND, 0, 0xc0a80102), '192.168.1.2@tcp'],
    ['10.0.0.1@o2ib3', makeNid(LndType.O2IBLND, 3, 0x0a000001)],
    ['27@gni', makeNid(LndType.GNILND, 0, 27)],
    ['0x1b@gni', makeNid(LndType.GNILND, 0, 27), '27@gni'],
    ['0X1B@gni2', makeNid(LndType.GNILND, 2, 27), '27@gni2'],
    ['4294967295@gni', makeNid(LndType.GNILND, 0, 0xffffffff)],
    ['0xffffffff@ptlf', makeNid(LndType.PTL4LND, 0, 0xffffffff), '4294967295@ptlf'],
    ['00000000042@kfi', makeNid(LndType.KFILND, 0, 42), '42@kfi'],
    ['0x000000001@bxi3f', makeNid(LndType.BXI3LND, 0, 1), '1@bxi3f'],
    ['10.1.2.3@gip', makeNid(LndType.GNIIPLND, 0, 0x0a010203)],
    ['12@ptlf1', makeNid(LndType.PTL4LND, 1, 12)],
    ['5@kfi', makeNid(LndType.KFILND, 0, 5)],
    ['10.0.0.9@efa', makeNid(LndType.EFALND, 0, 0x0a000009)],
    ['7@bxi3f', makeNid(LndType.BXI3LND, 0, 7)],
    ['2001:db8::5@tcp', v6(0x20010db8, 0, 0, 5)],
    ['2001:DB8:0:0:0:0:0:5@tcp', v6(0x20010db8, 0, 0, 5), '2001:db8::5@tcp'],
    ['2001:db8::5@efa2', makeNid(LndType.EFALND, 2, 0x20010db8, 12, 0, 0, 5)],
    ['::ffff:1.2.3.4@tcp', v6(0, 0, 0xffff, 0x01020304)],
    ['1:2:3:4:5:6:7:8@tcp', v6(0x00010002, 0x00030004, 0x00050006, 0x00070008)],
    ['<?>', LNET_ANY_NID],
  ];
  for (const [text, nid, printed] of table) {
    const got = parseNid(text);
    t.ok(nidEquals(got, nid), `parse ${text}`);
    t.equal(formatNid(got), printed ?? text, `print ${text}`);
  }
  t.equal(parseNid('2001:db8::5@tcp').size, 12, 'IPv6 is a large NID (size 12)');
  t.equal(parseNid('1.2.3.4@tcp').size, 0, 'IPv4 is size 0');
});

// libcfs_lo_str2addr accepts any text; "lo" takes no net number.
t.test('NID strings: loopback', async (t) => {
  t.ok(nidEquals(parseNid('0@lo'), makeNid(LndType.LOLND, 0, 0)));
  t.ok(nidEquals(parseNid('whatever@lo'), makeNid(LndType.LOLND, 0, 0)), 'any address text means 0');
  t.throws(() => parseNid('0@lo1'), ParseError);
});

// Printing of NIDs whose LND has no string (libcfs_nidstr_r's fallback branch).
t.test('NID strings: unknown LND and ANY printing', async (t) => {
  t.equal(formatNid(makeNid(99, 3, 0x0a000001)), 'a000001@<99:3>');
  t.equal(formatNid(makeNid(17, 0, 0xff)), 'ff@<17:0>');
  t.equal(formatNid(makeNid(99, 0, 1, 12, 2, 3, 4)), '1:2:3:4@<99:0>', 'large unknown NID: hex words');
  t.equal(formatNid(LNET_ANY_NID), '<?>');
  t.equal(formatNid(makeNid(0xff, 0, 0)), '<?>', 'any NID with type 0xff is ANY');
  t.ok(nidIsAny(parseAnyNid('*')), "libcfs_stranynid: '*'");
});

// Kernel vs userspace address parsing (lnet/lnet/nidstrings.c vs libcfs/libcfs/util/nidstrings.c).
t.test('NID strings: address rejections by flavor', async (t) => {
  const u = { flavor: 'userspace' as const };
  for (const bad of ['127.0.0.1@tcp', '::1@tcp', 'fe80::@tcp', 'fe80::1@tcp', 'febf::1@tcp1', '127.0.0.1@efa', '::1@efa'])
    t.throws(() => parseNid(bad, u), { name: 'ParseError', code: 'EINVAL' }, `userspace refuses ${bad}`);
  for (const ok of ['127.0.0.1@tcp', '::1@tcp', 'fe80::1@tcp'])
    t.ok(tryParseNid(ok), `kernel accepts ${ok}`);
  t.ok(tryParseNid('127.0.0.1@o2ib', u), 'userspace o2ib has no loopback check');
  t.ok(tryParseNid('127.0.0.2@tcp', u), 'only 127.0.0.1 itself is refused');
  t.ok(tryParseNid('fec0::1@tcp', u), 'site-local is allowed');
  t.equal(tryParseNid('010.0.0.1@tcp', u), undefined, 'glibc inet_pton refuses leading zeros');
  t.equal(formatNid(parseNid('010.0.0.1@tcp')), '10.0.0.1@tcp', 'the kernel reads them as decimal');
  const bad = [
    '1.2.3@tcp', '1.2.3.4.5@tcp', '256.1.1.1@tcp', '1.2.3.4@nonet', '1.2.3.4@', '@tcp', 'x@gni',
    '0x@gni', '4294967296@gni', '0x100000000@gni', '-1@gni', '2001:db8::1@o2ib', '1.2.3.4@gni',
    '1.2.3.4@tcp@tcp', '', 'hostname@tcp', '2001:db8::1::2@tcp', '1:2:3:4:5:6:7:8:9@tcp',
  ];
  for (const b of bad) t.throws(() => parseNid(b), ParseError, `refuses '${b}'`);
  t.ok(tryParseNid(' 1. 2.3.4@o2ib'), 'o2ib reads %u.%u.%u.%u, which skips blanks');
  t.equal(tryParseNid(' 1.2.3.4@tcp'), undefined, 'tcp reads with inet_pton');
});

// Userspace libcfs_ip_str2addr(_size): hostnames through getaddrinfo (AF_INET), injected here.
t.test('NID strings: hostnames through an injected resolver', async (t) => {
  const resolve = (h: string): string | undefined => ({ mds1: '10.0.0.7', oss: '10.0.0.8' })[h];
  const u = { flavor: 'userspace' as const, resolve };
  t.equal(formatNid(parseNid('mds1@tcp', u)), '10.0.0.7@tcp');
  t.equal(formatNid(parseNid('oss@o2ib1', u)), '10.0.0.8@o2ib1');
  t.equal(formatNid(parseNid('mds1', u)), '10.0.0.7@tcp', 'no @ means tcp');
  t.throws(() => parseNid('unknown@tcp', u), ParseError, 'unresolvable');
  t.throws(() => parseNid('mds1@tcp', { resolve }), ParseError, 'the kernel never resolves');
  t.throws(() => parseNid('mds1@gni', u), ParseError, 'numeric LNDs take no hostnames');
  t.throws(() => parseNid('1mds@tcp', u), ParseError, 'a hostname must start with a letter');
});

// libcfs_idstr and lctl ping's pid parsing (lustre/utils/portals.c jt_ptl_ping).
t.test('process ids', async (t) => {
  const nid = parseNid('1.2.3.4@tcp');
  t.equal(formatProcessId({ nid, pid: 12345 }), '12345-1.2.3.4@tcp');
  t.equal(formatProcessId({ nid, pid: (12345 | LNET_PID_USERFLAG) >>> 0 }), 'U12345-1.2.3.4@tcp');
  t.equal(formatProcessId({ nid, pid: 0xffffffff }), 'LNET_PID_ANY-1.2.3.4@tcp');
  t.equal(formatProcessId({ nid: parseNid('2001:db8::1@tcp'), pid: 12345 }), '12345-2001:db8::1@tcp');
  const cases: [string, number | undefined, string][] = [
    ['12345-1.2.3.4@tcp', 12345, '1.2.3.4@tcp'],
    ['U12345-1.2.3.4@tcp', (12345 | LNET_PID_USERFLAG) >>> 0, '1.2.3.4@tcp'],
    ['u7-27@gni', (7 | LNET_PID_USERFLAG) >>> 0, '27@gni'],
    ['0x3039-1.2.3.4@tcp', 12345, '1.2.3.4@tcp'],
    ['1.2.3.4@tcp', undefined, '1.2.3.4@tcp'],
    ['4294967295-0@lo', 0xffffffff, '0@lo'],
  ];
  for (const [s, pid, n] of cases) {
    const r = parseProcessId(s);
    t.equal(r.pid, pid, `pid of ${s}`);
    t.equal(formatNid(r.nid), n, `nid of ${s}`);
  }
  const resolve = (h: string): string | undefined => (h === 'my-host' ? '10.1.1.1' : undefined);
  t.equal(formatNid(parseProcessId('my-host@tcp', { flavor: 'userspace', resolve }).nid), '10.1.1.1@tcp',
    "text before '-' that is not a number belongs to a hostname");
  t.equal(parseProcessId('12345-my-host@tcp', { flavor: 'userspace', resolve }).pid, 12345);
  for (const bad of ['4294967296-1.2.3.4@tcp', '12345-<?>', '12345-', 'U-1.2.3.4@tcp', '12345-1.2.3@tcp'])
    t.throws(() => parseProcessId(bad), ParseError, `refuses ${bad}`);
});

// lnet-types.h: lnet_nid_to_nid4 / lnet_nid4_to_nid and wire.md (e) captured bytes.
t.test('nid4: 64-bit form and the captured LE bytes', async (t) => {
  const buf = new Uint8Array(8);
  const captured: [string, string][] = [
    ['192.0.2.12@tcp', '0c 02 00 c0 00 00 02 00'],
    ['192.0.2.11@o2ib', '0b 02 00 c0 00 00 05 00'],
    ['0@lo', '00 00 00 00 00 00 09 00'],
  ];
  for (const [s, bytes] of captured) {
    writeNid4LE(buf, 0, parseNid(s));
    t.equal(hex(buf), bytes, `${s} as LE nid4`);
    t.equal(formatNid(readNid4LE(buf, 0)), s, `${s} read back`);
  }
  t.equal(nidToBigInt(parseNid('0@lo')), 0x0009000000000000n);
  t.equal(nidToBigInt(parseNid('192.168.1.2@tcp1')), 0x00020001c0a80102n);
  t.equal(formatNid(nidFromBigInt(0x00020001c0a80102n)), '192.168.1.2@tcp1');
  t.same(nidToNid4(LNET_ANY_NID), { hi: 0xffffffff, lo: 0xffffffff });
  t.ok(nidIsAny(nidFromNid4(0xffffffff, 0xffffffff)), 'LNET_NID_ANY converts to ANY');
  t.ok(nidIsAny(nidFromBigInt(-1n)), 'all-ones u64');
});

// nid_is_nid4: which NIDs fit the 64-bit form.
t.test('nid4: which NIDs fit in 64 bits', async (t) => {
  for (const s of ['0@lo', '1.2.3.4@tcp', '1.2.3.4@o2ib', '27@gni', '10.0.0.1@efa', '4294967295@kfi'])
    t.ok(nidIsNid4(parseNid(s)), `${s} fits`);
  for (const s of ['2001:db8::1@tcp', '::ffff:1.2.3.4@tcp', '2001:db8::1@efa'])
    t.notOk(nidIsNid4(parseNid(s)), `${s} does not fit`);
  for (const s of ['0@lo', '1.2.3.4@tcp9', '27@gni']) {
    const n = parseNid(s);
    const n4 = nidToNid4(n);
    t.ok(nidEquals(nidFromNid4(n4.hi, n4.lo), n), `${s} round-trips through nid4`);
  }
});

// struct lnet_nid (lnet-types.h): the 20-byte, byte-order independent form.
t.test('20-byte NIDs', async (t) => {
  const b = encodeNidBytes(parseNid('192.168.1.2@tcp1'));
  t.equal(hex(b), `00 02 00 01 c0 a8 01 02${' 00'.repeat(12)}`, '192.168.1.2@tcp1 (wire.md example)');
  const b6 = encodeNidBytes(parseNid('2001:db8::5@tcp'));
  t.equal(hex(b6), '0c 02 00 00 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 05');
  t.equal(hex(encodeNidBytes(LNET_ANY_NID)), Array(20).fill('ff').join(' '), 'ANY is all ones');
  for (const s of ['0@lo', '192.168.1.2@tcp1', '2001:db8::5@tcp', '27@gni3', '<?>']) {
    const n = parseNid(s);
    const back = decodeNidBytes(encodeNidBytes(n));
    t.ok(back && nidEquals(back, n), `${s} round-trips`);
  }
  const bad = encodeNidBytes(parseNid('1.2.3.4@tcp'));
  bad[10] = 1;
  t.equal(decodeNidBytes(bad), undefined, 'bytes past a 4-byte address must be zero');
  const big = encodeNidBytes(parseNid('1.2.3.4@tcp'));
  big[0] = 13;
  t.equal(decodeNidBytes(big), undefined, 'size above 12 is impossible');
  t.equal(decodeNidBytes(new Uint8Array(19)), undefined, 'short buffer');
  const withOff = new Uint8Array(25);
  encodeNidBytes(parseNid('10.0.0.1@o2ib2'), withOff, 5);
  t.equal(formatNid(decodeNidBytes(withOff, 5)!), '10.0.0.1@o2ib2', 'at an offset');
});
