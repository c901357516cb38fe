#!/usr/bin/env node
// A floor, not a measure of ulnet: the receiver's per-message work for a 0 B PUT written as one
// function over plain objects, to bound what restructuring ulnet's receive path could gain
// (bench/RESULTS.md, "What was done for the 0 B rate"). Per message: the 96-byte frame's
// header fields (nid4 layout) read as 32-bit words into a header object, a pooled message,
// the peer looked up and stamped, commit onto an active list with counters, the portal's ME
// list walked and the MD's bits/pid/op checked, the PUT event filled and handed to the MD's
// handler, health and stats counters, off the active list, the message reset (~35 fields)
// and pooled. Left out: framing across reads, the socket, checksums, and every case but a
// matched 0 B PUT (ACKs, GET/REPLY, lazy portals, routing, multi-rail, discovery, errors).
// Usage: taskset -c 1 node bench/rx-floor.mjs [rounds 8] [n 2000000]; prints ns per message
// (and calibration units, bench/calib.mjs).
import { calibrate } from './calib.mjs';

const rounds = Number(process.argv[2] ?? 8), n = Number(process.argv[3] ?? 2_000_000);
const N = 64;
const frames = Buffer.alloc(96 * N);
for (let i = 0; i < N; i++) {
  const o = i * 96; // a 24-byte ksock header, then the nid4 LNet header
  frames.writeUInt32LE(0x0a000002, o + 24); // dest nid
  frames.writeUInt32LE(0x20000, o + 28);
  frames.writeUInt32LE(0x0a000001, o + 32); // src nid
  frames.writeUInt32LE(0x20000, o + 36);
  frames.writeUInt32LE(12345, o + 40); // dest pid
  frames.writeUInt32LE(12345, o + 44); // src pid
  frames.writeUInt32LE(1, o + 48); // PUT
  frames.writeUInt32LE(30, o + 88); // portal
}
const u32 = new Uint32Array(frames.buffer, frames.byteOffset, frames.length / 4);

class Hdr {
  constructor() {
    this.type = 0; this.len = 0; this.dstLo = 0; this.dstHi = 0; this.srcLo = 0; this.srcHi = 0; this.dpid = 0; this.spid = 0;
    this.ptl = 0; this.mbLo = 0; this.mbHi = 0; this.off = 0; this.hdLo = 0; this.hdHi = 0; this.wmdA = 0; this.wmdB = 0; this.wmdC = 0; this.wmdD = 0;
  }
}
class Ev {
  constructor() {
    this.type = 0; this.init = null; this.src = null; this.ptl = 0; this.mbLo = 0; this.mbHi = 0; this.rlen = 0; this.mlen = 0;
    this.off = 0; this.hdLo = 0; this.hdHi = 0; this.md = null; this.status = 0; this.unlinked = false; this.sender = null;
  }
}
class Msg {
  constructor() { this.hdr = new Hdr(); this.ev = new Ev(); this.reset(); }
  reset() {
    this.type = 0; this.len = 0; this.md = null; this.peer = null; this.ni = null; this.next = null; this.prev = null; this.deadline = 0;
    this.rx = false; this.tx = false; this.offset = 0; this.wanted = 0; this.ack = false; this.status = 0; this.a1 = 0; this.a2 = 0;
    this.a3 = null; this.a4 = null; this.a5 = false; this.a6 = false; this.a7 = 0; this.a8 = 0; this.a9 = null; this.a10 = null;
    this.a11 = 0; this.a12 = 0; this.a13 = 0; this.a14 = 0; this.a15 = null; this.a16 = null; this.a17 = false; this.a18 = false;
    this.a19 = 0; this.a20 = 0;
  }
}
const pool = Array.from({ length: 256 }, () => new Msg());
const peer = { stats: new Float64Array(15), health: 1000, lastAlive: 0 };
const ni = { stats: new Float64Array(15), health: 1000 };
const peers = new Map([[0x0a000001 * 65536 + 2, peer]]);
let puts = 0;
const md = { threshold: -1, options: 0x1 | 0x20 | 0x40, offset: 0, length: 0, refcount: 0, handler: () => { puts++; } };
const portals = Array.from({ length: 64 }, () => ({ list: [] }));
portals[30].list.push({ md, mbLo: 0, mbHi: 0, igLo: 0xffffffff, igHi: 0xffffffff, pid: -1 });
const counters = { recv_count: 0, recv_length: 0, msgs_alloc: 0, msgs_max: 0 };
let head = null;

function rx(w, b) {
  const msg = pool.pop();
  const h = msg.hdr;
  h.dstLo = w[b + 6]; h.dstHi = w[b + 7]; h.srcLo = w[b + 8]; h.srcHi = w[b + 9]; h.dpid = w[b + 10]; h.spid = w[b + 11];
  h.type = w[b + 12]; h.len = w[b + 13]; h.wmdA = w[b + 14]; h.wmdB = w[b + 15]; h.wmdC = w[b + 16]; h.wmdD = w[b + 17];
  h.mbLo = w[b + 18]; h.mbHi = w[b + 19]; h.hdLo = w[b + 20]; h.hdHi = w[b + 21]; h.ptl = w[b + 22]; h.off = w[b + 23];
  if (h.type !== 1 || h.len !== 0) throw new Error('not a 0 B PUT');
  const p = peers.get(h.srcLo * 65536 + 2);
  p.lastAlive = 1;
  msg.type = h.type; msg.len = h.len; msg.peer = p; msg.ni = ni; msg.rx = true; msg.deadline = 151000;
  msg.next = head;
  if (head) head.prev = msg;
  head = msg;
  if (++counters.msgs_alloc > counters.msgs_max) counters.msgs_max = counters.msgs_alloc;
  if (h.ptl >= portals.length) throw new Error('bad portal');
  const list = portals[h.ptl].list;
  let m = null;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    const d = e.md;
    if (!d || d.threshold === 0 || (d.options & 1) === 0) continue;
    if (((e.mbLo ^ h.mbLo) & ~e.igLo) !== 0 || ((e.mbHi ^ h.mbHi) & ~e.igHi) !== 0) continue;
    if (e.pid !== -1 && e.pid !== h.spid) continue;
    m = d;
    break;
  }
  if (!m) throw new Error('no match');
  m.refcount++;
  if (m.threshold > 0) m.threshold--;
  msg.md = m; msg.offset = 0; msg.wanted = 0; msg.ack = false;
  const ev = msg.ev;
  ev.type = 1; ev.init = p; ev.src = p; ev.ptl = h.ptl; ev.mbLo = h.mbLo; ev.mbHi = h.mbHi; ev.rlen = h.len; ev.mlen = 0;
  ev.off = 0; ev.hdLo = h.hdLo; ev.hdHi = h.hdHi; ev.md = m; ev.status = 0; ev.unlinked = false; ev.sender = p;
  if (p.health < 1000) p.health++;
  if (ni.health < 1000) ni.health++;
  m.refcount--;
  m.handler(ev);
  counters.recv_count++;
  p.stats[6]++;
  ni.stats[6]++;
  if (msg.prev) msg.prev.next = msg.next;
  else head = msg.next;
  if (msg.next) msg.next.prev = msg.prev;
  counters.msgs_alloc--;
  msg.reset();
  pool.push(msg);
}

function round() {
  const c0 = process.cpuUsage();
  for (let k = 0; k < n / N; k++) for (let i = 0; i < N; i++) rx(u32, i * 24);
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}
round();
calibrate();
const out = [];
for (let r = 0; r < rounds; r++) {
  const c1 = calibrate();
  const ns = round();
  out.push(`${ns.toFixed(0)} (${((ns / (c1 + calibrate())) * 2).toFixed(1)})`);
}
if (puts !== n * (rounds + 1)) throw new Error(`${puts} events for ${n * (rounds + 1)} frames`);
console.log(`rx floor ns/msg (calib units): ${out.join(' ')}`);
