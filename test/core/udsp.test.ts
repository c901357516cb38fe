// UDSP rules (lnet/lnet/udsp.c, lnet/utils/lnetconfig/liblnetconfig_udsp.c; core.md §11): the
// rule list as `lnetctl udsp add/del/show` sees it, and what the rules set on NIs and peers.
import t from 'tap';
import { LNet, MemoryFabric, formatNid } from '../../src/index.js';

async function node(): Promise<LNet> {
  const fabric = new MemoryFabric();
  return LNet.start({
    nets: [
      { net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.0.0.1@tcp' }, { nid: '10.0.0.11@tcp' }] },
      { net: 'tcp1', lnd: fabric.lnd(), nis: [{ nid: '10.1.0.1@tcp1' }] },
    ],
  });
}

const niOf = (n: LNet, nid: string) => n.nis.find((x) => formatNid(x.nid) === nid)!;
const lpniOf = (n: LNet, nid: string) => n.core.peerTab.lpni(n.parseTarget(nid).nid)!;

t.test('add/show: the list as udsp show prints it (05-cli-behaviours.txt: --src tcp --priority 0)', async (t) => {
  const a = await node();
  t.teardown(() => a.shutdown());
  const u = a.core.udsp;
  t.same(u.list(), [], 'no rules: udsp show prints nothing');
  u.add({ src: 'tcp', priority: 0 });
  t.same(u.list(), [{ idx: 0, src: 'tcp', action: { priority: 0 } }]);
  u.add({ dst: '10.0.0.[2-3]@tcp' });
  u.add({ src: '10.0.0.1@tcp', dst: 'tcp1' });
  u.add({ dst: 'tcp1', rte: '10.0.0.5@tcp' });
  t.same(u.list(), [
    { idx: 0, src: 'tcp', action: { priority: 0 } },
    { idx: 1, dst: '10.0.0.[2-3]@tcp', action: { priority: 0 } },
    { idx: 2, src: '10.0.0.1@tcp', dst: 'tcp1' },
    { idx: 3, dst: 'tcp1', rte: '10.0.0.5@tcp' },
  ], 'a lone src or dst defaults to priority 0; NID-pair and router rules have no action block');
  u.add({ dst: 'o2ib[1-3]', priority: 4, idx: 1 });
  t.same(u.list().map((r) => [r.idx, r.src ?? r.dst]), [[0, 'tcp'], [1, 'o2ib[1-3]'], [2, '10.0.0.[2-3]@tcp'], [3, '10.0.0.1@tcp'], [4, 'tcp1']], '--idx inserts before that rule');
  u.add({ dst: 'tcp9', priority: 1, idx: 99 });
  t.equal(u.get(5)?.dst, 'tcp9', 'an index past the end appends');
  t.equal(u.get(6), undefined);
});

t.test('add errors: combinations, descriptors, priorities; an existing rule is EALREADY unless its priority changes', async (t) => {
  const a = await node();
  t.teardown(() => a.shutdown());
  const u = a.core.udsp;
  t.throws(() => u.add({}), { code: 'EINVAL' }, 'nothing to match');
  t.throws(() => u.add({ src: 'tcp', dst: 'tcp', rte: 'tcp' }), { code: 'EINVAL', message: /combination of src, dst and rte/ });
  t.throws(() => u.add({ src: 'tcp', rte: '1.1.1.1@tcp' }), { code: 'EINVAL', message: /src and rte cannot be combined/ });
  t.throws(() => u.add({ src: 'nosuchnet' }), { code: 'EINVAL', message: /failed to parse src/ });
  t.throws(() => u.add({ dst: '1.2.3.400@tcp' }), { code: 'EINVAL', message: /failed to parse dst/ });
  t.throws(() => u.add({ src: 'tcp', priority: -1 }), { code: 'EINVAL', message: /Invalid priority/ });
  t.throws(() => u.add({ src: 'tcp', idx: -2 }), { code: 'EINVAL', message: /Invalid index/ });
  u.add({ src: 'tcp', priority: 3 });
  t.throws(() => u.add({ src: 'tcp', priority: 3 }), { code: 'EALREADY' });
  u.add({ src: 'tcp', priority: 7 });
  t.same(u.list(), [{ idx: 0, src: 'tcp', action: { priority: 7 } }], 'same rule, new priority: updated in place');
  u.add({ src: '10.0.0.1@tcp', dst: 'tcp1' });
  t.throws(() => u.add({ src: '10.0.0.1@tcp', dst: 'tcp1' }), { code: 'EALREADY' });
});

t.test('del: by index (the later ones move up), ENOENT for none, all', async (t) => {
  const a = await node();
  t.teardown(() => a.shutdown());
  const u = a.core.udsp;
  for (const n of ['tcp', 'tcp1', 'tcp2']) u.add({ src: n, priority: 1 });
  u.del(1);
  t.same(u.list().map((r) => `${r.idx}:${r.src}`), ['0:tcp', '1:tcp2']);
  t.throws(() => u.del(5), { code: 'ENOENT' });
  u.del('all');
  t.same(u.list(), []);
});

t.test('src rules: a net sets our net priority, NIDs set NI priorities; deleting reverts to −1', async (t) => {
  const a = await node();
  t.teardown(() => a.shutdown());
  const u = a.core.udsp;
  const ni0 = niOf(a, '10.0.0.1@tcp');
  const ni11 = niOf(a, '10.0.0.11@tcp');
  t.same(u.niInfo(ni0), { netPriority: -1, nidPriority: -1, prefNids: [], prefRtrNids: [] }, 'udsp info: both −1 without rules (02-ping-discover-A-net-show-v4.yaml)');
  u.add({ src: 'tcp', priority: 2 });
  u.add({ src: '10.0.0.11@tcp', priority: 1 });
  t.same([u.niInfo(ni0).netPriority, u.niInfo(ni11).netPriority, u.niInfo(niOf(a, '10.1.0.1@tcp1')).netPriority], [2, 2, -1], 'net priority on tcp only');
  t.same([u.niInfo(ni0).nidPriority, u.niInfo(ni11).nidPriority], [-1, 1], 'NID priority on 10.0.0.11@tcp only');
  u.del(0);
  t.equal(u.niInfo(ni0).netPriority, -1, 'deleting the net rule reverts the net');
  t.equal(u.niInfo(ni11).nidPriority, 1, 'the other rule stays');
});

t.test('the first matching rule wins (rules apply last to first)', async (t) => {
  const a = await node();
  t.teardown(() => a.shutdown());
  a.core.udsp.add({ src: '10.0.0.[1-20]@tcp', priority: 5 });
  a.core.udsp.add({ src: '10.0.0.1@tcp', priority: 9 });
  t.equal(a.core.udsp.niInfo(niOf(a, '10.0.0.1@tcp')).nidPriority, 5);
});

t.test('dst rules: peer net and peer NI priorities, also on peer NIs that appear later', async (t) => {
  const a = await node();
  t.teardown(() => a.shutdown());
  const u = a.core.udsp;
  a.discovery.add({ primNid: '10.0.0.2@tcp', nids: ['10.0.0.12@tcp', '10.1.0.2@tcp1'] });
  u.add({ dst: 'tcp1', priority: 0 });
  u.add({ dst: '10.0.0.12@tcp', priority: 3 });
  t.same(u.peerNiInfo(lpniOf(a, '10.1.0.2@tcp1')), { netPriority: 0, nidPriority: -1, prefNids: [], prefRtrNids: [] });
  t.same([u.peerNiInfo(lpniOf(a, '10.0.0.12@tcp')).nidPriority, u.peerNiInfo(lpniOf(a, '10.0.0.2@tcp')).nidPriority], [3, -1]);
  a.discovery.add({ primNid: '10.0.0.3@tcp', nids: ['10.0.0.12@tcp9', '10.1.0.3@tcp1'] });
  t.equal(u.peerNiInfo(lpniOf(a, '10.1.0.3@tcp1')).netPriority, 0, "a new peer's tcp1 net gets the rule");
  u.del('all');
  t.same([u.peerNiInfo(lpniOf(a, '10.1.0.2@tcp1')).netPriority, u.peerNiInfo(lpniOf(a, '10.0.0.12@tcp')).nidPriority], [-1, -1], 'reverted');
});

t.test('NID-pair rules: our matching NIs become the preferred NIs of the matching peer NIs', async (t) => {
  const a = await node();
  t.teardown(() => a.shutdown());
  const u = a.core.udsp;
  a.discovery.add({ primNid: '10.0.0.2@tcp', nids: ['10.0.0.12@tcp'] });
  u.add({ src: '10.0.0.11@tcp', dst: '10.0.0.12@tcp' });
  t.same(u.peerNiInfo(lpniOf(a, '10.0.0.12@tcp')).prefNids.map(formatNid), ['10.0.0.11@tcp']);
  t.same(u.peerNiInfo(lpniOf(a, '10.0.0.2@tcp')).prefNids, []);
  u.add({ src: 'tcp', dst: '10.0.0.2@tcp' });
  t.same(u.peerNiInfo(lpniOf(a, '10.0.0.2@tcp')).prefNids, [], 'a src net matches no NI (cfs_match_nid_net needs an address)');
  u.add({ src: '10.0.0.[1-11]@tcp', dst: 'tcp' });
  t.same(u.peerNiInfo(lpniOf(a, '10.0.0.2@tcp')).prefNids.map(formatNid), ['10.0.0.1@tcp', '10.0.0.11@tcp'], 'a dst net: every peer NI on it');
  t.same(u.peerNiInfo(lpniOf(a, '10.0.0.12@tcp')).prefNids.map(formatNid), ['10.0.0.11@tcp'], 'the earlier rule wins for 10.0.0.12');
  u.del(0);
  t.same(u.peerNiInfo(lpniOf(a, '10.0.0.12@tcp')).prefNids, [], 'deleting a pair rule clears the list');
});

t.test('router rules: preferred gateways come from the routes (none without routes)', async (t) => {
  const a = await node();
  t.teardown(() => a.shutdown());
  const u = a.core.udsp;
  a.discovery.add({ primNid: '10.9.0.2@tcp9' });
  u.add({ dst: 'tcp9', rte: '10.0.0.[5-6]@tcp' });
  t.same(u.peerNiInfo(lpniOf(a, '10.9.0.2@tcp9')).prefRtrNids, [], 'no routes, no gateways');
  u.gateways = () => [a.parseTarget('10.0.0.5@tcp').nid, a.parseTarget('10.0.0.7@tcp').nid];
  u.applyAll();
  t.same(u.peerNiInfo(lpniOf(a, '10.9.0.2@tcp9')).prefRtrNids.map(formatNid), ['10.0.0.5@tcp']);
});
