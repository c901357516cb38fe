/**
 * Multi-rail between two processes over real sockets: each node has two NIs on two tcp nets
 * (127.0.0.x loopback addresses). Discovery tells each about the other's NIDs (ping, push,
 * push-back), then PUTs to one NID spread over both rails, every one ACKed and received once.
 * Needs root (privileged source ports for accept=secure) and dist/.
 */
import t from 'tap';
import { haveDist, isRoot, randomPort } from '../helpers/node-process.js';
import { MrNode, waitFor } from '../helpers/mr-node.js';

const skip = !haveDist() ? 'dist/ is not built' : !isRoot() ? 'needs root (privileged ports)' : false;

t.test('two processes, two rails each: discovery, then PUTs spread over both, none lost', { skip, timeout: 120_000 }, async (t) => {
  const port = randomPort();
  const a = await MrNode.spawn({ nids: ['127.0.0.42@tcp', '127.0.0.52@tcp1'], port });
  t.teardown(() => a.close());
  const b = await MrNode.spawn({ nids: ['127.0.0.43@tcp', '127.0.0.53@tcp1'], port });
  t.teardown(() => b.close());

  const d = await a.ok<{ primary: string; multiRail: boolean; peerNis: string[] }>('discover', { target: '127.0.0.43@tcp' });
  t.match(d, { primary: '127.0.0.43@tcp', multiRail: true, peerNis: ['12345-127.0.0.43@tcp', '12345-127.0.0.53@tcp1'] }, 'A learnt both of B’s NIDs');
  // B's push-back may still be on its way: wait (bounded) for B to finish with A.
  const peerA = async () => (await b.health()).peers.find((p) => p.primary === '127.0.0.42@tcp');
  const pa = await waitFor(async () => {
    const p = await peerA();
    return p?.state === 273 ? p : undefined;
  }, 10_000) ?? (await peerA());
  t.ok(pa, 'B has a peer for A (from its push)');
  t.equal(pa?.state, 273, "B's peer for A: MULTI_RAIL | DISCOVERED | NIDS_UPTODATE");
  t.same(pa?.nis.map((n) => n.nid), ['127.0.0.42@tcp', '127.0.0.52@tcp1']);

  const { listener } = await b.ok<{ listener: number }>('listen', { portal: 30 });
  const N = 40;
  for (let i = 0; i < N; i++) await a.ok('put', { target: '12345-127.0.0.43@tcp', portal: 30, seq: i, timeoutMs: 20_000 });
  const got: Array<{ seq: number; source: string; ni: string }> = [];
  for (let tries = 0; got.length < N && tries < 40; tries++) {
    got.push(...(await b.ok<{ got: typeof got }>('drain', { listener })).got);
    if (got.length < N) await new Promise((r) => setTimeout(r, 100));
  }
  t.same(got.map((g) => g.seq), Array.from({ length: N }, (_, i) => i), 'every PUT arrived once, in order');
  const paths = new Map<string, number>();
  for (const g of got) paths.set(`${g.source}>${g.ni}`, (paths.get(`${g.source}>${g.ni}`) ?? 0) + 1);
  t.same(Object.fromEntries(paths), { '127.0.0.42@tcp>127.0.0.43@tcp': N / 2, '127.0.0.52@tcp1>127.0.0.53@tcp1': N / 2 }, 'half on each rail');
  const ha = await a.health();
  t.same(ha.nis.map((n) => [n.nid, n.status, n.health]), [['127.0.0.42@tcp', 'up', 1000], ['127.0.0.52@tcp1', 'up', 1000]], 'both NIs up and healthy');
});
