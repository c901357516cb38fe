#!/usr/bin/env node
// npm's install step: build socklnd's socket-option addon (lnd/socklnd/native) with node-gyp.
// Without a C compiler or Node's headers the build fails and ulnet runs without the addon:
// this says so and lets the install succeed (socklnd then logs which options it cannot set).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../lnd/socklnd/native', import.meta.url));
// node-gyp: the project's own (a dev dependency), else the one npm names for its scripts
// (npm_config_node_gyp, npm's bundled copy), else whatever PATH has.
const local = fileURLToPath(new URL('../node_modules/node-gyp/bin/node-gyp.js', import.meta.url));
const script = existsSync(local) ? local : process.env.npm_config_node_gyp;
const [cmd, args] = script ? [process.execPath, [script]] : ['node-gyp', []];
// Node's own headers when they sit beside it (Debian's /usr/include/node, Node's tarballs), so
// no download is needed; npm passes its `nodedir` setting itself (npm_config_nodedir).
const prefix = resolve(dirname(process.execPath), '..');
const nodedir = !process.env.npm_config_nodedir && existsSync(join(prefix, 'include/node/node_api.h')) ? [`--nodedir=${prefix}`] : [];
const r = spawnSync(cmd, [...args, 'rebuild', `--directory=${dir}`, ...nodedir], {
  stdio: ['ignore', 'ignore', 'pipe'],
  shell: process.platform === 'win32',
  // Bounded: node-gyp may first download Node's headers.
  timeout: 10 * 60_000,
});
if (r.status !== 0) {
  // node-gyp's own error lines (a compiler's, make's, or its stack's first), else its last lines.
  const lines = (r.stderr?.toString() ?? '').trim().split('\n');
  const errs = lines.filter((l) => /\berror:|Error:|make: \*\*\*/.test(l)).slice(0, 3);
  const why = r.error ? r.error.message : (errs.length ? errs : lines.slice(-3)).join('\n') || `exit ${r.status}`;
  console.warn(`ulnet: the socket-option addon was not built, so socklnd cannot set tos, buffer sizes or the keepalive interval/count:\n${why}`);
}
