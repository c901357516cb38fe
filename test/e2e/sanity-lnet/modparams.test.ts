/**
 * sanity-lnet.sh (Lustre 2.17.0) tests 208 and 310 against lnetd: LNet configured from module
 * parameters (`load_lnet "networks=… ip2nets=…"`, `load_module ksocklnd sock_timeout=…`). Here
 * loading the modules with those options is starting lnetd with the same `options` lines in its
 * config file. See README.md.
 *
 * Each case runs in its own network namespace holding INTERFACES[0] = `eth0` (10.77.0.10/24)
 * and, where sanity calls setup_fakeif, test1pg (10.1.2.3/31).
 */
import t, { type Test } from 'tap';
import { distMissing, ip, type Netns } from '../../helpers/lnetd-harness.js';
import { FAKE_IF, FAKE_IP, IF0, IF0_IP, netnsUnavailable, sanityNode, setupFakeif, showResult, testNetns } from './sanity.js';

const skip = distMissing() || netnsUnavailable();
const TIMEOUT = 180_000;

/** test_208_load_and_check_lnet IP2NETS P_NID [S_NID]: load, `lctl net up`, check list_nids. */
async function loadAndCheckLnet(t: Test, ns: Netns, ip2nets: string, pNid: string, sNid?: string): Promise<void> {
  t.comment(`ip2nets="${ip2nets}"`);
  const n = await sanityNode(t, { netns: ns.name, modprobe: [`options lnet networks="" ip2nets="${ip2nets}"`] });
  await n.lctlOk(t, ['net', 'up'], `Load LNet with ip2nets "${ip2nets}"`);
  const r = await n.lctl(['list_nids']);
  const nids = r.stdout.split('\n').filter((l) => l !== '');
  t.equal(nids.length, sNid ? 2 : 1, `Expect ${sNid ? 2 : 1} NIDs`, { diag: showResult(r) });
  t.equal(nids[0], pNid, `Expect NID "${pNid}"`);
  if (sNid) t.equal(nids[1], sNid, `Expect second NID "${sNid}"`);
  t.comment(showResult(await n.lctl(['net', 'down'])));
  await n.d.stop();
}

t.test('test_208: Test various kernel ip2nets configurations', { timeout: TIMEOUT, skip }, async (t) => {
  const ns = testNetns(t);
  setupFakeif(ns);

  let ip2nets = `tcp(${IF0}) ${IF0_IP}`;
  t.comment('Configure single NID');
  await loadAndCheckLnet(t, ns, ip2nets, `${IF0_IP}@tcp`);

  ip2nets = `tcp(${IF0}) ${IF0_IP}; tcp1(${FAKE_IF}) ${FAKE_IP}`;
  t.comment('Configure two NIDs; two NETs');
  await loadAndCheckLnet(t, ns, ip2nets, `${IF0_IP}@tcp`, `${FAKE_IP}@tcp1`);

  ip2nets = `tcp(${IF0}) ${IF0_IP}; tcp(${FAKE_IF}) ${FAKE_IP}`;
  t.comment('Configure two NIDs; one NET');
  await loadAndCheckLnet(t, ns, ip2nets, `${IF0_IP}@tcp`, `${FAKE_IP}@tcp`);

  const a1 = IF0_IP.split('.');
  const a2 = FAKE_IP.split('.');
  const range = [0, 1, 2, 3].map((i) => `[${a1[i]},${a2[i]}]`).join('.');
  ip2nets = `tcp(${IF0},${FAKE_IF}) ${range}`;
  t.comment('Configured two NIDs; one NET alt syntax');
  await loadAndCheckLnet(t, ns, ip2nets, `${IF0_IP}@tcp`, `${FAKE_IP}@tcp`);

  // cleanup_fakeif
  const del = ip(['-n', ns.name, 'link', 'del', 'test1pl']);
  t.ok(del.ok, 'cleanup_fakeif', { out: del.out });

  t.comment(`alt syntax with missing IF "${ip2nets}"`);
  const n = await sanityNode(t, { netns: ns.name, modprobe: [`options lnet networks="" ip2nets="${ip2nets}"`] });
  const up = await n.lctl(['net', 'up']);
  t.ok(up.code !== 0 && up.code !== null && !up.timedOut, 'LNet bring up should have failed', { diag: showResult(up) });
});

t.test('test_310: Set timeout and verify', { timeout: TIMEOUT, skip }, async (t) => {
  const value = 65;
  const ns = testNetns(t);
  // static_config ksocklnd sock_timeout=65, with the test node's LNet options (networks on INTERFACES[0]).
  const n = await sanityNode(t, { netns: ns.name, modprobe: [`options lnet networks=tcp(${IF0})`, `options ksocklnd sock_timeout=${value}`] });
  await n.ok(t, ['lnet', 'configure', '--all'], 'lnet configure --all');
  // check_parameter timeout 65
  const r = await n.lnetctl(['net', 'show', '-v']);
  t.equal(r.stdout.split('\n').filter((l) => new RegExp(`^ +timeout: ${value}$`).test(l)).length, 1, `timeout: ${value}`, { diag: showResult(r) });
});
