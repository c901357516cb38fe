// ip2nets= parsing and matching. Expected results follow lnet/lnet/config.c
// lnet_parse_ip2nets, lnet_match_networks, lnet_match_network_tokens, lnet_splitnets and
// lnet_str2tbs_sep; lnet/lnet/lib-socket.c lnet_inet_enumerate (which addresses take part);
// lnet/lnet/api-ni.c lnet_get_networks (networks vs ip2nets); config.md §3 and the recorded
// 06-start-stop-modparams.txt.
import t from 'tap';
import {
  enumerateAddresses,
  ip2netsToNetSpecs,
  localInterfacesFromOs,
  matchIp2nets,
  modparamNetworks,
  parseIp2nets,
  type LocalInterface,
} from '../../src/config/index.js';
import { formatNet } from '../../src/nid/net.js';
import { checkTotal, expectLNetError, expectParseError, Prng, total } from './helpers.js';

const host = (...addresses: string[]): LocalInterface[] => [{ name: 'eth0', addresses }];

// Source: lnet/lnet/config.c lnet_parse_ip2nets; recorded in 06-start-stop-modparams.txt.
t.test('recorded: ip2nets="tcp0(eth0) 192.0.2.[10-20]" on 192.0.2.12', async (t) => {
  // 06-start-stop-modparams.txt: lctl network up then list_nids gave 192.0.2.12@tcp.
  const ifaces = host('192.0.2.12');
  const m = matchIp2nets('tcp0(eth0) 192.0.2.[10-20]', ifaces);
  t.equal(m.networks, 'tcp0(eth0)');
  const nets = ip2netsToNetSpecs('tcp0(eth0) 192.0.2.[10-20]', ifaces);
  t.same(
    nets.map((n) => [formatNet(n.net), n.nis.map((ni) => ni.interface)]),
    [['tcp', ['eth0']]],
  );
});

// Source: lnet/lnet/config.c lnet_match_networks (no cross-entry duplicate check in 2.17).
t.test('config.md §3 example on several hosts', async (t) => {
  const ip2nets = 'tcp0(eth0) 192.168.0.[2,4]; tcp0 192.168.0.*; o2ib0 132.6.[1-3].[2-8/2]';
  const cases: [string[], string][] = [
    // Both tcp entries match .2: 2.17 joins them; networks= then merges the two NIs.
    [['192.168.0.2'], 'tcp0(eth0),tcp0'],
    [['192.168.0.3'], 'tcp0'],
    [['192.168.0.4', '132.6.2.8'], 'tcp0(eth0),tcp0,o2ib0'],
    [['10.0.0.1', '132.6.3.2'], 'o2ib0'],
  ];
  for (const [addrs, want] of cases) t.equal(matchIp2nets(ip2nets, host(...addrs)).networks, want, addrs.join(' '));
  // 132.6.2.3: the octet [2-8/2] takes even values only.
  expectLNetError(t, () => matchIp2nets(ip2nets, host('132.6.2.3')), 'ENOENT', 'odd last octet matches nothing');
});

// Source: lnet/lnet/config.c lnet_str2tbs_sep, lnet_match_network_tokens.
t.test('entry separators and comments (lnet_str2tbs_sep)', async (t) => {
  const ifaces = host('10.0.0.5');
  const cases: [string, string][] = [
    ['tcp 10.0.0.5', 'tcp'],
    ['tcp 10.0.0.5; o2ib 10.0.0.*', 'tcp,o2ib'],
    ['tcp 10.0.0.5\no2ib 10.0.0.*\r\ntcp1 10.0.0.[1-9]', 'tcp,o2ib,tcp1'],
    // '#' comments out the rest of its entry only.
    ['tcp 10.0.0.5 # eth0 side; o2ib 10.0.0.*', 'tcp,o2ib'],
    ['# all commented; tcp 10.0.0.5', 'tcp'],
    ['tcp # 10.0.0.5', ''],
    // Several patterns: any one matching is enough.
    ['tcp 192.168.1.1 10.0.0.5', 'tcp'],
    ['tcp\t10.0.0.[4-6]\t', 'tcp'],
    [';;tcp 10.0.0.5;;', 'tcp'],
    // An entry without patterns never matches.
    ['o2ib; tcp 10.*.*.*', 'tcp'],
    // Several nets in one entry, interface lists kept whole.
    ['tcp(eth0,eth1),o2ib1(ib0) 10.0.0.5', 'tcp(eth0,eth1),o2ib1(ib0)'],
    ['tcp(eth0)[0] 10.0.0.5', 'tcp(eth0)[0]'],
  ];
  for (const [text, want] of cases) {
    if (want === '') expectLNetError(t, () => matchIp2nets(text, ifaces), 'ENOENT', JSON.stringify(text));
    else t.equal(matchIp2nets(text, ifaces).networks, want, JSON.stringify(text));
  }
});

// Source: lnet/lnet/config.c lnet_match_network_tokens, lnet_splitnets; lnet/lnet/nidstrings.c cfs_ip_addr_parse; lnet/lnet/lib-socket.c lnet_inet_enumerate.
t.test('errors (EINVAL with position, ENOENT)', async (t) => {
  const ifaces = host('10.0.0.5');
  const einval: [string, number][] = [
    // Bad IP patterns, wherever the entry is (every entry's patterns are parsed). The position
    // is the kernel's (the pattern's start) plus where in the pattern it went wrong.
    ['tcp 10.0.0', 10],
    ['tcp 10.0.0.5.6', 12],
    ['tcp 10.0.0.256', 11],
    ['tcp 10.0.[1-0].5', 10],
    ['tcp 10.0.0.5; o2ib 2001:db8::1', 19],
    ['tcp 10.0.0.5 10.0.0.x', 20],
    // A net named twice in one matching entry (lnet_splitnets).
    ['tcp,tcp 10.0.0.5', 4],
    ['tcp0,o2ib,tcp 10.0.0.5', 10],
    // The interface list must end the netspec or be followed by ','.
    ['tcp(eth0)[0],o2ib 10.0.0.5', 3],
    ['tcp(eth0,o2ib 10.0.0.5', 3],
    // Net names are checked (in matching entries only).
    ['foo 10.0.0.5', 0],
    ['tcp[0] 10.0.0.5', 0],
    ['tcp 1.1.1.1; tcp,bar 10.0.0.5', 17],
  ];
  for (const [text, pos] of einval) expectParseError(t, () => matchIp2nets(text, ifaces), 'EINVAL', pos, JSON.stringify(text));
  // A bad netspec in an entry that does not match is not looked at.
  t.equal(matchIp2nets('foo(x 1.2.3.4; tcp 10.0.0.5', ifaces).networks, 'tcp');
  expectLNetError(t, () => matchIp2nets('tcp 192.168.0.*', ifaces), 'ENOENT', 'no match');
  expectLNetError(t, () => matchIp2nets('tcp *.*.*.*', []), 'ENOENT', 'no interfaces');
  expectLNetError(t, () => matchIp2nets('tcp *.*.*.*', [{ name: 'lo', addresses: ['127.0.0.1'], loopback: true }]), 'ENOENT', 'loopback skipped');
  expectLNetError(t, () => matchIp2nets('tcp *.*.*.*', [{ name: 'eth0', addresses: ['10.0.0.5'], up: false }]), 'ENOENT', 'down skipped');
  // parseIp2nets checks every entry without matching.
  expectParseError(t, () => parseIp2nets('tcp 1.2.3.4; o2ib 1.2.3'), 'EINVAL', 23, 'parse only');
  t.same(
    parseIp2nets('tcp(eth0) 192.0.2.[10-20] 10.*.*.*').map((e) => [e.netspec, e.patterns.map((p) => [p.text, p.position])]),
    [['tcp(eth0)', [['192.0.2.[10-20]', 10], ['10.*.*.*', 26]]]],
  );
});

// Source: lnet/lnet/lib-socket.c lnet_inet_enumerate, lnet_inet6_enumerate; lnet/lnet/config.c lnet_parse_ip2nets.
t.test('IPv6 interface addresses (lnet_inet_enumerate + lnet_parse_ip2nets)', async (t) => {
  // The kernel matches IPv4 patterns against li_ipaddr, which for an IPv6 entry is the
  // first 32 bits of the address: 2001:db8:: looks like 32.1.13.184.
  const v6 = host('2001:db8::5');
  t.equal(matchIp2nets('tcp 32.1.13.184', v6).networks, 'tcp');
  expectLNetError(t, () => matchIp2nets('tcp 10.*.*.*', v6), 'ENOENT', 'v6 address does not match unrelated v4 pattern');
  // Only the first IPv6 address that is not link-local counts, per interface.
  const e = enumerateAddresses([{ name: 'eth0', addresses: ['fe80::1', '2001:db8::5', '2001:db9::5', '10.0.0.1', '10.0.0.2'] }]);
  t.same(
    e.map((a) => [a.family, a.interface]),
    [
      [4, 'eth0'],
      [4, 'eth0'],
      [6, 'eth0'],
    ],
  );
  expectLNetError(t, () => matchIp2nets('tcp 32.1.13.185', [{ name: 'eth0', addresses: ['2001:db8::5', '2001:db8:1::1'] }]), 'ENOENT', 'second v6 ignored');
  expectLNetError(t, () => matchIp2nets('tcp *.*.*.*', host('fe80::1%eth0')), 'ENOENT', 'link-local only');
  // os.networkInterfaces() shape: internal interfaces are loopback.
  const fromOs = localInterfacesFromOs({
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth0: [{ address: '192.0.2.12', netmask: '255.255.255.0', family: 'IPv4', mac: '52:54:00:00:00:01', internal: false, cidr: '192.0.2.12/24' }],
  });
  t.equal(matchIp2nets('tcp 127.0.0.1; o2ib 192.0.2.*', fromOs).networks, 'o2ib');
});

// Source: lnet/lnet/api-ni.c lnet_get_networks.
t.test('networks vs ip2nets vs default (lnet_get_networks)', async (t) => {
  const ifaces = host('192.0.2.12');
  t.equal(modparamNetworks({ networks: '', ip2nets: '' }, ifaces).networks, 'tcp');
  t.equal(modparamNetworks({ networks: '', ip2nets: '' }, ifaces).source, 'default');
  t.equal(modparamNetworks({ networks: 'o2ib(ib0)', ip2nets: '' }, ifaces).source, 'networks');
  const r = modparamNetworks({ networks: '', ip2nets: 'tcp0(eth0) 192.0.2.[10-20]' }, ifaces);
  t.equal(r.source, 'ip2nets');
  t.equal(r.networks, 'tcp0(eth0)');
  expectLNetError(t, () => modparamNetworks({ networks: 'tcp', ip2nets: 'tcp *.*.*.*' }, ifaces), 'EINVAL', 'both');
});

// Source: every grammar above (lnet/lnet/config.c).
t.test('fuzz: random and mutated ip2nets strings', async (t) => {
  const rng = new Prng(0x69703265);
  const alphabet = 'tcpo2ib0123456789.*[]-,/ ;#\n()eth:';
  const seeds = [
    'tcp0(eth0) 192.168.0.[2,4]; tcp0 192.168.0.*; o2ib0 132.6.[1-3].[2-8/2]',
    'tcp0(eth0) 192.0.2.[10-20]',
    'tcp 10.0.0.* # c\no2ib1 10.[0-255].0.[1-9]',
  ];
  const ifaces: LocalInterface[] = [{ name: 'eth0', addresses: ['192.168.0.2', '10.0.0.3', '132.6.2.4', '2001:db8::1'] }];
  let matched = 0;
  for (let i = 0; i < 3000; i++) {
    const input = i % 2 === 0 ? rng.string(alphabet, 50) : rng.mutate(rng.pick(seeds), alphabet);
    const r = total(() => ip2netsToNetSpecs(input, ifaces, { cptCount: 2 }));
    if (!checkTotal(t, r, input)) break;
    if (r.ok) matched++;
    if (!checkTotal(t, total(() => parseIp2nets(input)), input)) break;
  }
  t.ok(matched > 50, `a fair share matched (${matched})`);
});
