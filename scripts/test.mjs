#!/usr/bin/env node
// Runs the whole suite: build (CLIs and e2e tests use dist/), then tap with the raw TAP
// reporter. Prints each file's verdict, the diagnostics of failures, and the closing line
// `N passed, N failed, N skipped`, counting test cases (the t.test() blocks of each file).
// Extra arguments go to tap (e.g. a file list).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.log('build failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

mkdirSync('.tap', { recursive: true });
const log = createWriteStream('.tap/last.tap');
const child = spawn('npx', ['tap', '--reporter=tap', ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});

let passed = 0;
let failed = 0;
let skipped = 0;
let fileFailures = 0;
let inFailure = false;
const caseLine = /^ {4}(not )?ok \d+ - (.*?)(?: # (SKIP|TODO)\b.*| # time=.*)?$/;
const fileLine = /^(not )?ok \d+ - (\S+)/;

const rl = createInterface({ input: child.stdout });
rl.on('line', (line) => {
  log.write(`${line}\n`);
  const c = caseLine.exec(line);
  if (c) {
    inFailure = false;
    if (c[3] === 'SKIP' || c[3] === 'TODO') skipped++;
    else if (c[1]) {
      failed++;
      fileFailures++;
      console.log(`  not ok - ${c[2]}`);
    } else passed++;
    return;
  }
  const f = fileLine.exec(line);
  if (f) {
    // A file that failed outside any test case (load error, crash, timeout) counts once.
    if (f[1] && fileFailures === 0) failed++;
    console.log(`${f[1] ? 'not ok' : 'ok'} ${f[2]}`);
    fileFailures = 0;
    inFailure = false;
    return;
  }
  if (/^\s+not ok \d+/.test(line)) inFailure = true;
  else if (/^\s+ok \d+/.test(line)) inFailure = false;
  if (inFailure) console.log(line);
});

child.on('close', (code) => {
  log.end();
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
