#!/usr/bin/env node
// 1 MiB PUT rounds between two processes, as bench/socklnd.mjs's bandwidth phase (client on
// CPU 0, server on CPU 1, 64 in flight), printing per round: MiB/s and CPU per MiB at the
// sender (c) and at the receiver (s, with its system part). For A/B runs of two builds, where
// the bandwidth itself swings with the machine: DIST=<dist dir>.
// Usage: npm run build && node bench/bulk-loop.mjs [rounds 4] [n 1000]
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pinPair } from './pin.mjs';
import { attachPutSink, lnetPuts } from './put-window.mjs';
const dist = process.env.DIST ?? new URL('../dist', import.meta.url).pathname;
const { LNet } = await import(dist + '/src/index.js');
const { SockLnd } = await import(dist + '/lnd/socklnd/index.js');
const SERVER = '127.0.0.3', CLIENT = '127.0.0.2', MIB = 1 << 20;
const tunables = { peer_credits: 64, credits: 1024 };
if (process.argv.includes('--server')) {
  const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
  const node = await LNet.start({ nets: [{ net: 'tcp', lnd: new SockLnd({ acceptPort: port, accept: 'all', params: { peer_credits: 64 } }), nis: [{ nid: `${SERVER}@tcp` }], tunables }] });
  let puts = 0, target = Infinity, cpu0 = process.cpuUsage();
  attachPutSink(node, () => { if (++puts === target) process.send({ done: true, cpu: process.cpuUsage(cpu0) }); });
  process.on('message', async (m) => {
    if (m.expect !== undefined) { puts = 0; target = m.expect; cpu0 = process.cpuUsage(); process.send({ ready: true }); }
    else if (m.exit) { await node.shutdown(); process.exit(0); }
  });
  process.send({ ready: true });
} else {
  const rounds = Number(process.argv[2] ?? 4), n = Number(process.argv[3] ?? 1000);
  const PORT = 27000 + (process.pid % 1000) * 2;
  const child = fork(fileURLToPath(import.meta.url), ['--server', '--port', String(PORT)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const msgs = []; let waiter;
  child.on('message', (m) => (waiter ? (waiter(m), (waiter = undefined)) : msgs.push(m)));
  const next = () => (msgs.length ? Promise.resolve(msgs.shift()) : new Promise((r) => (waiter = r)));
  await next();
  pinPair(child.pid, !!process.env.NOPIN);
  const node = await LNet.start({ nets: [{ net: 'tcp', lnd: new SockLnd({ acceptPort: PORT, params: { peer_credits: 64 } }), nis: [{ nid: `${CLIENT}@tcp` }], tunables }] });
  const target = node.parseTarget(`12345-${SERVER}@tcp`);
  // Warm-up: connections made, JIT warm.
  child.send({ expect: 100 }); await next(); await lnetPuts(node, target, 100, MIB); await next();
  const out = [];
  for (let r = 0; r < rounds; r++) {
    child.send({ expect: n }); await next();
    const t0 = performance.now(), c0 = process.cpuUsage();
    await lnetPuts(node, target, n, MIB);
    const cc = process.cpuUsage(c0);
    const s = await next();
    const bw = n / ((performance.now() - t0) / 1000);
    out.push(`${bw.toFixed(0)} MiB/s c${((cc.user + cc.system) / n).toFixed(0)}µs s${((s.cpu.user + s.cpu.system) / n).toFixed(0)}µs(sys${(s.cpu.system / n).toFixed(0)})`);
  }
  console.log(out.join(' | '));
  child.send({ exit: true }); await node.shutdown(); process.exit(0);
}
