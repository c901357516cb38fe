// routes= parsing. Expected results follow lnet/lnet/config.c lnet_parse_routes,
// lnet_parse_route, lnet_parse_hops, lnet_parse_priority, lnet_str2tbs_sep and
// lnet_str2tbs_expand; lnet/lnet/router.c lnet_add_route for what loading does with them;
// config.md §3, lnet_legacy2yaml's example and the recorded 06-start-stop-modparams.txt.
import t from 'tap';
import {
  LNET_UNDEFINED_HOPS,
  parseRouteList,
  parseRoutes,
  planRoutes,
  routesOf,
  type Route,
} from '../../src/config/index.js';
import { formatNet } from '../../src/nid/net.js';
import { formatNid, parseNid } from '../../src/nid/nid-string.js';
import { checkTotal, expectLNetError, expectParseError, Prng, readInterop, total } from './helpers.js';

const show = (rs: readonly Route[]): string[] => rs.map((r) => `${formatNet(r.net)} ${formatNid(r.gateway)} ${r.hops} ${r.priority}`);

// Source: lnet/lnet/config.c lnet_parse_route; lnet/lnet/router.c lnet_add_route, lnet_add_route_to_rnet; 06-start-stop-modparams.txt.
t.test('recorded: routes="o2ib0 192.0.2.[11-13]@tcp0" on 192.0.2.12', async (t) => {
  const routes = parseRouteList('o2ib0 192.0.2.[11-13]@tcp0');
  t.same(show(routes), ['o2ib 192.0.2.11@tcp -1 0', 'o2ib 192.0.2.12@tcp -1 0', 'o2ib 192.0.2.13@tcp -1 0']);
  const plan = planRoutes(routes, [parseNid('192.0.2.12@tcp')]);
  // The local .12 is skipped (and makes the node a router); .11 and .13 are added, in that
  // order: lnet_parse_route adds each net's gateways in expansion order.
  t.same(show(plan.routes), ['o2ib 192.0.2.11@tcp -1 0', 'o2ib 192.0.2.13@tcp -1 0']);
  t.equal(plan.imARouter, true);
  t.same(plan.skipped.map((s) => [formatNid(s.route.gateway), s.reason]), [['192.0.2.12@tcp', 'local-gateway']]);
  // `lnetctl route show -v` listed .13 before .11. lnet_add_route_to_rnet inserts each new
  // route at a random position (get_random_u32_below), so the listing order is not the
  // parse order; the recording agrees with the parse on everything else.
  const rec = readInterop('06-start-stop-modparams.txt');
  const listed = [...rec.matchAll(/-\s+net: (\S+)\n\s+gateway: (\S+)\n\s+hop: (\S+)\n\s+priority: (\S+)/g)].map(
    (m) => `${m[1]} ${m[2]} ${m[3]} ${m[4]}`,
  );
  t.same(listed, ['o2ib 192.0.2.13@tcp -1 0', 'o2ib 192.0.2.11@tcp -1 0']);
  t.same([...listed].sort(), show(plan.routes).sort(), 'same routes as recorded, hop -1, priority 0');
});

// Source: lnet/lnet/config.c lnet_parse_route; lustre/scripts/lnet_legacy2yaml (sanity-lnet 600-604).
t.test('config.md §3 and lnet_legacy2yaml examples', async (t) => {
  t.same(show(parseRouteList('tcp1 10.0.0.[1-2]@o2ib; tcp2 2 10.0.0.3@o2ib:1')), [
    'tcp1 10.0.0.1@o2ib -1 0',
    'tcp1 10.0.0.2@o2ib -1 0',
    'tcp2 10.0.0.3@o2ib 2 1',
  ]);
  t.same(show(parseRouteList('o2ib 192.168.0.[1-4]@tcp')), [
    'o2ib 192.168.0.1@tcp -1 0',
    'o2ib 192.168.0.2@tcp -1 0',
    'o2ib 192.168.0.3@tcp -1 0',
    'o2ib 192.168.0.4@tcp -1 0',
  ]);
  // lnet_legacy2yaml: routes='tcp0 2 10.0.0.1@o2ib0:7' is net tcp0, hop 2, priority 7.
  t.same(show(parseRouteList('tcp0 2 10.0.0.1@o2ib0:7')), ['tcp 10.0.0.1@o2ib 2 7']);
  t.equal(LNET_UNDEFINED_HOPS, -1);
});

// Source: lnet/lnet/config.c lnet_str2tbs_expand, lnet_new_text_buf (LNET_MAX_TEXTBUF_NOB).
t.test('bracket expansion (lnet_str2tbs_expand)', async (t) => {
  const cases: [string, string[]][] = [
    ['tcp[1-3] 10.0.0.1@o2ib', ['tcp1 10.0.0.1@o2ib -1 0', 'tcp2 10.0.0.1@o2ib -1 0', 'tcp3 10.0.0.1@o2ib -1 0']],
    ['tcp[1,3] 10.0.0.1@o2ib', ['tcp1 10.0.0.1@o2ib -1 0', 'tcp3 10.0.0.1@o2ib -1 0']],
    ['tcp1 10.0.0.[1-5/2]@o2ib', ['tcp1 10.0.0.1@o2ib -1 0', 'tcp1 10.0.0.3@o2ib -1 0', 'tcp1 10.0.0.5@o2ib -1 0']],
    // Several groups expand depth first: reading order.
    [
      'tcp1 10.0.[0-1].[1-2]@o2ib',
      ['tcp1 10.0.0.1@o2ib -1 0', 'tcp1 10.0.0.2@o2ib -1 0', 'tcp1 10.0.1.1@o2ib -1 0', 'tcp1 10.0.1.2@o2ib -1 0'],
    ],
    // Every net with every gateway, nets outermost.
    ['tcp[1-2] 10.0.0.[1-2]@o2ib', ['tcp1 10.0.0.1@o2ib -1 0', 'tcp1 10.0.0.2@o2ib -1 0', 'tcp2 10.0.0.1@o2ib -1 0', 'tcp2 10.0.0.2@o2ib -1 0']],
    // Items may be plain text.
    ['[tcp1,o2ib2] 7@gni', ['tcp1 7@gni -1 0', 'o2ib2 7@gni -1 0']],
    ['tcp1 10.0.0.1@[o2ib,o2ib1]', ['tcp1 10.0.0.1@o2ib -1 0', 'tcp1 10.0.0.1@o2ib1 -1 0']],
    // The first ']' closes the first '[': "[[1]]" leaves "[1]", expanded again.
    ['tcp[[1]] 10.0.0.1@o2ib', ['tcp1 10.0.0.1@o2ib -1 0']],
    // Priorities can be expanded too; the last one wins (see the priority test).
    ['tcp1 10.0.0.1@o2ib:[1-2]', ['tcp1 10.0.0.1@o2ib -1 2', 'tcp1 10.0.0.1@o2ib -1 2']],
    // Large ranges are fine while the kernel's text buffers last.
    ['tcp[0-999] 10.0.0.1@o2ib', Array.from({ length: 1000 }, (_, i) => `tcp${i === 0 ? '' : i} 10.0.0.1@o2ib -1 0`)],
  ];
  for (const [input, want] of cases) t.same(show(parseRouteList(input)), want, input);

  const bad: [string, number][] = [
    ['tcp[1-4/2] 10.0.0.1@o2ib', 0], // the stride must divide the span
    ['tcp[3-1] 10.0.0.1@o2ib', 0],
    ['tcp[-1-2] 10.0.0.1@o2ib', 0],
    ['tcp[1-2x] 10.0.0.1@o2ib', 0],
    ['tcp[] 10.0.0.1@o2ib', 0],
    ['tcp[1,] 10.0.0.1@o2ib', 0],
    ['tcp[,1] 10.0.0.1@o2ib', 0],
    ['tcp[1 10.0.0.1@o2ib', 0],
    ['tcp1 10.0.0.[1-2@o2ib', 5],
    ['tcp1 10.0.0.[1-5/0]@o2ib', 5], // the kernel would divide by zero here
    ['tcp[1,x] 10.0.0.1@o2ib', 0], // tcpx is no net
    // More expansions than the kernel's 64 KiB of text buffers.
    ['tcp[0-65535] 10.0.0.1@o2ib', 0],
    ['tcp1 10.[0-255].[0-255].1@o2ib', 5],
  ];
  for (const [input, pos] of bad) expectParseError(t, () => parseRoutes(input), 'EINVAL', pos, input);
});

// Source: lnet/lnet/config.c lnet_parse_hops, lnet_parse_priority, lnet_parse_route.
t.test('hops and priority (lnet_parse_hops, lnet_parse_priority)', async (t) => {
  const cases: [string, string[]][] = [
    ['tcp1 1 10.0.0.1@o2ib', ['tcp1 10.0.0.1@o2ib 1 0']],
    ['tcp1 255 10.0.0.1@o2ib', ['tcp1 10.0.0.1@o2ib 255 0']],
    // sscanf %u wraps: 4294967297 reads as 1.
    ['tcp1 4294967297 10.0.0.1@o2ib', ['tcp1 10.0.0.1@o2ib 1 0']],
    ['tcp1 10.0.0.1@o2ib:4294967295', ['tcp1 10.0.0.1@o2ib -1 4294967295']],
    ['tcp1 10.0.0.1@o2ib:0', ['tcp1 10.0.0.1@o2ib -1 0']],
  ];
  for (const [input, want] of cases) t.same(show(parseRouteList(input)), want, input);
  // The kernel applies the last gateway's priority to every route of the entry.
  t.same(show(parseRouteList('tcp1 10.0.0.1@o2ib:1 10.0.0.2@o2ib')), ['tcp1 10.0.0.1@o2ib -1 0', 'tcp1 10.0.0.2@o2ib -1 0']);
  t.same(show(parseRouteList('tcp1 10.0.0.1@o2ib 10.0.0.2@o2ib:5')), ['tcp1 10.0.0.1@o2ib -1 5', 'tcp1 10.0.0.2@o2ib -1 5']);
  const entry = parseRoutes('tcp1 10.0.0.1@o2ib:1 10.0.0.2@o2ib:3')[0]!;
  t.same(entry.gateways.map((g) => g.priority), [1, 3], 'the written priorities are kept per gateway');
  t.equal(entry.priority, 3);

  const bad: [string, number][] = [
    // 0 and 256 are not hop counts, so they are read as gateways, which they are not either.
    ['tcp1 0 10.0.0.1@o2ib', 5],
    ['tcp1 256 10.0.0.1@o2ib', 5],
    ['tcp1 +1 10.0.0.1@o2ib', 5],
    // A hop count and no gateway.
    ['tcp1 2', 5],
    // Only the second token can be a hop count: a later "2" is a gateway, and not a NID.
    ['tcp1 10.0.0.1@o2ib 2', 19],
    ['tcp1', 0],
    ['tcp1 10.0.0.1@o2ib:', 19],
    ['tcp1 10.0.0.1@o2ib:x', 19],
    ['tcp1 10.0.0.1@o2ib:-1', 19],
    ['tcp1 10.0.0.1@o2ib:1:2', 19],
    // IPv6 gateways cannot be written: the first ':' starts the priority.
    ['tcp1 2001:db8::1@o2ib', 10],
  ];
  for (const [input, pos] of bad) expectParseError(t, () => parseRoutes(input), 'EINVAL', pos, input);
});

// Source: lnet/lnet/config.c lnet_str2tbs_sep, lnet_parse_route; lnet/lnet/nidstrings.c libcfs_strnid.
t.test('entries, whitespace, comments and other token errors', async (t) => {
  t.same(show(parseRouteList('tcp1 10.0.0.1@o2ib\ntcp2\t10.0.0.2@o2ib\r\n;; # nothing\ntcp3 10.0.0.3@o2ib # a comment')), [
    'tcp1 10.0.0.1@o2ib -1 0',
    'tcp2 10.0.0.2@o2ib -1 0',
    'tcp3 10.0.0.3@o2ib -1 0',
  ]);
  t.same(parseRouteList(''), []);
  t.same(parseRouteList('  # only a comment'), []);
  // A NID without '@' is on tcp.
  t.same(show(parseRouteList('o2ib 10.0.0.1')), ['o2ib 10.0.0.1@tcp -1 0']);
  const bad: [string, number][] = [
    ['foo 10.0.0.1@o2ib', 0],
    ['lo 10.0.0.1@o2ib', 0],
    ['tcp1 0@lo', 5],
    ['tcp1 1@lo', 5],
    ['tcp1 10.0.0.1@foo', 5],
    ['tcp1 10.0.0.300@o2ib', 5],
    ['tcp1 10.0.0.1@o2ib; o2ib2 x@tcp', 26],
  ];
  for (const [input, pos] of bad) expectParseError(t, () => parseRoutes(input), 'EINVAL', pos, input);
  const e = parseRoutes('tcp1 10.0.0.1@o2ib;  tcp2 10.0.0.2@o2ib');
  t.same(
    e.map((x) => [x.position, x.text]),
    [
      [0, 'tcp1 10.0.0.1@o2ib'],
      [21, 'tcp2 10.0.0.2@o2ib'],
    ],
  );
});

// Source: lnet/lnet/config.c lnet_parse_route (lnet_islocalnid); lnet/lnet/router.c lnet_add_route.
t.test('loading routes on a node (lnet_parse_route + lnet_add_route)', async (t) => {
  const local = [parseNid('10.0.0.1@o2ib'), parseNid('192.168.1.1@tcp')];
  const routes = parseRouteList(
    'tcp1 10.0.0.2@o2ib 10.0.0.2@o2ib; tcp 10.0.0.3@o2ib; tcp2 10.1.0.1@o2ib1; tcp3 10.0.0.1@o2ib 10.0.0.4@o2ib',
  );
  const plan = planRoutes(routes, local);
  t.same(show(plan.routes), ['tcp1 10.0.0.2@o2ib -1 0', 'tcp3 10.0.0.4@o2ib -1 0']);
  t.same(
    plan.skipped.map((s) => [formatNet(s.route.net), formatNid(s.route.gateway), s.reason]),
    [
      ['tcp1', '10.0.0.2@o2ib', 'duplicate'],
      ['tcp', '10.0.0.3@o2ib', 'local-net'],
      ['tcp2', '10.1.0.1@o2ib1', 'gateway-unreachable'],
      ['tcp3', '10.0.0.1@o2ib', 'local-gateway'],
    ],
  );
  t.equal(plan.imARouter, true);
  t.equal(planRoutes(parseRouteList('tcp1 10.0.0.2@o2ib'), local).imARouter, false);
  // A gateway on the destination net is refused outright (lnet_add_route -EINVAL).
  expectLNetError(t, () => planRoutes(parseRouteList('o2ib 10.0.0.9@o2ib'), local), 'EINVAL', 'gateway on the target net');
  expectLNetError(t, () => planRoutes(parseRouteList('tcp1 <?>'), local), 'EINVAL', 'ANY gateway');
  // ...unless it is local: then it only marks the node a router.
  t.equal(planRoutes(parseRouteList('o2ib 10.0.0.1@o2ib'), local).imARouter, true);
  expectLNetError(t, () => routesOf(parseRoutes('tcp[1-9] 10.0.0.[1-9]@o2ib'), { limit: 80 }), 'E2BIG', 'route list limit');
});

// Source: lnet/lnet/config.c lnet_parse_routes.
t.test('fuzz: random and mutated routes strings', async (t) => {
  const rng = new Prng(0x726f7574);
  const alphabet = 'tcpo2ib0123456789.@[]-,/: ;#\nlx<?>';
  const seeds = [
    'tcp1 10.0.0.[1-2]@o2ib; tcp2 2 10.0.0.3@o2ib:1',
    'o2ib0 192.0.2.[11-13]@tcp0',
    'tcp[1-3] 5 10.[0-1].0.[1-9/4]@o2ib:[1,2]',
    'tcp0 2 10.0.0.1@o2ib0:7',
  ];
  const local = [parseNid('192.0.2.12@tcp'), parseNid('10.0.0.1@o2ib')];
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    const input = i % 2 === 0 ? rng.string(alphabet, 50) : rng.mutate(rng.pick(seeds), alphabet);
    const r = total(() => planRoutes(parseRouteList(input), local));
    if (!checkTotal(t, r, input)) break;
    if (r.ok) parsed++;
  }
  // Bracket bombs stay bounded by the text-buffer budget.
  for (const bomb of ['tcp[0-2147483647] 1.1.1.1@o2ib', 'tcp1 [0-9][0-9][0-9][0-9][0-9][0-9].1.1.1@o2ib', `tcp1 ${'[1,2]'.repeat(40)}@o2ib`]) {
    const r = total(() => parseRoutes(bomb));
    checkTotal(t, r, bomb);
    t.notOk(r.ok, `bounded: ${bomb}`);
  }
  t.ok(parsed > 50, `a fair share parsed (${parsed})`);
});
