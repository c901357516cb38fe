#!/usr/bin/env node
/** lnetctl: the kernel's LNet configuration tool, talking to lnetd (see src/cli/lnetctl/). */
import { lnetctlMain } from './lnetctl/main.js';

const io = { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };

lnetctlMain(process.argv.slice(2), { io }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`lnetctl: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
