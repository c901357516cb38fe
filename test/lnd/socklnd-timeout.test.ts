// sock_timeout on sends: a peer that stops reading. Frames are timed per flushed batch (the
// send path reads the clock once per flush), so this checks that a stalled batch still closes
// the connection after sock_timeout and that every message on it completes, with an error.
import t from 'tap';
import { SockLnd } from '../../lnd/socklnd/index.js';
import { LNetError } from '../../src/errors.js';
import { LNet } from '../../src/lnet.js';
import { parseNid } from '../../src/nid/nid-string.js';
import { SocklndConnType } from '../../src/wire/ksock-hello.js';
import { KSOCK_MSG_HDR_SIZE } from '../../src/wire/ksock-msg.js';
import { decodeLNetHdrNid4 } from '../../src/wire/lnet-hdr-codec.js';
import { LNET_HDR_NID4_SIZE, LNetHdr } from '../../src/wire/lnet-hdr.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import { PingFeature, NiStatus, buildPingInfo, pingInfoToBuffer } from '../../src/wire/ping-buffer.js';
import { WireError } from '../../src/wire/wire-error.js';
import { RawPeer, ksockFrame } from '../helpers/raw-peer.js';
import { onFreePort } from '../helpers/socklnd-node.js';

const NODE_ADDR = '127.0.0.6';
const PEER_ADDR = '127.0.0.7';
const BOUND_MS = 15_000;

t.test('a peer that stops reading: the connection closes after sock_timeout, every PUT on it settles', { timeout: 60_000 }, async (t) => {
  const logs: string[] = [];
  const { node, port } = await onFreePort(async (port) => {
    const lnd = new SockLnd({ acceptPort: port, accept: 'all', params: { sock_timeout: 1 } });
    const node = await LNet.start({
      nets: [{ net: 'tcp', lnd, nis: [{ nid: `${NODE_ADDR}@tcp` }], tunables: { peer_credits: 128, credits: 256 } }],
      log: (level, msg) => void (level === 'warn' && logs.push(msg)),
    });
    return { node, port };
  });
  t.teardown(() => node.shutdown());
  const peer = await RawPeer.connect({ host: NODE_ADDR, port, localAddress: PEER_ADDR });
  t.teardown(() => peer.destroy());
  await peer.sendHandshake(parseNid(`${NODE_ADDR}@tcp`), { srcNid: parseNid(`${PEER_ADDR}@tcp`), dstNid: parseNid(`${NODE_ADDR}@tcp`) });
  const hello = await peer.readHello(BOUND_MS);
  t.ok(hello && !(hello instanceof WireError) && hello.ctype === SocklndConnType.CONTROL, 'the node accepted the peer');
  if (!hello || hello instanceof WireError) return;
  const target = node.parseTarget(`12345-${PEER_ADDR}@tcp`);
  const data = new Uint8Array(1 << 20);
  // A first PUT is held for discovery's ping: answer it as a peer without Multi-Rail (no push follows).
  const first = node.putAsync({ target, portal: 9, matchBits: 0, data: new Uint8Array(0), ack: false });
  t.ok(await answerPing(peer, hello.length), 'the peer answered the discovery ping');
  t.equal(await first.then(() => 'sent', (e: unknown) => String(e)), 'sent', 'the first PUT went once the peer was discovered');
  // From now on the peer reads nothing: once the socket buffers are full, writes stall.
  peer.sock.pause();
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

/** Read the node's ping GET that follows the hello and answer it with a non-MR ping buffer. */
async function answerPing(peer: RawPeer, helloLength: number): Promise<boolean> {
  const frame = KSOCK_MSG_HDR_SIZE + LNET_HDR_NID4_SIZE;
  if (!(await peer.waitBytes(helloLength + frame, BOUND_MS))) return false;
  const get = decodeLNetHdrNid4(peer.bytes(), helloLength + KSOCK_MSG_HDR_SIZE);
  if (get instanceof WireError || get.type !== LNetMsgType.GET || get.ptlIndex !== 0) return false;
  const ping = pingInfoToBuffer(
    buildPingInfo({
      features: PingFeature.BASE | PingFeature.NI_STATUS,
      pid: 12345,
      seqno: 1,
      nis: [{ nid: get.destNid, status: NiStatus.UP }],
    }),
  );
  const reply = new LNetHdr();
  reply.type = LNetMsgType.REPLY;
  reply.destNid = get.srcNid;
  reply.srcNid = get.destNid;
  reply.destPid = get.srcPid;
  reply.srcPid = 12345;
  reply.wmd = get.wmd;
  reply.payloadLength = ping.length;
  return peer.write(ksockFrame(reply, ping));
}
