/**
 * sanity-lnet.sh (Lustre 2.17.0) tests 150–157 against lnetd: `lnetctl import` of `ip2nets:`
 * sequences (IPv4 addresses, wildcards, ranges, stepped ranges, lists; rules that match
 * nothing; malformed rules). The IPv6 ones (158–162) are in ip2nets-ipv6.test.ts. See README.md.
 *
 * Each test runs in its own network namespace holding INTERFACES[0] = `eth0`, one end of a veth
 * pair, with 10.77.0.10/24 and 2001:db8:77::10/64, and, where sanity calls setup_fakeif, the
 * veth pair test1pl/test1pg with sanity's FAKE_IP 10.1.2.3/31 and FAKE_IPV6
 * 2001:db8:0:f101::1/64. The daemon and the CLIs run inside it, so both see exactly those
 * interfaces.
 */
import t, { type Test } from 'tap';
import { distMissing } from '../../helpers/lnetd-harness.js';
import { FAKE_IF, FAKE_IP, IF0, IF0_IP, kernelBackup, netnsUnavailable, nsTest, setupFakeif, type NsCtx, type NsTestOptions } from './sanity.js';
import { NETTYPE, addNet, doImportTest, importFails, rule } from './ip2nets.js';

const skip = distMissing() || netnsUnavailable();

/** run_test NUM TITLE in a fresh namespace and node, after reinit_dlc. */
function sanityTest(num: string, title: string, fn: (t: Test, c: NsCtx) => Promise<void>, opts: NsTestOptions = {}): void {
  nsTest(t, skip, num, title, fn, opts);
}

sanityTest('150', 'Check import of ip2nets yaml sequence', async (t, { n }) => {
  await addNet(t, n, NETTYPE, IF0);
  const expected = await n.exportBackup(t);
  const cpt = /CPT: "([^"]*)"/.exec(expected)?.[1] ?? '[0]';
  t.equal(expected, kernelBackup({ nets: [{ type: NETTYPE, nis: [{ interfaces: [IF0], cpt }] }] }), "export --backup after net add is the kernel's bytes");
  await doImportTest(t, n, expected, `ip2nets:\n${rule(NETTYPE, [IF0], [IF0_IP])}`);
});

sanityTest('151', 'Check correct application of multiple ip2nets rules', async (t, { n }) => {
  await addNet(t, n, NETTYPE, IF0);
  await addNet(t, n, NETTYPE, FAKE_IF);
  let expected = await n.exportBackup(t);

  t.comment('Check import of ip2nets with two matching interfaces');
  let yaml = `ip2nets:\n${rule(NETTYPE, [IF0, FAKE_IF], [IF0_IP, FAKE_IP])}`;
  await doImportTest(t, n, expected, yaml);

  t.comment('Additional rules for same net should not change config');
  yaml += rule(NETTYPE, [IF0]) + rule(NETTYPE, [FAKE_IF], [FAKE_IP]);
  await doImportTest(t, n, expected, yaml);

  await addNet(t, n, `${NETTYPE}2`, IF0);
  expected = await n.exportBackup(t);

  t.comment('Additional rule for second net should apply');
  yaml += rule(`${NETTYPE}2`, [IF0]);
  await doImportTest(t, n, expected, yaml);
}, { fakeIf: true });

sanityTest('152', 'Check import of ip2nets with wildcard IP patterns', async (t, { n, ns }) => {
  await addNet(t, n, NETTYPE, IF0);
  const expected = await n.exportBackup(t);

  t.comment('Check import of ip2nets with wildcard IP patterns');
  const octets = IF0_IP.split('.');
  for (let i = 3; i >= 1; i--) {
    const range = [...octets.slice(0, i), ...Array<string>(4 - i).fill('*')].join('.');
    await doImportTest(t, n, expected, `ip2nets:\n${rule(NETTYPE, [IF0], [range])}`);
  }

  setupFakeif(ns);

  t.comment('Check match-all expression mask later rules');
  await doImportTest(
    t,
    n,
    expected,
    `ip2nets:\n${rule(NETTYPE, [IF0], ['"*.*.*.*"'])}${rule(NETTYPE, [IF0, FAKE_IF])}${rule(NETTYPE, [IF0, FAKE_IF], [IF0_IP, FAKE_IP])}`,
  );
});

/** create_ipv4_range [stepped] around IF0_IP. */
function createIpv4Range(stepped: boolean): string {
  const [a, b, c, d] = IF0_IP.split('.');
  const host = Number(d);
  let start = Math.max(host - 4, 0);
  const end = Math.min(host + 4, 255);
  if (stepped) {
    if ((host - start) % 2 !== 0) start = host;
    return `${a}.${b}.${c}.[${start}-${end}/2]`;
  }
  return `${a}.${b}.${c}.[${start}-${end}]`;
}

sanityTest('153', 'Check import of ip2nets with IP address ranges', async (t, { n }) => {
  await addNet(t, n, NETTYPE, IF0);
  const expected = await n.exportBackup(t);
  t.comment('Check import of ip2nets with IP address ranges');
  await doImportTest(t, n, expected, `ip2nets:\n${rule(NETTYPE, [IF0], [createIpv4Range(false)])}`);
});

sanityTest('154', 'Check import of ip2nets with stepped IP address ranges', async (t, { n }) => {
  await addNet(t, n, NETTYPE, IF0);
  const expected = await n.exportBackup(t);
  t.comment('Check import of ip2nets with stepped IP address ranges');
  await doImportTest(t, n, expected, `ip2nets:\n${rule(NETTYPE, [IF0], [createIpv4Range(true)])}`);
}, { fakeIf: true });

sanityTest('155', 'Check ip2nets import failure with no matching rules', async (t, { n }) => {
  t.comment('Check import with no matching rules (should fail)');
  await importFails(t, n, `ip2nets:\n${rule(NETTYPE, [IF0], ['10.20.30.40'])}`, 'Import should have failed');
});

sanityTest('156', 'Check import of ip2nets with comma-separated IP ranges', async (t, { n }) => {
  await addNet(t, n, NETTYPE, IF0);
  const expected = await n.exportBackup(t);
  const [a, b, c, d] = IF0_IP.split('.');
  const host = Number(d);
  let host2 = host;
  const range: number[] = [];
  for (let i = 1; i <= 4; i++) {
    host2 = host2 + 2 < 255 ? host2 + 2 : 1;
    range.push(host2);
    if (i === 2) range.push(host);
  }
  t.comment('Check import of ip2nets with comma-separated IP list');
  await doImportTest(t, n, expected, `ip2nets:\n${rule(NETTYPE, [IF0], [`${a}.${b}.${c}.[${range.join(',')}]`])}`);
});

sanityTest('157', 'Check import failure with malformed ip2nets YAML', async (t, { n }) => {
  t.comment('Check import failure with missing net-spec');
  await importFails(t, n, `ip2nets:\n  - interfaces:\n        0: ${IF0}\n    ip-range:\n        0: 192.168.1.1\n`, 'Import should have failed with missing net-spec');
});
