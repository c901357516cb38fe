// IPv4 address ranges: cfs_ip_addr_parse / cfs_ip_addr_match / libcfs_ip_addr_range_print
// (lnet/lnet/nidstrings.c) and cfs_ip_addr_range_gen (libcfs/libcfs/util/nidstrings.c).
import t from 'tap';
import { formatIPv4, formatIpAddrRange, ipAddrRangeCount, ipAddrRangeExpand, ipAddrRangeMatch, parseIpAddrRange } from '../../src/nid/index.js';

const ip = (s: string): number => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);

t.test('parse and print', async (t) => {
  const cases: [string, string][] = [
    ['192.168.0.1', '192.168.0.1'],
    ['192.168.0.[1-8]', '192.168.0.[1-8]'],
    ['192.168.0.[2,4]', '192.168.0.[2,4]'],
    ['192.168.0.[1-10/2]', '192.168.0.[1-10/2]'],
    ['10.0.[1,3,5-7].*', '10.0.[1,3,5-7].[0-255]'],
    ['*.*.*.*', '[0-255].[0-255].[0-255].[0-255]'],
    ['132.6.[1-3].[2-8/2]', '132.6.[1-3].[2-8/2]'],
    [' 10 . 0x0a . 012 . [ 1 - 2 ] ', '10.10.10.[1-2]'],
    ['[1,2].[3-4].[5-9/2].*', '[1,2].[3-4].[5-9/2].[0-255]'],
  ];
  for (const [s, want] of cases) t.equal(formatIpAddrRange(parseIpAddrRange(s)), want, s);
});

// cfs_ip_addr_parse refusals: not exactly four non-empty octets, octet above 255.
t.test('refusals', async (t) => {
  for (const s of ['', '1.2.3', '1.2.3.4.5', '1..3.4', '1.2.3.', '.1.2.3', '256.1.1.1', '1.2.3.[1-256]', '1.2.3.[1.2]',
    '1.2.3.1-2', 'a.b.c.d', '1.2.3.4/24', '1.2.3.[]', '1.2.3.[5-1]', ' . . . '])
    t.throws(() => parseIpAddrRange(s), { name: 'ParseError', code: 'EINVAL' }, JSON.stringify(s));
  t.throws(() => parseIpAddrRange('1.2.3.[1,x]'), /octet 4/, 'the error names the octet');
});

t.test('match', async (t) => {
  const r = parseIpAddrRange('192.168.[0,2].[1-10/3]');
  for (const a of ['192.168.0.1', '192.168.0.4', '192.168.2.10', '192.168.2.7']) t.ok(ipAddrRangeMatch(r, ip(a)), `${a} matches`);
  for (const a of ['192.168.1.1', '192.168.0.2', '192.168.0.11', '193.168.0.1', '192.169.0.1', '0.0.0.0'])
    t.notOk(ipAddrRangeMatch(r, ip(a)), `${a} does not match`);
  t.ok(ipAddrRangeMatch(parseIpAddrRange('*.*.*.*'), 0xffffffff));
  t.ok(ipAddrRangeMatch(parseIpAddrRange('255.255.255.255'), 0xffffffff), 'top address (sign bit)');
});

// Generation order: first octet outermost, each octet's ranges in list order.
t.test('expand', async (t) => {
  t.same(ipAddrRangeExpand(parseIpAddrRange('4.4.4.[1-3]'), 10).map(formatIPv4), ['4.4.4.1', '4.4.4.2', '4.4.4.3']);
  t.same(ipAddrRangeExpand(parseIpAddrRange('10.[2,1].0.[9,1-2]'), 10).map(formatIPv4),
    ['10.2.0.9', '10.2.0.1', '10.2.0.2', '10.1.0.9', '10.1.0.1', '10.1.0.2']);
  t.same(ipAddrRangeExpand(parseIpAddrRange('1.1.1.[1-10/4]'), 3).map(formatIPv4), ['1.1.1.1', '1.1.1.5', '1.1.1.9']);
  t.equal(ipAddrRangeCount(parseIpAddrRange('*.*.*.*')), 2 ** 32);
  t.throws(() => ipAddrRangeExpand(parseIpAddrRange('*.*.*.*'), 1 << 20), { code: 'E2BIG' }, 'refused before expanding');
  t.throws(() => ipAddrRangeExpand(parseIpAddrRange('1.1.1.[1-3]'), 2), { code: 'E2BIG' });
});
