// lnetctl import documents: good ones become operations (and, applied to a ulnet node the way
// the daemon will, give the export sanity-lnet.sh expects), bad ones the kernel's error
// documents and exit codes. Test numbers are sanity-lnet.sh's.
import t, { type Test } from 'tap';
import YAML from 'yaml';
import { LNet } from '../../src/lnet.js';
import { DEFAULT_CORE_PARAMS, type CoreParams } from '../../src/core/params.js';
import { formatNid, parseNid } from '../../src/nid/nid-string.js';
import { formatNet, parseNet } from '../../src/nid/net.js';
import { render, renderDoc } from '../../src/cli/yaml/index.js';
import { buildExport, buildGlobalShow, DocumentError } from '../../src/control/docs/index.js';
import { parseImportDocument, resolveImportNets, type ImportMode, type ImportOp, type ImportPlan } from '../../src/config/import-doc.js';
import type { LocalInterface } from '../../src/config/local-interfaces.js';
import { SeededRng } from '../helpers/seeded-rng.js';
import { haveInterop, interopFile } from '../helpers/interop.js';
import { readFileSync } from 'node:fs';

function refused(t: Test, text: string, mode: ImportMode = 'add'): DocumentError {
  try {
    parseImportDocument(text, mode);
  } catch (e) {
    if (e instanceof DocumentError) return e;
    throw e;
  }
  t.fail(`expected a refusal of:\n${text}`);
  throw new Error('not refused');
}

const errDoc = (op: string, errno: number, descr: string): string =>
  `---\n${op}:\n-     import:\n      errno: ${errno}\n      descr: ! "${descr}"\n...\n`;

function expectRefusal(t: Test, text: string, errno: number, descr: string, mode: ImportMode = 'add'): void {
  const e = refused(t, text, mode);
  t.equal(e.document ? renderDoc(e.document) : e.text, errDoc(mode === 'del' ? 'del' : mode === 'show' ? 'show' : 'add', errno, descr), descr);
  t.equal(e.exitCode, 234);
}

/** What the daemon does with the operations (the parts a fresh lo-only node can take). */
function apply(n: LNet, plan: ImportPlan): void {
  for (const o of plan.ops) {
    if (o.op === 'peer') {
      const nids = (o.nis ?? []).map((x) => formatNid(x.nid)).filter((s) => s !== formatNid(o.primaryNid));
      if (plan.mode === 'del') n.discovery.del({ primNid: formatNid(o.primaryNid), ...(o.nis ? { nids: o.nis.map((x) => formatNid(x.nid)) } : {}) });
      else n.discovery.add({ primNid: formatNid(o.primaryNid), nids, nonMr: !o.multiRail });
    } else if (o.op === 'global') {
      const field: Record<string, keyof CoreParams> = { max_interfaces: 'lnet_interfaces_max' };
      Object.assign(n.core.params, { [field[o.key] ?? o.key]: o.value });
    }
  }
}

async function fresh(t: Test): Promise<LNet> {
  const n = await LNet.start({});
  t.teardown(() => n.shutdown());
  return n;
}

const same = (t: Test, actual: string, expected: string, msg: string): void => {
  t.same(YAML.parse(actual), YAML.parse(expected), msg);
};

const globalYaml = render(buildGlobalShow(DEFAULT_CORE_PARAMS));

t.test('sanity-lnet test 0: the export --backup of an empty configuration imports back to the same export', async (t) => {
  const n = await fresh(t);
  const exported = render(buildExport(n, { backup: true }));
  const plan = parseImportDocument(exported);
  t.same(
    plan.ops.map((o) => (o.op === 'global' ? o.key : o.op)),
    ['numa_range', 'max_interfaces', 'discovery', 'drop_asym_route', 'retry_count', 'transaction_timeout', 'health_sensitivity', 'recovery_interval', 'router_sensitivity', 'response_tracking', 'recovery_limit', 'max_recovery_ping_interval'],
    'every global key but lnd_timeout (which is only shown)',
  );
  apply(n, plan);
  t.equal(render(buildExport(n, { backup: true })), exported);
});

t.test('recorded export --backup (02-ping-discover-A-export-backup.yaml) parses into its net, peer and globals', { skip: !haveInterop && 'recordings absent' }, async (t) => {
  const plan = parseImportDocument(readFileSync(interopFile('02-ping-discover-A-export-backup.yaml'), 'utf8'));
  const net = plan.ops[0]!;
  t.equal(net.op, 'net');
  if (net.op === 'net') {
    t.equal(formatNet(net.rule.net), 'tcp');
    t.same(net.rule.interfaces, [{ name: 'eth0' }]);
    t.same(net.rule.tunables, { peer_timeout: 180, peer_credits: 8, peer_buffer_credits: 0, credits: 256 });
    t.same(net.rule.lndTunables, { tos: -1, conns_per_peer: 1 });
    t.same(net.rule.cpts, [0]);
  }
  const peer = plan.ops[1]!;
  t.ok(peer.op === 'peer' && formatNid(peer.primaryNid) === '192.0.2.12@tcp' && peer.multiRail);
  t.equal(plan.ops.length, 14);
  t.same(plan.warnings, []);
});

t.test('a plain export: `timeout` of lnd tunables is ignored with a warning; peer NI health stats other than `health value` are refused', { skip: !haveInterop && 'recordings absent' }, async (t) => {
  const text = readFileSync(interopFile('02-ping-discover-A-export.yaml'), 'utf8');
  // lnet_parse_peer_nis accepts only `health value` under a peer NI's `health stats`.
  expectRefusal(t, text, -22, 'wrong health config format');
  const withoutPeers = text.replace(/^peer:\n(?:[- ].*\n)*/m, '');
  const plan = parseImportDocument(withoutPeers);
  t.same(plan.warnings, ["Ignoring unrecognized key 'timeout' for 'lnd tunables'"]);
  t.same(
    plan.ops.filter((o) => o.op === 'net').map((o) => (o.op === 'net' ? formatNet(o.rule.net) : '')),
    ['lo', 'tcp'],
  );
});

const mrPeerYaml = (peers: { prim: string; nids: string[] }[]): string =>
  'peer:\n' +
  peers.map((p) => `    - primary nid: ${p.prim}\n      Multi-Rail: True\n      peer ni:\n` + [p.prim, ...p.nids].map((n) => `        - nid: ${n}\n`).join('')).join('');

t.test('sanity-lnet tests 14-17: import peers, export them, import --del them', async (t) => {
  for (const [np, ns, net] of [
    [1, 0, 'tcp'],
    [5, 0, 'o2ib'],
    [1, 5, 'tcp'],
    [5, 7, 'o2ib'],
  ] as const) {
    const n = await fresh(t);
    let num = 1;
    const peers = Array.from({ length: np }, () => {
      const id = (i: number): string => `${i}.${i}.${i}.${i}@${net}`;
      const prim = id(num);
      const nids = Array.from({ length: ns }, (_, j) => id(num + 1 + j));
      num += ns + 1;
      return { prim, nids };
    });
    const doc = mrPeerYaml(peers);
    apply(n, parseImportDocument(doc));
    same(t, render(buildExport(n, { backup: true })), doc + globalYaml, `${np} peers with ${ns} more NIDs on ${net}`);
    apply(n, parseImportDocument(doc, 'del'));
    same(t, render(buildExport(n, { backup: true })), globalYaml, 'import --del removes them');
  }
});

t.test('sanity-lnet tests 18a/18b: import --del of some NIDs removes only those', async (t) => {
  const n = await fresh(t);
  apply(
    n,
    parseImportDocument(
      'peer:\n    - primary nid: 1.1.1.1@tcp\n      Multi-Rail: True\n      peer ni:\n        - nid: 1.1.1.1@tcp\n        - nid: 2.2.2.2@tcp\n        - nid: 4.4.4.4@tcp\n        - nid: 3.3.3.3@o2ib\n        - nid: 5@gni\n',
    ),
  );
  const del = parseImportDocument(
    'peer:\n    - primary nid: 1.1.1.1@tcp\n      Multi-Rail: True\n      peer ni:\n        - nid: 2.2.2.2@tcp\n        - nid: 3.3.3.3@o2ib\n        - nid: 5@gni\n',
    'del',
  );
  const op = del.ops[0]!;
  t.ok(op.op === 'peer' && op.nis?.length === 3, 'the primary is not listed: only those NIDs go');
  apply(n, del);
  same(t, render(buildExport(n, { backup: true })), mrPeerYaml([{ prim: '1.1.1.1@tcp', nids: ['4.4.4.4@tcp'] }]) + globalYaml, 'export --backup');
});

t.test('sanity-lnet test 27: bad documents fail with lnetctl\'s messages', async (t) => {
  expectRefusal(t, 'foobar:\n', -22, "invalid key 'foobar'");
  const bad = globalYaml.replace(/discovery:.*/, 'discovery:');
  expectRefusal(t, bad, -22, "no value specified for key 'discovery'");
  expectRefusal(t, bad.replace('discovery:', 'discovery: foo'), -22, "invalid value 'foo' for key 'discovery'");
});

t.test('sanity-lnet test 99b: an invalid Multi-Rail value is refused by the kernel', async (t) => {
  expectRefusal(t, 'peer:\n    - primary nid: 99.99.99.99@tcp\n      Multi-Rail: Foobar\n      peer ni:\n        - nid: 99.99.99.99@tcp\n', -22, 'invalid MR flag param');
});

t.test('sanity-lnet test 104: response_tracking imports 0..3 and refuses others with the cYAML error', async (t) => {
  for (let i = 0; i < 4; i++) t.same(parseImportDocument(`global:\n    response_tracking: ${i}\n`).ops, [{ op: 'global', key: 'response_tracking', value: i }]);
  for (const v of [-10, 10]) {
    const e = refused(t, `global:\n    response_tracking: ${v}\n`);
    t.equal(renderDoc(e.document!), 'add:\n    - response_tracking:\n          errno: -22\n          descr: "Valid values are: 0, 1, 2, or 3"\n');
    t.equal(e.exitCode, 234);
  }
});

t.test('sanity-lnet tests 50 and 51: routing, buffers and numa sections', async (t) => {
  t.same(parseImportDocument('routing:\n    enable: 1\n').ops, [{ op: 'routing', enable: true }]);
  t.same(parseImportDocument('routing:\n    enable: 0\n').ops, [{ op: 'routing', enable: false }]);
  t.same(parseImportDocument('routing:\n    enable: 1\nbuffers:\n    tiny: 2049\n    small: 16385\n    large: 1025\n').ops, [
    { op: 'routing', enable: true },
    { op: 'buffers', tiny: 2049, small: 16385, large: 1025 },
  ]);
  t.same(parseImportDocument('numa:\n    range: 1\n').ops, [{ op: 'numa', range: 1 }]);
  expectRefusal(t, 'numa:\n    range: far\n', -22, 'Invalid type for attribute');
});

const NET_CPT = (cpt: string): string => `net:\n-     net type: tcp\n      local NI(s):\n      -     interfaces:\n                  0: eth0\n            CPT: ${cpt}\n`;

t.test('sanity-lnet tests 265 and 266: CPT as a quoted string or a flow list; empty and reversed ranges fail', async (t) => {
  expectRefusal(t, NET_CPT('"[1-0]"'), -22, "Unable to parse CPT '[1-0]'");
  expectRefusal(t, NET_CPT('[1-0]'), -22, "Unable to parse CPT '1-0'");
  expectRefusal(t, NET_CPT('"[]"'), -22, "Unable to parse CPT '[]'");
  expectRefusal(t, NET_CPT('[]'), -61, 'Missing CPT configuration');
  for (const cpt of ['"[0-1]"', '[0-1]']) {
    const op = parseImportDocument(NET_CPT(cpt)).ops[0]!;
    t.same(op.op === 'net' && op.rule.cpts, [0, 1], cpt);
  }
});

t.test('sanity-lnet test 450: a net with two interfaces is one rule; import --del names it too', async (t) => {
  const doc = 'net:\n    - net type: tcp\n      local NI(s):\n        - interfaces:\n              0: eth0\n              1: test1pg\n';
  for (const mode of ['add', 'del'] as const) {
    const op = parseImportDocument(doc, mode).ops[0]!;
    t.same(op.op === 'net' && op.rule.interfaces, [{ name: 'eth0' }, { name: 'test1pg' }], mode);
  }
  expectRefusal(t, 'net:\n    - local NI(s):\n        - interfaces:\n              0: eth0\n', -22, "Malformed input. Expect 'net type' found 'local NI(s)'");
  expectRefusal(t, 'net:\n    - net type: bogus\n', -22, "Invalid network ID 'bogus'");
  expectRefusal(t, 'net:\n    - net type: tcp\n      ip-range:\n          0: 10.0.0.1\n', -22, "'ip-range' only valid for ip2nets");
  t.same(parseImportDocument('net:\n    - net type: tcp\n      tunables:\n          peer_credits: 16\n          bogus: 1\n').warnings, ["Ignoring unrecognized key 'bogus' for 'tunables'"]);
  expectRefusal(t, 'net:\n    - net type: tcp\n      tunables:\n          peer_credits: lots\n', -22, "invalid value 'lots' for key 'peer_credits'");
});

// ------------------------------------------------------------------------ ip2nets (tests 150-162)

const IFACES: LocalInterface[] = [
  { name: 'lo', addresses: ['127.0.0.1', '::1'], loopback: true },
  { name: 'eth0', addresses: ['192.0.2.12', 'fe80::1', '2001:db8:1::12'] },
  { name: 'test1pg', addresses: ['10.1.2.3', '2001:db8:0:f101::1'] },
  { name: 'down0', addresses: ['10.9.9.9'], up: false },
];

const ip2nets = (rules: { spec: string; ifs?: string[]; ranges?: string[] }[]): string =>
  'ip2nets:\n' +
  rules
    .map(
      (r) =>
        `  - net-spec: ${r.spec}\n` +
        (r.ifs ? '    interfaces:\n' + r.ifs.map((x, i) => `        ${i}: ${x}\n`).join('') : '') +
        (r.ranges ? '    ip-range:\n' + r.ranges.map((x, i) => `        ${i}: ${x}\n`).join('') : ''),
    )
    .join('');

function nets(plan: ImportPlan): string[] {
  return resolveImportNets(plan, IFACES).ops.map((o: ImportOp) =>
    o.op === 'net' ? `${formatNet(o.rule.net)}(${o.rule.interfaces.map((i) => i.name).join(',')})` : o.op,
  );
}

function resolveRefused(t: Test, text: string): DocumentError {
  try {
    resolveImportNets(parseImportDocument(text), IFACES);
  } catch (e) {
    if (e instanceof DocumentError) return e;
    throw e;
  }
  t.fail('expected a refusal');
  throw new Error('not refused');
}

t.test('sanity-lnet tests 150-156: IPv4 ip2nets rules match the interfaces they name or find', async (t) => {
  t.same(nets(parseImportDocument(ip2nets([{ spec: 'tcp', ifs: ['eth0'], ranges: ['192.0.2.12'] }]))), ['tcp(eth0)'], '150');
  const two = [{ spec: 'tcp', ifs: ['eth0', 'test1pg'], ranges: ['192.0.2.12', '10.1.2.3'] }];
  t.same(nets(parseImportDocument(ip2nets(two))), ['tcp(eth0,test1pg)'], '151: two interfaces');
  const more = [...two, { spec: 'tcp', ifs: ['eth0'] }, { spec: 'tcp', ifs: ['test1pg'], ranges: ['10.1.2.3'] }];
  t.same(nets(parseImportDocument(ip2nets(more))), ['tcp(eth0,test1pg)'], '151: more rules for the same net change nothing');
  t.same(nets(parseImportDocument(ip2nets([...more, { spec: 'tcp2', ifs: ['eth0'] }]))), ['tcp(eth0,test1pg)', 'tcp2(eth0)'], '151: a rule for a second net applies');
  for (const r of ['192.0.2.*', '192.0.*.*', '192.*.*.*', '"*.*.*.*"'])
    t.same(nets(parseImportDocument(ip2nets([{ spec: 'tcp', ifs: ['eth0'], ranges: [r] }]))), ['tcp(eth0)'], `152: ${r}`);
  t.same(nets(parseImportDocument(ip2nets([{ spec: 'tcp', ranges: ['10.1.2.*'] }]))), ['tcp(test1pg)'], 'a range alone finds its interface');
  t.same(nets(parseImportDocument(ip2nets([{ spec: 'tcp', ifs: ['eth0'], ranges: ['192.0.2.[8-16]'] }]))), ['tcp(eth0)'], '153');
  t.same(nets(parseImportDocument(ip2nets([{ spec: 'tcp', ifs: ['eth0'], ranges: ['192.0.2.[8-16/2]'] }]))), ['tcp(eth0)'], '154');
  t.same(nets(parseImportDocument(ip2nets([{ spec: 'tcp', ifs: ['eth0'], ranges: ['192.0.2.[14,16,12,18]'] }]))), ['tcp(eth0)'], '156');
  t.same(nets(parseImportDocument(ip2nets([{ spec: 'tcp' }]))), ['tcp(eth0)'], 'no interface, no range: the first UP IPv4 interface but lo');
});

t.test('sanity-lnet tests 155, 157 and 162: rules that match nothing, or miss net-spec, fail', async (t) => {
  let e = resolveRefused(t, ip2nets([{ spec: 'tcp', ifs: ['eth0'], ranges: ['10.20.30.40'] }]));
  t.equal(renderDoc(e.document!), errDoc('add', -22, 'No ip2nets rules applied'), '155');
  expectRefusal(t, 'ip2nets:\n  - interfaces:\n        0: eth0\n    ip-range:\n        0: 192.168.1.1\n', -22, "Malformed input. Expect 'net-spec' found 'interfaces'");
  e = resolveRefused(t, ip2nets([{ spec: 'tcp', ifs: ['eth0'], ranges: ['2001:db8:dead:beef::1'] }]));
  t.equal(renderDoc(e.document!), errDoc('add', -22, 'No ip2nets rules applied'), '162');
  e = resolveRefused(t, 'net:\n    - net type: tcp\n      local NI(s):\n        - interfaces:\n              0: nosuch0\n');
  t.equal(renderDoc(e.document!), errDoc('add', -42, "No interface matching 'nosuch0'"), 'a net naming a missing interface');
  e = resolveRefused(t, 'net:\n    - net type: tcp\n      local NI(s):\n        - interfaces:\n              0: down0\n');
  t.equal(renderDoc(e.document!), errDoc('add', -42, "Matched interface 'down0' is not UP"));
});

t.test('sanity-lnet tests 158-161: IPv6 ip-ranges (single address, /128, prefixes)', async (t) => {
  for (const r of ['2001:db8:1::12', '2001:db8:1::12/128', '2001:db8:1::/64', '2001:db8::/32', '2001::/16'])
    t.same(nets(parseImportDocument(ip2nets([{ spec: 'tcp', ifs: ['eth0'], ranges: [r] }]))), ['tcp(eth0)'], r);
  const v6 = [{ spec: 'tcp', ifs: ['eth0', 'test1pg'], ranges: ['2001:db8:1::12', '2001:db8:0:f101::1'] }];
  t.same(nets(parseImportDocument(ip2nets([...v6, { spec: 'tcp2', ifs: ['eth0'], ranges: ['2001:db8:1::12'] }]))), ['tcp(eth0,test1pg)', 'tcp2(eth0)'], '160');
  expectRefusal(t, ip2nets([{ spec: 'tcp', ifs: ['eth0'], ranges: ['2001:db8::/129'] }]), -22, 'Failed to parse ip-range list rc = -22');
  expectRefusal(t, 'ip2nets:\n  - net-spec: tcp\n    local NI(s):\n      - interfaces:\n          0: eth0\n', -22, "local NI(s)' not valid for ip2nets");
});

t.test('sanity-lnet test 350: import --exec runs ping and discover; other sections are invalid keys there', async (t) => {
  t.same(parseImportDocument('ping:\n  nids:\n    0: 192.0.2.12@tcp\n', 'exec').ops, [{ op: 'ping', targets: ['192.0.2.12@tcp'] }]);
  t.same(parseImportDocument('discover:\n  nids:\n    0: 192.0.2.12@tcp\n', 'exec').ops, [{ op: 'discover', targets: ['192.0.2.12@tcp'] }]);
  const p = parseImportDocument('ping:\n  timeout: 2000\n  source: 192.0.2.11@tcp\n  nids:\n    0: 12345-192.0.2.12@tcp\n    1: 192.0.2.13@tcp\n', 'exec').ops[0]!;
  t.ok(p.op === 'ping' && p.timeoutMs === 2000 && p.source && formatNid(p.source) === '192.0.2.11@tcp' && p.targets.length === 2);
  expectRefusal(t, 'ping:\n  nids:\n    0: 192.0.2.12@tcp\n', -22, "invalid key 'ping'");
  expectRefusal(t, 'peer:\n    - primary nid: 1.1.1.1@tcp\n', -22, "invalid key 'peer'", 'exec');
  expectRefusal(t, 'ping:\n  nids:\n    0: not-a-nid@@\n', -22, 'cannot parse NID', 'exec');
});

t.test('routes: kernel checks of net, gateway, hop and priority', async (t) => {
  const plan = parseImportDocument('route:\n-     net: o2ib\n      gateway: 192.0.2.11@tcp\n      hop: -1\n      priority: 0\n      state: down\n      type: multi-hop\n');
  t.same(plan.ops, [{ op: 'route', net: parseNet('o2ib'), gateway: parseNid('192.0.2.11@tcp'), hops: -1, priority: 0, alive: false }]);
  const r = (body: string): string => `route:\n    - ${body.split('\n').join('\n      ')}\n`;
  expectRefusal(t, r('net: lo\ngateway: 1.1.1.1@tcp'), -13, 'setting @lo not allowed');
  expectRefusal(t, r('net: bogus\ngateway: 1.1.1.1@tcp'), -19, 'cannot parse remote net');
  expectRefusal(t, r('net: tcp1\ngateway: 1.1.1.[1-2]@tcp'), -19, 'cannot parse gateway');
  expectRefusal(t, r('net: tcp1\ngateway: 1.1.1.1@tcp\nhop: 256'), -22, 'invalid hop count must be between 1 and 255');
  expectRefusal(t, r('net: tcp1\ngateway: 1.1.1.1@tcp\nhop: two'), -22, 'hop has invalid key');
  expectRefusal(t, r('net: tcp1\ngateway: 1.1.1.1@tcp\npriority: -1'), -22, 'invalid priority, must not be negative');
  expectRefusal(t, r('gateway: 1.1.1.1@tcp'), -19, 'missing mandatory parameter: network');
  expectRefusal(t, r('net: tcp1'), -19, 'missing mandatory parameter: gateway');
  expectRefusal(t, r('hop: 2'), -19, 'missing mandatory parameter: network', 'del');
});

t.test('udsp rules and global parameters by mode', async (t) => {
  t.same(parseImportDocument('udsp:\n    - idx: 0\n      src: tcp\n      action:\n          priority: 1\n').ops, [{ op: 'udsp', idx: 0, priority: 1, src: 'tcp' }]);
  t.same(parseImportDocument('udsp:\n    - src: tcp\n').ops, [], 'a rule without idx is not taken');
  t.same(parseImportDocument(globalYaml, 'del').ops, [
    { op: 'global', key: 'numa_range', value: 0 },
    { op: 'global', key: 'max_interfaces', value: 200 },
    { op: 'global', key: 'discovery', value: 1 },
  ], '--del resets numa_range, max_interfaces and discovery only');
  t.equal(parseImportDocument(globalYaml, 'show').ops.length, 13, '--show shows every key, lnd_timeout too');
  t.same(parseImportDocument('max_intf: 100\n').ops, [{ op: 'global', key: 'max_interfaces', value: 100 }], 'max_intf is max_interfaces');
  t.same(parseImportDocument('global:\n    retry_count: 0x3\n').ops, [{ op: 'global', key: 'retry_count', value: 3 }], 'numbers as strtol reads them');
  t.same(parseImportDocument('').ops, [], 'an empty document does nothing');
});

t.test('YAML syntax errors are reported as libyaml reports them, exit 234', async (t) => {
  const e = refused(t, 'net: [\n');
  t.equal(e.document, undefined);
  t.match(e.text, /^Parser error: .* at line \d+, column \d+\n$/);
  t.equal(e.exitCode, 234);
});

t.test('fuzz: mutated and random documents give a plan or a DocumentError, nothing else', async (t) => {
  const seed = Number(process.env.H6A_SEED ?? 0x1a7);
  const rng = new SeededRng(seed);
  const seeds = [
    globalYaml,
    mrPeerYaml([{ prim: '1.1.1.1@tcp', nids: ['2.2.2.2@tcp'] }]),
    NET_CPT('"[0]"'),
    ip2nets([{ spec: 'tcp', ifs: ['eth0'], ranges: ['192.0.2.*'] }]),
    'route:\n-     net: o2ib\n      gateway: 192.0.2.11@tcp\n      hop: -1\n      priority: 0\n',
    'udsp:\n    - idx: 0\n      src: tcp\n      action:\n          priority: 1\n',
    'routing:\n    enable: 1\nbuffers:\n    tiny: 1\nnuma:\n    range: 1\n',
    'ping:\n  nids:\n    0: 192.0.2.12@tcp\n',
  ];
  const pieces = [':', ' ', '-', '\n', '[', ']', '{', '}', '"', "'", '#', '&a', '*a', '!', '|', '>', '0x', '-1', '@tcp', 'tcp', 'nid', 'peer ni', 'CPT', 'net type', '\t', '\0', 'é', '---', '...'];
  let plans = 0;
  let refusals = 0;
  for (let i = 0; i < 3000; i++) {
    let s = rng.pick(seeds);
    const edits = 1 + rng.int(4);
    for (let k = 0; k < edits; k++) {
      const at = rng.int(s.length + 1);
      const what = rng.int(3);
      if (what === 0) s = s.slice(0, at) + rng.pick(pieces) + s.slice(at);
      else if (what === 1) s = s.slice(0, at) + s.slice(at + 1 + rng.int(5));
      else s = s.slice(0, at) + String.fromCharCode(rng.int(128)) + s.slice(at + 1);
    }
    if (i % 10 === 0) s = rng.bytes(rng.int(64)).toString('latin1');
    for (const mode of ['add', 'del', 'show', 'exec'] as const) {
      try {
        const plan = parseImportDocument(s, mode);
        resolveImportNets(plan, IFACES);
        plans++;
      } catch (e) {
        if (!(e instanceof DocumentError)) {
          t.fail(`seed ${seed} case ${i} (${mode}) threw ${String(e)} for ${JSON.stringify(s)}`);
          return;
        }
        if (!e.document && !e.text) {
          t.fail(`seed ${seed} case ${i}: a refusal with nothing to print`);
          return;
        }
        refusals++;
      }
    }
  }
  t.ok(plans > 100 && refusals > 100, `${plans} plans, ${refusals} refusals`);
});
