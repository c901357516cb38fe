// Builder options the recordings do not exercise: filters, error documents, mixed ping results,
// router-aware peer states, UDSP info, route ordering, the backup forms, JSON.
import t from 'tap';
import { LNet } from '../../../src/lnet.js';
import { MemoryFabric } from '../../../lnd/memlnd/index.js';
import { parseNid } from '../../../src/nid/nid-string.js';
import { parseNet } from '../../../src/nid/net.js';
import { render, renderDoc, renderJson } from '../../../src/cli/yaml/index.js';
import {
  buildNetShow,
  buildPeerShow,
  buildPingDoc,
  buildRouteShow,
  buildRoutingShow,
  defaultRouterPools,
  DocumentError,
  lnetctlExitCode,
  routesInKernelOrder,
  setParamError,
  strerror,
  type RouteInput,
} from '../../../src/control/docs/index.js';
import type { PingResult } from '../../../src/ping.js';

t.test('net show --net: one net; a net that is not configured is the kernel\'s error', { timeout: 20000 }, async (t) => {
  const fabric = new MemoryFabric();
  const n = await LNet.start({
    nets: [
      { net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.0.0.1@tcp', interfaces: ['eth0'] }] },
      { net: 'tcp1', lnd: fabric.lnd(), nis: [{ nid: '10.1.0.1@tcp1', interfaces: ['eth1'] }] },
    ],
  });
  t.teardown(() => n.shutdown());
  t.equal(render(buildNetShow(n, { net: 'tcp1' })), 'net:\n-     net type: tcp1\n      local NI(s):\n      -     nid: 10.1.0.1@tcp1\n            status: up\n            interfaces:\n                  0: eth1\n');
  const e = t.throws(() => buildNetShow(n, { net: 'tcp7' })) as unknown as DocumentError;
  t.equal(renderDoc(e.document!), '---\nshow:\n-     net:\n      errno: -3\n      descr: ! "Network is down"\n...\n');
  t.equal(e.exitCode, 234);
  t.match(render(buildNetShow(n, { verbose: 1, backup: true })), /^net:\n-     net type: tcp\n      local NI\(s\):\n      -     interfaces:\n/, 'backup: no lo, NIs start with interfaces');
  t.same(JSON.parse(renderJson(buildNetShow(n, { net: 'tcp' }))), { net: [{ 'net type': 'tcp', 'local NI(s)': [{ nid: '10.0.0.1@tcp', status: 'up', interfaces: { '0': 'eth0' } }] }] });
});

t.test('peer show -v 4 prints UDSP info from the UDSP engine, preferred NIDs included', { timeout: 20000 }, async (t) => {
  const n = await LNet.start({});
  t.teardown(() => n.shutdown());
  n.discovery.add({ primNid: '1.1.1.1@tcp' });
  const text = render(
    buildPeerShow(n, { verbose: 4, udspInfo: () => ({ netPriority: 1, nidPriority: 2, preferredGateways: ['10.0.0.9@tcp'] }) }),
  );
  t.match(text, '            udsp info:\n                  net priority: 1\n                  nid priority: 2\n                  Preferred gateway NIDs:\n                        NID-0: 10.0.0.9@tcp\n');
});

t.test('peer NI state: NA without routing, up/down for routers and with routing enabled', { timeout: 20000 }, async (t) => {
  const fabric = new MemoryFabric();
  const n = await LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.0.0.1@tcp' }] }] });
  t.teardown(() => n.shutdown());
  n.discovery.add({ primNid: '10.0.0.2@tcp', nids: ['10.9.0.2@tcp9'] });
  const states = (o: Parameters<typeof buildPeerShow>[1]) => [...render(buildPeerShow(n, o)).matchAll(/state: (\w+)/g)].map((m) => m[1]);
  t.same(states({}), ['NA', 'NA']);
  t.same(states({ routingState: 1 }), ['up', 'NA'], 'aliveness only on a local net');
  const routes: RouteInput[] = [{ net: parseNet('o2ib'), gateway: parseNid('10.0.0.2@tcp'), hops: -1, priority: 0, alive: true }];
  t.same(states({ routes, aliveness: () => false }), ['down', 'down'], 'a router shows up/down on every NI');
  t.match(render(buildPeerShow(n, { routes })), /primary nid: 10\.0\.0\.2@tcp/);
});

t.test('route show: filters, kernel listing order by remote-net hash, backup form', async (t) => {
  const gw = parseNid('192.0.2.11@tcp');
  const r = (net: string, hops = -1, priority = 0): RouteInput => ({ net: parseNet(net), gateway: gw, hops, priority, alive: false });
  const routes = [r('o2ib'), r('tcp2', 2, 1), r('tcp1'), r('o2ib1')];
  t.same(routesInKernelOrder(routes).map((x) => x.net), ['tcp1', 'tcp2', 'o2ib', 'o2ib1'].map(parseNet), 'bucket (num + type) & 127');
  t.equal(render(buildRouteShow(routes, { net: 'tcp2', verbose: true })), 'route:\n-     net: tcp2\n      gateway: 192.0.2.11@tcp\n      hop: 2\n      priority: 1\n      state: down\n      type: multi-hop\n');
  t.equal(render(buildRouteShow(routes, { priority: 1 })), 'route:\n-     net: tcp2\n      gateway: 192.0.2.11@tcp\n');
  t.equal(render(buildRouteShow(routes, { gateway: '192.0.2.99@tcp' })), '', 'no match prints nothing');
  t.equal(render(buildRouteShow([r('o2ib')], { backup: true })), 'route:\n-     net: o2ib\n      gateway: 192.0.2.11@tcp\n      hop: -1\n      priority: 0\n');
});

t.test('routing show with two CPTs: per-CPT pools, totals in buffers', async (t) => {
  const text = render(buildRoutingShow({ state: 1, cpts: defaultRouterPools(2) }));
  t.match(text, /    - cpt\[1\]:\n          tiny:\n              npages: 0\n              nbuffers: 1024\n/);
  t.match(text, /    - enable: 1\nbuffers:\n    tiny: 2048\n    small: 16384\n    large: 1024\n$/);
});

t.test('ping and discover documents: successes first, failures under manage:, pid-nid for other pids', async (t) => {
  const res = (nid: string, mr: boolean, pid = 12345): PingResult => ({
    primaryNid: parseNid(nid),
    multiRail: mr,
    peerNis: [{ nid: parseNid(nid), pid }],
    features: 0x1e,
    seqno: 1,
  });
  const d = buildPingDoc('ping', [
    { target: parseNid('10.0.0.2@tcp'), result: res('10.0.0.2@tcp', false) },
    { target: parseNid('10.0.0.3@tcp'), errno: 'ETIMEDOUT' },
    { target: parseNid('10.0.0.4@tcp'), pid: 7, result: res('10.0.0.4@tcp', true, 7) },
  ]);
  t.equal(
    render(d.document),
    'ping:\n- primary nid: 10.0.0.2@tcp\n  Multi-Rail: false\n  peer_ni:\n  - nid: 10.0.0.2@tcp\n' +
      '- primary nid: 10.0.0.4@tcp\n  Multi-Rail: true\n  peer_ni:\n  - nid: 7-10.0.0.4@tcp\n' +
      "manage:\n- ping:\n  errno: -110\n  descr: ! 'failed to ping 10.0.0.3@tcp: Connection timed out'\n",
  );
  t.equal(d.exitCode, 255);
  const disc = buildPingDoc('discover', [{ target: 'bogus', errno: -22, descr: "cannot parse NID 'bogus'" }]);
  t.equal(render(disc.document), "manage:\n- discover:\n  errno: -22\n  descr: cannot parse NID 'bogus'\n", 'texts not starting "failed to " are kept as they are');
});

t.test('legacy set errors and exit codes', async (t) => {
  const e = setParamError('max_interfaces');
  t.equal(renderDoc(e.document!), 'add:\n    - max_interfaces:\n          errno: -61\n          descr: "cannot configure max interfaces: Invalid argument"\n');
  t.equal(e.exitCode, 195);
  t.equal(lnetctlExitCode(-1), 255);
  t.equal(lnetctlExitCode(-22), 234);
  t.equal(strerror(-111), 'Connection refused');
  t.equal(strerror(0), 'Success');
});
