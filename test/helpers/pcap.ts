/**
 * Test helper: a minimal reader for classic pcap files (Ethernet / IPv4 / TCP) and a TCP
 * stream reassembler. Handles snaplen-limited captures: bytes a frame did not capture
 * are holes in the stream (`bytes` returns undefined over them), never fabricated data.
 */

export interface PcapPacket {
  /** 1-based frame number, as Wireshark numbers them. */
  frame: number;
  tsSec: number;
  tsFrac: number;
  /** Captured bytes (may be shorter than origLen). */
  data: Buffer;
  origLen: number;
}

export interface PcapFile {
  linkType: number;
  snapLen: number;
  nanosecond: boolean;
  packets: PcapPacket[];
}

export function readPcap(buf: Buffer, maxPackets = Infinity): PcapFile {
  if (buf.length < 24) throw new Error('pcap: file shorter than its global header');
  const m = buf.readUInt32LE(0);
  let le: boolean;
  let nanosecond = false;
  if (m === 0xa1b2c3d4) le = true;
  else if (m === 0xd4c3b2a1) le = false;
  else if (m === 0xa1b23c4d) (le = true), (nanosecond = true);
  else if (m === 0x4d3cb2a1) (le = false), (nanosecond = true);
  else throw new Error(`pcap: unknown magic 0x${m.toString(16)} (pcapng is not supported)`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const snapLen = u32(16);
  const linkType = u32(20) & 0xffff;
  const packets: PcapPacket[] = [];
  let o = 24;
  while (o + 16 <= buf.length && packets.length < maxPackets) {
    const incl = u32(o + 8);
    const orig = u32(o + 12);
    if (o + 16 + incl > buf.length) break; // file cut mid-record
    packets.push({
      frame: packets.length + 1,
      tsSec: u32(o),
      tsFrac: u32(o + 4),
      data: buf.subarray(o + 16, o + 16 + incl),
      origLen: orig,
    });
    o += 16 + incl;
  }
  return { linkType, snapLen, nanosecond, packets };
}

export interface TcpSegment {
  frame: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  flags: number;
  /** Payload bytes that were captured. */
  payload: Buffer;
  /** Payload length on the wire (from the IP total length). */
  wireLen: number;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

const ipStr = (b: Buffer, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** Ethernet II (optionally one 802.1Q tag) → IPv4 → TCP; undefined for anything else. */
export function parseTcp(p: PcapPacket): TcpSegment | undefined {
  const d = p.data;
  if (d.length < 14) return undefined;
  let eo = 12;
  let etype = d.readUInt16BE(eo);
  if (etype === 0x8100) {
    if (d.length < 18) return undefined;
    eo += 4;
    etype = d.readUInt16BE(eo);
  }
  if (etype !== 0x0800) return undefined;
  const ip = eo + 2;
  if (d.length < ip + 20) return undefined;
  const ihl = (d[ip]! & 0x0f) * 4;
  if (d[ip]! >> 4 !== 4 || ihl < 20 || d[ip + 9] !== 6) return undefined;
  const fragOff = d.readUInt16BE(ip + 6) & 0x1fff;
  if (fragOff !== 0) return undefined;
  const totalLen = d.readUInt16BE(ip + 2);
  const tcp = ip + ihl;
  if (d.length < tcp + 20) return undefined;
  const doff = (d[tcp + 12]! >> 4) * 4;
  const wireLen = Math.max(0, totalLen - ihl - doff);
  const start = tcp + doff;
  const end = Math.min(d.length, start + wireLen);
  return {
    frame: p.frame,
    src: ipStr(d, ip + 12),
    dst: ipStr(d, ip + 16),
    sport: d.readUInt16BE(tcp),
    dport: d.readUInt16BE(tcp + 2),
    seq: d.readUInt32BE(tcp + 4),
    flags: d[tcp + 13]!,
    payload: start <= end ? d.subarray(start, end) : Buffer.alloc(0),
    wireLen,
  };
}

/**
 * One direction of a TCP connection, reassembled by sequence number. Storage is sparse (the
 * captured pieces, indexed), so a capture of gigabytes of bulk data cut to 256 bytes a frame
 * costs only what was captured.
 */
export class TcpFlow {
  readonly pieces: { rel: number; data: Buffer; wireLen: number; frame: number }[] = [];
  private base: number | undefined;
  private sorted: { rel: number; data: Buffer; wireLen: number; frame: number }[] | undefined;

  constructor(
    readonly src: string,
    readonly sport: number,
    readonly dst: string,
    readonly dport: number,
  ) {}

  add(s: TcpSegment): void {
    if (s.flags & TCP_SYN) {
      this.base = (s.seq + 1) >>> 0;
      return;
    }
    if (s.wireLen === 0) return;
    if (this.base === undefined) this.base = s.seq; // capture began mid-connection
    const rel = (s.seq - this.base) >>> 0;
    if (rel >= 0x80000000) return; // before the first byte we know about
    this.pieces.push({ rel, data: s.payload, wireLen: s.wireLen, frame: s.frame });
    this.sorted = undefined;
  }

  /** Bytes the sender put on the wire in this direction (captured or not). */
  get length(): number {
    let n = 0;
    for (const p of this.pieces) n = Math.max(n, p.rel + p.wireLen);
    return n;
  }

  private index(): { rel: number; data: Buffer; wireLen: number; frame: number }[] {
    if (!this.sorted) this.sorted = [...this.pieces].sort((x, y) => x.rel - y.rel || x.frame - y.frame);
    return this.sorted;
  }

  /** Pieces that may overlap [start, end): a TCP segment is at most 64 KiB long. */
  private overlapping(start: number, end: number): { rel: number; data: Buffer; wireLen: number; frame: number }[] {
    const s = this.index();
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]!.rel < end) lo = mid + 1;
      else hi = mid;
    }
    const out = [];
    for (let i = lo - 1; i >= 0 && s[i]!.rel + 0x10000 > start; i--) {
      const p = s[i]!;
      if (p.rel + p.wireLen > start) out.push(p);
    }
    return out.reverse();
  }

  /**
   * The bytes [start, end) if the capture holds every one of them, else undefined.
   * `end` is clipped to the stream length.
   */
  bytes(start: number, end: number): Buffer | undefined {
    end = Math.min(end, this.length);
    if (end <= start) return Buffer.alloc(0);
    const ps = this.overlapping(start, end);
    for (const p of ps)
      if (p.rel <= start && p.rel + p.data.length >= end) return p.data.subarray(start - p.rel, end - p.rel);
    const out = Buffer.alloc(end - start);
    const got = new Uint8Array(end - start);
    let n = 0;
    for (const p of ps) {
      const from = Math.max(start, p.rel);
      const to = Math.min(end, p.rel + p.data.length);
      for (let i = from; i < to; i++)
        if (!got[i - start]) {
          got[i - start] = 1;
          out[i - start] = p.data[i - p.rel]!;
          n++;
        }
    }
    return n === end - start ? out : undefined;
  }

  /** True when every byte of [start, end) was captured. */
  covered(start: number, end: number): boolean {
    return end <= this.length && this.bytes(start, end) !== undefined;
  }

  /** The earliest frame that carried stream offset `off` (undefined if none did). */
  frameAt(off: number): number | undefined {
    let best: number | undefined;
    for (const p of this.overlapping(off, off + 1))
      if (off < p.rel + p.wireLen && (best === undefined || p.frame < best)) best = p.frame;
    return best;
  }

  get name(): string {
    return `${this.src}:${this.sport}->${this.dst}:${this.dport}`;
  }
}

export interface TcpConnection {
  /** Stream index in order of first appearance (Wireshark's tcp.stream). */
  index: number;
  /** The side that sent the SYN, or the sender of the first segment seen. */
  client: TcpFlow;
  server: TcpFlow;
  /** Whether the capture saw the handshake. */
  sawSyn: boolean;
}

/** Group the TCP segments of a capture into connections, one flow per direction. */
export function tcpConnections(file: PcapFile): TcpConnection[] {
  const conns = new Map<string, TcpConnection>();
  const order: TcpConnection[] = [];
  for (const p of file.packets) {
    const s = parseTcp(p);
    if (!s) continue;
    const a = `${s.src}:${s.sport}`;
    const b = `${s.dst}:${s.dport}`;
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    let c = conns.get(key);
    if (!c) {
      // A SYN-ACK first means we missed the SYN: its receiver is the client.
      const reversed = (s.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
      const fwd = new TcpFlow(s.src, s.sport, s.dst, s.dport);
      const rev = new TcpFlow(s.dst, s.dport, s.src, s.sport);
      c = {
        index: order.length,
        client: reversed ? rev : fwd,
        server: reversed ? fwd : rev,
        sawSyn: (s.flags & TCP_SYN) !== 0,
      };
      conns.set(key, c);
      order.push(c);
    }
    const flow = c.client.src === s.src && c.client.sport === s.sport ? c.client : c.server;
    flow.add(s);
  }
  return order;
}
