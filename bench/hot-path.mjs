#!/usr/bin/env node
// JavaScript cost of one 0 B PUT (no ACK) through socklnd, sender and receiver apart, without
// the kernel: for A/B runs between builds where bench/put-loop.mjs's CPU times drift. One
// process holds a client and a server instance joined by real sockets; after real traffic
// (warm-up, and with POLLUTE=b|p 1 MiB PUTs / pings, as the socklnd bench runs first):
//  - tx: the client's connection writes into a stub (its callback on the next tick, as Node
//    calls a completed write back), so a round is LNetPut → ... → SEND/unlink events, 64 in flight;
//  - rx: 64 captured frames (one 6 KiB chunk, as a read brings them) are handed to the server
//    connection's data handler: framing → lnet_parse → match → PUT event → finalize.
// Prints ns per message per round, then the median of each side. Env: DIST=<dist dir> (A/B
// between builds), WARM (real PUTs first, 100000), POLLUTE=b|p, MDREUSE=1 (every PUT from one
// MD of threshold LNET_MD_THRESH_INF instead of an MD bound per PUT), ROUNDLOG=1 (each round
// as it ends). Run it pinned (taskset -c 1) and several times per build: one process tends to
// keep its speed for all its rounds, and processes differ by up to ±30 %.
// Usage: npm run build && node bench/hot-path.mjs [rounds 7] [n 320000]
import { calibrate } from './calib.mjs';
import { attachPutSink, lnetPuts } from './put-window.mjs';
const dist = process.env.DIST ?? new URL('../dist', import.meta.url).pathname;
const { LNet } = await import(dist + '/src/index.js');
const { SockLnd } = await import(dist + '/lnd/socklnd/index.js');
const rounds = Number(process.argv[2] ?? 7), n = Number(process.argv[3] ?? 320000);
const PORT = 24000 + (process.pid % 1000) * 2;
const SERVER = '127.0.0.3', CLIENT = '127.0.0.2';
const tun = { peer_credits: 64, credits: 1024 };
const server = await LNet.start({ nets: [{ net: 'tcp', lnd: new SockLnd({ acceptPort: PORT, accept: 'all', params: { peer_credits: 64 } }), nis: [{ nid: `${SERVER}@tcp` }], tunables: tun }] });
const client = await LNet.start({ nets: [{ net: 'tcp', lnd: new SockLnd({ acceptPort: PORT, params: { peer_credits: 64 } }), nis: [{ nid: `${CLIENT}@tcp` }], tunables: tun }] });
let puts = 0;
attachPutSink(server, () => puts++);
const target = client.parseTarget(`12345-${SERVER}@tcp`);
const putLoop = (count, size = 0) => lnetPuts(client, target, count, size, 64, !!process.env.MDREUSE && size === 0 && count > 1000);
const until = async (cond) => { while (!cond()) await new Promise((r) => setTimeout(r, 5)); };
// Real traffic first, received for real.
const W = Number(process.env.WARM ?? 100000);
puts = 0; await putLoop(W); await until(() => puts === W);
const P = process.env.POLLUTE ?? '';
if (P.includes('b')) { puts = 0; await putLoop(50, 1 << 20); await until(() => puts === 50); }
if (P.includes('p')) { const sink = new Uint8Array(4096); for (let i = 0; i < 3000; i++) await client.getAsync({ target, portal: 0, matchBits: 0x8000000000000000n, sink }); }

const connsOf = (node, nid) => [...node.nis.find((ni) => ni.lndData)?.lndData.peers.values()].filter((p) => p.nid && String(p.address) === nid).flatMap((p) => p.conns);
const cconns = connsOf(client, SERVER), sconns = connsOf(server, CLIENT);
// Stub the client's writes; the first 64 frames written are kept as the receive chunk.
let chunk;
for (const c of cconns) {
  const s = c.sock;
  s.cork = () => {}; s.uncork = () => {};
  s.write = (buf, cb) => {
    if (!chunk && buf.length === 64 * 96) chunk = Buffer.from(buf);
    if (cb) process.nextTick(cb);
    return true;
  };
}
const txRound = async () => { const c0 = process.cpuUsage(); await putLoop(n); const c = process.cpuUsage(c0); return ((c.user + c.system) * 1000) / n; };
await txRound();
if (!chunk) throw new Error('no 64-frame write seen');
// The server connection that received the PUTs (CONTROL from the client's side).
const rxConn = sconns.find((c) => c.rxState === 'header') ?? sconns[0];
const rxRound = async () => {
  puts = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n / 64; i++) {
    rxConn.onChunk(chunk);
    if ((i & 1) === 1) await new Promise(setImmediate);
  }
  const c = process.cpuUsage(c0);
  if (puts !== n) throw new Error(`rx: ${puts} PUT events for ${n} frames`);
  return ((c.user + c.system) * 1000) / n;
};
await rxRound();
// Each round between two readings of bench/calib.mjs: ns per message, and the same in units
// of the calibration workload (steadier across the machine's slow and quiet spells).
calibrate();
const tx = [], rx = [], ntx = [], nrx = [];
for (let r = 0; r < rounds; r++) {
  const c1 = calibrate();
  tx.push(await txRound());
  rx.push(await rxRound());
  const cal = (c1 + calibrate()) / 2;
  ntx.push(tx[r] / cal);
  nrx.push(rx[r] / cal);
  if (process.env.ROUNDLOG) console.log(`round ${r}: tx ${tx[r].toFixed(0)} rx ${rx[r].toFixed(0)} calib ${cal.toFixed(2)}`);
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`tx ns/msg ${tx.map((x) => x.toFixed(0)).join(' ')} | median ${med(tx).toFixed(0)} | in calib units ${med(ntx).toFixed(1)}`);
console.log(`rx ns/msg ${rx.map((x) => x.toFixed(0)).join(' ')} | median ${med(rx).toFixed(0)} | in calib units ${med(nrx).toFixed(1)}`);
process.exit(0);
