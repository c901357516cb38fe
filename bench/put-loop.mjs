#!/usr/bin/env node
// 0 B PUT (no ACK) rounds between two processes, as bench/socklnd.mjs's phase 2 (same harness,
// client on CPU 0, server on CPU 1), printing per round: rate, CPU per message at the sender
// (c) and the receiver (s), each with its system part and bench/calib.mjs's reading (cal) of
// how fast that CPU runs JavaScript at the time. For A/B runs of two builds: DIST=<dist dir>.
// Usage: npm run build && node bench/put-loop.mjs [rounds 5] [n 300000]
// Env: MDREUSE=1 (0 B PUTs from one MD of threshold ∞, as socklnd.mjs's second form), SIZE
// (payload bytes, 0; SIZE=1048576 with n 1000 is the 1 MiB bandwidth phase alone: MiB/s, CPU
// per MiB), WARM (warm-up PUTs, 150000; 100 with a payload), NOPIN, POLLUTE=b|p|o (1 MiB PUTs
// / pings / pings from a second LNet instance before the rounds), VG_SERVER=<executable>
// (runs the server, e.g. a script exec-ing valgrind --tool=callgrind node --single-threaded "$@"),
// PC (peer_credits at both ends and the PUT window, 64).
import { fork } from 'node:child_process';
import { pinPair } from './pin.mjs';
import { calibrate } from './calib.mjs';
import { attachPutSink, lnetPuts } from './put-window.mjs';
import { fileURLToPath } from 'node:url';
const dist = process.env.DIST ?? new URL('../dist', import.meta.url).pathname;
const { LNet } = await import(dist + '/src/index.js');
const { SockLnd } = await import(dist + '/lnd/socklnd/index.js');
const PC = Number(process.env.PC ?? 64);
const SERVER = '127.0.0.3', CLIENT = '127.0.0.2';
if (process.argv.includes('--server')) {
  const port = Number(process.argv[process.argv.indexOf('--port') + 1]);
  const lnd = new SockLnd({ acceptPort: port, accept: 'all', params: { peer_credits: PC } });
  const node = await LNet.start({ nets: [{ net: 'tcp', lnd, nis: [{ nid: `${SERVER}@tcp` }], tunables: { peer_credits: PC, credits: 1024 } }] });
  let puts = 0, target = Infinity, cpu0 = process.cpuUsage();
  attachPutSink(node, () => { if (++puts === target) process.send({ done: true, cpu: process.cpuUsage(cpu0), calib: calibrate() }); });
  process.on('message', async (m) => {
    if (m.expect !== undefined) { puts = 0; target = m.expect; cpu0 = process.cpuUsage(); process.send({ ready: true }); }
    else if (m.exit) { await node.shutdown(); process.exit(0); }
  });
  process.send({ ready: true });
} else {
  const rounds = Number(process.argv[2] ?? 5), n = Number(process.argv[3] ?? 300000);
  const PORT = 23000 + (process.pid % 1000) * 2;
  const child = fork(fileURLToPath(import.meta.url), ['--server', '--port', String(PORT)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...(process.env.VG_SERVER ? { execPath: process.env.VG_SERVER, execArgv: [] } : {}) });
  const msgs = []; let waiter;
  child.on('message', (m) => (waiter ? (waiter(m), (waiter = undefined)) : msgs.push(m)));
  const next = () => (msgs.length ? Promise.resolve(msgs.shift()) : new Promise((r) => (waiter = r)));
  await next();
  pinPair(child.pid, !!process.env.NOPIN);
  const lnd = new SockLnd({ acceptPort: PORT, params: { peer_credits: PC } });
  const node = await LNet.start({ nets: [{ net: 'tcp', lnd, nis: [{ nid: `${CLIENT}@tcp` }], tunables: { peer_credits: PC, credits: 1024 } }] });
  const target = node.parseTarget(`12345-${SERVER}@tcp`);
  const SIZE = Number(process.env.SIZE ?? 0);
  const puts = (n, size = SIZE) => lnetPuts(node, target, n, size, PC, !!process.env.MDREUSE && size === 0);
  const W = Number(process.env.WARM ?? (SIZE ? 100 : 150000)); child.send({ expect: W }); await next(); await puts(W); await next();
  if (process.env.POLLUTE) {
    const P = process.env.POLLUTE;
    if (P.includes('b')) { child.send({ expect: 50 }); await next(); await puts(50, 1 << 20); await next(); }
    if (P.includes('o')) { const l2 = new SockLnd({ acceptPort: PORT, params: { peer_credits: PC } }); const n2 = await LNet.start({ nets: [{ net: 'tcp', lnd: l2, nis: [{ nid: `127.0.0.4@tcp` }], tunables: { peer_credits: PC, credits: 1024 } }] });
      const sink = new Uint8Array(4096); for (let i = 0; i < 3000; i++) await n2.getAsync({ target, portal: 0, matchBits: 0x8000000000000000n, sink }); }
    if (P.includes('p')) { const sink = new Uint8Array(4096); for (let i = 0; i < 3000; i++) await node.getAsync({ target, portal: 0, matchBits: 0x8000000000000000n, sink }); }
  }
  const out = [];
  for (let r = 0; r < rounds; r++) {
    child.send({ expect: n }); await next();
    const t0 = performance.now(), c0 = process.cpuUsage();
    await puts(n);
    const cc = process.cpuUsage(c0);
    const s = await next();
    const rate = n / ((performance.now() - t0) / 1000);
    const ccal = calibrate();
    // CPU per message in µs (per MiB with SIZE=1048576).
    const what = SIZE ? `${((rate * SIZE) / (1 << 20)).toFixed(0)}MiB/s` : `${(rate / 1e6).toFixed(2)}M`;
    out.push(`${what} c${((cc.user + cc.system) / n).toFixed(3)}(sys${(cc.system / n).toFixed(3)},cal${ccal.toFixed(2)}) s${((s.cpu.user + s.cpu.system) / n).toFixed(3)}(sys${(s.cpu.system / n).toFixed(3)},cal${s.calib.toFixed(2)})`);
  }
  console.log(out.join(' | '));
  await node.shutdown(); const ex = new Promise((r) => child.on('exit', r)); child.send({ exit: true }); await ex; process.exit(0);
}
