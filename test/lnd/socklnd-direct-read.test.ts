// Payloads read straight into the MD (lnd/socklnd/read-router.ts; ksocknal_recvmsg reads into
// the MD's fragments): large PUTs and REPLYs land whole, across fragments and at offsets, on
// accepted and on connected sockets; truncation skips the rest; a V2 checksum covers the bytes
// read into the MD, and a bad one still closes the connection.
import t, { type Test } from 'tap';
import { EventKind, LNet, LNET_ANY_NID, LNET_MD_THRESH_INF, LNET_PID_ANY, MdOption, Unlink } from '../../src/index.js';
import { SockLnd } from '../../lnd/socklnd/index.js';
import type { SocklndParams } from '../../src/config/socklnd-params.js';
import { parseNid } from '../../src/nid/index.js';
import { LNetHdr } from '../../src/wire/lnet-hdr.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import { ksockChecksum } from '../../src/wire/ksock-msg.js';
import { KsockProtoVersion, SocklndConnType } from '../../src/wire/ksock-hello.js';
import { WireError } from '../../src/wire/wire-error.js';
import { RawPeer, ksockFrame } from '../helpers/raw-peer.js';
import { SeededRng } from '../helpers/seeded-rng.js';
import { sockNode, type SockNode } from '../helpers/socklnd-node.js';
import { sockLndFactory } from '../helpers/lnd-factories.js';

let port = 29000 + (process.pid % 900) * 3;
const MIB = 1 << 20;

const node = (nid: string, params: Partial<SocklndParams> = {}): Promise<SockNode> => sockNode(nid, port++, params);
const lndOf = (n: LNet): SockLnd => n.nis.find((ni) => ni.lndData)!.lnd as SockLnd;

/** The compliance suite's socklnd pair: the client (a, 127.0.0.2) connects, the server (b, 127.0.0.3) accepts. */
async function pair(t: Test): Promise<{ server: { lnet: LNet; lnd: SockLnd }; client: LNet; clientLnd: SockLnd }> {
  const p = await sockLndFactory.pair();
  t.teardown(p.close);
  return { server: { lnet: p.b, lnd: lndOf(p.b) }, client: p.a, clientLnd: lndOf(p.a) };
}

const pattern = (n: number, seed: number): Buffer => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
};

/** An MD of fragments on `portal` taking PUTs at the offset they name; resolves on the PUT event. */
function fragmentSink(lnet: LNet, portal: number, frags: Uint8Array[], options = 0): Promise<{ mlength: number; rlength: number }> {
  return new Promise((resolve) => {
    const me = lnet.meAttach(portal, { nid: LNET_ANY_NID, pid: LNET_PID_ANY }, 0n, 0n);
    lnet.mdAttach(
      me,
      {
        start: frags,
        threshold: LNET_MD_THRESH_INF,
        options: MdOption.OP_PUT | MdOption.MANAGE_REMOTE | MdOption.ACK_DISABLE | options,
        handler: (ev) => {
          if (ev.type === EventKind.PUT) resolve({ mlength: ev.mlength, rlength: ev.rlength });
        },
      },
      Unlink.UNLINK,
    );
  });
}

t.test('a 1 MiB PUT at an offset lands whole across three fragments, mostly read straight into them', async (t) => {
  const { server, client } = await pair(t);
  const frags = [new Uint8Array(300_000), new Uint8Array(400_000), new Uint8Array(500_000)];
  const landed = fragmentSink(server.lnet, 41, frags);
  const data = pattern(MIB, 7);
  const offset = 100_003;
  const inbox = server.lnet.listen({ portal: 46 });
  // A small message right behind it on the same connection: the MD's read must stop where the
  // payload does, even with room left in its last fragment.
  await client.putAsync({ target: '12345-127.0.0.3@tcp', portal: 41, matchBits: 0, data, offset, ack: false });
  await client.putAsync({ target: '12345-127.0.0.3@tcp', portal: 46, matchBits: 0, data: Buffer.from('next'), ack: false });
  const ev = await landed;
  t.equal(ev.mlength, MIB);
  const all = Buffer.concat(frags);
  t.ok(all.subarray(offset, offset + data.length).equals(data), 'every byte where it belongs');
  t.ok(all.subarray(0, offset).every((x) => x === 0), 'nothing before the offset');
  t.ok(all.subarray(offset + data.length).every((x) => x === 0), 'nothing after the payload');
  t.equal(Buffer.from((await inbox.next(5000)).data).toString(), 'next', 'the next message parses');
  inbox.close();
  t.ok(server.lnd.stats.rxDirectBytes >= MIB / 2, `read straight into the MD: ${server.lnd.stats.rxDirectBytes} bytes`);
});

t.test('a 1 MiB REPLY lands in the GET\'s sink, read straight into it on the connecting side', async (t) => {
  const { server, client, clientLnd } = await pair(t);
  const data = pattern(MIB, 3);
  const stop = server.lnet.serveGet({ portal: 42, data });
  t.teardown(stop);
  const r = await client.getAsync({ target: '12345-127.0.0.3@tcp', portal: 42, matchBits: 0, sink: MIB });
  t.ok(Buffer.from(r.data).equals(data), 'the REPLY is intact');
  t.ok(clientLnd.stats.rxDirectBytes > 0, `read straight into the sink: ${clientLnd.stats.rxDirectBytes} bytes`);
});

t.test('a PUT longer than its MD (TRUNCATE): the MD takes what fits, the rest is skipped, the next message parses', async (t) => {
  const { server, client } = await pair(t);
  const md = new Uint8Array(300_000);
  const landed = fragmentSink(server.lnet, 43, [md], MdOption.TRUNCATE);
  const data = pattern(MIB, 9);
  await client.putAsync({ target: '12345-127.0.0.3@tcp', portal: 43, matchBits: 0, data, ack: false });
  const ev = await landed;
  t.same(ev, { mlength: 300_000, rlength: MIB });
  t.ok(Buffer.from(md).equals(data.subarray(0, 300_000)), 'the part that fits');
  const inbox = server.lnet.listen({ portal: 44 });
  await client.putAsync({ target: '12345-127.0.0.3@tcp', portal: 44, matchBits: 0, data: Buffer.from('after'), ack: false });
  t.equal(Buffer.from((await inbox.next(5000)).data).toString(), 'after');
  inbox.close();
});

t.test('a run of PUTs of random sizes (0 B to 1 MiB) sent back to back: each lands whole in its own MD', async (t) => {
  const { server, client } = await pair(t);
  const seed = Number(process.env.DIRECT_READ_SEED ?? 20261121);
  const rng = new SeededRng(seed);
  const n = 40;
  const sizes = Array.from({ length: n }, () => (rng.int(3) === 0 ? rng.int(200) : rng.int(MIB + 1)));
  const datas = sizes.map((len, i) => pattern(len, i));
  const got: Array<Uint8Array | undefined> = [];
  let count = 0;
  const all = new Promise<void>((resolve) => {
    for (let i = 0; i < n; i++) {
      const me = server.lnet.meAttach(47, { nid: LNET_ANY_NID, pid: LNET_PID_ANY }, BigInt(i), 0n);
      const buf = new Uint8Array(MIB);
      server.lnet.mdAttach(
        me,
        {
          start: buf,
          threshold: 1,
          options: MdOption.OP_PUT | MdOption.ACK_DISABLE,
          handler: (ev) => {
            if (ev.type !== EventKind.PUT) return;
            got[i] = buf.subarray(0, ev.mlength);
            if (++count === n) resolve();
          },
        },
        Unlink.UNLINK,
      );
    }
  });
  // All in flight at once: frames follow each other on the connection with nothing between.
  await Promise.all(datas.map((data, i) => client.putAsync({ target: '12345-127.0.0.3@tcp', portal: 47, matchBits: BigInt(i), data, ack: false })));
  await all;
  const bad = datas.map((d, i) => (Buffer.from(got[i]!).equals(d) ? -1 : i)).filter((i) => i >= 0);
  t.same(bad, [], `every payload intact (seed ${seed}, sizes ${sizes.join(',')})`);
  t.ok(server.lnd.stats.rxDirectBytes > 0, 'some read straight into the MDs');
});

t.test('frames left in the read buffer while a PUT waits on a lazy portal are kept: later reads reuse the buffer, every payload lands intact', async (t) => {
  // Reads that no MD takes land in one staging buffer lent to the connection for the call
  // (read-router.ts); what the connection has not consumed when the call returns is copied.
  const { server, client } = await pair(t);
  server.lnet.setLazyPortal(51);
  const n = 40;
  const size = 100;
  const events: Array<{ offset: number; mlength: number }> = [];
  const sink = new Uint8Array(n * size);
  let landed: () => void;
  const all = new Promise<void>((r) => (landed = r));
  const target = client.parseTarget('12345-127.0.0.3@tcp');
  const send = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      const md = client.mdBind({ start: pattern(size, i), threshold: 1 }, Unlink.UNLINK);
      client.put(undefined, md, 0, target, 51, 0n, i * size);
    }
  };
  // The first PUT waits for an MD; the rest of its read, and the reads after it, stay buffered.
  send(0, n / 2);
  await new Promise((r) => setTimeout(r, 100));
  send(n / 2, n);
  await new Promise((r) => setTimeout(r, 100));
  const me = server.lnet.meAttach(51, { nid: LNET_ANY_NID, pid: LNET_PID_ANY }, 0n, 0n);
  server.lnet.mdAttach(me, {
    start: sink,
    threshold: LNET_MD_THRESH_INF,
    options: MdOption.OP_PUT | MdOption.MANAGE_REMOTE,
    handler: (ev) => {
      if (ev.type !== EventKind.PUT) return;
      events.push({ offset: ev.offset, mlength: ev.mlength });
      if (events.length === n) landed();
    },
  });
  await Promise.race([all, new Promise((r) => setTimeout(r, 10_000))]);
  t.equal(events.length, n, 'every PUT landed once the MD came');
  let intact = 0;
  for (let i = 0; i < n; i++) if (Buffer.from(sink.subarray(i * size, (i + 1) * size)).equals(pattern(size, i))) intact++;
  t.equal(intact, n, 'every payload holds its own bytes');
});

t.test('an exception while a read is handled closes that connection only; LNet carries on and reconnects', async (t) => {
  const { server, client } = await pair(t);
  const inbox = server.lnet.listen({ portal: 48 });
  const put = (text: string): Promise<unknown> =>
    client.putAsync({ target: '12345-127.0.0.3@tcp', portal: 48, matchBits: 0, data: Buffer.from(text), ack: true, timeoutMs: 3000 });
  await put('first');
  t.equal(Buffer.from((await inbox.next(5000)).data).toString(), 'first');
  // The server's connections throw once on their next read (a stand-in for a bug in the pump).
  type Patched = { onChunk(d: Buffer, lent?: boolean): void };
  const kn = server.lnet.nis.find((ni) => ni.lndData)!.lndData as { peers: Map<string, { conns: Patched[] }> };
  let armed = true;
  for (const peer of kn.peers.values())
    for (const c of peer.conns) {
      const real = c.onChunk.bind(c);
      c.onChunk = (d: Buffer, lent?: boolean) => {
        if (armed) {
          armed = false;
          throw new Error('boom');
        }
        real(d, lent);
      };
    }
  await put('lost').catch(() => undefined);
  t.equal(server.lnd.stats.protocolErrors, 1, 'the connection was closed as a protocol error, counted once');
  let delivered = '';
  for (let i = 0; i < 5 && !delivered; i++) {
    try {
      await put('after');
      delivered = Buffer.from((await inbox.next(5000)).data).toString();
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  t.equal(delivered, 'after', 'a new connection carries the next PUT');
  inbox.close();
});

/** A V2 peer with enable_csum on our side: a checksummed PUT whose payload comes in two writes. */
async function v2Put(t: Test, corrupt: boolean): Promise<{ a: SockNode; peer: RawPeer; landed: Promise<{ mlength: number }> }> {
  const a = await node('127.0.0.2@tcp', { enable_csum: 1 });
  t.teardown(() => a.lnet.shutdown());
  const me = parseNid('127.0.0.45@tcp');
  const peer = await RawPeer.connect({ host: '127.0.0.2', port: a.port, localAddress: '127.0.0.45' });
  t.teardown(() => peer.destroy());
  await peer.sendHandshake(a.lnet.nids()[1]!, { srcNid: me, dstNid: a.lnet.nids()[1]!, version: KsockProtoVersion.V2, ctype: SocklndConnType.ANY });
  const hello = await peer.readHello();
  if (!hello || hello instanceof WireError) throw new Error('no hello');
  const landed = fragmentSink(a.lnet, 45, [new Uint8Array(MIB)]);
  const h = new LNetHdr();
  h.type = LNetMsgType.PUT;
  h.srcNid = me;
  h.destNid = a.lnet.nids()[1]!;
  h.srcPid = h.destPid = 12345;
  h.ptlIndex = 45;
  h.payloadLength = 512 * 1024;
  const frame = ksockFrame(h, pattern(512 * 1024, 5));
  frame.writeUInt32LE(ksockChecksum(frame, 0, frame.length) >>> 0, 4);
  if (corrupt) frame[frame.length - 1]! ^= 0xff;
  // The header and a little payload first: the rest arrives while the payload is awaited.
  await peer.write(frame.subarray(0, 2000));
  await new Promise((r) => setTimeout(r, 50));
  await peer.write(frame.subarray(2000));
  return { a, peer, landed };
}

t.test('V2 with enable_csum: a checksummed PUT read straight into its MD is accepted', async (t) => {
  const { a, landed } = await v2Put(t, false);
  t.equal((await landed).mlength, 512 * 1024);
  t.ok(a.lnd.stats.rxDirectBytes > 0, 'part of it read straight into the MD');
  t.equal(a.lnd.stats.protocolErrors, 0);
});

t.test('V2 with enable_csum: a bad checksum over bytes read straight into the MD closes the connection', async (t) => {
  const { a, peer } = await v2Put(t, true);
  t.ok((await peer.waitClosed(5000)).closed, 'the connection was closed');
  t.equal(a.lnd.stats.protocolErrors, 1, 'counted once');
  t.ok(a.lnd.stats.rxDirectBytes > 0, 'the bytes had been read straight into the MD');
});
