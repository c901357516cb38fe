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
import { hotPathRig, median as med } from './hot-path-rig.mjs';
const dist = process.env.DIST ?? new URL('../dist', import.meta.url).pathname;
const rounds = Number(process.argv[2] ?? 7), n = Number(process.argv[3] ?? 320000);
const { txRound: tx1, rxRound: rx1 } = await hotPathRig({
  dist, port: 24000 + (process.pid % 1000) * 2, shared: !!process.env.MDREUSE,
  warm: Number(process.env.WARM ?? 100000), pollute: process.env.POLLUTE ?? '', firstRound: n,
});
const txRound = () => tx1(n), rxRound = () => rx1(n);
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
console.log(`tx ns/msg ${tx.map((x) => x.toFixed(0)).join(' ')} | median ${med(tx).toFixed(0)} | in calib units ${med(ntx).toFixed(1)}`);
console.log(`rx ns/msg ${rx.map((x) => x.toFixed(0)).join(' ')} | median ${med(rx).toFixed(0)} | in calib units ${med(nrx).toFixed(1)}`);
process.exit(0);
