// Net ranges and UDSP NID descriptors: parse_net_range / cfs_parse_nid_parts
// (libcfs/libcfs/util/nidstrings.c), cfs_match_net / cfs_match_nid_net (lnet/lnet/nidstrings.c),
// cfs_expr2str and lustre_lnet_nid_descr2str (lnet/utils/lnetconfig/liblnetconfig_udsp.c).
import t from 'tap';
import {
  formatExprListsUdsp,
  formatNetRange,
  formatNidParts,
  netRangeMatch,
  nidPartsMatch,
  parseExprList,
  parseNet,
  parseNetRange,
  parseNid,
  parseNidParts,
} from '../../src/nid/index.js';

t.test('net ranges: parse and print', async (t) => {
  const cases: [string, string][] = [
    ['tcp', 'tcp'],
    ['tcp0', 'tcp0'],
    ['tcp1', 'tcp1'],
    ['o2ib[1-3]', 'o2ib[1-3]'],
    ['tcp[1-9/2]', 'tcp[1-9/2]'],
    ['tcp*', 'tcp[0-4294967295]'],
    ['tcp[*]', 'tcp[0-4294967295]'],
    ['gni[3-5,7]', 'gni[3-5,7]'],
    ['lo', 'lo'],
  ];
  for (const [s, want] of cases) t.equal(formatNetRange(parseNetRange(s)), want, s);
  for (const bad of ['', 'foo', '*', 'tcp*[1]', 'tcpX[1]', 'tcp1x', 'tcp[1-', 'tcp[3-1]', 'tcp-1', ' tcp'])
    t.throws(() => parseNetRange(bad), { name: 'ParseError', code: 'EINVAL' }, JSON.stringify(bad));
});

// cfs_match_net: an empty number list means net 0 only.
t.test('net ranges: match', async (t) => {
  const m = (r: string, n: string) => netRangeMatch(parseNetRange(r), parseNet(n));
  t.ok(m('tcp', 'tcp'));
  t.ok(m('tcp', 'tcp0'));
  t.notOk(m('tcp', 'tcp1'), 'a bare name is net 0 only');
  t.ok(m('tcp*', 'tcp65535'));
  t.ok(m('o2ib[1-3]', 'o2ib2'));
  t.notOk(m('o2ib[1-3]', 'o2ib4'));
  t.notOk(m('o2ib[1-3]', 'tcp2'), 'LND type must agree');
  t.ok(m('tcp[0,5]', 'tcp'));
});

t.test('NID descriptors: parse, print, match', async (t) => {
  const cases: [string, string][] = [
    ['192.168.1.[1-5]@tcp1', '192.168.1.[1-5]@tcp1'],
    ['192.168.1.[1-5]@tcp[1-2]', '192.168.1.[1-5]@tcp[1-2]'],
    ['*.*.*.*@tcp', '[0-255].[0-255].[0-255].[0-255]@tcp'],
    ['[1-5]@gni', '[1-5]@gni'],
    ['o2ib[1-3]', 'o2ib[1-3]'],
    ['  10.0.0.1 @tcp', '10.0.0.1@tcp'],
  ];
  for (const [s, want] of cases) t.equal(formatNidParts(parseNidParts(s)), want, s);
  t.equal(formatNidParts(undefined), 'NA', 'criteria not defined');
  for (const bad of ['', '  ', '@tcp', ' @tcp', '*@tcp', '1.2.3@tcp', '1.2.3.4@foo', '10.0.0.0/8@tcp', 'x@gni', '1.2.3.4@tcp@tcp'])
    t.throws(() => parseNidParts(bad), { name: 'ParseError', code: 'EINVAL' }, JSON.stringify(bad));
  const d = parseNidParts('192.168.1.[1-5]@tcp[1,2]');
  t.ok(nidPartsMatch(d, parseNid('192.168.1.3@tcp2')));
  t.notOk(nidPartsMatch(d, parseNid('192.168.1.3@tcp')), 'net number');
  t.notOk(nidPartsMatch(d, parseNid('192.168.1.6@tcp1')), 'address');
  t.notOk(nidPartsMatch(d, parseNid('192.168.1.3@o2ib1')), 'LND type');
  t.notOk(nidPartsMatch(parseNidParts('tcp'), parseNid('1.2.3.4@tcp')), 'cfs_match_nid_net needs an address range');
  t.ok(nidPartsMatch(parseNidParts('[1-5]@gni'), parseNid('3@gni')));
});

// cfs_expr2str prints what lnetctl udsp show prints, including its odd cases.
t.test('cfs_expr2str quirks', async (t) => {
  const el = (s: string) => parseExprList(s, 0, 255);
  t.equal(formatExprListsUdsp([el('1'), el('2'), el('3'), el('4')]), '1.2.3.4');
  t.equal(formatExprListsUdsp([el('[3-5,7]')]), '[3-5,7]');
  t.equal(formatExprListsUdsp([el('[3-9/2]'), el('1')]), '[3-9/2].1');
  t.equal(formatExprListsUdsp([el('[1-5/1]')]), '[1-5]', 'stride 1 is not printed');
  t.equal(formatExprListsUdsp([el('[1,3-5]')]), '1.3-5]', 'a leading single value loses the bracket');
  t.equal(formatExprListsUdsp([el('[1,2]')]), '1.2', 'single values join with dots');
  t.equal(formatExprListsUdsp([]), '');
});
