// 05-cli-behaviours.txt and 06-start-stop-modparams.txt command by command: node B's state is
// rebuilt on a ulnet node (its NI, the peers it had, configured peers through discovery.add,
// routes and router pools as the daemon will hand them over, the counters it showed), and each
// recorded stdout, stderr and exit code is reproduced byte for byte.
import t, { type Test } from 'tap';
import { LNet } from '../../../src/lnet.js';
import { MemoryFabric } from '../../../lnd/memlnd/index.js';
import { Peer } from '../../../src/core/peer.js';
import { nidKey } from '../../../src/nid/nid.js';
import { formatNid, parseNid } from '../../../src/nid/nid-string.js';
import { parseNet } from '../../../src/nid/net.js';
import { render, renderDoc } from '../../../src/cli/yaml/index.js';
import {
  buildExport,
  buildGlobalShow,
  buildNetShow,
  buildPeerShow,
  buildPingDoc,
  buildRouteShow,
  buildRoutingShow,
  buildStatsShow,
  buildUdspShow,
  defaultRouterPools,
  DocumentError,
  lnetDownError,
  netAddError,
  setParamError,
  type RouteInput,
  type RoutingInput,
} from '../../../src/control/docs/index.js';
import { haveInterop, recorded, recordedFile, type RecordedCommand } from './recordings.js';

const FILE = '05-cli-behaviours.txt';
const rec = (cmd: string, n = 0): RecordedCommand => recorded(FILE, cmd, n);

function expectError(t: Test, e: DocumentError, r: RecordedCommand, what: string): void {
  t.equal(r.stdout, '', `${what}: nothing on stdout`);
  t.equal(e.document ? renderDoc(e.document) : '', r.stderr, `${what}: stderr`);
  t.equal(e.exitCode, r.rc, `${what}: exit code ${r.rc}`);
}

function thrown(f: () => unknown): DocumentError {
  try {
    f();
  } catch (e) {
    if (e instanceof DocumentError) return e;
    throw e;
  }
  throw new Error('expected a DocumentError');
}

const nid = (s: string) => parseNid(s);

t.test('05-cli-behaviours.txt on node B, in order', { skip: !haveInterop && 'recordings absent', timeout: 30000 }, async (t) => {
  const fabric = new MemoryFabric();
  const b = await LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '192.0.2.12@tcp', interfaces: ['eth0'] }] }] });
  t.teardown(() => b.shutdown());
  const core = b.core;
  const tcpNi = core.nis.find((ni) => ni.net === parseNet('tcp'))!;

  // What B had done before the transcript: it pinged its own NID, which the kernel sends
  // through the tcp NI to a peer for itself (GET and REPLY out, GET and REPLY in; a REPLY
  // counts as a GET sent), and the absent 192.0.2.1 (a failed send counts nothing).
  const self = await b.ping('192.0.2.12@tcp');
  t.same(self.peerNis.map((x) => formatNid(x.nid)), ['192.0.2.12@tcp'], 'B pings itself');
  const absent = core.peerNiFor(nid('192.0.2.1@tcp'), tcpNi);
  absent.minTxCredits = 7;

  let r = rec('lnetctl ping 192.0.2.1@tcp --timeout 2');
  const ping = buildPingDoc('ping', [{ target: nid('192.0.2.1@tcp'), errno: 'ECONNREFUSED' }]);
  t.equal(render(ping.document), r.stdout, 'failed ping on stdout');
  t.equal(ping.exitCode, r.rc, 'failed ping exits 255');

  expectError(t, netAddError('EEXIST'), rec('lnetctl net add --net tcp --if eth0'), 'duplicate net add');
  expectError(t, netAddError('ENETDOWN'), rec('lnetctl net add --net tcp9 --if nosuchif'), 'net add on a missing interface');

  t.equal(render(buildNetShow(b)), rec('lnetctl net show').stdout, 'net show');
  t.equal(render(buildNetShow(b, { verbose: 1 })), rec('lnetctl net show -v 1').stdout, 'net show -v 1');
  t.equal(render(buildNetShow(b, { verbose: 2 })), rec('lnetctl net show -v 2').stdout, 'net show -v 2');

  b.discovery.add({ primNid: '10.10.10.2@tcp', nids: ['10.10.3.3@tcp1', '10.4.4.5@tcp2'] });
  t.equal(render(buildPeerShow(b)), rec('lnetctl peer show').stdout, 'peer show: MR configured peer with NIs on nets B has no NI on');
  t.equal(render(buildPeerShow(b, { verbose: 1 })), rec('lnetctl peer show -v').stdout, 'peer show -v: credits 0 and refcount 2 off-net');
  t.equal(
    render(buildPeerShow(b, { nid: '10.10.10.2@tcp', verbose: 2 })),
    rec('lnetctl peer show --nid 10.10.10.2@tcp -v 2').stdout,
    'peer show --nid -v 2',
  );
  b.discovery.del({ primNid: '10.10.10.2@tcp', nids: ['10.4.4.5@tcp2'] });
  t.equal(render(buildPeerShow(b, { nid: '10.10.10.2@tcp' })), rec('lnetctl peer show --nid 10.10.10.2@tcp').stdout, 'peer show --nid');

  const gw = nid('192.0.2.11@tcp');
  let routes: RouteInput[] = [
    { net: parseNet('tcp2'), gateway: gw, hops: 2, priority: 1, alive: false },
    { net: parseNet('o2ib0'), gateway: gw, hops: -1, priority: 0, alive: false },
  ];
  t.equal(render(buildRouteShow(routes)), rec('lnetctl route show').stdout, 'route show');
  t.equal(render(buildRouteShow(routes, { verbose: true })), rec('lnetctl route show -v').stdout, 'route show -v');
  routes = routes.filter((x) => x.net !== parseNet('tcp2'));

  let routing: RoutingInput = { state: 0 };
  t.equal(render(buildRoutingShow(routing)), rec('lnetctl routing show').stdout, 'routing show before routing was ever enabled: nothing');
  routing = { state: 3, cpts: defaultRouterPools(core.ncpt) };
  t.equal(render(buildRoutingShow(routing)), rec('lnetctl routing show', 1).stdout, 'routing show after set routing 1: starting (3)');
  routing = { ...routing, state: 2 };

  Object.assign(core.params, { transaction_timeout: 60, retry_count: 3, discovery: 0 });
  t.equal(render(buildGlobalShow(core.params)), rec('lnetctl global show').stdout, 'global show: lnd_timeout 14');
  expectError(t, setParamError('health_sensitivity'), rec('lnetctl set health_sensitivity 2000'), 'set health_sensitivity 2000');

  Object.assign(b.counters, {
    msgs_alloc: 1,
    msgs_max: 2,
    rst_alloc: 8,
    send_count: 2,
    resend_count: 1,
    remote_dropped_count: 5,
    remote_error_count: 3,
    recv_count: 2,
    send_length: 48,
    recv_length: 48,
  });
  t.equal(render(buildStatsShow(b.counters)), rec('lnetctl stats show').stdout, 'stats show');

  // By the export, routing (now stopping) had B check its peers: the failed sends lowered
  // health, the configured peer got a peer NI, and the gateway became a peer.
  Object.assign(absent.health, { dropped: 3, error: 1 });
  const conf = core.peerNiFor(nid('10.10.10.2@tcp'), tcpNi);
  conf.minTxCredits = 7;
  conf.healthValue = 800;
  Object.assign(conf.health, { dropped: 1, error: 1 });
  core.peerTable.get(nidKey(nid('10.10.10.2@tcp')))!.state = 24617;
  const gwNi = core.peerNiFor(gw, tcpNi);
  gwNi.minTxCredits = 7;
  gwNi.healthValue = 800;
  Object.assign(gwNi.health, { dropped: 1, error: 1 });
  const gwPeer = new Peer(gw, 12345);
  gwPeer.state = 155680;
  core.peerTable.set(nidKey(gw), gwPeer);

  t.equal(render(buildExport(b, { routes, routing })), rec('lnetctl export').stdout, 'export');
  t.equal(render(buildExport(b, { routes, routing, backup: true })), rec('lnetctl export --backup').stdout, 'export --backup');

  t.equal(render(buildUdspShow([{ idx: 0, src: 'tcp', priority: 0 }])), rec('lnetctl udsp show').stdout, 'udsp show');
  t.equal(render(buildUdspShow([])), '', 'udsp show with no rules prints nothing (sanity-lnet.sh test 403)');

  r = rec('lnetctl net show', 1);
  expectError(t, lnetDownError(), r, 'net show after lnet unconfigure');
  await b.shutdown();
  expectError(t, thrown(() => buildNetShow(b)), r, 'net show of a stopped instance');

  const fresh = await LNet.start({});
  t.teardown(() => fresh.shutdown());
  t.equal(render(buildNetShow(fresh)), rec('lnetctl net show', 2).stdout, 'net show after lnet configure: lo only');
});

t.test('06-start-stop-modparams.txt: route show -v of module-parameter routes (up, multi-hop, kernel order)', { skip: !haveInterop && 'recordings absent', timeout: 30000 }, async (t) => {
  const routes: RouteInput[] = ['192.0.2.13@tcp', '192.0.2.11@tcp'].map((g) => ({
    net: parseNet('o2ib'),
    gateway: nid(g),
    hops: -1,
    priority: 0,
    alive: true,
  }));
  t.equal(render(buildRouteShow(routes, { verbose: 1 })), recorded('06-start-stop-modparams.txt', 'lnetctl route show -v').stdout);
  const lo = recorded('06-start-stop-modparams.txt', 'lnetctl net show');
  const fresh = await LNet.start({});
  t.teardown(() => fresh.shutdown());
  t.equal(render(buildNetShow(fresh)), lo.stdout, 'net show with only 0@lo');
});

t.test('03-selftest-A-stats-after.yaml: stats show then peer show -v 4 after lst (two MR peers, node A among them)', { skip: !haveInterop && 'recordings absent', timeout: 30000 }, async (t) => {
  const fabric = new MemoryFabric();
  const a = await LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '192.0.2.11@tcp', interfaces: ['eth0'] }] }] });
  t.teardown(() => a.shutdown());
  const ni = a.core.nis.find((x) => x.net === parseNet('tcp'))!;
  const peer = (n: string, minTx: number, send: [number, number], recv: [number, number, number, number]): void => {
    const lpni = a.core.peerNiFor(nid(n), ni);
    lpni.minTxCredits = minTx;
    [lpni.stats.send.put, lpni.stats.send.get] = send;
    [lpni.stats.recv.put, lpni.stats.recv.get, lpni.stats.recv.reply, lpni.stats.recv.ack] = recv;
    const p = new Peer(nid(n), 12345);
    p.state = 273;
    a.core.peerTable.set(nidKey(nid(n)), p);
  };
  peer('192.0.2.12@tcp', 5, [5604, 1953], [5832, 1950, 3, 1]);
  peer('192.0.2.11@tcp', 7, [46, 10], [45, 5, 5, 1]);
  Object.assign(a.counters, { msgs_max: 4, rst_alloc: 10, send_count: 7613, recv_count: 7842, send_length: 251210112, recv_length: 241027600 });
  const text = render(buildStatsShow(a.counters)) + render(buildPeerShow(a, { verbose: 4 }));
  t.equal(text, recordedFile('03-selftest-A-stats-after.yaml'));
});
