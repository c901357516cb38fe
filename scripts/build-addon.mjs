#!/usr/bin/env node
// npm's install step: build socklnd's socket-option addon (lnd/socklnd/native) with node-gyp.
// Without a C compiler or Node's headers the build fails and ulnet runs without the addon:
// this says so and lets the install succeed (socklnd then logs which options it cannot set).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../lnd/socklnd/native', import.meta.url));
// npm puts its own node-gyp (or the project's, from node_modules/.bin) on PATH for scripts.
const r = spawnSync('node-gyp', ['rebuild', `--directory=${dir}`], {
  stdio: ['ignore', 'ignore', 'pipe'],
  shell: process.platform === 'win32',
  // Bounded: node-gyp may first download Node's headers.
  timeout: 10 * 60_000,
});
if (r.status !== 0) {
  const why = r.error ? r.error.message : (r.stderr?.toString().trim().split('\n').slice(-3).join('\n') ?? `exit ${r.status}`);
  console.warn(`ulnet: the socket-option addon was not built, so socklnd cannot set tos, buffer sizes or the keepalive interval/count:\n${why}`);
}
