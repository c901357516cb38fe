/**
 * sanity-lnet.sh (Lustre 2.17.0) network configuration tests against lnetd: 107–110 and 112
 * (NIs on several interfaces, an alias, `net add --nid`), 231 (peer_timeout), 232 (ToS), 241
 * (LND timeout), 245 (read-only tunables left out of `export --backup`), 265 and 266 (CPT
 * parsing in imports), 199, 301 (adding an NI twice), 350 (import --exec), 450 (import of
 * several interfaces). 230 is in conns-per-peer.test.ts. See README.md.
 *
 * Each test runs in its own network namespace holding INTERFACES[0] = `eth0` (one end of a veth pair, with
 * 10.77.0.10/24) and, where sanity calls setup_fakeif, the veth pair test1pl/test1pg with
 * FAKE_IP 10.1.2.3/31. The daemon and the CLIs run inside it.
 *
 * Module parameters sanity reads from /sys/module/ksocklnd/parameters (peer_timeout, tos) are
 * ksocklnd's defaults here (180 and -1: the daemon's config file sets neither).
 */
import { cpus } from 'node:os';
import t, { type Test } from 'tap';
import { distMissing, ip } from '../../helpers/lnetd-harness.js';
import {
  FAKE_IF,
  FAKE_IP,
  FAKE_IP_ALIAS,
  FAKE_NID,
  IF0,
  IF0_IP,
  compareYaml,
  netnsUnavailable,
  nsTest,
  setupFakeif,
  showResult,
  type NsCtx,
  type NsTestOptions,
  type SanityNode,
} from './sanity.js';

const skip = distMissing() || netnsUnavailable();
const NETTYPE = 'tcp';
/** ${#INTERFACES[@]} */
const NUM_INTERFACES = 1;
/** ksocklnd's peer_timeout and tos module parameters (defaults). */
const LND_PEER_TIMEOUT = 180;
const LND_TOS = -1;

/** run_test NUM TITLE in a fresh namespace and node, after reinit_dlc. */
function sanityTest(num: string, title: string, fn: (t: Test, c: NsCtx) => Promise<void>, opts: NsTestOptions = {}): void {
  nsTest(t, skip, num, title, fn, opts);
}

const addNet = (t: Test, n: SanityNode, net: string, ifname: string) => n.ok(t, ['net', 'add', '--net', net, '--if', ifname], `add_net ${net} ${ifname}`);
const delNet = (t: Test, n: SanityNode, net: string, ifname: string) => n.ok(t, ['net', 'del', '--net', net, '--if', ifname], `del_net ${net} ${ifname}`);

const lines = (s: string): string[] => s.split('\n');

sanityTest(
  '107',
  "Deleting extra interface doesn't crash node",
  async (t, { n }) => {
    await addNet(t, n, 'tcp', IF0);
    await addNet(t, n, 'tcp', FAKE_IF);
    await delNet(t, n, 'tcp', FAKE_IF);
    await n.ok(t, ['net', 'show'], 'the node still answers');
  },
  { fakeIf: true },
);

sanityTest(
  '108',
  'Check Multi-Rail setup',
  async (t, { n }) => {
    await addNet(t, n, 'tcp', IF0);
    const first = await n.ok(t, ['net', 'show'], 'net show');
    await addNet(t, n, 'tcp', FAKE_IF);
    const expected = first.stdout + `      -     nid: ${FAKE_NID}\n            status: up\n            interfaces:\n                  0: ${FAKE_IF}\n`;
    const actual = await n.ok(t, ['net', 'show'], 'net show');
    compareYaml(t, actual.stdout, expected, 'not all interfaces were setup');
    t.equal(actual.stdout, expected, "net show is the kernel's bytes");
  },
  { fakeIf: true },
);

sanityTest(
  '109',
  'Add NI using a network interface alias (LU-16859)',
  async (t, { n, ns }) => {
    const alias = `${FAKE_IF}:0`;
    // ifconfig test1pg:0 10.1.2.31 up: an address labelled with the alias name.
    const r = ip(['-n', ns.name, 'addr', 'add', `${FAKE_IP_ALIAS}/8`, 'dev', FAKE_IF, 'label', alias]);
    t.ok(r.ok, 'Failed to add fake IF alias', { out: r.out });
    // add interface with longer name first
    await addNet(t, n, 'tcp', alias);
    await addNet(t, n, 'tcp', FAKE_IF);
    await delNet(t, n, 'tcp', FAKE_IF);
    await delNet(t, n, 'tcp', alias);
    // add interface with shorter name first
    await addNet(t, n, 'tcp', FAKE_IF);
    await addNet(t, n, 'tcp', alias);
  },
  { fakeIf: true },
);

sanityTest('110', 'Configure NI using lnetctl net add --nid', async (t, { n }) => {
  await addNet(t, n, NETTYPE, IF0);
  const nid = (await n.lctlOk(t, ['list_nids'], 'lctl list_nids')).stdout.trim();
  t.equal(nid, `${IF0_IP}@${NETTYPE}`, 'list_nids shows the NI');
  await n.reinitDlc(t);
  await n.ok(t, ['net', 'add', '--nid', nid], `add net via nid "${nid}"`);
  const shown = await n.lnetctl(['net', 'show', '--net', NETTYPE]);
  t.match(shown.stdout, `nid: ${nid}`, `configured ${nid}`, { diag: showResult(shown) });
  await n.ok(t, ['net', 'del', '--nid', nid], `del net via nid "${nid}"`);
  const after = await n.lnetctl(['net', 'show']);
  t.notMatch(after.stdout, `nid: ${nid}`, `${nid} has been deleted`, { diag: showResult(after) });
});

sanityTest(
  '112',
  'multiple net configurations',
  async (t, { n }) => {
    // sanity does not check these two commands' exit codes.
    t.comment(showResult(await n.lnetctl(['net', 'add', '--net', 'tcp1', '--if', IF0])));
    t.comment(showResult(await n.lnetctl(['net', 'add', '--nid', `${FAKE_IP}@tcp2`])));
    const r = await n.lnetctl(['net', 'show', '-v', '3']);
    t.equal(lines(r.stdout).filter((l) => l.includes('lnd tunables:')).length, 2, 'no missing lnd tunables', { diag: showResult(r) });
  },
  { fakeIf: true },
);

sanityTest('231', 'Check DLC handling of peer_timeout parameter', async (t, { n }) => {
  const net = `${NETTYPE}231`;
  const opts = ['--net', net, '--if', IF0];
  await n.ok(t, ['net', 'add', ...opts], 'add net');
  // A value of -1 means we use the default peer timeout (DEFAULT_PEER_TIMEOUT 180)
  const lndPto = LND_PEER_TIMEOUT;
  let expected = await n.exportBackup(t);
  const pto = lines(expected)
    .filter((l) => /^\s+peer_timeout:/.test(l))
    .map((l) => Number(l.trim().split(/\s+/).at(-1)));
  t.strictSame(pto, [lndPto], `Expect peer_timeout ${lndPto}`);
  compareYaml(t, await n.exportBackup(t), expected, 'Unexpected config after net add without options');

  for (const p of [-1, 0, 60, 180]) {
    await n.reinitDlc(t);
    expected = expected.replace(/peer_timeout: .*/g, `peer_timeout: ${p}`);
    await n.ok(t, ['import', n.file('expected.yaml', expected)], 'import the configuration');
    let actual = await n.exportBackup(t);
    // Swap lnd_to for -1 in the expected output
    if (p === -1) expected = expected.replaceAll(`peer_timeout: ${p}`, `peer_timeout: ${lndPto}`);
    compareYaml(t, actual, expected, `config after import (peer_timeout ${p})`);
    await n.ok(t, ['net', 'del', ...opts], `delete net ${net}`);
    await n.ok(t, ['net', 'add', ...opts, `--peer-timeout=${p}`], `add net with peer-timeout=${p}`);
    actual = await n.exportBackup(t);
    compareYaml(t, actual, expected, `config after lnetctl net add --peer-timeout=${p}`);
  }
});

sanityTest('232', 'Test setting ToS value', async (t, { n }) => {
  const net = `${NETTYPE}232`;
  await n.ok(t, ['net', 'add', '--net', net, '--if', IF0], 'add net (no ToS)');
  let r = await n.lnetctl(['net', 'show', '--net', net, '-v', '1']);
  t.match(r.stdout, `tos: ${LND_TOS}`, `ToS value inherits from module parameter ${LND_TOS}`, { diag: showResult(r) });
  await n.ok(t, ['net', 'del', '--net', net, '--if', IF0], `delete net ${net}`);
  for (const i of [-1, 104, 106]) {
    await n.ok(t, ['net', 'add', '--net', net, '--if', IF0, '--tos', String(i)], `add net (ToS: ${i})`);
    r = await n.lnetctl(['net', 'show', '--net', net, '-v', '1']);
    t.match(r.stdout, `tos: ${i}`, `set ToS value to ${i}`, { diag: showResult(r) });
    await n.ok(t, ['net', 'del', '--net', net, '--if', IF0], `delete net ${net}`);
  }
  await n.fails(t, ['net', 'add', '--net', net, '--if', IF0, '--tos', '300'], 'lnetctl should reject invalid ToS value (>255)');
});

/** check_parameter PARA VALUE: one `PARA: VALUE` line per interface in `net show -v`. */
async function checkParameter(t: Test, n: SanityNode, para: string, value: number, what: string): Promise<void> {
  const r = await n.lnetctl(['net', 'show', '-v']);
  const re = new RegExp(`^ +${para}: ${value}$`);
  t.equal(lines(r.stdout).filter((l) => re.test(l)).length, NUM_INTERFACES, what, { diag: showResult(r) });
}

sanityTest('241', 'Check setting LND timeout value via lnetctl updates tunables', async (t, { n }) => {
  await n.ok(t, ['net', 'add', '--net', NETTYPE, '--if', IF0], 'add net');
  const help = await n.lnetctl(['net', 'set', '-h']);
  if (!(help.stdout + help.stderr).includes('--lnd-timeout:')) {
    t.fail('lnetctl net set does not support --lnd-timeout option (sanity skips; the kernel 2.17 lnetctl has it)', { diag: showResult(help) });
    return;
  }
  // Capture existing timeout value, we'll restore to this later
  const shown = await n.lnetctl(['net', 'show', '--net', NETTYPE, '-v']);
  const oldTo = Number(
    lines(shown.stdout)
      .filter((l) => /^\s+timeout:/.test(l))
      .map((l) => l.trim().split(/\s+/).at(-1))[0],
  );
  t.ok(Number.isInteger(oldTo), `current LND timeout ${oldTo}`, { diag: showResult(shown) });
  const expectedTo = oldTo + 1;
  await n.ok(t, ['net', 'set', '--net', NETTYPE, '--lnd-timeout', String(expectedTo)], `set LND timeout on ${NETTYPE} net`);
  await checkParameter(t, n, 'timeout', expectedTo, `Expected LND timeout ${expectedTo}`);

  // Setting the LND timeout to zero falls back to the global lnd_timeout
  const g = await n.lnetctl(['global', 'show', '-v']);
  const globalTo = Number(
    lines(g.stdout)
      .filter((l) => /lnd_timeout:/.test(l))
      .map((l) => l.trim().split(/\s+/).at(-1))[0],
  );
  await n.ok(t, ['net', 'set', '--net', NETTYPE, '--lnd-timeout', '0'], `set LND timeout on ${NETTYPE} net to zero`);
  await checkParameter(t, n, 'timeout', globalTo, `Expected LND timeout ${globalTo}`);
  // Restore tunable timeout to old value
  await n.lnetctl(['net', 'set', '--net', NETTYPE, '--lnd-timeout', String(oldTo)]);
});

sanityTest('245', 'Check read-only params do not appear in export --backup', async (t, { n }) => {
  await addNet(t, n, NETTYPE, IF0);
  const param = 'timeout';
  t.comment(`Check ${param} present in net show -v`);
  const v = await n.lnetctl(['net', 'show', '-v']);
  const re = new RegExp(` +${param}:`);
  t.equal(lines(v.stdout).filter((l) => re.test(l)).length, 1, `${param} parameter is present`, { diag: showResult(v) });
  t.comment(`Check ${param} absent from export -b`);
  const b = await n.lnetctl(['export', '-b']);
  // sanity tests `((param == 0))`, which is always true; the intended check is the count.
  t.equal(lines(b.stdout).filter((l) => re.test(l)).length, 0, `${param} parameter is absent`, { diag: showResult(b) });
});

const cptYaml = (cpt: string, tail = ''): string => `net:
-     net type: ${NETTYPE}
      local NI(s):
      -     interfaces:
                  0: ${IF0}
${tail}            CPT: ${cpt}
`;

sanityTest('265', 'Import of invalid CPT should fail', async (t, { n }) => {
  for (const cpt of ['[1-0]', '[]']) {
    await n.fails(t, ['import', n.file('cpt.yaml', cptYaml(`"${cpt}"`))], `Import of CPT: "${cpt}" should have failed`);
    await n.fails(t, ['import', n.file('cpt.yaml', cptYaml(cpt))], `Import of CPT: ${cpt} should have failed`);
  }
});

// Two CPTs (the machine permitting), so that "[low-high]" is a real range.
const NCPT = Math.min(cpus().length, 2);

sanityTest(
  '266',
  'Validate CPT parsing in network sequence',
  async (t, { n }) => {
    await addNet(t, n, NETTYPE, IF0);
    const expected = await n.exportBackup(t);
    const shown = (await n.lnetctl(['net', 'show', '-v', '--net', NETTYPE])).stdout;
    const cpt = lines(shown)
      .filter((l) => /CPT/.test(l))
      .map((l) => l.trim().split(/\s+/).at(-1) as string)[0] ?? '';
    const parts = cpt.split(',');
    const strip = (s: string | undefined): string => (s ?? '').replace(/[[\]"]/g, '');
    const low = strip(parts[0]);
    const high = strip(parts.at(-1));
    t.equal(cpt, NCPT === 2 ? '"[0,1]"' : '"[0]"', `the NI spans all ${NCPT} CPTs`);
    // The tunables and lnd tunables lines of `net show -v`, without dev cpt and CPT.
    const tail: string[] = [];
    let on = false;
    for (const l of lines(shown)) {
      if (!on && /^\s+tunables:$/.test(l)) on = true;
      if (on && !/dev cpt|CPT/.test(l)) tail.push(`${l}\n`);
      if (on && /^\s+CPT:/.test(l)) on = false;
    }
    for (const form of [`"[${low}-${high}]"`, `[${low}-${high}]`]) {
      await n.reinitDlc(t);
      await n.ok(t, ['import', n.file('cpt.yaml', cptYaml(form, tail.join('')))], `Import with CPT: ${form}`);
      compareYaml(t, await n.exportBackup(t), expected, `compare_yaml_files (CPT: ${form})`);
    }
  },
  { modprobe: [`options lnet cpu_npartitions=${NCPT}`] },
);

sanityTest('199', 'load lnet w/o module option, configure interface twice', async (t, { n }) => {
  t.comment(`Add interface ${IF0}`);
  await n.ok(t, ['net', 'add', '--net', NETTYPE, '--if', IF0], `add net ${NETTYPE} with ${IF0}`);
  t.comment(`Add IP address ${IF0_IP} for interface ${IF0}`);
  await n.fails(t, ['net', 'add', '--ip2net', `${NETTYPE} ${IF0_IP}`], `a second ${NETTYPE} NI on ${IF0} is refused`);
});

sanityTest('301', 'Check for dynamic adds of same/wrong interface (memory leak)', async (t, { n }) => {
  await n.ok(t, ['net', 'add', '--net', NETTYPE, '--if', IF0], 'add net');
  await n.fails(t, ['net', 'add', '--net', NETTYPE, '--if', IF0], 'add net should have failed');
  await n.ok(t, ['net', 'del', '--net', NETTYPE, '--if', IF0], 'del net');
});

sanityTest('350', 'Check import --exec of ping/discover', async (t, { n }) => {
  await addNet(t, n, NETTYPE, IF0);
  const myNid = (await n.lctlOk(t, ['list_nids'], 'lctl list_nids')).stdout.trim();
  await n.ok(t, ['import', '-e', n.file('ping.yaml', `ping:\n  nids:\n    0: ${myNid}\n`)], 'Import --exec ping');
  await n.ok(t, ['import', '-e', n.file('discover.yaml', `discover:\n  nids:\n    0: ${myNid}\n`)], 'Import --exec discover');
  const expected = `peer:
-     primary nid: ${myNid}
      Multi-Rail: true
      peer ni:
      -     nid: ${myNid}
            state: NA
`;
  const actual = await n.ok(t, ['peer', 'show'], 'peer show');
  compareYaml(t, actual.stdout, expected, 'compare_yaml_files');
  t.equal(actual.stdout, expected, "peer show is the kernel's bytes");
});

sanityTest('450', 'Check import of multiple interfaces', async (t, { n, ns }) => {
  setupFakeif(ns);
  await addNet(t, n, NETTYPE, IF0);
  await addNet(t, n, NETTYPE, FAKE_IF);
  const expected = await n.exportBackup(t);
  const yaml = `net:
    - net type: ${NETTYPE}
      local NI(s):
        - interfaces:
              0: ${IF0}
              1: ${FAKE_IF}
`;
  const file = n.file('sanity-lnet.yaml', yaml);
  // do_import_test
  await n.reinitDlc(t);
  await n.ok(t, ['import', file], 'Import');
  compareYaml(t, await n.exportBackup(t), expected, 'compare_yaml_files');
  await n.ok(t, ['import', '--del', file], 'Import --del');
  const nids = await n.lctl(['list_nids']);
  t.equal(nids.stdout, '', 'no NIDs still configured', { diag: showResult(nids) });
});
