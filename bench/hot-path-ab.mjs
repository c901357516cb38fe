#!/usr/bin/env node
// bench/hot-path.mjs for two or more builds in one process, their rounds interleaved, so that
// the machine's drift (bench/calib.mjs) falls on every build alike; each round is also divided
// by a calibration reading taken around it. Each argument is a build directory, optionally
// with `:shared` (every PUT from one MD of threshold ∞) or `:bind` (an MD bound per PUT, the
// default); the same build may be given twice (one module instance, two LNet pairs).
// Noise: two copies of one build differ by up to ~4 % at the sender and ~10 % at the receiver
// (medians of 21 rounds); run it with the order of the builds swapped, and more than once.
// Usage: npm run build && taskset -c 1 node bench/hot-path-ab.mjs [--rounds 21] [--n 64000] dist[:shared] dist2[:bind] ...
import { resolve } from 'node:path';
import { calibrate } from './calib.mjs';
import { hotPathRig, median } from './hot-path-rig.mjs';
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); if (i < 0) return def; const v = Number(args[i + 1]); args.splice(i, 2); return v; };
const rounds = opt('--rounds', 21), n = opt('--n', 64000);
if (args.length === 0) { console.error('usage: hot-path-ab.mjs [--rounds 21] [--n 64000] <dist>[:shared|:bind] ...'); process.exit(2); }
const builds = [];
for (const [k, arg] of args.entries()) {
  const [dir, mode = 'bind'] = arg.split(':');
  const rig = await hotPathRig({
    dist: resolve(dir), port: 25000 + (process.pid % 400) * 16 + k * 2,
    server: `127.0.0.${10 + 2 * k}`, client: `127.0.0.${11 + 2 * k}`, shared: mode === 'shared',
  });
  builds.push({ arg, rig, tx: [], rx: [] });
}
for (let r = 0; r < rounds; r++) {
  for (const b of builds) {
    const c1 = calibrate(200);
    const tx = await b.rig.txRound(n);
    const rx = await b.rig.rxRound(n);
    const cal = (c1 + calibrate(200)) / 2;
    b.tx.push(tx / cal);
    b.rx.push(rx / cal);
  }
}
for (const b of builds) console.log(`${b.arg}: tx ${median(b.tx).toFixed(1)} rx ${median(b.rx).toFixed(1)} (calibration units, median of ${rounds} rounds)`);
process.exit(0);
