// Malformed and hostile ping replies and pushes at the discovery level (peer.c
// lnet_discovery_event_reply / lnet_peer_push_event, lnet_ping_info_validate): each is refused,
// counted (Discovery.rejected and the `errors` statistic), logged once per sender and reason,
// and leaves the peer table as it was. The node keeps working with the same peer afterwards.
import t from 'tap';
import { InsPos, LNET_ANY_NID, LNET_MD_THRESH_INF, LNET_PID_ANY, LNet, MdOption, Unlink, formatNid, parseNid } from '../../src/index.js';
import { buildPingInfo, NiStatus, PingFeature, pingInfoToBuffer } from '../../src/wire/ping-buffer.js';
import { flush } from './settle.js';
import { twoRailNodes } from '../helpers/mem-nodes.js';

const PING_BITS = 0x8000000000000000n;

function good(over: Partial<{ features: number; nids: string[]; seqno: number }> = {}): Buffer {
  return pingInfoToBuffer(
    buildPingInfo({
      features: over.features ?? PingFeature.NI_STATUS | PingFeature.MULTI_RAIL | PingFeature.DISCOVERY | PingFeature.RTE_DISABLED,
      pid: 12345,
      seqno: over.seqno ?? 7,
      nis: (over.nids ?? ['10.0.0.2@tcp', '10.1.0.2@tcp1']).map((n) => ({ nid: parseNid(n), status: NiStatus.UP })),
    }),
  );
}

/** The hostile buffers, each with the reason it must be refused for. */
function hostile(): Array<[string, Buffer, string]> {
  const badMagic = good();
  badMagic.writeUInt32LE(0x12345678, 0);
  const hugeNnis = good();
  hugeNnis.writeUInt32LE(0xffff, 12);
  const zeroNnis = good();
  zeroNnis.writeUInt32LE(0, 12);
  const shortOfItself = good().subarray(0, 16 + 16 * 2); // says 3 entries, carries 2
  const noStatus = good({ features: PingFeature.MULTI_RAIL | PingFeature.DISCOVERY });
  const noLo = good();
  noLo.fill(0x11, 16, 24); // entry 0 is not 0@lo
  const dup = good({ nids: ['10.0.0.2@tcp', '10.1.0.2@tcp1', '10.0.0.2@tcp'] });
  const onlyLo = good({ nids: [] });
  const loTwice = good();
  loTwice.copy(loTwice, 32, 16, 24); // entry 1 becomes 0@lo
  const tiny = Buffer.from([0x67, 0x6e, 0x69]);
  return [
    ['wrong magic', badMagic, 'bad-magic'],
    ['nnis 0xffff (above lnet_interfaces_max)', hugeNnis, 'bad-nnis'],
    ['nnis 0', zeroNnis, 'bad-nnis'],
    ['shorter than it says (3 entries, 2 sent)', shortOfItself, 'truncated'],
    ['no NI_STATUS feature', noStatus, 'no-ni-status'],
    ['entry 0 is not 0@lo', noLo, 'no-loopback'],
    ['a NID listed twice', dup, 'duplicate-nid'],
    ['no NID but 0@lo', onlyLo, 'no-nids'],
    ['0@lo again as an interface', loTwice, 'lo-nid'],
    ['3 bytes', tiny, 'truncated'],
  ];
}

/** Make B answer pings with `data` (an ME ahead of its ping target); returns the undo. */
function serveHostilePing(b: LNet, data: Buffer): () => void {
  const me = b.meAttach(0, { nid: LNET_ANY_NID, pid: LNET_PID_ANY }, PING_BITS, 0n, Unlink.UNLINK, InsPos.BEFORE);
  const md = b.mdAttach(me, { start: data, threshold: LNET_MD_THRESH_INF, options: MdOption.OP_GET | MdOption.TRUNCATE | MdOption.MANAGE_REMOTE });
  return () => {
    if (b.core.isMdLive(md)) b.mdUnlink(md);
  };
}

async function pair(): Promise<{ a: LNet; b: LNet; logs: string[]; close: () => Promise<void> }> {
  const logs: string[] = [];
  const nodes = await twoRailNodes({
    logA: (level, m, fields) => {
      if (level === 'warn' && m.includes('malformed')) logs.push(`${String(fields?.reason)}: ${m}`);
    },
  });
  return { ...nodes, logs };
}

t.test('hostile ping replies: discovery fails with EPROTO, refused and counted, logged once, no NID learnt', async (t) => {
  const { a, b, logs, close } = await pair();
  t.teardown(close);
  for (const [what, data, reason] of hostile()) {
    const undo = serveHostilePing(b, data);
    const before = { errors: a.counters.errors, rejected: a.discovery.rejected[reason as keyof typeof a.discovery.rejected] ?? 0, logs: logs.length };
    await t.rejects(a.discover('10.0.0.2@tcp'), { code: 'EPROTO' }, `${what}: EPROTO`);
    await t.rejects(a.discover('10.0.0.2@tcp'), { code: 'EPROTO' }, `${what}: again EPROTO (no retry storm)`);
    t.equal((a.discovery.rejected[reason as keyof typeof a.discovery.rejected] ?? 0) - before.rejected, 2, `${what}: counted as ${reason}, twice`);
    t.equal(a.counters.errors - before.errors, 2, `${what}: in the errors statistic`);
    const seenBefore = logs.slice(0, before.logs).some((l) => l.startsWith(`${reason}:`));
    t.equal(logs.length - before.logs, seenBefore ? 0 : 1, `${what}: logged once${seenBefore ? ' (this reason was logged already)' : ''}`);
    const peer = a.discovery.peer(a.parseTarget('10.0.0.2@tcp').nid)!;
    t.same(peer.nids.map(formatNid), ['10.0.0.2@tcp'], `${what}: the peer still has only the NID pinged`);
    t.notOk(peer.multiRail, `${what}: not made Multi-Rail`);
    t.equal(a.discovery.list().length, 1, `${what}: no other peer appeared`);
    t.equal(a.core.peerTab.lpni(a.parseTarget('10.1.0.2@tcp1').nid), undefined, `${what}: no peer NI for a NID of the bad buffer`);
    undo();
  }
  // The real buffer now: discovery works, the table is whole.
  const r = await a.discover('10.0.0.2@tcp');
  t.same(r.peerNis.map((p) => formatNid(p.nid)), ['10.0.0.2@tcp', '10.1.0.2@tcp1'], 'a good reply afterwards is merged');
  await flush(40);
  t.same(a.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 }, 'nothing leaked');
});

t.test('hostile pushes: refused, counted, logged once; the pusher is pinged instead and the table stays right', async (t) => {
  const { a, b, logs, close } = await pair();
  t.teardown(close);
  await a.discover('10.0.0.2@tcp');
  await flush();
  const peer = a.discovery.peer(a.parseTarget('10.0.0.2@tcp').nid)!;
  const cases = hostile();
  cases.push(['a push from a peer without the MULTI_RAIL feature', good({ features: PingFeature.NI_STATUS | PingFeature.DISCOVERY }), 'not-multi-rail']);
  for (const [what, data, reason] of cases) {
    const before = a.discovery.rejected[reason as keyof typeof a.discovery.rejected] ?? 0;
    for (let i = 0; i < 3; i++) await b.putAsync({ target: '12345-10.0.0.1@tcp', portal: 0, matchBits: PING_BITS, data });
    await flush(40);
    t.equal((a.discovery.rejected[reason as keyof typeof a.discovery.rejected] ?? 0) - before, 3, `${what}: three refused as ${reason}`);
    t.same(peer.nids.map(formatNid), ['10.0.0.2@tcp', '10.1.0.2@tcp1'], `${what}: B's NIDs unchanged`);
    t.equal(a.discovery.list().length, 1, `${what}: one peer`);
    t.notOk(peer.removed, `${what}: the peer is still in the table`);
  }
  const distinct = new Set(logs).size;
  t.equal(logs.length, distinct, 'each (sender, reason) logged once');
  t.ok(logs.length <= cases.length, `at most one line per reason (${logs.length})`);
  // Traffic still flows both ways.
  const inbox = b.listen({ portal: 40 });
  await a.putAsync({ target: '12345-10.0.0.2@tcp', portal: 40, matchBits: 0, data: Buffer.from('ok') });
  t.equal(Buffer.from((await inbox.next(2000)).data).toString(), 'ok');
  inbox.close();
});

t.test('a reply that did not fit our sink is no fault: discovery pings again with room for it', async (t) => {
  const { a, b, close } = await pair();
  t.teardown(close);
  const many = Array.from({ length: 30 }, (_, i) => `10.0.${i < 15 ? 0 : 1}.${i + 2}@tcp${i < 15 ? '' : '1'}`);
  many[0] = '10.0.0.2@tcp';
  const undo = serveHostilePing(b, good({ nids: many }));
  const sent0 = a.nis.reduce((n, x) => n + x.stats.send.get, 0);
  await a.discover('10.0.0.2@tcp');
  t.equal(a.nis.reduce((n, x) => n + x.stats.send.get, 0) - sent0, 2, 'two pings: 272 bytes, then room for the 512-byte buffer');
  t.equal(a.discovery.peer(a.parseTarget('10.0.0.2@tcp').nid)!.dataBytes, 16 + 31 * 16, 'lp_data_bytes grew to the buffer size');
  t.same(a.discovery.rejected, {}, 'nothing refused');
  undo();
});
