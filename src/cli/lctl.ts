#!/usr/bin/env node
/** lctl: the LNet commands of Lustre's lctl, talking to lnetd (see src/cli/lctl/). */
import { lctlMain } from './lctl/main.js';

const io = { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };

lctlMain(process.argv.slice(2), { io }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`lctl: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
