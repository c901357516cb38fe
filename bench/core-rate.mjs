#!/usr/bin/env node
// Messages per second through the loopback LND and the memory LND (PUT with and without ACK,
// 0 B and 4 KiB), next to raw Node TCP on loopback measured in the same run (96-byte frames,
// the size of a ksock header + LNet header, echoed back per window), so figures are ratios.
// Usage: npm run build && node bench/core-rate.mjs [--seconds 2]
import net from 'node:net';
import { LNet, MemoryFabric, LNET_ANY_NID, LNET_PID_ANY, LNET_MD_THRESH_INF, MdOption, AckReq, Unlink, EventKind } from '../dist/src/index.js';
import { steadyMalloc } from './steady-malloc.mjs';

// glibc's trim threshold fixed, as bench/socklnd.mjs runs (steady-malloc.mjs says why).
steadyMalloc();

const secArg = process.argv.indexOf('--seconds');
const SECONDS = secArg > 0 ? Number(process.argv[secArg + 1]) : 2;
const WINDOW = 64;

async function rawTcpRate() {
  const frame = Buffer.alloc(96);
  const server = net.createServer((s) => s.on('data', (d) => s.write(d)));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const sock = net.connect(server.address().port, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise((r) => sock.on('connect', r));
  let done = 0;
  let pendingBytes = 0;
  const end = performance.now() + SECONDS * 1000;
  await new Promise((resolve) => {
    const pump = () => {
      if (performance.now() > end) return resolve();
      const bufs = Array.from({ length: WINDOW }, () => frame);
      pendingBytes += WINDOW * 96;
      sock.write(Buffer.concat(bufs));
    };
    sock.on('data', (d) => {
      pendingBytes -= d.length;
      done += d.length / 96;
      if (pendingBytes === 0) pump();
    });
    pump();
  });
  sock.destroy();
  server.close();
  return done / SECONDS;
}

async function lnetRate(sender, receiver, targetNid, size, ack) {
  const me = receiver.meAttach(20, { nid: LNET_ANY_NID, pid: LNET_PID_ANY }, 0n, 0n);
  receiver.mdAttach(me, { start: new Uint8Array(Math.max(size, 1)), threshold: LNET_MD_THRESH_INF, options: MdOption.OP_PUT | MdOption.MANAGE_REMOTE | MdOption.TRUNCATE });
  const payload = new Uint8Array(size);
  const target = sender.parseTarget(targetNid);
  let completed = 0;
  let inflight = 0;
  const end = performance.now() + SECONDS * 1000;
  await new Promise((resolve) => {
    let stopping = false;
    const handler = (ev) => {
      if (ev.unlinked) {
        completed++;
        inflight--;
        // lolnd completes inside put(), as in the kernel: re-issue from a microtask, not recursively.
        if (!stopping) queueMicrotask(issue);
        else if (inflight === 0) resolve();
      }
    };
    const issue = () => {
      if (performance.now() > end) {
        stopping = true;
        if (inflight === 0) resolve();
        return;
      }
      inflight++;
      const md = sender.mdBind({ start: payload, threshold: ack ? 2 : 1, handler }, Unlink.UNLINK);
      sender.put(undefined, md, ack ? AckReq.ACK : AckReq.NOACK, target, 20, 0n);
    };
    for (let i = 0; i < WINDOW; i++) issue();
  });
  return completed / SECONDS;
}

const raw = await rawTcpRate();
const rows = [];
const lo = await LNet.start({});
const fabric = new MemoryFabric();
const a = await LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.9.0.1@tcp' }], tunables: { peer_credits: 128, credits: 256 } }] });
const b = await LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.9.0.2@tcp' }], tunables: { peer_credits: 128, credits: 256 } }] });
for (const [name, s, r, t] of [['lolnd', lo, lo, '0@lo'], ['memlnd', a, b, '12345-10.9.0.2@tcp']]) {
  for (const size of [0, 4096]) {
    for (const ack of [false, true]) {
      const rate = await lnetRate(s, r, t, size, ack);
      rows.push({ lnd: name, size, ack, rate });
    }
  }
}
await Promise.all([lo.shutdown(), a.shutdown(), b.shutdown()]);

console.log(`node ${process.version}, ${SECONDS} s per case, window ${WINDOW}`);
console.log(`raw Node TCP loopback, 96 B frames echoed: ${Math.round(raw).toLocaleString('en-US')} msg/s`);
console.log('| LND | payload | ACK | msg/s | ratio to raw TCP 96 B |');
console.log('|---|---|---|---|---|');
for (const r of rows)
  console.log(`| ${r.lnd} | ${r.size} B | ${r.ack ? 'yes' : 'no'} | ${Math.round(r.rate).toLocaleString('en-US')} | ${(r.rate / raw).toFixed(2)} |`);
