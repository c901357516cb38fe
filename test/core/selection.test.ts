// Multi-rail selection, case by case (core.md §5 "Selection order"; lib-move.c lnet_get_best_ni,
// lnet_select_peer_ni, lnet_find_best_ni_on_local_net, lnet_select_pathway's send cases; udsp.c).
// Each case sets up one difference and checks the kernel's choice; the last ones send for real.
import t, { type Test } from 'tap';
import { LNet, MemoryFabric, formatNid } from '../../src/index.js';
import type { NetworkInterface } from '../../src/core/ni.js';
import type { PeerNi } from '../../src/core/peer-ni.js';
import type { Peer } from '../../src/core/peer.js';
import { quiet } from './settle.js';
import { putPaths } from '../helpers/put-paths.js';

/** A: tcp 10.0.0.1, 10.0.0.11; tcp1 10.1.0.1. Its configured MR peer P: tcp .2 .12, tcp1 .2. */
async function setup(): Promise<{ a: LNet; sel: LNet['core']['selection']; ni: (n: string) => NetworkInterface; lp: (n: string) => PeerNi; peer: Peer }> {
  const fabric = new MemoryFabric();
  const a = await LNet.start({
    nets: [
      { net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.0.0.1@tcp' }, { nid: '10.0.0.11@tcp' }] },
      { net: 'tcp1', lnd: fabric.lnd(), nis: [{ nid: '10.1.0.1@tcp1' }] },
    ],
  });
  const peer = a.discovery.add({ primNid: '10.0.0.2@tcp', nids: ['10.0.0.12@tcp', '10.1.0.2@tcp1'] });
  return {
    a,
    sel: a.core.selection,
    ni: (n) => a.nis.find((x) => formatNid(x.nid) === n)!,
    lp: (n) => a.core.peerTab.lpni(a.parseTarget(n).nid)!,
    peer,
  };
}

const name = (x: { nid: Parameters<typeof formatNid>[0] } | undefined): string => (x ? formatNid(x.nid) : 'none');

t.test('local NI (lnet_get_best_ni): link up, health, UDSP priority, credits, round robin', async (t) => {
  const cases: Array<[string, (s: Awaited<ReturnType<typeof setup>>) => void, string]> = [
    ['all equal: the first NI (lower seq)', () => {}, '10.0.0.1@tcp'],
    ['a failed link loses even with better health', (s) => {
      s.ni('10.0.0.1@tcp').fatalError = true;
      s.ni('10.0.0.11@tcp').healthValue = 100;
    }, '10.0.0.11@tcp'],
    ['higher health wins over priority and credits', (s) => {
      s.ni('10.0.0.1@tcp').healthValue = 900;
      s.ni('10.0.0.1@tcp').selPriority = 0;
      s.ni('10.0.0.11@tcp').txQueues[0]!.credits = 1;
    }, '10.0.0.11@tcp'],
    ['equal health: the lower UDSP priority wins over credits', (s) => {
      s.ni('10.0.0.11@tcp').selPriority = 1;
      s.ni('10.0.0.11@tcp').txQueues[0]!.credits = 1;
    }, '10.0.0.11@tcp'],
    ['equal health and priority: more tx credits', (s) => {
      s.ni('10.0.0.1@tcp').txQueues[0]!.credits = 10;
    }, '10.0.0.11@tcp'],
    ['all equal but the sequence: the lower seq (round robin)', (s) => {
      s.ni('10.0.0.1@tcp').seq = 5;
      s.ni('10.0.0.11@tcp').seq = 4;
    }, '10.0.0.11@tcp'],
  ];
  for (const [what, arrange, want] of cases) {
    const s = await setup();
    arrange(s);
    t.equal(name(s.sel.bestNi(s.peer.net(s.ni('10.0.0.1@tcp').net)!, undefined)), want, what);
    await s.a.shutdown();
  }
});

t.test('peer NI (lnet_select_peer_ni): health, UDSP priority, preferred by the NI, credits, round robin', async (t) => {
  const cases: Array<[string, (s: Awaited<ReturnType<typeof setup>>) => void, string]> = [
    ['all equal: the first (the primary NID)', () => {}, '10.0.0.2@tcp'],
    ['higher health wins over priority and preference', (s) => {
      s.lp('10.0.0.2@tcp').healthValue = 900;
      s.lp('10.0.0.2@tcp').selPriority = 0;
      s.lp('10.0.0.2@tcp').prefNids = [s.ni('10.0.0.11@tcp').nid];
    }, '10.0.0.12@tcp'],
    ['equal health: the lower priority wins over preference', (s) => {
      s.lp('10.0.0.12@tcp').selPriority = 0;
      s.lp('10.0.0.2@tcp').prefNids = [s.ni('10.0.0.11@tcp').nid];
    }, '10.0.0.12@tcp'],
    ['equal health and priority: the one preferring the sending NI wins over credits', (s) => {
      s.lp('10.0.0.12@tcp').prefNids = [s.ni('10.0.0.11@tcp').nid];
      s.lp('10.0.0.12@tcp').txCredits = 1;
    }, '10.0.0.12@tcp'],
    ['a preference for another NI does not count', (s) => {
      s.lp('10.0.0.12@tcp').prefNids = [s.ni('10.0.0.1@tcp').nid];
      s.lp('10.0.0.12@tcp').seq = 3;
    }, '10.0.0.2@tcp'],
    ['then more tx credits', (s) => {
      s.lp('10.0.0.2@tcp').txCredits = 2;
    }, '10.0.0.12@tcp'],
    ['then the lower seq (round robin)', (s) => {
      s.lp('10.0.0.2@tcp').seq = 2;
      s.lp('10.0.0.12@tcp').seq = 1;
    }, '10.0.0.12@tcp'],
  ];
  for (const [what, arrange, want] of cases) {
    const s = await setup();
    arrange(s);
    const lpn = s.lp('10.0.0.2@tcp').peerNet;
    t.equal(name(s.sel.selectPeerNi(s.ni('10.0.0.11@tcp'), lpn, undefined)), want, what);
    await s.a.shutdown();
  }
});

t.test('net (lnet_find_best_ni_on_local_net): peer net health, its priority, our net health, its priority, round robin', async (t) => {
  const cases: Array<[string, (s: Awaited<ReturnType<typeof setup>>) => void, string]> = [
    ['all equal: the primary NID’s net, its first NI', () => {}, '10.0.0.1@tcp'],
    ['the peer net with the healthiest peer NI wins over every priority', (s) => {
      s.lp('10.0.0.2@tcp').healthValue = 900;
      s.lp('10.0.0.12@tcp').healthValue = 950;
      s.peer.net(s.ni('10.0.0.1@tcp').net)!.selPriority = 0;
      s.sel.localNet(s.ni('10.0.0.1@tcp').net).selPriority = 0;
    }, '10.1.0.1@tcp1'],
    ['one healthy peer NI is enough for its net', (s) => {
      s.lp('10.0.0.2@tcp').healthValue = 900;
      s.sel.localNet(s.ni('10.1.0.1@tcp1').net).seq = 0;
      s.peer.net(s.ni('10.0.0.1@tcp').net)!.seq = 1;
      s.sel.localNet(s.ni('10.0.0.1@tcp').net).selPriority = 5;
      s.sel.localNet(s.ni('10.1.0.1@tcp1').net).selPriority = 9;
    }, '10.0.0.1@tcp'],
    ['equal peer net health: the lower peer net priority', (s) => {
      s.peer.net(s.ni('10.1.0.1@tcp1').net)!.selPriority = 0;
    }, '10.1.0.1@tcp1'],
    ['then our net with the healthiest NI (a failed link does not count)', (s) => {
      s.ni('10.0.0.1@tcp').healthValue = 500;
      s.ni('10.0.0.11@tcp').fatalError = true;
    }, '10.1.0.1@tcp1'],
    ['then our net’s UDSP priority', (s) => {
      s.sel.localNet(s.ni('10.1.0.1@tcp1').net).selPriority = 2;
    }, '10.1.0.1@tcp1'],
    ['then the peer net used least recently', (s) => {
      s.peer.net(s.ni('10.0.0.1@tcp').net)!.seq = 7;
      s.peer.net(s.ni('10.1.0.1@tcp1').net)!.seq = 6;
    }, '10.1.0.1@tcp1'],
    ['then our net used least recently', (s) => {
      s.sel.localNet(s.ni('10.0.0.1@tcp').net).seq = 3;
      s.sel.localNet(s.ni('10.1.0.1@tcp1').net).seq = 2;
    }, '10.1.0.1@tcp1'],
  ];
  for (const [what, arrange, want] of cases) {
    const s = await setup();
    arrange(s);
    t.equal(name(s.sel.bestNiOnLocalNet(s.peer)), want, what);
    await s.a.shutdown();
  }
});

t.test('round robin over a peer: chosen() bumps the sequences so equal paths take turns', async (t) => {
  const s = await setup();
  t.teardown(() => s.a.shutdown());
  const seen: string[] = [];
  for (let i = 0; i < 6; i++) {
    const ni = s.sel.bestNiOnLocalNet(s.peer)!;
    const lpni = s.sel.selectPeerNi(ni, s.peer.net(ni.net)!, undefined)!;
    s.sel.chosen(ni, lpni);
    seen.push(`${name(ni)}>${name(lpni)}`);
  }
  t.same(seen, [
    '10.0.0.1@tcp>10.0.0.2@tcp',
    '10.1.0.1@tcp1>10.1.0.2@tcp1',
    '10.0.0.11@tcp>10.0.0.12@tcp',
    '10.1.0.1@tcp1>10.1.0.2@tcp1',
    '10.0.0.1@tcp>10.0.0.2@tcp',
    '10.1.0.1@tcp1>10.1.0.2@tcp1',
  ], 'nets alternate; within tcp the NIs and peer NIs alternate');
});

t.test('non-MR peer: the NI it was first reached from stays preferred on that net', async (t) => {
  const s = await setup();
  t.teardown(() => s.a.shutdown());
  s.a.discovery.add({ primNid: '10.0.0.3@tcp', nonMr: true });
  const lpni = s.lp('10.0.0.3@tcp');
  lpni.prefNids = [s.ni('10.0.0.11@tcp').nid];
  s.ni('10.0.0.11@tcp').healthValue = 100;
  const fake = { type: 1, hdr: { ptlIndex: 30 }, target: { pid: 12345 } } as unknown as Parameters<typeof s.sel.preferredBestNi>[1];
  t.equal(name(s.sel.preferredBestNi(lpni, fake)), '10.0.0.11@tcp', 'the preferred NI, whatever its health');
  const ping = { type: 2, hdr: { ptlIndex: 0 }, target: { pid: 12345 } } as unknown as Parameters<typeof s.sel.preferredBestNi>[1];
  t.equal(name(s.sel.preferredBestNi(lpni, ping)), '10.0.0.1@tcp', 'not for a ping on the reserved portal: the best NI');
});

/** A and B with three NIDs each (tcp ×2, tcp1), B discovered by A. */
async function pair(t: Test): Promise<{ a: LNet; b: LNet }> {
  const fabric = new MemoryFabric();
  const start = (i: number) =>
    LNet.start({
      nets: [
        { net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: `10.0.0.${i}@tcp` }, { nid: `10.0.0.${i + 10}@tcp` }] },
        { net: 'tcp1', lnd: fabric.lnd(), nis: [{ nid: `10.1.0.${i}@tcp1` }] },
      ],
    });
  const a = await start(1);
  const b = await start(2);
  t.teardown(async () => void (await Promise.all([a.shutdown(), b.shutdown()])));
  await a.discover('10.0.0.2@tcp');
  await quiet([a, b]);
  return { a, b };
}

/** Send n PUTs to B's primary NID; the (our NI > B's NID) pairs they took, counted. */
const paths = (a: LNet, b: LNet, n: number, portal: number, opts: { source?: string } = {}): Promise<Record<string, number>> =>
  putPaths(a, b, '12345-10.0.0.2@tcp', n, portal, opts);

t.test('sending: no rules spreads over every path', async (t) => {
  const { a, b } = await pair(t);
  t.same(await paths(a, b, 8, 40), { '10.0.0.1@tcp>10.0.0.2@tcp': 2, '10.0.0.11@tcp>10.0.0.12@tcp': 2, '10.1.0.1@tcp1>10.1.0.2@tcp1': 4 });
});

t.test('sending: UDSP --src tcp1 --priority 0 puts everything on tcp1', async (t) => {
  const { a, b } = await pair(t);
  a.core.udsp.add({ src: 'tcp1', priority: 0 });
  t.same(await paths(a, b, 6, 41), { '10.1.0.1@tcp1>10.1.0.2@tcp1': 6 });
});

t.test('sending: UDSP --dst 10.0.0.12@tcp --priority 0 (with --src tcp) puts everything on that peer NI', async (t) => {
  const { a, b } = await pair(t);
  a.core.udsp.add({ src: 'tcp', priority: 0 });
  a.core.udsp.add({ dst: '10.0.0.12@tcp', priority: 0 });
  t.same(await paths(a, b, 6, 42), { '10.0.0.1@tcp>10.0.0.12@tcp': 3, '10.0.0.11@tcp>10.0.0.12@tcp': 3 });
});

t.test('sending: UDSP NID pair --src 10.0.0.11@tcp --dst 10.0.0.12@tcp: that NI always goes to that peer NI', async (t) => {
  const { a, b } = await pair(t);
  a.core.udsp.add({ src: 'tcp', priority: 0 });
  a.core.udsp.add({ src: '10.0.0.11@tcp', dst: '10.0.0.12@tcp' });
  const got = await paths(a, b, 8, 43);
  t.equal(got['10.0.0.11@tcp>10.0.0.2@tcp'], undefined, 'never 10.0.0.11 → 10.0.0.2');
  t.equal(got['10.0.0.11@tcp>10.0.0.12@tcp'], 4, '10.0.0.11 → 10.0.0.12 each time it sends');
});

t.test('sending: a source NID given (SRC_SPEC, MR peer) uses that NI and the NID given', async (t) => {
  const { a, b } = await pair(t);
  t.same(await paths(a, b, 4, 44, { source: '10.0.0.11@tcp' }), { '10.0.0.11@tcp>10.0.0.2@tcp': 4 });
});

t.test('sending: a peer NI unhealthier than the rest is not used while another is fine', async (t) => {
  const { a, b } = await pair(t);
  a.core.peerTab.lpni(a.parseTarget('10.1.0.2@tcp1').nid)!.healthValue = 800;
  a.core.peerTab.lpni(a.parseTarget('10.0.0.12@tcp').nid)!.healthValue = 900;
  t.same(await paths(a, b, 6, 45), { '10.0.0.1@tcp>10.0.0.2@tcp': 3, '10.0.0.11@tcp>10.0.0.2@tcp': 3 });
});
