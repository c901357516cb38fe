// NID-range lists: cfs_parse_nidlist / cfs_match_nid / cfs_print_nidlist (lnet/lnet/nidstrings.c),
// cfs_expand_nidlist, lustre_lnet_parse_nidstr and cfs_nidrange_find_min_max
// (libcfs/libcfs/util/nidstrings.c, lnet/utils/lnetconfig/liblnetconfig.c).
import t from 'tap';
import { ParseError } from '../../src/errors.js';
import {
  expandNidRangeText,
  formatNid,
  formatNidRange,
  nidRangeCount,
  nidRangeExpand,
  nidRangeMaskBase,
  nidRangeMaskLength,
  nidRangeMatches,
  nidRangeMinMax,
  parseNid,
  parseNidRange,
} from '../../src/nid/index.js';

const fmt = (s: string, opts = {}) => formatNidRange(parseNidRange(s, opts));
const matches = (range: string, nid: string) => nidRangeMatches(parseNidRange(range), parseNid(nid));

// config.md §2 examples: parse and print.
t.test('config.md examples: parse and print', async (t) => {
  const cases: [string, string][] = [
    ['192.168.0.[1-10/2]@tcp', '192.168.0.[1-10/2]@tcp'],
    ['10.0.[1,3,5-7].*@o2ib1', '10.0.[1,3,5-7].[0-255]@o2ib1'],
    ['*@tcp', '*@tcp'],
    ['[0-99]@gni', '[0-99]@gni'],
    ['10.1.0.0/16@tcp', '10.1.0.0/16@tcp'],
    ['2001:db8::/64@tcp', '2001:db8::/64@tcp'],
    ['4.4.4.[1-3]@tcp', '4.4.4.[1-3]@tcp'],
    ['192.168.0.[2,4]@tcp', '192.168.0.[2,4]@tcp'],
    ['192.168.0.[1-8]@tcp', '192.168.0.[1-8]@tcp'],
    ['[1-100]@gni', '[1-100]@gni'],
  ];
  for (const [s, want] of cases) t.equal(fmt(s), want, s);
});

// config.md §2 examples: matching (cfs_match_nid).
t.test('config.md examples: match', async (t) => {
  const cases: [string, string[], string[]][] = [
    ['192.168.0.[1-10/2]@tcp', ['192.168.0.1@tcp', '192.168.0.9@tcp'], ['192.168.0.2@tcp', '192.168.0.11@tcp', '192.168.0.1@tcp1', '192.168.0.1@o2ib']],
    ['10.0.[1,3,5-7].*@o2ib1', ['10.0.1.0@o2ib1', '10.0.6.255@o2ib1'], ['10.0.2.1@o2ib1', '10.0.1.1@o2ib', '10.0.1.1@tcp1']],
    ['*@tcp', ['1.2.3.4@tcp', '2001:db8::1@tcp'], ['1.2.3.4@tcp1', '1@gni']],
    ['[0-99]@gni', ['0@gni', '99@gni'], ['100@gni', '5@gni1', '5@kfi']],
    ['10.1.0.0/16@tcp', ['10.1.0.0@tcp', '10.1.255.255@tcp'], ['10.2.0.1@tcp', '10.1.0.1@tcp1', '2001:db8::1@tcp']],
    ['2001:db8::/64@tcp', ['2001:db8::1@tcp', '2001:db8:0:0:ffff::1@tcp'], ['2001:db8:0:1::1@tcp', '32.1.13.184@tcp']],
    ['2001:db8::1@tcp', ['2001:db8::1@tcp'], ['2001:db8::2@tcp']],
    ['[1-100]@gni', ['1@gni', '100@gni'], ['0@gni', '101@gni']],
  ];
  for (const [range, yes, no] of cases) {
    for (const n of yes) t.ok(matches(range, n), `${n} in ${range}`);
    for (const n of no) t.notOk(matches(range, n), `${n} not in ${range}`);
  }
});

// parse_nidrange / add_nidrange corners.
t.test('grammar corners', async (t) => {
  t.equal(fmt('1.2.3.4@tcp 5.6.7.8@o2ib 9.9.9.9@tcp'), '1.2.3.4@tcp 9.9.9.9@tcp 5.6.7.8@o2ib', 'ranges merge per net, in first-seen order');
  t.equal(fmt('  1.2.3.4@tcp   [1-2]@gni  '), '1.2.3.4@tcp [1-2]@gni', 'extra spaces are skipped');
  t.equal(fmt('1.2.3.4@tcp0'), '1.2.3.4@tcp', 'tcp0 is tcp');
  t.equal(fmt('1.2.3.4@tcp0x10'), '1.2.3.4@tcp16', 'the net number is read as a C number');
  t.equal(fmt('1.2.3.4@tcp010'), '1.2.3.4@tcp8', '... octal included');
  t.equal(fmt('1.2.3.4@\ttcp\n'), '1.2.3.4@tcp', 'blanks around the net are trimmed');
  t.equal(fmt('0@lo'), '0@lo');
  t.equal(fmt('[0-3]@lo'), '[0-3]@lo', 'lo takes numeric ranges');
  t.equal(fmt('0x10@gni'), '16@gni');
  t.equal(fmt('10.0.0.[1-9/2]@tcp'), '10.0.0.[1-9/2]@tcp', "a '/' inside brackets is a stride");
  t.equal(fmt('10.1.2.3/16@tcp'), '10.1.2.3/16@tcp', 'a mask prints its address as written');
  t.equal(fmt('10.1.2.3/32@tcp'), '10.1.2.3@tcp', '/32 is not printed');
  t.equal(fmt('2001:db8::1/128@tcp'), '2001:db8::1@tcp', '/128 is not printed');
  t.equal(fmt('2001:DB8:0::0/48@efa'), '2001:db8::/48@efa');
  t.equal(fmt('10.0.0.0/8@gni'), '10.0.0.0/8@gni', 'the kernel parses a mask on any LND');
  t.equal(fmt('1.2.3.4@tcp 10.0.0.0/8@tcp'), '10.0.0.0/8@tcp 1.2.3.4@tcp', 'masks print before address ranges');
  t.equal(fmt('*@tcp 1.2.3.4@tcp'), '*@tcp', "'*' absorbs the net");
  t.equal(fmt('1.2.3.4@tcp70000'), '1.2.3.4@tcp70000', 'a net number above 65535 is kept (and matches nothing)');
  t.notOk(matches('1.2.3.4@tcp70000', '1.2.3.4@tcp4464'));
  const bad = [
    '', ' ', '1.2.3.4', '1.2.3.4@', '@tcp', '1.2.3.4@tcp@tcp', '1.2.3.4@foo', '1.2.3.4@tcpx', '1.2.3@tcp',
    '1.2.3.4.5@tcp', '[1-5]@tcp', '1.2.3.4@gni', '*.1@tcp', '10.0.0.0/33@tcp', '10.0.0.0/0@tcp', '10.0.0.0/@tcp',
    '10.0.0.0/x@tcp', '::/0@tcp', '2001:db8::/129@tcp', '2001:db8::1::2@tcp', '1.2.3.4:5@tcp', 'fe80::1%eth0@tcp',
    '10.0.0.1/0x18@tcp', '1.2.3.4@tcp\t5.6.7.8@tcp', '[0-4294967296]@gni', '1.2.3.4@tcp-1',
  ];
  for (const s of bad) t.throws(() => parseNidRange(s), { name: 'ParseError', code: 'EINVAL' }, JSON.stringify(s));
  const position = (s: string): number | undefined => {
    try {
      parseNidRange(s);
    } catch (e) {
      return e instanceof ParseError ? e.position : undefined;
    }
    return undefined;
  };
  t.equal(position('1.2.3.4@tcp 5.6.7@tcp'), 17, 'the position points into the bad token');
  t.equal(position('1.2.3.4@tcp 5.6.x.7@tcp'), 16, '... at the bad octet');
});

// libcfs/libcfs/util/nidstrings.c parse_nidmask: lnetctl's stricter masks.
t.test('userspace flavor masks', async (t) => {
  const u = { flavor: 'userspace' as const };
  t.equal(fmt('10.0.0.0/8@tcp', u), '10.0.0.0/8@tcp');
  t.equal(fmt('10.0.0.1/0x18@tcp', u), '10.0.0.1/24@tcp', 'prefix read as a C number');
  t.equal(fmt('2001:db8::/32@efa', u), '2001:db8::/32@efa');
  t.throws(() => parseNidRange('10.0.0.0/8@o2ib', u), /does not support netmasks/, 'only tcp and efa have a size-aware parser');
  t.throws(() => parseNidRange('10.0.0.0/8@gni', u), /does not support netmasks/);
  t.throws(() => parseNidRange('fe80::/10@tcp', u), /link-local/);
  t.throws(() => parseNidRange('::1@tcp', u), /loopback/);
  t.equal(fmt('127.0.0.0/8@tcp', u), '127.0.0.0/8@tcp', 'only 127.0.0.1 itself is refused');
  const resolve = (h: string): string | undefined => (h === 'gw' ? '10.9.8.7' : undefined);
  t.equal(fmt('gw/24@tcp', { ...u, resolve }), '10.9.8.7/24@tcp', 'hostnames are resolved');
});

// match_nidmask: only tcp and o2ib have nf_match_netmask; families must agree with the NID size.
t.test('mask matching per LND', async (t) => {
  t.ok(matches('10.0.0.0/8@o2ib', '10.1.2.3@o2ib'), 'o2ib matches masks');
  t.notOk(matches('10.0.0.0/8@gni', '167772161@gni'), 'gni has no netmask matcher');
  t.notOk(matches('10.0.0.0/8@efa', '10.0.0.1@efa'), 'efa has no netmask matcher');
  t.notOk(matches('::/1@tcp', '1.2.3.4@tcp'), 'IPv6 mask never matches an IPv4 NID');
  t.notOk(matches('0.0.0.0/1@tcp', '::1@tcp'), 'IPv4 mask never matches an IPv6 NID');
  t.ok(matches('0.0.0.0/1@tcp', '127.255.255.255@tcp'));
  t.notOk(matches('0.0.0.0/1@tcp', '128.0.0.0@tcp'));
  t.ok(matches('255.255.255.255/32@tcp', '255.255.255.255@tcp'));
  t.ok(matches('2001:db8::/33@tcp', '2001:db8:7fff::1@tcp'));
  t.notOk(matches('2001:db8::/33@tcp', '2001:db8:8000::1@tcp'));
  t.ok(matches('2001:db8::/96@tcp', '2001:db8::ffff:ffff@tcp'));
  t.ok(matches('2001:db8::/97@tcp', '2001:db8::7fff:ffff@tcp'));
  t.notOk(matches('2001:db8::/97@tcp', '2001:db8::8000:0@tcp'));
  t.notOk(matches('192.168.0.*@tcp', 'c0a8:0001::@tcp'), 'IPv4 ranges only match 4-byte NIDs');
  t.notOk(matches('*@tcp', '<?>'), 'ANY matches nothing');
});

// cfs_expand_nidlist (+ lustre_lnet_parse_nidstr's checks)
t.test('expand', async (t) => {
  const ex = (s: string, limit = 100) => nidRangeExpand(parseNidRange(s), limit).map(formatNid);
  t.same(ex('4.4.4.[1-3]@tcp'), ['4.4.4.1@tcp', '4.4.4.2@tcp', '4.4.4.3@tcp'], 'sanity-lnet test_4: 3 NIDs');
  t.same(ex('[1-3]@gni 1.1.1.1@tcp1 [5,4]@gni'), ['1@gni', '2@gni', '3@gni', '5@gni', '4@gni', '1.1.1.1@tcp1'], 'per net, in list order');
  t.same(ex('192.168.0.[1-10/2]@tcp'), ['192.168.0.1@tcp', '192.168.0.3@tcp', '192.168.0.5@tcp', '192.168.0.7@tcp', '192.168.0.9@tcp']);
  t.same(ex('1.1.1.1@tcp 1.1.1.1@tcp'), ['1.1.1.1@tcp', '1.1.1.1@tcp'], 'duplicates kept');
  t.equal(nidRangeCount(parseNidRange('*.*.*.[1-2]@tcp [0-4294967295]@gni')), 2 ** 25 + 2 ** 32);
  t.throws(() => ex('[0-4294967295]@gni', 1000), { code: 'E2BIG' }, 'never expanded unboundedly');
  t.throws(() => ex('*@tcp'), { code: 'EINVAL' }, "'*' cannot be expanded");
  t.throws(() => ex('10.0.0.0/24@tcp'), { code: 'EINVAL' }, 'a netmask cannot be expanded');
  t.throws(() => ex('2001:db8::1@tcp'), { code: 'EINVAL' }, 'an IPv6 address is a /128 mask');
  t.throws(() => ex('1.1.1.1@tcp65536'), { code: 'EINVAL' }, 'net number too large for a NID');
  t.same(expandNidRangeText('4.4.4.[1-3]@tcp', 10).map(formatNid), ['4.4.4.1@tcp', '4.4.4.2@tcp', '4.4.4.3@tcp']);
  t.throws(() => expandNidRangeText('4.4.4.*@tcp', 1000), /asterisk not allowed in nidstring/);
  t.throws(() => expandNidRangeText('[*]@gni', 1000), /asterisk not allowed/);
  t.throws(() => expandNidRangeText('4.4.[1-2].[1-3]@tcp', 5), /specifies more than the 5 NIDs allowed by this operation/);
});

// cfs_nidrange_find_min_max / cfs_ip_ar_min_max / cfs_num_ar_min_max
t.test('min/max', async (t) => {
  const mm = (s: string) => {
    const r = nidRangeMinMax(parseNidRange(s));
    return [formatNid(r.min), formatNid(r.max)];
  };
  t.same(mm('10.0.[1-2].*@tcp'), ['10.0.1.0@tcp', '10.0.2.255@tcp']);
  t.same(mm('192.168.0.[1-8]@o2ib1'), ['192.168.0.1@o2ib1', '192.168.0.8@o2ib1']);
  t.same(mm('1.1.1.1@tcp 1.1.1.9@tcp 1.1.1.[3-4]@tcp'), ['1.1.1.1@tcp', '1.1.1.9@tcp']);
  t.same(mm('*@tcp'), ['0.0.0.0@tcp', '255.255.255.255@tcp']);
  t.same(mm('[5-9]@gni 3@gni'), ['3@gni', '9@gni']);
  t.same(mm('0@gni 5@gni'), ['0@gni', '5@gni'], 'a range starting at 0 keeps 0 as its minimum');
  t.throws(() => mm('10.[1-2].3.*@tcp'), { code: 'ERANGE' }, 'not contiguous');
  t.throws(() => mm('10.0.0.[1-9/2]@tcp'), { code: 'ERANGE' }, 'stride');
  t.throws(() => mm('10.0.0.[1,3]@tcp'), { code: 'EINVAL' }, 'several ranges in one octet');
  t.throws(() => mm('1.1.1.1@tcp 2@gni'), { code: 'EINVAL' }, 'several nets');
  t.throws(() => mm('10.0.0.0/8@tcp'), { code: 'EINVAL' }, 'netmask');
});

// cfs_nidmask_get_length / cfs_nidmask_get_base_nidstr
t.test('single netmask helpers', async (t) => {
  t.equal(nidRangeMaskLength(parseNidRange('10.1.0.0/16@tcp')), 16);
  t.equal(nidRangeMaskLength(parseNidRange('2001:db8::1@tcp1')), 128);
  t.equal(nidRangeMaskLength(parseNidRange('10.1.0.0/16@tcp 10.2.0.0/16@tcp')), 0, 'two masks');
  t.equal(nidRangeMaskLength(parseNidRange('1.2.3.4@tcp')), 0, 'no mask');
  t.equal(nidRangeMaskBase(parseNidRange('10.1.2.3/16@tcp1')), '10.1.2.3@tcp1');
  t.equal(nidRangeMaskBase(parseNidRange('2001:db8::/64@tcp 1.2.3.4@tcp')), '2001:db8::@tcp');
  t.equal(nidRangeMaskBase(parseNidRange('1.2.3.4@tcp')), undefined);
});
