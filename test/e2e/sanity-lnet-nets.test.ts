/**
 * lustre/tests/sanity-lnet.sh, the net, route, ip2nets, tunable and CPT tests that need no
 * kernel (and no remote router nodes): tests 101, 103, 105, 106, 110, 111, 112, 150–157, 230
 * (settings part), 231, 232, 241, 245, 265, 266, against lnetd in a network namespace whose
 * INTERFACES[0] is eth0 (192.0.2.12/24) and whose fake interface test1pg has 10.1.2.3/31, as
 * the script's setup_fakeif makes.
 */
import t from 'tap';
import { haveLnetdDist, recordedNetns, startLnetd } from '../helpers/lnetd.js';
import { load, Sanity } from '../helpers/sanity.js';

const IF0 = 'eth0';
const IF0_IP = '192.0.2.12';
const FAKE_IF = 'test1pg';
const FAKE_IP = '10.1.2.3';
const NETTYPE = 'tcp';
const REMOTE_NET = 'tcp2';

const built = haveLnetdDist();
const net = built ? recordedNetns('N', `${IF0_IP}/24`, [{ dev: FAKE_IF, cidr: `${FAKE_IP}/31` }]) : { skip: 'dist/ is not built (npx tsc -p tsconfig.build.json)' };

t.test('sanity-lnet net, route and ip2nets tests', { skip: net.skip, timeout: 300_000 }, async (t) => {
  const d = await startLnetd(t, { netns: (net as { ns: string }).ns, config: 'options lnet cpu_npartitions=1 cpu_pattern=""' });
  const s = new Sanity(t, d);
  const addNet = (n: string, ifname: string) => s.ok('net', 'add', '--net', n, '--if', ifname);

  /** The expected export of a node with tcp on eth0 (net show -v's tunables, as append_net_tunables). */
  const netPart = async (n = NETTYPE): Promise<string> => {
    const v = (await s.ok('net', 'show', '-v', '--net', n)).stdout;
    const tun = /(            tunables:\n[\s\S]*?            CPT: .*\n)/.exec(v)![1]!.replace(/            dev cpt: .*\n/, '').replace(/                  timeout: \d+\n/, '');
    return `net:\n-     net type: ${n}\n      local NI(s):\n      -     interfaces:\n                  0: ${IF0}\n${tun}`;
  };

  await t.test('test_101: Add route with multiple gw', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    const gws = [13, 14, 15, 16, 17].map((i) => `192.0.2.${i}@tcp`);
    let expected = `${await netPart()}route:\n`;
    for (const gw of gws) expected += `-     net: ${REMOTE_NET}\n      gateway: ${gw}\n      hop: -1\n      priority: 0\n`;
    expected += 'peer:\n';
    for (const gw of gws) expected += `-     primary nid: ${gw}\n      Multi-Rail: False\n      peer ni:\n      -     nid: ${gw}\n`;
    await s.ok('route', 'add', '--net', REMOTE_NET, '--gateway', '192.0.2.[13-17]@tcp');
    const actual = await s.exportBackup();
    // validate_gateway_nids: every gateway there; routes of one net may come in any order.
    const a = load(actual) as { route: { gateway: string }[]; peer: unknown[]; net: unknown };
    const e = load(s.withGlobal(expected)) as typeof a;
    t.same(new Set(a.route.map((r) => JSON.stringify(r))), new Set(e.route.map((r) => JSON.stringify(r))));
    t.same(new Set(a.peer.map((p) => JSON.stringify(p))), new Set(e.peer.map((p) => JSON.stringify(p))));
    t.same(a.net, e.net);
  });

  await t.test('test_103: Delete route with multiple gw', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    const before = await s.exportBackup();
    await s.ok('route', 'add', '--net', `${NETTYPE}103`, '--gateway', '192.0.2.[13-18/2]@tcp');
    t.equal((load(await s.exportBackup()) as { route: unknown[] }).route.length, 3);
    await s.ok('route', 'del', '--net', `${NETTYPE}103`, '--gateway', '192.0.2.[13-18/2]@tcp');
    const after = load(await s.exportBackup()) as Record<string, unknown>;
    t.notOk('route' in after, 'no routes left');
    t.same(after.net, (load(before) as Record<string, unknown>).net);
  });

  await t.test('test_105: Adding duplicate GW peer should fail', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    await s.ok('route', 'add', '--net', REMOTE_NET, '--gateway', '192.0.2.20@tcp');
    await s.fails('peer', 'add', '--prim', '192.0.2.20@tcp');
  });

  await t.test('test_106: Deleting GW peer should fail', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    await s.ok('route', 'add', '--net', REMOTE_NET, '--gateway', '192.0.2.20@tcp');
    await s.fails('peer', 'del', '--prim', '192.0.2.20@tcp');
  });

  await t.test('test_110: Configure NI using lnetctl net add --nid', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    const nid = (await d.lctl(['list_nids'])).stdout.trim();
    t.equal(nid, `${IF0_IP}@tcp`);
    await s.reinit();
    await s.ok('net', 'add', '--nid', nid);
    t.match((await s.ok('net', 'show', '--net', NETTYPE)).stdout, `nid: ${nid}`);
    await s.ok('net', 'del', '--nid', nid);
    t.notMatch((await s.ok('net', 'show')).stdout, `nid: ${nid}`);
  });

  await t.test('test_111: Test many routes', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    for (let i = 2; i <= 500; i++) {
      const r = await s.ctl('route', 'add', '-n', `${REMOTE_NET}${i}`, '-g', '192.0.2.20@tcp');
      if (r.status !== 0) t.fail(`route add ${i}: ${r.stderr}`);
    }
    t.equal(((await s.ok('route', 'show')).stdout.match(/gateway/g) ?? []).length, 499);
    t.equal(((await d.lctl(['show_route'])).stdout.match(/^net /gm) ?? []).length, 499);
  });

  await t.test('test_112: multiple net configurations', async () => {
    await s.reinit();
    await s.ok('net', 'add', '--net', 'tcp1', '--if', IF0);
    await s.ok('net', 'add', '--nid', `${FAKE_IP}@tcp2`);
    t.equal(((await s.ok('net', 'show', '-v', '3')).stdout.match(/lnd tunables:/g) ?? []).length, 2);
  });

  /** do_import_test: import the document on a fresh node; export --backup must be `expected`. */
  const importTest = async (doc: string, expected: string): Promise<void> => {
    await s.reinit();
    const r = await s.ctlStdin(doc, 'import');
    t.equal(r.status, 0, `import:\n${doc}${r.stderr}`);
    s.compare(await s.exportBackup(), expected, `after importing\n${doc}`);
  };

  await t.test('test_150: Check import of ip2nets yaml sequence', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    const expected = await s.exportBackup();
    await importTest(`ip2nets:\n  - net-spec: ${NETTYPE}\n    interfaces:\n        0: ${IF0}\n    ip-range:\n        0: ${IF0_IP}\n`, expected);
  });

  await t.test('test_151: Check correct application of multiple ip2nets rules', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    await addNet(NETTYPE, FAKE_IF);
    let expected = await s.exportBackup();
    let doc = `ip2nets:\n  - net-spec: ${NETTYPE}\n    interfaces:\n        0: ${IF0}\n        1: ${FAKE_IF}\n    ip-range:\n        0: ${IF0_IP}\n        1: ${FAKE_IP}\n`;
    await importTest(doc, expected);
    // Additional rules for the same net change nothing.
    doc += `  - net-spec: ${NETTYPE}\n    interfaces:\n        0: ${IF0}\n  - net-spec: ${NETTYPE}\n    interfaces:\n        0: ${FAKE_IF}\n    ip-range:\n        0: ${FAKE_IP}\n`;
    await importTest(doc, expected);
    // A rule for a second net applies.
    await addNet(`${NETTYPE}2`, IF0);
    expected = await s.exportBackup();
    doc += `  - net-spec: ${NETTYPE}2\n    interfaces:\n        0: ${IF0}\n`;
    await importTest(doc, expected);
  });

  await t.test('test_152: Check import of ip2nets with wildcard IP patterns', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    const expected = await s.exportBackup();
    for (const range of ['192.0.2.*', '192.0.*.*', '192.*.*.*'])
      await importTest(`ip2nets:\n  - net-spec: ${NETTYPE}\n    interfaces:\n        0: ${IF0}\n    ip-range:\n        0: ${range}\n`, expected);
    // A match-all rule masks the later rules for the same net.
    const doc = `ip2nets:
  - net-spec: ${NETTYPE}
    interfaces:
        0: ${IF0}
    ip-range:
        0: "*.*.*.*"
  - net-spec: ${NETTYPE}
    interfaces:
        0: ${IF0}
        1: ${FAKE_IF}
  - net-spec: ${NETTYPE}
    interfaces:
        0: ${IF0}
        1: ${FAKE_IF}
    ip-range:
        0: ${IF0_IP}
        1: ${FAKE_IP}
`;
    await importTest(doc, expected);
  });

  await t.test('test_153: Check import of ip2nets with IP address ranges', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    const expected = await s.exportBackup();
    await importTest(`ip2nets:\n  - net-spec: ${NETTYPE}\n    interfaces:\n        0: ${IF0}\n    ip-range:\n        0: 192.0.2.[8-16]\n`, expected);
  });

  await t.test('test_154: Check import of ip2nets with stepped IP address ranges', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    const expected = await s.exportBackup();
    await importTest(`ip2nets:\n  - net-spec: ${NETTYPE}\n    interfaces:\n        0: ${IF0}\n    ip-range:\n        0: 192.0.2.[8-16/2]\n`, expected);
  });

  await t.test('test_155: Check ip2nets import failure with no matching rules', async () => {
    await s.reinit();
    const r = await s.ctlStdin(`ip2nets:\n  - net-spec: ${NETTYPE}\n    interfaces:\n        0: ${IF0}\n    ip-range:\n        0: 10.20.30.40\n`, 'import');
    t.not(r.status, 0, 'import should have failed');
    s.compare(await s.exportBackup(), s.globalYaml, 'nothing configured');
  });

  await t.test('test_156: Check import of ip2nets with comma-separated IP ranges', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    const expected = await s.exportBackup();
    await importTest(`ip2nets:\n  - net-spec: ${NETTYPE}\n    interfaces:\n        0: ${IF0}\n    ip-range:\n        0: 192.0.2.[14,16,12,18,20]\n`, expected);
  });

  await t.test('test_157: Check import failure with malformed ip2nets YAML', async () => {
    await s.reinit();
    const r = await s.ctlStdin(`ip2nets:\n  - interfaces:\n        0: ${IF0}\n    ip-range:\n        0: 192.168.1.1\n`, 'import');
    t.not(r.status, 0, 'import should have failed with missing net-spec');
  });

  await t.test('test_230: Test setting conns-per-peer (the settings)', async () => {
    for (let i = 4; i < 16; i++) {
      await s.reinit();
      if (i % 2 === 0) {
        await addNet('tcp', IF0);
        await s.ok('net', 'set', '--all', '--conns-per-peer', String(i));
      } else await s.ok('net', 'add', '--net', 'tcp', '--if', IF0, '--conns-per-peer', String(i));
      t.match((await s.ok('net', 'show', '-v', '1')).stdout, `conns_per_peer: ${i}\n`);
    }
    await s.reinit();
    await addNet('tcp', IF0);
    await s.fails('net', 'set', '--all', '--conns-per-peer', '128');
    await s.reinit();
    await addNet('tcp', IF0);
    const dflt = /conns_per_peer: (\d+)/.exec((await s.ok('net', 'show', '-v', '1')).stdout)![1];
    await s.ok('net', 'set', '--all', '--conns-per-peer', '-1');
    t.match((await s.ok('net', 'show', '-v', '1')).stdout, `conns_per_peer: ${dflt}\n`, 'stays at the default');
  });

  await t.test('test_231: Check DLC handling of peer_timeout parameter', async () => {
    await s.reinit();
    const n = `${NETTYPE}231`;
    const opts = ['--net', n, '--if', IF0];
    await s.ok('net', 'add', ...opts);
    let expected = await s.exportBackup();
    t.match(expected, /peer_timeout: 180\n/, 'the default peer timeout');
    for (const pto of [-1, 0, 60, 180]) {
      await s.reinit();
      expected = expected.replace(/peer_timeout: .*/, `peer_timeout: ${pto}`);
      t.equal((await s.ctlStdin(expected, 'import')).status, 0, 'import');
      // -1 means the default (180).
      if (pto === -1) expected = expected.replace(/peer_timeout: -1/, 'peer_timeout: 180');
      s.compare(await s.exportBackup(), expected, `after import with peer_timeout ${pto}`);
      await s.ok('net', 'del', ...opts);
      await s.ok('net', 'add', ...opts, `--peer-timeout=${pto}`);
      s.compare(await s.exportBackup(), expected, `after net add --peer-timeout=${pto}`);
    }
  });

  await t.test('test_232: Test setting ToS value', async () => {
    await s.reinit();
    const n = `${NETTYPE}232`;
    await s.ok('net', 'add', '--net', n, '--if', IF0);
    t.match((await s.ok('net', 'show', '--net', n, '-v', '1')).stdout, 'tos: -1\n', 'inherits the ksocklnd tos parameter');
    await s.ok('net', 'del', '--net', n, '--if', IF0);
    for (const tos of ['-1', '104', '106']) {
      await s.ok('net', 'add', '--net', n, '--if', IF0, '--tos', tos);
      t.match((await s.ok('net', 'show', '--net', n, '-v', '1')).stdout, `tos: ${tos}\n`);
      await s.ok('net', 'del', '--net', n, '--if', IF0);
    }
    await s.fails('net', 'add', '--net', n, '--if', IF0, '--tos', '300');
  });

  await t.test('test_241: Check setting LND timeout value via lnetctl updates tunables', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    t.match((await s.ctl('net', 'set', '-h')).stdout, /--lnd-timeout:/);
    const timeout = async (): Promise<number> => Number(/^\s+timeout: (\d+)$/m.exec((await s.ok('net', 'show', '--net', NETTYPE, '-v')).stdout)![1]);
    const old = await timeout();
    await s.ok('net', 'set', '--net', NETTYPE, '--lnd-timeout', String(old + 1));
    t.equal(await timeout(), old + 1);
    const globalTo = Number(/lnd_timeout: (\d+)/.exec((await s.ok('global', 'show', '-v')).stdout)![1]);
    await s.ok('net', 'set', '--net', NETTYPE, '--lnd-timeout', '0');
    t.equal(await timeout(), globalTo, 'zero means the global lnd_timeout');
    await s.ok('net', 'set', '--net', NETTYPE, '--lnd-timeout', String(old));
  });

  await t.test('test_245: Check read-only params do not appear in export --backup', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    t.equal(((await s.ok('net', 'show', '-v')).stdout.match(/ +timeout:/g) ?? []).length, 1);
    t.equal(((await s.ok('export', '-b')).stdout.match(/ +timeout:/g) ?? []).length, 0);
  });

  await t.test('test_265: Import of invalid CPT should fail', async () => {
    await s.reinit();
    for (const cpt of ['[1-0]', '[]']) {
      const head = `net:\n-     net type: ${NETTYPE}\n      local NI(s):\n      -     interfaces:\n                  0: ${IF0}\n`;
      t.not((await s.ctlStdin(`${head}            CPT: "${cpt}"\n`, 'import')).status, 0, `CPT "${cpt}"`);
      t.not((await s.ctlStdin(`${head}            CPT: ${cpt}\n`, 'import')).status, 0, `CPT ${cpt}`);
    }
    s.compare(await s.exportBackup(), s.globalYaml, 'nothing configured');
  });

  await t.test('test_266: Validate CPT parsing in network sequence', async () => {
    await s.reinit();
    await addNet(NETTYPE, IF0);
    const expected = await s.exportBackup();
    const v = (await s.ok('net', 'show', '-v', '-n', NETTYPE)).stdout;
    const cpt = /CPT: "\[(.*)\]"/.exec(v)![1]!.split(',');
    const tun = /(            tunables:\n[\s\S]*?)            (?:dev cpt|CPT)/.exec(v)![1]!;
    const head = `net:\n-     net type: ${NETTYPE}\n      local NI(s):\n      -     interfaces:\n                  0: ${IF0}\n${tun}`;
    for (const form of [`"[${cpt[0]}-${cpt[cpt.length - 1]}]"`, `[${cpt[0]}-${cpt[cpt.length - 1]}]`]) {
      await s.reinit();
      t.equal((await s.ctlStdin(`${head}            CPT: ${form}\n`, 'import')).status, 0, `CPT: ${form}`);
      s.compare(await s.exportBackup(), expected, `CPT: ${form}`);
    }
  });
});
