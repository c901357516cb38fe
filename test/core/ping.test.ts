// LNet.ping as lnetctl ping does it (api-ni.c lnet_ping; config.md §5.8; wire.md (f)).
import t from 'tap';
import { LNet, formatNid, formatProcessId } from '../../src/index.js';
import { SockLnd } from '../../lnd/socklnd/index.js';
import { memNodes } from '../helpers/mem-nodes.js';

t.test('ping returns the peer NIs without 0@lo, the primary NID, Multi-Rail false before discovery', async (t) => {
  const { nodes: [a], close } = await memNodes(2);
  t.teardown(close);
  const r = await a!.ping('10.0.0.2@tcp');
  t.equal(formatNid(r.primaryNid), '10.0.0.2@tcp');
  t.equal(r.multiRail, false, 'as the kernel prints on a first ping (02-ping-discover-A-ping.yaml)');
  t.same(r.peerNis.map(formatProcessId), ['12345-10.0.0.2@tcp']);
  t.equal(r.features, 0x1e);
  t.ok(r.seqno > 0);
});

t.test('ping errors: EHOSTUNREACH for an unknown peer, ETIMEDOUT when the reply is late', async (t) => {
  const { nodes: [a], close } = await memNodes(2, { latencyMs: 300 });
  t.teardown(close);
  await t.rejects(a!.ping('10.0.0.77@tcp'), { code: 'EHOSTUNREACH' });
  await t.rejects(a!.ping('10.0.0.2@tcp', { timeoutMs: 50 }), { code: 'ETIMEDOUT' });
  t.same(a!.core.resourceCounts(), { mds: 0, mes: 0, active: a!.core.resourceCounts().active, trackers: 0 }, 'the timed-out ping released its MD');
});

t.test('ping over TCP sends the 3960-byte sink lnetctl uses and decodes a multi-NI peer', async (t) => {
  const port = 30000 + (process.pid % 500) * 2;
  const lnd = new SockLnd({ acceptPort: port, accept: 'all' });
  const b = await LNet.start({
    nets: [
      { net: 'tcp', lnd, nis: [{ nid: '127.0.0.3@tcp' }] },
      { net: 'tcp1', lnd, nis: [{ nid: '127.0.0.4@tcp1' }] },
    ],
  });
  t.teardown(() => b.shutdown());
  const a = await LNet.start({ nets: [{ net: 'tcp', lnd: new SockLnd({ acceptPort: port, accept: 'all' }), nis: [{ nid: '127.0.0.2@tcp' }] }] });
  t.teardown(() => a.shutdown());
  const r = await a.ping('127.0.0.3@tcp', { timeoutMs: 5000 });
  t.same(r.peerNis.map((p) => formatNid(p.nid)), ['127.0.0.3@tcp', '127.0.0.4@tcp1']);
});
