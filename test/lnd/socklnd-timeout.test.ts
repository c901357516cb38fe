// sock_timeout on sends: a peer that stops reading. Frames are timed per flushed batch (the
// send path reads the clock once per flush), so this checks that a stalled batch still closes
// the connection after sock_timeout and that every message on it completes, with an error.
import t from 'tap';
import { SockLnd } from '../../lnd/socklnd/index.js';
import { LNetError } from '../../src/errors.js';
import { LNet } from '../../src/lnet.js';
import { parseNid } from '../../src/nid/nid-string.js';
import { SocklndConnType } from '../../src/wire/ksock-hello.js';
import { WireError } from '../../src/wire/wire-error.js';
import { RawPeer } from '../helpers/raw-peer.js';

const NODE_ADDR = '127.0.0.6';
const PEER_ADDR = '127.0.0.7';
const BOUND_MS = 15_000;

t.test('a peer that stops reading: the connection closes after sock_timeout, every PUT on it settles', { timeout: 60_000 }, async (t) => {
  const logs: string[] = [];
  let node: LNet | undefined;
  let port = 0;
  for (let attempt = 0; !node; attempt++) {
    port = 20000 + Math.floor(Math.random() * 30000);
    const lnd = new SockLnd({ acceptPort: port, accept: 'all', params: { sock_timeout: 1 } });
    try {
      node = await LNet.start({
        nets: [{ net: 'tcp', lnd, nis: [{ nid: `${NODE_ADDR}@tcp` }], tunables: { peer_credits: 128, credits: 256 } }],
        log: (level, msg) => void (level === 'warn' && logs.push(msg)),
      });
    } catch (e) {
      if (attempt >= 20 || !(e instanceof LNetError && e.code === 'EADDRINUSE')) throw e;
    }
  }
  t.teardown(() => node!.shutdown());
  const peer = await RawPeer.connect({ host: NODE_ADDR, port, localAddress: PEER_ADDR });
  t.teardown(() => peer.destroy());
  await peer.sendHandshake(parseNid(`${NODE_ADDR}@tcp`), { srcNid: parseNid(`${PEER_ADDR}@tcp`), dstNid: parseNid(`${NODE_ADDR}@tcp`) });
  const hello = await peer.readHello(BOUND_MS);
  t.ok(hello && !(hello instanceof WireError) && hello.ctype === SocklndConnType.CONTROL, 'the node accepted the peer');
  // From now on the peer reads nothing: once the socket buffers are full, writes stall.
  peer.sock.pause();
  const target = node.parseTarget(`12345-${PEER_ADDR}@tcp`);
  const data = new Uint8Array(1 << 20);
  const n = 64;
  const results = await Promise.all(
    Array.from({ length: n }, () =>
      node!.putAsync({ target, portal: 9, matchBits: 0, data, ack: false }).then(
        () => 'sent',
        (e: unknown) => (e instanceof LNetError ? e.code : `not an LNetError: ${String(e)}`),
      ),
    ),
  );
  const failed = results.filter((r) => r !== 'sent');
  t.ok(failed.length > 0, `PUTs stuck behind the stalled peer failed (${failed.length} of ${n}: ${[...new Set(failed)].join(', ')})`);
  t.ok(failed.every((c) => /^E[A-Z]+$/.test(c)), 'each with an errno-named LNetError');
  t.ok(logs.some((l) => /timed out sending to 127\.0\.0\.7@tcp/.test(l)), 'the node logged the send timeout', { logs });
  t.same(node.core.resourceCounts().active, 0, 'nothing left on the active list');
});
