// The path cache (src/core/path-cache.ts): a PUT or GET to a peer with one path skips selection's
// comparisons, and whatever could give selection another answer ends the cache. Each case checks
// the path real PUTs took (as B saw them) and that the cache was used where it may be.
import t, { type Test } from 'tap';
import { AckReq, LNet, MemoryFabric, formatNid, type ProcessId } from '../../src/index.js';
import { PeerState } from '../../src/core/peer.js';
import { discovered, quiet } from './settle.js';
import { putPaths } from '../helpers/put-paths.js';

/** A (10.0.0.1@tcp) and B (10.0.0.2@tcp) on one fabric, each with one NI; B discovered by A. */
async function pair(t: Test, opts: { discover?: boolean } = {}): Promise<{ a: LNet; b: LNet; target: ProcessId }> {
  const fabric = new MemoryFabric();
  const a = await LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.0.0.1@tcp' }] }] });
  const b = await LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.0.0.2@tcp' }] }] });
  t.teardown(async () => void (await Promise.all([a.shutdown(), b.shutdown()])));
  if (opts.discover ?? true) await discovered(a, '10.0.0.2@tcp', [b]);
  return { a, b, target: a.parseTarget('12345-10.0.0.2@tcp') };
}

/** n PUTs to `target` (one parsed target, as low-level users keep theirs); the (A's NI > B's NID) pairs, counted. */
const paths = (a: LNet, b: LNet, target: ProcessId, n: number, portal: number): Promise<Record<string, number>> => putPaths(a, b, target, n, portal);

t.test('one path: every PUT after the first takes the cached path', async (t) => {
  const { a, b, target } = await pair(t);
  const before = a.core.pathCache.hits;
  t.same(await paths(a, b, target, 6, 40), { '10.0.0.1@tcp>10.0.0.2@tcp': 6 });
  t.ok(a.core.pathCache.hits - before >= 5, `cache hits: ${a.core.pathCache.hits - before} of 6`);
  // Another object naming the same NID (a target parsed again) finds the same path.
  const hits = a.core.pathCache.hits;
  t.same(await paths(a, b, a.parseTarget('12345-10.0.0.2@tcp'), 2, 40), { '10.0.0.1@tcp>10.0.0.2@tcp': 2 });
  t.equal(a.core.pathCache.hits - hits, 2, 'equal NIDs hit as well');
});

t.test('a second NI of ours on the net: PUTs spread over both again', async (t) => {
  const { a, b, target } = await pair(t);
  await paths(a, b, target, 2, 41);
  await a.addNet({ net: 'tcp', lnd: a.nis[1]!.lnd, nis: [{ nid: '10.0.0.11@tcp' }] });
  await quiet([a, b]);
  const hits = a.core.pathCache.hits;
  t.same(await paths(a, b, target, 4, 41), { '10.0.0.1@tcp>10.0.0.2@tcp': 2, '10.0.0.11@tcp>10.0.0.2@tcp': 2 });
  t.equal(a.core.pathCache.hits, hits, 'no cache hits while selection has a choice');
});

t.test('our NI goes: the cached path goes with it, PUTs leave from the NI left', async (t) => {
  const { a, b, target } = await pair(t);
  await paths(a, b, target, 2, 42);
  await a.addNet({ net: 'tcp', lnd: a.nis[1]!.lnd, nis: [{ nid: '10.0.0.11@tcp' }] });
  await a.delNi('10.0.0.1@tcp');
  await quiet([a, b]);
  t.same(await paths(a, b, target, 4, 42), { '10.0.0.11@tcp>10.0.0.2@tcp': 4 });
});

t.test('our only NI on the peer\'s net goes: no path (EHOSTUNREACH), not the cached one', async (t) => {
  const { a, b, target } = await pair(t);
  await a.addNet({ net: 'tcp1', lnd: a.nis[1]!.lnd, nis: [{ nid: '10.1.0.1@tcp1' }] });
  await paths(a, b, target, 2, 46);
  const hits = a.core.pathCache.hits;
  await paths(a, b, target, 1, 46);
  t.equal(a.core.pathCache.hits - hits, 1, 'the path was cached');
  await a.delNi('10.0.0.1@tcp');
  await t.rejects(a.putAsync({ target, portal: 46, matchBits: 0, data: Buffer.from([1]), ack: false, timeoutMs: 2000 }), { code: 'EHOSTUNREACH' });
});

t.test('the peer gains a NID on the net: PUTs spread over both of its NIs', async (t) => {
  const { a, b, target } = await pair(t);
  await paths(a, b, target, 2, 43);
  await b.addNet({ net: 'tcp', lnd: b.nis[1]!.lnd, nis: [{ nid: '10.0.0.12@tcp' }] });
  await a.discover('10.0.0.2@tcp', { force: true });
  await quiet([a, b]);
  t.same(await paths(a, b, target, 4, 43), { '10.0.0.1@tcp>10.0.0.2@tcp': 2, '10.0.0.1@tcp>10.0.0.12@tcp': 2 });
});

t.test('a non-MR peer takes the cached path too, and its preferred NI is checked per message', async (t) => {
  const { a, b, target } = await pair(t, { discover: false });
  a.discovery.add({ primNid: '10.0.0.2@tcp', nonMr: true });
  await a.addNet({ net: 'tcp1', lnd: a.nis[1]!.lnd, nis: [{ nid: '10.1.0.1@tcp1' }] });
  const before = a.core.pathCache.hits;
  t.same(await paths(a, b, target, 4, 44), { '10.0.0.1@tcp>10.0.0.2@tcp': 4 });
  t.ok(a.core.pathCache.hits - before >= 3, 'cache hits for the non-MR peer');
  // Its preferred NI now another one (as a UDSP NID-pair rule would make it): selection sends
  // from that NI, so the cached path must not be taken.
  const lpni = a.core.peerTab.lpni(target.nid)!;
  lpni.prefNids = [a.nis.find((ni) => formatNid(ni.nid) === '10.1.0.1@tcp1')!.nid];
  const hits = a.core.pathCache.hits;
  await paths(a, b, target, 2, 44).catch(() => ({}));
  t.equal(a.core.pathCache.hits, hits, 'no cache hits once the preference names another NI');
});

t.test('a cached path still waits for discovery when the peer needs it', async (t) => {
  const { a, b, target } = await pair(t);
  await paths(a, b, target, 2, 45);
  const peer = a.core.peerTab.lpni(target.nid)!.peerNet.peer;
  peer.state |= PeerState.FORCE_PING;
  const inbox = b.listen({ portal: 45 });
  const md = a.mdBind({ start: Buffer.from([7]), threshold: 1 });
  a.put(undefined, md, AckReq.NOACK, target, 45, 0n);
  t.ok(peer.state & PeerState.DISCOVERING, 'the PUT started discovery of the peer');
  t.equal(peer.pending.length, 1, 'and waits on it');
  const m = await inbox.next(2000);
  t.same([...m.data], [7], 'then went out once discovery was done');
  inbox.close();
});
