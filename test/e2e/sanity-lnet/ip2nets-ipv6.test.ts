/**
 * sanity-lnet.sh (Lustre 2.17.0) tests 158–162 against lnetd: `lnetctl import` of `ip2nets:`
 * sequences with IPv6 addresses and prefixes, and a rule matching no address. See README.md.
 *
 * Each test runs in its own network namespace holding INTERFACES[0] = `eth0`, one end of a veth
 * pair, with 10.77.0.10/24 and 2001:db8:77::10/64, and, where sanity calls setup_fakeif, the
 * veth pair test1pl/test1pg with sanity's FAKE_IP 10.1.2.3/31 and FAKE_IPV6
 * 2001:db8:0:f101::1/64. The daemon and the CLIs run inside it, so both see exactly those
 * interfaces.
 */
import t, { type Test } from 'tap';
import { distMissing } from '../../helpers/lnetd-harness.js';
import { FAKE_IF, FAKE_IPV6, IF0, IF0_IPV6, IF0_IPV6_PREFIX, netnsUnavailable, nsTest, type NsCtx, type NsTestOptions } from './sanity.js';
import { NETTYPE, addNet, doImportTest, importFails, rule } from './ip2nets.js';

const skip = distMissing() || netnsUnavailable();

/** run_test NUM TITLE in a fresh namespace and node, after reinit_dlc. */
function sanityTest(num: string, title: string, fn: (t: Test, c: NsCtx) => Promise<void>, opts: NsTestOptions = {}): void {
  nsTest(t, skip, num, title, fn, opts);
}

sanityTest('158', 'Check import of ip2nets with single IPv6 address', async (t, { n }) => {
  await addNet(t, n, NETTYPE, IF0);
  const expected = await n.exportBackup(t);
  t.comment('Check import of ip2nets with single IPv6 address');
  await doImportTest(t, n, expected, `ip2nets:\n${rule(NETTYPE, [IF0], [IF0_IPV6])}`);
});

sanityTest('159', 'Check import of ip2nets with IPv6 /128 CIDR notation', async (t, { n }) => {
  await addNet(t, n, NETTYPE, IF0);
  const expected = await n.exportBackup(t);
  t.comment('Check import of ip2nets with IPv6 /128 CIDR');
  await doImportTest(t, n, expected, `ip2nets:\n${rule(NETTYPE, [IF0], [`${IF0_IPV6}/128`])}`);
});

sanityTest('160', 'Check correct application of multiple IPv6 ip2nets rules', async (t, { n }) => {
  await addNet(t, n, NETTYPE, IF0);
  await addNet(t, n, NETTYPE, FAKE_IF);
  let expected = await n.exportBackup(t);

  t.comment('Check import of ip2nets with two IPv6 interfaces');
  let yaml = `ip2nets:\n${rule(NETTYPE, [IF0, FAKE_IF], [IF0_IPV6, FAKE_IPV6])}`;
  await doImportTest(t, n, expected, yaml);

  t.comment('Additional rules for same net should not change config');
  yaml += rule(NETTYPE, [IF0]) + rule(NETTYPE, [FAKE_IF], [FAKE_IPV6]);
  await doImportTest(t, n, expected, yaml);

  await addNet(t, n, `${NETTYPE}2`, IF0);
  expected = await n.exportBackup(t);

  t.comment('Additional rule for second net should apply');
  yaml += rule(`${NETTYPE}2`, [IF0], [IF0_IPV6]);
  await doImportTest(t, n, expected, yaml);
}, { fakeIf: true });

sanityTest('161', 'Check import of ip2nets with various IPv6 prefix lengths', async (t, { n }) => {
  await addNet(t, n, NETTYPE, IF0);
  const expected = await n.exportBackup(t);
  t.comment('Check import of ip2nets with various IPv6 prefix lengths');
  let prefixLen = IF0_IPV6_PREFIX;
  for (let i = 1; i <= 4; i++) {
    t.comment(`Testing with /${prefixLen} prefix`);
    await doImportTest(t, n, expected, `ip2nets:\n${rule(NETTYPE, [IF0], [`${IF0_IPV6}/${prefixLen}`])}`);
    prefixLen = Math.floor(prefixLen / 2);
  }
});

sanityTest('162', 'Check ip2nets import failure with non-matching IPv6', async (t, { n }) => {
  t.comment('Check import with non-matching IPv6 address (should fail)');
  await importFails(t, n, `ip2nets:\n${rule(NETTYPE, [IF0], ['2001:db8:dead:beef::1'])}`, 'Import should have failed with non-matching IPv6');
});

