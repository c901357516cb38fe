/**
 * The helpers of lustre/tests/sanity-lnet.sh (2.17.0) that the ported tests use, over an lnetd
 * started by test/helpers/lnetd-harness.ts. Names follow the shell functions.
 *
 * How sanity-lnet compares: `compare_yaml_files` tests `[ verify_yaml_available ]`, which is
 * always true (a non-empty string), so it always runs `verify_compare_yaml`: both files are
 * loaded with PyYAML's safe_load (YAML 1.1: `True`/`true` are the same boolean, `0:` an int
 * key) and compared with `==`, so mappings compare without order and sequences in order.
 * `compareYaml` does the same with the `yaml` package in 1.1 mode. Where the kernel's exact
 * bytes are known from the recordings in ../shared/interop/kernel-2.17.0, the ports also
 * compare byte for byte against `kernel*` renderings below (the netlink printer: libyaml at
 * indent 6; the cYAML printer: 4 columns per level).
 */
import { parse } from 'yaml';
import type { Test } from 'tap';
import { addLinks, createNetns, ip, startLnetd, type CliResult, type Lnetd, type LnetdOptions, type Netns, type RunOptions } from '../../helpers/lnetd-harness.js';

/** PyYAML `safe_load`: YAML 1.1, duplicate keys allowed (the last wins), empty text is null. */
export function loadYaml(text: string): unknown {
  return parse(text, { version: '1.1', uniqueKeys: false }) ?? null;
}

function show(r: CliResult): string {
  const parts = [`$ ${r.cmd} -> exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' TIMED OUT' : ''}`];
  if (r.stdout) parts.push(`stdout:\n${r.stdout}`);
  if (r.stderr) parts.push(`stderr:\n${r.stderr}`);
  return parts.join('\n');
}

/** verify_compare_yaml ACTUAL EXPECTED: equal after safe_load. */
export function compareYaml(t: Test, actual: string, expected: string, msg: string): boolean {
  let a: unknown;
  let e: unknown;
  try {
    a = loadYaml(actual);
  } catch (err) {
    t.fail(`${msg}: actual is not YAML: ${String(err)}`, { actual });
    return false;
  }
  try {
    e = loadYaml(expected);
  } catch (err) {
    t.fail(`${msg}: expected is not YAML: ${String(err)}`, { expected });
    return false;
  }
  return t.strictSame(a, e, msg, { expectedText: expected, actualText: actual });
}

/** One lnetd plus the sanity-lnet steps that drive it. */
export class SanityNode {
  /** define_global_yaml's file: `export --backup` of the freshly configured node. */
  globalYaml = '';

  constructor(readonly d: Lnetd) {}

  /** do_lnetctl ARGS (no assertion). */
  lnetctl(args: readonly string[], opts?: RunOptions): Promise<CliResult> {
    return this.d.lnetctl(args, opts);
  }

  lctl(args: readonly string[], opts?: RunOptions): Promise<CliResult> {
    return this.d.lctl(args, opts);
  }

  /** `do_lnetctl ARGS || error WHAT`: the command must exit 0. */
  async ok(t: Test, args: readonly string[], what: string, opts?: RunOptions): Promise<CliResult> {
    const r = await this.lnetctl(args, opts);
    t.ok(r.code === 0 && !r.timedOut, `${what} (lnetctl ${args.join(' ')} exits 0)`, { diag: show(r) });
    return r;
  }

  /** `do_lnetctl ARGS && error WHAT`: the command must fail (non-zero exit). */
  async fails(t: Test, args: readonly string[], what: string, opts?: RunOptions): Promise<CliResult> {
    const r = await this.lnetctl(args, opts);
    t.ok(r.code !== 0 && r.code !== null && !r.timedOut, `${what} (lnetctl ${args.join(' ')} fails)`, { diag: show(r) });
    return r;
  }

  async lctlOk(t: Test, args: readonly string[], what: string, opts?: RunOptions): Promise<CliResult> {
    const r = await this.lctl(args, opts);
    t.ok(r.code === 0 && !r.timedOut, `${what} (lctl ${args.join(' ')} exits 0)`, { diag: show(r) });
    return r;
  }

  /** configure_dlc: `lnetctl lnet configure` on a loaded module. */
  async configureDlc(t: Test): Promise<void> {
    await this.ok(t, ['lnet', 'configure'], 'configure_dlc');
  }

  /** reinit_dlc: unconfigure and configure again (only 0@lo), then define_global_yaml. */
  async reinitDlc(t: Test): Promise<void> {
    await this.ok(t, ['lnet', 'unconfigure'], 'reinit_dlc: lnetctl lnet unconfigure');
    await this.ok(t, ['lnet', 'configure'], 'reinit_dlc: lnetctl lnet configure');
    await this.defineGlobalYaml(t);
  }

  /** define_global_yaml: `lnetctl export --backup &> FILE` (stdout and stderr, as the shell does). */
  async defineGlobalYaml(t: Test): Promise<string> {
    const r = await this.lnetctl(['export', '--backup']);
    t.equal(r.code, 0, 'define_global_yaml: export --backup', { diag: show(r) });
    this.globalYaml = r.stdout + r.stderr;
    return this.globalYaml;
  }

  /** `$LNETCTL export --backup > actual` (stdout only). */
  async exportBackup(t: Test): Promise<string> {
    const r = await this.lnetctl(['export', '--backup']);
    t.equal(r.code, 0, 'export --backup', { diag: show(r) });
    return r.stdout;
  }

  /** Write an import document into the daemon's dir. */
  file(name: string, text: string): string {
    return this.d.file(name, text);
  }
}

/** A fresh lnetd (one per sanity test), as after `load_lnet`: LNet not yet reinitialised. */
export async function sanityNode(t: Test, opts: LnetdOptions = {}): Promise<SanityNode> {
  return new SanityNode(await startLnetd(t, opts));
}

// ---------------------------------------------------------------------------------------------
// The node's interfaces. sanity-lnet uses the host's first LNet interface (INTERFACES[0]) and a
// veth pair test1pl/test1pg it creates (setup_fakeif). Here each test gets a private network
// namespace holding a veth `eth0` with a private address and the same fake interface, so the
// daemon sees a known set of interfaces and nothing it sends can leave the namespace.

export const IF0 = 'eth0';
export const IF0_NET = '10.77.0';
export const IF0_IP = `${IF0_NET}.10`;
export const IF0_IPV6 = '2001:db8:77::10';
export const IF0_IPV6_PREFIX = 64;
export const FAKE_IF = 'test1pg';
export const FAKE_IP = '10.1.2.3';
export const FAKE_IP_ALIAS = '10.1.2.31';
export const FAKE_IPV6 = '2001:db8:0:f101::1';
export const FAKE_NID = `${FAKE_IP}@tcp`;

/** Why network namespaces cannot be used here (tests that need them skip), or false. */
export function netnsUnavailable(): string | false {
  const probe = `ulsl-probe-${process.pid}`;
  const r = ip(['netns', 'add', probe]);
  if (!r.ok) return `needs a network namespace (root and iproute2): ${r.out}`;
  ip(['netns', 'del', probe]);
  return false;
}

let nsSeq = 0;

/** A private namespace with `eth0` (IF0_IP/24, IF0_IPV6/64) for test `t`; throws if it cannot be made. */
export function testNetns(t: Test): Netns {
  // A veth (the other end, eth0p, up without addresses) rather than a dummy: not every kernel
  // has the dummy driver. What is sent to other addresses on its subnet goes nowhere.
  const ns = createNetns(t, `ulsl-${process.pid}-${++nsSeq}`, [{ name: IF0, kind: 'veth', peer: 'eth0p', addrs: [`${IF0_IP}/24`, `${IF0_IPV6}/${IF0_IPV6_PREFIX}`] }]);
  if (typeof ns === 'string') throw new Error(ns);
  return ns;
}

/** setup_fakeif: veth test1pl <-> test1pg, FAKE_IP/31 and FAKE_IPV6/64 on test1pg, both up. */
export function setupFakeif(ns: Netns): void {
  const failed = addLinks(ns, [{ name: FAKE_IF, kind: 'veth', peer: 'test1pl', addrs: [`${FAKE_IP}/31`, `${FAKE_IPV6}/64`] }]);
  if (failed) throw new Error(failed);
}

export interface NsCtx {
  n: SanityNode;
  ns: Netns;
}

export interface NsTestOptions {
  /** The fake interface exists before LNet starts (sanity: cleanup_lnet; setup_fakeif; reinit_dlc). */
  fakeIf?: boolean;
  /** Module-parameter lines for the daemon. */
  modprobe?: string[];
  /** Per-test bound (default 180 s). The whole file must also finish within tap's file timeout. */
  timeout?: number;
}

/**
 * `run_test NUM TITLE` for tests that configure NIs: a fresh namespace (eth0, and the fake
 * interface with `fakeIf`), a fresh lnetd in it, reinit_dlc, then `fn`.
 */
export function nsTest(t: Test, skip: string | false, num: string, title: string, fn: (t: Test, c: NsCtx) => Promise<void>, opts: NsTestOptions = {}): void {
  t.test(`test_${num}: ${title}`, { timeout: opts.timeout ?? 180_000, skip }, async (t) => {
    const ns = testNetns(t);
    if (opts.fakeIf) setupFakeif(ns);
    const n = await sanityNode(t, { netns: ns.name, modprobe: opts.modprobe ?? [] });
    await n.reinitDlc(t);
    await fn(t, { n, ns });
  });
}

/**
 * ROUTER_NIDS[ROUTERS[0]]: sanity's router node's first NID, on LOCAL_NET (tcp). No router runs
 * here: route add/show/del need only the gateway NID on a local net, and an unanswered address
 * on eth0's subnet keeps the gateway peer non-MR as sanity's expected documents have it.
 */
export const ROUTER_NID = `${IF0_NET}.11@tcp`;
/** setup_router_test's module options (tiny_router_buffers: its NTRB default, 16). */
export const ROUTER_TEST_OPTS = ['options lnet alive_router_check_interval=5 router_ping_timeout=5 large_router_buffers=4 small_router_buffers=8 tiny_router_buffers=16'];

/** setup_router_test, local side: load with its options, configure, define_global_yaml, add_net tcp eth0. */
export async function setupRouterTest(t: Test): Promise<SanityNode> {
  const ns = testNetns(t);
  const n = await sanityNode(t, { netns: ns.name, modprobe: ROUTER_TEST_OPTS });
  await n.ok(t, ['lnet', 'configure'], 'Failed to initialize DLC');
  await n.defineGlobalYaml(t);
  await n.ok(t, ['net', 'add', '--net', 'tcp', '--if', IF0], `add_net tcp ${IF0}`);
  return n;
}

/** `lines matching /-\s+primary nid:/` and `/-\s+nid:/`, last field, as awk prints them. */
export function awkLast(text: string, re: RegExp): string[] {
  return text
    .split('\n')
    .filter((l) => re.test(l))
    .map((l) => l.trim().split(/\s+/).at(-1) as string);
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const ipIsV4 = (a: string): boolean => {
  const m = IPV4.exec(a);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
};
const ipIsV6 = (a: string): boolean => /^[0-9a-fA-F:]+$/.test(a) && a.includes(':');

/** validate_nid: the address suits the net's LND. */
export function validNid(nid: string): boolean {
  const at = nid.lastIndexOf('@');
  const net = nid.slice(at + 1);
  const addr = nid.slice(0, at);
  if (/(gni|kfi|bxi3f)[0-9]*/.test(net)) return /[0-9]+/.test(addr);
  if (/tcp[0-9]*/.test(net)) return ipIsV4(addr) || ipIsV6(addr);
  if (/o2ib[0-9]*/.test(net)) return ipIsV4(addr);
  return false;
}

/** validate_nids over the primary, peer ni and gateway NIDs of an export. */
export function validateNids(t: Test, actual: string): void {
  const nids = [...awkLast(actual, /-\s+primary nid:/), ...awkLast(actual, /-\s+nid:/), ...awkLast(actual, /gateway:/)];
  const bad = nids.filter((n) => !validNid(n));
  t.same(bad, [], 'validate_nids: every NID is valid for its net');
}

/** validate_peer_nids NUM_PEERS NIDS_PER_PEER over an export. */
export function validatePeerNids(t: Test, actual: string, numPeers: number, nidsPerPeer: number): void {
  t.equal(awkLast(actual, /-\s+primary nid:/).length, numPeers, `validate_peer_nids: ${numPeers} primary nids`, { actual });
  t.equal(awkLast(actual, /-\s+nid:/).length, numPeers + nidsPerPeer * numPeers, `validate_peer_nids: ${numPeers + nidsPerPeer * numPeers} peer ni nids`, { actual });
  validateNids(t, actual);
}

/** validate_gateway_nids: as many gateways as expected, each expected one present. */
export function validateGatewayNids(t: Test, expected: string, actual: string): void {
  const count = (s: string): number => s.split('\n').filter((l) => l.includes('gateway:')).length;
  t.equal(count(actual), count(expected), 'validate_gateway_nids: number of gateways', { expected, actual });
  for (const nid of awkLast(expected, /gateway:/)) t.ok(actual.includes(`gateway: ${nid}`), `validate_gateway_nids: ${nid} configured as gateway`, { actual });
  validateNids(t, actual);
}

/** create_nid NUM NET. */
export function createNid(num: number, net: string): string {
  return /(gni|kfi|bxi3f)/.test(net) ? `${num}@${net}` : `${num}.${num}.${num}.${num}@${net}`;
}

/** create_mr_peer_yaml NUM_PEERS SECONDARY_NIDS NET: the text the shell writes. */
export function createMrPeerYaml(numPeers: number, secondaryNids: number, net: string): { text: string; peers: KernelPeer[] } {
  let text = 'peer:\n';
  const peers: KernelPeer[] = [];
  let nidnum = 1;
  for (let created = 0; created < numPeers; created++) {
    const primary = createNid(nidnum, net);
    text += `    - primary nid: ${primary}\n      Multi-Rail: True\n      peer ni:\n        - nid: ${primary}\n`;
    const nis = [primary];
    const end = nidnum + secondaryNids;
    for (let j = nidnum + 1; j <= end; j++) {
      const nid = createNid(j, net);
      text += `        - nid: ${nid}\n`;
      nis.push(nid);
    }
    peers.push({ primary, mr: true, nis });
    nidnum = end + 1;
  }
  return { text, peers };
}

// ---------------------------------------------------------------------------------------------
// The kernel's bytes for `lnetctl export --backup` (05-cli-behaviours.txt and
// 02-ping-discover-A-export-backup.yaml): net, route, peer at libyaml indent 6, then the cYAML
// routing/buffers/global tree. A node with only 0@lo prints no `net:` (lo is left out of a
// backup and the dump then sends no key table), and no `route:`/`peer:` when there are none.

export interface KernelPeer {
  primary: string;
  mr: boolean;
  nis: string[];
}

export interface KernelRoute {
  net: string;
  gateway: string;
  hop: number;
  priority: number;
}

export interface KernelNi {
  interfaces: string[];
  tunables?: { peer_timeout: number; peer_credits: number; peer_buffer_credits: number; credits: number };
  /** socklnd: conns_per_peer, tos (no timeout in a backup). */
  lnd?: { conns_per_peer: number; tos: number };
  cpt: string;
}

export interface KernelNet {
  type: string;
  nis: KernelNi[];
}

/** `global show` / the `global:` of an export on a node with default module parameters. */
export const GLOBAL_DEFAULTS: ReadonlyArray<readonly [string, number]> = [
  ['numa_range', 0],
  ['max_interfaces', 200],
  ['discovery', 1],
  ['drop_asym_route', 0],
  ['retry_count', 2],
  ['transaction_timeout', 150],
  ['health_sensitivity', 100],
  ['recovery_interval', 1],
  ['router_sensitivity', 100],
  ['lnd_timeout', 49],
  ['response_tracking', 3],
  ['recovery_limit', 0],
  ['max_recovery_ping_interval', 900],
];

export const SOCKLND_DEFAULT_TUNABLES = { peer_timeout: 180, peer_credits: 8, peer_buffer_credits: 0, credits: 256 };
export const SOCKLND_DEFAULT_LND = { conns_per_peer: 1, tos: -1 };

export function kernelGlobal(overrides: Record<string, number> = {}): string {
  return 'global:\n' + GLOBAL_DEFAULTS.map(([k, v]) => `    ${k}: ${overrides[k] ?? v}\n`).join('');
}

export function kernelPeers(peers: readonly KernelPeer[]): string {
  if (peers.length === 0) return '';
  let s = 'peer:\n';
  for (const p of peers) {
    s += `-     primary nid: ${p.primary}\n      Multi-Rail: ${p.mr}\n      peer ni:\n`;
    for (const n of p.nis) s += `      -     nid: ${n}\n`;
  }
  return s;
}

export function kernelRoutes(routes: readonly KernelRoute[]): string {
  if (routes.length === 0) return '';
  return 'route:\n' + routes.map((r) => `-     net: ${r.net}\n      gateway: ${r.gateway}\n      hop: ${r.hop}\n      priority: ${r.priority}\n`).join('');
}

export function kernelNets(nets: readonly KernelNet[]): string {
  if (nets.length === 0) return '';
  let s = 'net:\n';
  for (const n of nets) {
    s += `-     net type: ${n.type}\n      local NI(s):\n`;
    for (const ni of n.nis) {
      s += '      -     interfaces:\n';
      ni.interfaces.forEach((ifname, i) => (s += `                  ${i}: ${ifname}\n`));
      const tun = ni.tunables ?? SOCKLND_DEFAULT_TUNABLES;
      s += '            tunables:\n' + Object.entries(tun).map(([k, v]) => `                  ${k}: ${v}\n`).join('');
      const lnd = ni.lnd ?? SOCKLND_DEFAULT_LND;
      s += '            lnd tunables:\n' + Object.entries(lnd).map(([k, v]) => `                  ${k}: ${v}\n`).join('');
      s += `            CPT: "${ni.cpt}"\n`;
    }
  }
  return s;
}

/** The whole `export --backup` of a node without router buffer pools. */
export function kernelBackup(parts: { nets?: KernelNet[]; routes?: KernelRoute[]; peers?: KernelPeer[]; global?: Record<string, number> }): string {
  return kernelNets(parts.nets ?? []) + kernelRoutes(parts.routes ?? []) + kernelPeers(parts.peers ?? []) + kernelGlobal(parts.global);
}

export { show as showResult };
