// The route table (router.c lnet_add_route/lnet_del_route), router pools and routing state
// (lnet_rtrpools_*), and the global settings' validation (api-ni.c set handlers) on their own.
import t from 'tap';
import { RouteTable } from '../../src/core/routes.js';
import { LNET_NRB_LARGE_PAGES, RouterConfig, RoutingState } from '../../src/core/router-config.js';
import { DEFAULT_CORE_PARAMS } from '../../src/core/params.js';
import { GlobalSettingError, globalsOf, setGlobal } from '../../src/lnet-globals.js';
import { formatNet, parseNet } from '../../src/nid/net.js';
import { formatNid, parseNid } from '../../src/nid/nid-string.js';

const table = (random = () => 0.99) => new RouteTable({ isLocalNet: (n) => n === parseNet('tcp'), random });

t.test('route add: the kernel checks in order, with its errnos and extack texts', async (t) => {
  const r = table();
  const gw = parseNid('192.0.2.11@tcp');
  t.throws(() => r.add(parseNet('tcp1'), parseNid('0@lo')), { code: 'EINVAL', message: /invalid settings for route creation/ });
  t.throws(() => r.add(parseNet('lo'), gw), { code: 'EINVAL' });
  t.throws(() => r.add(parseNet('tcp'), parseNid('1.1.1.1@tcp1')), { code: 'EEXIST', message: /specified network is local/ }, 'a local net');
  t.throws(() => r.add(parseNet('tcp1'), parseNid('1.1.1.1@tcp1')), { code: 'EINVAL' }, 'gateway on the remote net itself');
  t.throws(() => r.add(parseNet('tcp2'), parseNid('1.1.1.1@o2ib')), { code: 'EHOSTUNREACH', message: /No interface configured/ });
  t.throws(() => r.add(parseNet('tcp2'), gw, 0), { code: 'EINVAL' }, 'hops 0');
  t.throws(() => r.add(parseNet('tcp2'), gw, 256), { code: 'EINVAL' }, 'hops 256');
  const route = r.add(parseNet('tcp2'), gw, 2, 1);
  t.match(route, { hops: 2, priority: 1, alive: true, singleHop: false });
  t.throws(() => r.add(parseNet('tcp2'), gw), { code: 'EEXIST' }, 'the same route again');
});

t.test('listing order: remote-net hash buckets, then each net in insertion (random) order', async (t) => {
  // tcp2 hashes to (2 + 2) = 4, o2ib to (0 + 5) = 5, tcp1 to 3.
  const r = table(() => 0); // every new route goes first among its net's routes
  r.add(parseNet('o2ib'), parseNid('192.0.2.11@tcp'));
  r.add(parseNet('o2ib'), parseNid('192.0.2.13@tcp'));
  r.add(parseNet('tcp2'), parseNid('192.0.2.11@tcp'));
  r.add(parseNet('tcp1'), parseNid('192.0.2.11@tcp'));
  t.same(
    r.list().map((x) => `${formatNet(x.net)} ${formatNid(x.gateway)}`),
    ['tcp1 192.0.2.11@tcp', 'tcp2 192.0.2.11@tcp', 'o2ib 192.0.2.13@tcp', 'o2ib 192.0.2.11@tcp'],
    'as 06-start-stop-modparams.txt listed .13 before .11',
  );
  t.same(r.list({ net: parseNet('o2ib'), gateway: parseNid('192.0.2.11@tcp') }).length, 1);
  t.same(r.list({ hops: 5 }).length, 0);
});

t.test('route del: by net and gateway, a whole net, ENOENT for a net without routes', async (t) => {
  const r = table();
  r.add(parseNet('tcp2'), parseNid('192.0.2.11@tcp'));
  r.add(parseNet('tcp2'), parseNid('192.0.2.12@tcp'));
  t.throws(() => r.del(parseNet('tcp3'), parseNid('192.0.2.11@tcp')), { code: 'ENOENT' });
  t.same(r.del(parseNet('tcp2'), parseNid('192.0.2.99@tcp')), [], 'no such gateway: nothing, no error');
  t.equal(r.del(parseNet('tcp2'), parseNid('192.0.2.11@tcp')).length, 1);
  t.ok(r.isGateway(parseNid('192.0.2.12@tcp')));
  t.notOk(r.isGateway(parseNid('192.0.2.11@tcp')), 'its only route is gone');
  t.equal(r.del(parseNet('tcp2')).length, 1);
  t.equal(r.size, 0);
  t.notOk(r.isGateway(parseNid('192.0.2.12@tcp')));
});

t.test('isGateway: while any route goes through the NID (several nets, del, clear)', async (t) => {
  const r = table();
  const gw = parseNid('192.0.2.11@tcp');
  t.notOk(r.isGateway(gw), 'no routes');
  r.add(parseNet('tcp2'), gw);
  r.add(parseNet('o2ib'), gw);
  r.add(parseNet('o2ib'), parseNid('192.0.2.12@tcp'));
  t.ok(r.isGateway(parseNid('192.0.2.11@tcp')), 'a NID equal to the gateway, not only the same object');
  r.del(parseNet('tcp2'), gw);
  t.ok(r.isGateway(gw), 'still the gateway to o2ib');
  r.del(parseNet('o2ib'), gw);
  t.notOk(r.isGateway(gw));
  t.ok(r.isGateway(parseNid('192.0.2.12@tcp')));
  r.clear();
  t.notOk(r.isGateway(parseNid('192.0.2.12@tcp')), 'clear forgets every gateway');
});

t.test('routing: never enabled means no pools; enable STARTING then ENABLED, disable STOPPING', async (t) => {
  const states: RoutingState[] = [];
  const r = new RouterConfig(2, { settleSeconds: 0.05 });
  r.onStateChange = (s) => states.push(s);
  t.equal(r.pools, undefined);
  r.adjust({ tiny: 4096 });
  t.equal(r.pools, undefined, 'buffers cannot be set while routing is off');
  r.enable();
  t.equal(r.state, RoutingState.STARTING);
  // Per CPT: the totals divided by the CPT count; large buffers are LNET_MTU in pages.
  t.same(r.pools![0]![2], { npages: LNET_NRB_LARGE_PAGES, nbuffers: 512, credits: 512, mincredits: 512 });
  t.same(r.totals(), { tiny: 2048, small: 16384, large: 1024 });
  r.adjust({ tiny: 1000 });
  t.same(r.totals().tiny, 1000);
  await new Promise((res) => setTimeout(res, 120));
  t.equal(r.state, RoutingState.ENABLED);
  r.disable();
  t.equal(r.state, RoutingState.STOPPING);
  t.throws(() => r.enable(), { code: 'EBUSY' }, 'not while stopping');
  await new Promise((res) => setTimeout(res, 120));
  t.equal(r.state, RoutingState.DISABLED);
  t.ok(r.pools, 'the pools stay once they exist');
  t.same(states, [RoutingState.STARTING, RoutingState.ENABLED, RoutingState.STOPPING, RoutingState.DISABLED]);
  r.shutdown();
});

t.test('forwarding at startup: a local gateway in routes= or forwarding=enabled', async (t) => {
  const a = new RouterConfig(1);
  a.startup(false);
  t.equal(a.state, RoutingState.DISABLED);
  a.startup(true);
  t.equal(a.state, RoutingState.ENABLED);
  const b = new RouterConfig(1, { forwarding: 'disabled' });
  b.startup(true);
  t.equal(b.state, RoutingState.DISABLED);
  t.throws(() => new RouterConfig(1, { forwarding: 'maybe' }).startup(false), { code: 'EINVAL' });
  a.shutdown();
});

t.test("globals: the kernel's set handlers (05-cli-behaviours.txt values)", async (t) => {
  const p = { ...DEFAULT_CORE_PARAMS };
  const refused = (name: Parameters<typeof setGlobal>[1], v: number, rc: number, descr: string) => {
    const e = (() => {
      try {
        setGlobal(p, name, v);
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    t.ok(e instanceof GlobalSettingError, `${name} ${v} refused`);
    t.match(e, { rc, descr });
  };
  refused('health_sensitivity', 2000, -61, '"cannot configure health sensitivity: Invalid argument"');
  refused('health_sensitivity', -1, -61, '"cannot configure health sensitivity: Invalid argument"');
  refused('response_tracking', 4, -22, '"Valid values are: 0, 1, 2, or 3"');
  refused('response_tracking', -1, -22, '"Valid values are: 0, 1, 2, or 3"');
  refused('recovery_limit', -1, -22, '"Must be greater than or equal to 0"');
  refused('max_recovery_ping_interval', 0, -22, '"must be strictly positive"');
  refused('router_sensitivity', 101, -61, '"cannot configure router health sensitivity: Invalid argument"');
  refused('transaction_timeout', 2, -61, '"cannot configure transaction timeout: Invalid argument"');
  setGlobal(p, 'transaction_timeout', 60);
  setGlobal(p, 'retry_count', 3);
  setGlobal(p, 'discovery', 0);
  setGlobal(p, 'recovery_interval', 2);
  t.match(globalsOf(p), { discovery: 0, retry_count: 3, transaction_timeout: 60, lnd_timeout: 14, recovery_interval: 1 });
  refused('retry_count', 61, -61, '"cannot configure retry count: Invalid argument"');
  t.same(setGlobal(p, 'health_sensitivity', 0), ['health_sensitivity', 'retry_count'], 'health off turns retries off');
  t.equal(p.retry_count, 0);
  refused('retry_count', 1, -61, '"cannot configure retry count: Invalid argument"');
  setGlobal(p, 'max_interfaces', 8);
  t.equal(p.lnet_interfaces_max, 200, 'too small falls back to the default (intf_max_set)');
  setGlobal(p, 'numa_range', -1);
  t.equal(p.numa_range, 0xffffffff);
});
