// socklnd protocol behaviours against a hand-driven kernel-like peer on real sockets:
// ZC-ACK answers, keepalive NOOPs, V2 checksums, V1 and V4 (IPv6, large NID) peers, and a
// restarted peer's incarnation (wire.md (b), (c); socklnd_cb.c, socklnd_proto.c, socklnd.c).
import t from 'tap';
import type { LogFn } from '../../src/index.js';
import type { SocklndParams } from '../../src/config/socklnd-params.js';
import { parseNid, type Nid } from '../../src/nid/index.js';
import { LNetHdr, LNET_HDR_NID16_SIZE, LNET_HDR_NID4_SIZE } from '../../src/wire/lnet-hdr.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import { WireHandle } from '../../src/wire/wire-handle.js';
import { decodeLNetHdrNid16, decodeLNetHdrNid4 } from '../../src/wire/lnet-hdr-codec.js';
import { decodeKsockMsgHdr, KSOCK_MSG_HDR_SIZE, KsockMsgType, ksockChecksum } from '../../src/wire/ksock-msg.js';
import { KsockProtoVersion, SocklndConnType } from '../../src/wire/ksock-hello.js';
import { decodePingInfo } from '../../src/wire/ping-buffer.js';
import { WireError } from '../../src/wire/wire-error.js';
import { RawPeer, ksockFrame } from '../helpers/raw-peer.js';
import { sockNode, type SockNode } from '../helpers/socklnd-node.js';

let port = 27000 + (process.pid % 900) * 3;
const PING_HI = 0x80000000;

const node = (nid: string, params: Partial<SocklndParams> = {}, log?: LogFn): Promise<SockNode> => sockNode(nid, port++, params, log);

function hdr(type: LNetMsgType, src: Nid, dst: Nid, fill: (h: LNetHdr) => void): LNetHdr {
  const h = new LNetHdr();
  h.type = type;
  h.srcNid = src;
  h.destNid = dst;
  h.srcPid = 12345;
  h.destPid = 12345;
  fill(h);
  return h;
}

const pingGet = (src: Nid, dst: Nid): LNetHdr =>
  hdr(LNetMsgType.GET, src, dst, (h) => {
    h.ptlIndex = 0;
    h.matchBitsHi = PING_HI;
    h.sinkLength = 272;
    h.wmd = new WireHandle(1, 2, 3, 4);
  });

t.test('a received message with a zero-copy cookie is acknowledged with a NOOP {0, C} after its payload', async (t) => {
  const a = await node('127.0.0.2@tcp');
  t.teardown(() => a.lnet.shutdown());
  const inbox = a.lnet.listen({ portal: 40 });
  const me = parseNid('127.0.0.40@tcp');
  const peer = await RawPeer.connect({ host: a.address, port: a.port, localAddress: '127.0.0.40' });
  t.teardown(() => peer.destroy());
  await peer.sendHandshake(a.lnet.nids()[1]!, { srcNid: me, dstNid: a.lnet.nids()[1]! });
  const hello = await peer.readHello();
  if (!hello || hello instanceof WireError) throw new Error('no hello');
  const payload = Buffer.alloc(20000, 0x5a);
  const put = hdr(LNetMsgType.PUT, me, a.lnet.nids()[1]!, (h) => {
    h.ptlIndex = 40;
    h.payloadLength = payload.length;
  });
  await peer.write(ksockFrame(put, payload, { zcReq: 7 }));
  const m = await inbox.next(5000);
  t.equal(m.data.length, 20000);
  t.ok(await peer.waitBytes(hello.length + KSOCK_MSG_HDR_SIZE), 'something came back');
  const k = decodeKsockMsgHdr(peer.bytes(), hello.length);
  if (k instanceof WireError) throw k;
  t.equal(k.type, KsockMsgType.NOOP);
  t.same([k.zcReqLo, k.zcReqHi, k.zcAckLo, k.zcAckHi], [0, 0, 7, 0], 'cookies {0, 7}');
  inbox.close();
});

t.test('an idle V3 connection gets keepalive NOOPs {0, 1} (keepalive=1)', async (t) => {
  const a = await node('127.0.0.2@tcp', { keepalive: 1 });
  t.teardown(() => a.lnet.shutdown());
  const peer = await RawPeer.connect({ host: a.address, port: a.port, localAddress: '127.0.0.41' });
  t.teardown(() => peer.destroy());
  await peer.sendHandshake(a.lnet.nids()[1]!, { srcNid: parseNid('127.0.0.41@tcp'), dstNid: a.lnet.nids()[1]! });
  const hello = await peer.readHello();
  if (!hello || hello instanceof WireError) throw new Error('no hello');
  t.ok(await peer.waitBytes(hello.length + KSOCK_MSG_HDR_SIZE, 8000), 'a NOOP arrived while idle');
  const k = decodeKsockMsgHdr(peer.bytes(), hello.length);
  if (k instanceof WireError) throw k;
  t.same([k.type, k.zcReqLo, k.zcAckLo, k.zcAckHi], [KsockMsgType.NOOP, 0, 1, 0], 'NOOP with cookies {0, 1}');
  t.ok(a.lnd.stats.noopsSent >= 1);
});

t.test('a V2 peer gets a V2 hello and, with enable_csum=1, checksummed frames', async (t) => {
  const a = await node('127.0.0.2@tcp', { enable_csum: 1 });
  t.teardown(() => a.lnet.shutdown());
  const me = parseNid('127.0.0.42@tcp');
  const peer = await RawPeer.connect({ host: a.address, port: a.port, localAddress: '127.0.0.42' });
  t.teardown(() => peer.destroy());
  await peer.sendHandshake(a.lnet.nids()[1]!, { srcNid: me, dstNid: a.lnet.nids()[1]!, version: KsockProtoVersion.V2, ctype: SocklndConnType.ANY });
  const hello = await peer.readHello();
  if (!hello || hello instanceof WireError) throw new Error('no hello');
  t.equal(hello.version, KsockProtoVersion.V2, 'answered in the version offered');
  t.equal(hello.ctype, SocklndConnType.ANY);
  await peer.write(ksockFrame(pingGet(me, a.lnet.nids()[1]!), new Uint8Array(0)));
  const replyLen = KSOCK_MSG_HDR_SIZE + LNET_HDR_NID4_SIZE + 48;
  t.ok(await peer.waitBytes(hello.length + replyLen), 'the ping REPLY came back');
  const b = peer.bytes().subarray(hello.length, hello.length + replyLen);
  const k = decodeKsockMsgHdr(b, 0);
  if (k instanceof WireError) throw k;
  t.not(k.csum, 0, 'ksm_csum set');
  const zeroed = Buffer.from(b);
  zeroed.writeUInt32LE(0, 4);
  t.equal(k.csum >>> 0, ksockChecksum(zeroed, 0, zeroed.length) >>> 0, 'crc32 (seed ~0, no final xor) over header, LNet header and payload');
});

t.test('a V1 peer: V1 hello back, bare 72-byte LNet headers both ways', async (t) => {
  const a = await node('127.0.0.2@tcp');
  t.teardown(() => a.lnet.shutdown());
  const me = parseNid('127.0.0.43@tcp');
  const peer = await RawPeer.connect({ host: a.address, port: a.port, localAddress: '127.0.0.43' });
  t.teardown(() => peer.destroy());
  await peer.sendHandshake(a.lnet.nids()[1]!, { srcNid: me, dstNid: a.lnet.nids()[1]!, version: KsockProtoVersion.V1, ctype: SocklndConnType.ANY });
  const hello = await peer.readHello();
  if (!hello || hello instanceof WireError) throw new Error(`no hello: ${String(hello)}`);
  t.equal(hello.version, KsockProtoVersion.V1);
  await peer.write(ksockFrame(pingGet(me, a.lnet.nids()[1]!), new Uint8Array(0), { version: KsockProtoVersion.V1 }));
  t.ok(await peer.waitBytes(hello.length + LNET_HDR_NID4_SIZE + 48), 'REPLY arrived');
  const r = decodeLNetHdrNid4(peer.bytes(), hello.length);
  if (r instanceof WireError) throw r;
  t.equal(r.type, LNetMsgType.REPLY);
  t.equal(r.payloadLength, 48);
  const info = decodePingInfo(peer.bytes().subarray(hello.length + LNET_HDR_NID4_SIZE));
  t.notOk(info instanceof WireError, 'ping buffer decodes');
});

t.test('IPv6: a large NID, a V4 hello and 96-byte headers with a V4 peer', async (t) => {
  let a;
  try {
    a = await node('::1@tcp');
  } catch (e) {
    t.plan(0, `no IPv6 loopback: ${(e as Error).message}`);
    return;
  }
  t.teardown(() => a.lnet.shutdown());
  const self = a.lnet.nids()[1]!;
  t.equal(self.size, 12, 'a 16-byte address: a large NID');
  const peer = await RawPeer.connect({ host: '::1', port: a.port, localAddress: '::1' });
  t.teardown(() => peer.destroy());
  const me = parseNid('fd00::43@tcp');
  await peer.sendHandshake(self, { srcNid: me, dstNid: self, version: KsockProtoVersion.V4 });
  const hello = await peer.readHello();
  if (!hello || hello instanceof WireError) throw new Error(`no hello: ${String(hello)}`);
  t.equal(hello.version, KsockProtoVersion.V4);
  t.equal(hello.length, 80);
  await peer.write(ksockFrame(pingGet(me, self), new Uint8Array(0), { nid16: true }));
  t.ok(await peer.waitBytes(hello.length + KSOCK_MSG_HDR_SIZE + LNET_HDR_NID16_SIZE), 'REPLY header arrived');
  const r = decodeLNetHdrNid16(peer.bytes(), hello.length + KSOCK_MSG_HDR_SIZE);
  if (r instanceof WireError) throw r;
  t.equal(r.type, LNetMsgType.REPLY);
  t.ok(r.payloadLength > 48, 'the ping buffer carries the LARGE_ADDR area');
  if (await peer.waitBytes(hello.length + KSOCK_MSG_HDR_SIZE + LNET_HDR_NID16_SIZE + r.payloadLength)) {
    const info = decodePingInfo(peer.bytes().subarray(hello.length + KSOCK_MSG_HDR_SIZE + LNET_HDR_NID16_SIZE));
    if (info instanceof WireError) throw info;
    t.same(info.largeNis.map((e) => e.nid.size), [12], 'our NI is in the large-NID area');
  }
});

t.test('a restarted peer (new incarnation) has its old connections closed', async (t) => {
  const a = await node('127.0.0.2@tcp');
  t.teardown(() => a.lnet.shutdown());
  const me = parseNid('127.0.0.44@tcp');
  const self = a.lnet.nids()[1]!;
  const old = await RawPeer.connect({ host: a.address, port: a.port, localAddress: '127.0.0.44' });
  t.teardown(() => old.destroy());
  await old.sendHandshake(self, { srcNid: me, dstNid: self, incarnationLo: 1000 });
  t.ok(await old.readHello(), 'first connection up');
  const fresh = await RawPeer.connect({ host: a.address, port: a.port, localAddress: '127.0.0.44' });
  t.teardown(() => fresh.destroy());
  await fresh.sendHandshake(self, { srcNid: me, dstNid: self, incarnationLo: 2000 });
  t.ok(await fresh.readHello(), 'second connection (new incarnation) up');
  const st = await old.waitClosed(5000);
  t.ok(st.closed, 'the connection of the old incarnation was closed');
  t.equal(a.lnd.connections().length, 1);
});

t.test('passive duplicates: up to conns_per_peer connections of a type, CONTROL included (ksnr_max_conns)', async (t) => {
  const a = await node('127.0.0.2@tcp', { conns_per_peer: 2 });
  t.teardown(() => a.lnet.shutdown());
  const me = parseNid('127.0.0.45@tcp');
  const self = a.lnet.nids()[1]!;
  const ctypes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const p = await RawPeer.connect({ host: a.address, port: a.port, localAddress: '127.0.0.45' });
    t.teardown(() => p.destroy());
    await p.sendHandshake(self, { srcNid: me, dstNid: self });
    const h = await p.readHello();
    ctypes.push(h && !(h instanceof WireError) ? h.ctype : -1);
  }
  t.same(ctypes, [SocklndConnType.CONTROL, SocklndConnType.CONTROL, SocklndConnType.NONE], 'two CONTROL connections accepted, the third answered with ctype NONE (EALREADY)');
  t.equal(a.lnd.connections().filter((c) => c.type === SocklndConnType.CONTROL).length, 2);
});
