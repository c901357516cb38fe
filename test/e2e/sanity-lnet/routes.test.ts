/**
 * sanity-lnet.sh (Lustre 2.17.0) route tests 100–103, 105 and 106 against lnetd (111 is in
 * routes-many.test.ts), each in a private network namespace with `eth0` (10.77.0.10/24) as
 * INTERFACES[0]. See README.md.
 *
 * sanity's setup_router_test starts LNet on a remote router node and uses its first NID as the
 * gateway. Adding, showing and deleting a route needs only that NID on a local net, so the
 * router here is an address on eth0's subnet (10.77.0.11) that nobody answers: the exported
 * gateway peer then stays `Multi-Rail: False` as sanity's heredoc expects (with a live router,
 * discovery may already have made it MR when the export runs), and no packet leaves the
 * namespace. The local node gets setup_router_test's module options.
 */
import t, { type Test } from 'tap';
import { distMissing } from '../../helpers/lnetd-harness.js';
import {
  IF0,
  IF0_NET,
  kernelBackup,
  loadYaml,
  netnsUnavailable,
  ROUTER_NID,
  sanityNode,
  setupRouterTest,
  showResult,
  testNetns,
  validateGatewayNids,
  type SanityNode,
} from './sanity.js';

const skip = distMissing() || netnsUnavailable();
const TIMEOUT = 180_000;

const NETTYPE = 'tcp';
const LOCAL_NET = NETTYPE;
const REMOTE_NET = `${NETTYPE}1`;

// IF0_HOSTNUM is 10, so GW_HOSTNUM = IF0_HOSTNUM + 1.
const GW_HOSTNUM = 11;

/** A fresh node in its own namespace. */
async function node(t: Test): Promise<SanityNode> {
  const ns = testNetns(t);
  return sanityNode(t, { netns: ns.name });
}

/** The CPT string of the node's LOCAL_NET NI, from `net show -v`. */
async function niCpt(n: SanityNode): Promise<string> {
  const r = await n.lnetctl(['net', 'show', '-v', '--net', LOCAL_NET]);
  return /CPT: "([^"]*)"/.exec(r.stdout)?.[1] ?? '[0]';
}

/** append_net_tunables NET: the NI's tunables..CPT lines of `net show -v`, without dev cpt. */
async function netTunables(n: SanityNode, net: string): Promise<string> {
  const r = await n.lnetctl(['net', 'show', '-v', '--net', net]);
  const out: string[] = [];
  let on = false;
  for (const l of r.stdout.split('\n')) {
    if (/dev cpt/.test(l)) continue;
    if (!on && /^\s+tunables:$/.test(l)) on = true;
    if (on) out.push(l);
    if (on && /^\s+CPT:/.test(l)) on = false;
  }
  return out.map((l) => `${l}\n`).join('');
}

/** compare_route_add RNET GW: route add, export, validate_gateway_nids. */
async function compareRouteAdd(t: Test, n: SanityNode, expected: string, rnet: string, gw: string): Promise<string> {
  await n.ok(t, ['route', 'add', '--net', rnet, '--gateway', gw], 'route add');
  const actual = await n.exportBackup(t);
  validateGatewayNids(t, expected, actual);
  return actual;
}

/** compare_route_del RNET GW: route del, export, validate_gateway_nids. */
async function compareRouteDel(t: Test, n: SanityNode, expected: string, rnet: string, gw: string): Promise<void> {
  await n.ok(t, ['route', 'del', '--net', rnet, '--gateway', gw], 'route del');
  const actual = await n.exportBackup(t);
  validateGatewayNids(t, expected, actual);
}

/** Routes and peers of an export as sets (the kernel inserts routes at random positions). */
function routesAndPeers(text: string): { routes: string[]; peers: string[] } {
  const doc = (loadYaml(text) ?? {}) as { route?: Array<Record<string, unknown>>; peer?: Array<Record<string, unknown>> };
  return {
    routes: (doc.route ?? []).map((r) => JSON.stringify(r)).sort(),
    peers: (doc.peer ?? []).map((p) => JSON.stringify(p)).sort(),
  };
}

t.test('test_100: Add route with single gw', { timeout: TIMEOUT, skip }, async (t) => {
  const n = await setupRouterTest(t);
  const expected =
    `net:
    - net type: ${LOCAL_NET}
      local NI(s):
        - interfaces:
              0: ${IF0}
` +
    (await netTunables(n, LOCAL_NET)) +
    `route:
    - net: ${REMOTE_NET}
      gateway: ${ROUTER_NID}
      hop: -1
      priority: 0
peer:
    - primary nid: ${ROUTER_NID}
      Multi-Rail: False
      peer ni:
        - nid: ${ROUTER_NID}
${n.globalYaml}`;
  const actual = await compareRouteAdd(t, n, expected, REMOTE_NET, ROUTER_NID);
  // sanity's check is validate_gateway_nids (its heredoc is not valid YAML once the tunables
  // are appended); the document it describes, in the kernel's bytes:
  const cpt = await niCpt(n);
  t.equal(
    actual,
    kernelBackup({
      nets: [{ type: LOCAL_NET, nis: [{ interfaces: [IF0], cpt }] }],
      routes: [{ net: REMOTE_NET, gateway: ROUTER_NID, hop: -1, priority: 0 }],
      peers: [{ primary: ROUTER_NID, mr: false, nis: [ROUTER_NID] }],
    }),
    "export --backup is the kernel's bytes",
  );
});

t.test('test_101: Add route with multiple gw', { timeout: TIMEOUT, skip }, async (t) => {
  const n = await node(t);
  await n.reinitDlc(t);
  await n.ok(t, ['net', 'add', '--net', NETTYPE, '--if', IF0], `add_net ${NETTYPE} ${IF0}`);
  const gws = [0, 1, 2, 3, 4].map((i) => `${IF0_NET}.${GW_HOSTNUM + i}@${NETTYPE}`);
  const expected =
    `net:
    - net type: ${NETTYPE}
      local NI(s):
        - interfaces:
              0: ${IF0}
` +
    (await netTunables(n, NETTYPE)) +
    'route:\n' +
    gws.map((gw) => `    - net: ${REMOTE_NET}\n      gateway: ${gw}\n      hop: -1\n      priority: 0\n`).join('') +
    'peer:\n' +
    gws.map((gw) => `    - primary nid: ${gw}\n      Multi-Rail: False\n      peer ni:\n        - nid: ${gw}\n`).join('') +
    n.globalYaml;
  const actual = await compareRouteAdd(t, n, expected, REMOTE_NET, `${IF0_NET}.[${GW_HOSTNUM}-${GW_HOSTNUM + 4}]@${NETTYPE}`);
  const want = routesAndPeers(
    kernelBackup({
      routes: gws.map((gateway) => ({ net: REMOTE_NET, gateway, hop: -1, priority: 0 })),
      peers: gws.map((gw) => ({ primary: gw, mr: false, nis: [gw] })),
    }),
  );
  t.strictSame(routesAndPeers(actual), want, 'one route and one non-MR gateway peer per gateway (in any order)');
});

t.test('test_102: Delete route with single gw', { timeout: TIMEOUT, skip }, async (t) => {
  const n = await setupRouterTest(t);
  const expected = await n.exportBackup(t);
  await n.ok(t, ['route', 'add', '--net', REMOTE_NET, '--gateway', ROUTER_NID], 'route add');
  await compareRouteDel(t, n, expected, REMOTE_NET, ROUTER_NID);
});

t.test('test_103: Delete route with multiple gw', { timeout: TIMEOUT, skip }, async (t) => {
  const n = await node(t);
  await n.reinitDlc(t);
  await n.ok(t, ['net', 'add', '--net', NETTYPE, '--if', IF0], `add_net ${NETTYPE} ${IF0}`);
  const expected = await n.exportBackup(t);
  const nidExpr = `${IF0_NET}.[${GW_HOSTNUM}-${GW_HOSTNUM + 5}/2]`;
  await n.ok(t, ['route', 'add', '--net', `${NETTYPE}103`, '--gateway', `${nidExpr}@${NETTYPE}`], 'route add');
  const mid = await n.lnetctl(['route', 'show', '--net', `${NETTYPE}103`]);
  t.equal(mid.stdout.split('\n').filter((l) => l.includes('gateway:')).length, 3, `${nidExpr} gave three routes`, { diag: showResult(mid) });
  await compareRouteDel(t, n, expected, `${NETTYPE}103`, `${nidExpr}@${NETTYPE}`);
});

t.test('test_105: Adding duplicate GW peer should fail', { timeout: TIMEOUT, skip }, async (t) => {
  const n = await setupRouterTest(t);
  await n.ok(t, ['route', 'add', '--net', REMOTE_NET, '--gateway', ROUTER_NID], 'route add');
  await n.fails(t, ['peer', 'add', '--prim', ROUTER_NID], 'peer add should fail');
});

t.test('test_106: Deleting GW peer should fail', { timeout: TIMEOUT, skip }, async (t) => {
  const n = await setupRouterTest(t);
  await n.ok(t, ['route', 'add', '--net', REMOTE_NET, '--gateway', ROUTER_NID], 'route add');
  await n.fails(t, ['peer', 'del', '--prim', ROUTER_NID], 'peer del should fail');
});
