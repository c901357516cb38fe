// socklnd to the node's own NID (lnet/klnds/socklnd/socklnd.c ksocknal_create_conn): LNet sends
// to its own tcp NID through the NI and socklnd, which connects to its own address. Both ends of
// each such connection belong to the peer for ourselves: two CONTROL connections, and each
// BULK_IN's passive end is a BULK_OUT (sanity-lnet.sh test 230: 2 + 2 × conns_per_peer).
// Real sockets on 127.0.0.61.
import t, { type Test } from 'tap';
import { LNet } from '../../src/lnet.js';
import { SockLnd } from '../../lnd/socklnd/index.js';
import { ksockPeerBucket } from '../../lnd/socklnd/socklnd.js';
import { SocklndConnType } from '../../src/wire/ksock-hello.js';
import { formatNid, parseNid } from '../../src/nid/nid-string.js';
import { render } from '../../src/cli/yaml/index.js';
import { buildPeerShow } from '../../src/control/docs/index.js';

const ADDR = '127.0.0.61';
const NID = `${ADDR}@tcp`;
let port = 24000 + (process.pid % 1000) * 4;
// The kernel's ports: a passive end is named by the active end's reserved source port.
const root = typeof process.getuid === 'function' && process.getuid() === 0;

async function selfNode(t: Test, conns_per_peer?: number): Promise<{ lnet: LNet; lnd: SockLnd; acceptPort: number }> {
  const acceptPort = port++;
  const lnd = new SockLnd({ acceptPort, accept: 'all' });
  const lnet = await LNet.start({
    nets: [{ net: 'tcp', lnd, nis: [{ nid: NID, ...(conns_per_peer ? { lndTunables: { conns_per_peer } } : {}) }] }],
  });
  t.teardown(() => lnet.shutdown());
  return { lnet, lnd, acceptPort };
}

const letter = (type: SocklndConnType): string => ['A', 'C', 'I', 'O'][type] ?? '?';

/** Bounded wait for the listing to settle (the last connections' ends are set up in turns). */
async function settled(lnd: SockLnd, want: number): Promise<ReturnType<SockLnd['connections']>> {
  let conns = lnd.connections();
  for (let i = 0; i < 100 && conns.length !== want; i++) {
    await new Promise((r) => setTimeout(r, 20));
    conns = lnd.connections();
  }
  return conns;
}

t.test('ping of the own NID: a non-MR peer for ourselves with the counts of 05-cli-behaviours.txt, over loopback connections', { timeout: 30_000 }, async (t) => {
  const { lnet, lnd, acceptPort } = await selfNode(t);
  const r = await lnet.ping(NID, { timeoutMs: 10_000 });
  t.same(r.peerNis.map((x) => formatNid(x.nid)), [NID]);
  t.equal(r.multiRail, false, 'a ping is on the reserved portal: no discovery');
  // peer show -v of B's self peer in the recording, with B's NID.
  const expected = `peer:
-     primary nid: ${NID}
      Multi-Rail: false
      peer ni:
      -     nid: ${NID}
            state: NA
            max_ni_tx_credits: 8
            available_tx_credits: 8
            min_tx_credits: 7
            tx_q_num_of_buf: 0
            available_rtr_credits: 8
            min_rtr_credits: 8
            refcount: 1
            statistics:
                  send_count: 2
                  recv_count: 2
                  drop_count: 0
`;
  t.equal(render(buildPeerShow(lnet, { verbose: 1 })), expected, 'peer show -v');
  const ni = lnet.core.nis.find((x) => formatNid(x.nid) === NID)!;
  t.match(ni.stats, { send: { get: 2, reply: 0 }, recv: { get: 1, reply: 1 } }, 'through the tcp NI (the REPLY counts as a GET sent)');
  t.equal(lnet.core.loNi.stats.send.get, 0, 'not through lolnd');

  const conns = await settled(lnd, 4);
  t.ok(conns.every((c) => formatNid(c.peer) === NID && c.pid === 12345), 'every connection belongs to the peer for ourselves');
  t.same(
    conns.map((c) => letter(c.type)),
    ['I', 'O', 'C', 'C'],
    'newest first: the BULK_IN and its passive end (a BULK_OUT), then both ends of the CONTROL (03-selftest-A-conn_list.txt)',
  );
  t.same(conns.map((c) => c.passive), [false, true, false, true]);
  t.ok(conns.every((c) => c.local.startsWith(`${ADDR}:`) && c.remote.startsWith(`${ADDR}:`)), 'all on our own address');
  t.equal(conns[0]!.remote, `${ADDR}:${acceptPort}`, 'the active ends go to the accept port');
  if (root) {
    // The active CONTROL binds 1023 first, the BULK_IN the next free reserved port (kernel: 1022).
    const cPort = Number(conns[3]!.remote.split(':').at(-1));
    const oPort = Number(conns[1]!.remote.split(':').at(-1));
    t.ok(cPort <= 1023 && oPort < cPort, `passive ends named by the reserved source ports (${cPort}, ${oPort})`);
  }
  t.equal(lnd.stats.protocolErrors, 0);
});

t.test('PUT and GET of every size to the own NID over socklnd, intact', { timeout: 30_000 }, async (t) => {
  const { lnet, lnd } = await selfNode(t);
  const inbox = lnet.listen({ portal: 40, maxMessage: 1 << 20 });
  t.teardown(() => inbox.close());
  for (const size of [0, 1, 4096, 1 << 20]) {
    const data = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
    const res = await lnet.putAsync({ target: `12345-${NID}`, portal: 40, matchBits: 0, data, timeoutMs: 10_000 });
    t.equal(res.mlength, size, `PUT ${size}: ACK mlength`);
    const m = await inbox.next(10_000);
    t.ok(Buffer.from(m.data).equals(Buffer.from(data)), `PUT ${size}: payload intact`);
    t.equal(formatNid(m.initiator.nid), NID);
  }
  const served = new Uint8Array(1 << 20).map((_, i) => (i * 13) & 0xff);
  const stop = lnet.serveGet({ portal: 41, data: served });
  t.teardown(stop);
  const g = await lnet.getAsync({ target: `12345-${NID}`, portal: 41, matchBits: 0, sink: 1 << 20, timeoutMs: 10_000 });
  t.ok(Buffer.from(g.data).equals(Buffer.from(served)), 'GET 1 MiB: intact');
  // The PUT off the reserved portal discovered the peer for ourselves (03: MR, peer state 273).
  const self = lnet.core.peerTab.lpni(parseNid(NID))!;
  t.equal(self.peerNet.peer.state, 273, 'discovered: MULTI_RAIL | DISCOVERED | NIDS_UPTODATE');
  t.equal(self.txCredits, self.maxTxCredits, 'credits all back');
  t.equal(lnd.connections().length, 4);
  t.equal(lnd.stats.protocolErrors, 0);
});

t.test('conns_per_peer 3 to ourselves: 2 CONTROL + 3 BULK_IN + their 3 passive BULK_OUT ends', { timeout: 30_000 }, async (t) => {
  const { lnet, lnd } = await selfNode(t, 3);
  await lnet.ping(NID, { timeoutMs: 10_000 });
  const conns = await settled(lnd, 8);
  t.equal(conns.length, 8, '2 + 2 × conns_per_peer');
  const count = (type: SocklndConnType, passive: boolean) => conns.filter((c) => c.type === type && c.passive === passive).length;
  t.equal(count(SocklndConnType.CONTROL, false), 1);
  t.equal(count(SocklndConnType.CONTROL, true), 1);
  t.equal(count(SocklndConnType.BULK_IN, false), 3, 'we connect BULK_IN only: each brings a BULK_OUT');
  t.equal(count(SocklndConnType.BULK_OUT, true), 3);
  t.equal(count(SocklndConnType.BULK_OUT, false) + count(SocklndConnType.BULK_IN, true), 0);
  t.equal(lnd.stats.protocolErrors, 0);
});

t.test("conn_list's peer order is the kernel's peer hash table's (03-selftest-A-conn_list.txt: 192.0.2.11 before 192.0.2.12)", async (t) => {
  const a = ksockPeerBucket(parseNid('192.0.2.11@tcp'));
  const b = ksockPeerBucket(parseNid('192.0.2.12@tcp'));
  t.ok(a < b, `buckets ${a} < ${b}`);
  for (const nid of ['0.0.0.1@tcp', '255.255.255.255@tcp9', 'fd00::1@tcp']) {
    const k = ksockPeerBucket(parseNid(nid));
    t.ok(Number.isInteger(k) && k >= 0 && k < 128, `${nid}: bucket ${k} of 128`);
  }
});

t.test('unprivileged: with accept=secure the node still reaches its own NID, and only its own sockets pass', { timeout: 30_000 }, async (t) => {
  const acceptPort = port++;
  const lnd = new SockLnd({ acceptPort, accept: 'secure', privilegedPorts: false });
  const lnet = await LNet.start({ nets: [{ net: 'tcp', lnd, nis: [{ nid: NID }] }] });
  t.teardown(() => lnet.shutdown());
  const r = await lnet.ping(NID, { timeoutMs: 10_000 });
  t.same(r.peerNis.map((x) => formatNid(x.nid)), [NID], 'the own NID answered over an unprivileged loopback connection');
  const conns = await settled(lnd, 2);
  t.same(conns.map((c) => [formatNid(c.peer), c.pid, letter(c.type)]), [[NID, 12345, "C"], [NID, 12345, "C"]], 'both ends belong to the peer for ourselves, not to a userspace peer');
  t.equal(lnd.stats.insecureRefused, 0, 'nothing refused');
  // Another socket from the same address and an unprivileged port is not ours: refused.
  const { connect } = await import('node:net');
  const closed = await new Promise<boolean>((resolve) => {
    const s = connect({ host: ADDR, port: acceptPort, localAddress: ADDR });
    s.on('connect', () => s.write(Buffer.alloc(16)));
    s.on('error', () => undefined);
    s.on('close', () => resolve(true));
    setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 10_000);
  });
  t.ok(closed, 'a foreign unprivileged socket from our own address is closed');
  t.equal(lnd.stats.insecureRefused, 1, 'and counted as refused (accept=secure)');
});
