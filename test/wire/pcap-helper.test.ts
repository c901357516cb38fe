/** The test-only pcap reader and TCP reassembler that the kernel-vector tests rely on. */
import t from 'tap';
import { TCP_ACK, TCP_SYN, parseTcp, readPcap, tcpConnections } from '../helpers/pcap.js';

interface Seg {
  src: [string, number];
  dst: [string, number];
  seq: number;
  flags: number;
  payload: Buffer;
  /** Bytes of payload actually captured (default: all). */
  captured?: number;
}

function frame(s: Seg): { data: Buffer; orig: number } {
  const ip = (a: string) => Buffer.from(a.split('.').map(Number));
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(s.src[1], 0);
  tcp.writeUInt16BE(s.dst[1], 2);
  tcp.writeUInt32BE(s.seq >>> 0, 4);
  tcp[12] = 5 << 4;
  tcp[13] = s.flags;
  const ipHdr = Buffer.alloc(20);
  ipHdr[0] = 0x45;
  ipHdr.writeUInt16BE(20 + 20 + s.payload.length, 2);
  ipHdr[9] = 6;
  ip(s.src[0]).copy(ipHdr, 12);
  ip(s.dst[0]).copy(ipHdr, 16);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  const full = Buffer.concat([eth, ipHdr, tcp, s.payload]);
  const cut = 54 + (s.captured ?? s.payload.length);
  return { data: full.subarray(0, cut), orig: full.length };
}

function pcap(segs: Seg[], bigEndian = false): Buffer {
  const parts: Buffer[] = [];
  const g = Buffer.alloc(24);
  const w32 = (b: Buffer, v: number, o: number) => (bigEndian ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o));
  w32(g, 0xa1b2c3d4, 0);
  w32(g, 256, 16);
  w32(g, 1, 20);
  parts.push(g);
  segs.forEach((s, i) => {
    const f = frame(s);
    const r = Buffer.alloc(16);
    w32(r, 1000 + i, 0);
    w32(r, f.data.length, 8);
    w32(r, f.orig, 12);
    parts.push(r, f.data);
  });
  return Buffer.concat(parts);
}

const A: [string, number] = ['192.0.2.11', 1023];
const B: [string, number] = ['192.0.2.12', 988];

t.test('reassembly by sequence number: out of order, retransmitted, both byte orders of pcap', async (t) => {
  const isn = 0xfffffff0; // wraps around 2^32 within the stream
  const segs: Seg[] = [
    { src: A, dst: B, seq: isn, flags: TCP_SYN, payload: Buffer.alloc(0) },
    { src: B, dst: A, seq: 5000, flags: TCP_SYN | TCP_ACK, payload: Buffer.alloc(0) },
    { src: A, dst: B, seq: isn + 1 + 10, flags: TCP_ACK, payload: Buffer.from('klmnopqrst') },
    { src: A, dst: B, seq: isn + 1, flags: TCP_ACK, payload: Buffer.from('abcdefghij') },
    { src: A, dst: B, seq: isn + 1 + 5, flags: TCP_ACK, payload: Buffer.from('fghijklmno') }, // overlap
    { src: B, dst: A, seq: 5001, flags: TCP_ACK, payload: Buffer.from('reply') },
  ];
  for (const be of [false, true]) {
    const file = readPcap(pcap(segs, be));
    t.equal(file.packets.length, 6);
    t.equal(file.snapLen, 256);
    const conns = tcpConnections(file);
    t.equal(conns.length, 1);
    const c = conns[0]!;
    t.ok(c.sawSyn);
    t.equal(c.client.sport, 1023, 'the SYN sender is the client');
    t.equal(c.client.length, 20);
    t.equal(c.client.bytes(0, 20)?.toString(), 'abcdefghijklmnopqrst');
    t.equal(c.client.bytes(8, 13)?.toString(), 'ijklm', 'a range spanning two segments');
    t.equal(c.client.frameAt(0), 4);
    t.equal(c.client.frameAt(12), 3, 'earliest frame that carried the byte');
    t.equal(c.server.bytes(0, 5)?.toString(), 'reply');
  }
});

t.test('snaplen-cut frames leave holes that are reported, not invented', async (t) => {
  const segs: Seg[] = [
    { src: A, dst: B, seq: 100, flags: TCP_ACK, payload: Buffer.from('0123456789'), captured: 4 },
    { src: A, dst: B, seq: 110, flags: TCP_ACK, payload: Buffer.from('ABCDEFGHIJ') },
  ];
  const c = tcpConnections(readPcap(pcap(segs)))[0]!;
  t.notOk(c.sawSyn, 'capture started mid-connection');
  t.equal(c.client.length, 20, 'length counts bytes sent, captured or not');
  t.equal(c.client.bytes(0, 4)?.toString(), '0123');
  t.equal(c.client.bytes(2, 6), undefined);
  t.notOk(c.client.covered(0, 11));
  t.ok(c.client.covered(10, 20));
  t.equal(c.client.frameAt(7), 1, 'the cut frame still owns its bytes');
  t.equal(c.client.bytes(18, 40)?.toString(), 'IJ', 'clipped to the stream length');
});

t.test('non-TCP frames are ignored; a file cut mid-record stops cleanly', async (t) => {
  const good = pcap([{ src: A, dst: B, seq: 1, flags: TCP_ACK, payload: Buffer.from('x') }]);
  const arp = Buffer.from(good);
  arp.writeUInt16BE(0x0806, 24 + 16 + 12);
  const file = readPcap(arp);
  t.equal(parseTcp(file.packets[0]!), undefined);
  t.equal(tcpConnections(file).length, 0);
  t.equal(readPcap(good.subarray(0, good.length - 3)).packets.length, 0);
  t.throws(() => readPcap(Buffer.alloc(24)), /unknown magic/);
});
