#!/usr/bin/env node
/**
 * `npm start`: the main job. An lnetd (node A, 127.0.0.2@tcp) on loopback with a default
 * configuration, then a self-check against a second local node (node B, 127.0.0.3@tcp, its own
 * lnetd): `lnetctl ping`, `lnetctl discover`, `lnetctl peer show`, `lctl list_nids`, run as a
 * user would run them, and how to go on. On a terminal lnetd A keeps serving until Ctrl-C;
 * otherwise (or with --check) both stop after the self-check. --serve keeps A in any case.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../control/client.js';

const DIST = fileURLToPath(new URL('.', import.meta.url));
const LNETD = join(DIST, 'lnetd.js');
const LNETCTL = join(DIST, 'lnetctl.js');
const LCTL = join(DIST, 'lctl.js');
const PORT = Number(process.env.ULNET_PORT ?? 20988);
const isRoot = process.getuid?.() === 0;

interface Node {
  name: string;
  nid: string;
  socket: string;
  proc: ChildProcess;
}

function runDir(): string {
  const base = isRoot ? '/run/ulnet' : join(process.env.XDG_RUNTIME_DIR ?? tmpdir(), `ulnet-${process.getuid?.() ?? 'user'}`);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  return base;
}

/** Wait until lnetd answers on its socket (or exited). */
async function ready(n: Node, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (n.proc.exitCode !== null) throw new Error(`lnetd ${n.name} exited with status ${n.proc.exitCode}`);
    try {
      const c = await ControlClient.connect(n.socket, 1000);
      c.close();
      return;
    } catch {
      if (Date.now() > until) throw new Error(`lnetd ${n.name} did not answer on ${n.socket}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** An lnetd, then `lnetctl lnet configure` and `lnetctl net add --nid NID` through its socket. */
async function startNode(name: string, nid: string, socket: string, config: string): Promise<Node> {
  const conf = join(config, 'lustre.conf');
  const proc = spawn(process.execPath, [LNETD, '--config', conf, '--socket', socket, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const n: Node = { name, nid, socket, proc };
  await ready(n);
  const c = await ControlClient.connect(socket);
  try {
    await c.call('lnet.configure', { mode: 'skip' });
    await c.call('net.add', { nid });
  } finally {
    c.close();
  }
  return n;
}

function tool(bin: string, socket: string, args: string[]): { out: string; status: number } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, LNETD_SOCKET: socket }, timeout: 60_000 });
  return { out: (r.stdout ?? '') + (r.stderr ?? ''), status: r.status ?? 1 };
}

function show(title: string, bin: string, socket: string, args: string[]): number {
  const r = tool(bin, socket, args);
  const cmd = `${bin === LCTL ? 'lctl' : 'lnetctl'} ${args.join(' ')}`;
  process.stdout.write(`$ ${cmd}${title ? `   # ${title}` : ''}\n${r.out}${r.out.endsWith('\n') || r.out === '' ? '' : '\n'}`);
  if (r.status !== 0) process.stdout.write(`(exit status ${r.status})\n`);
  return r.status;
}

function stop(n: Node): Promise<void> {
  return new Promise((resolve) => {
    if (n.proc.exitCode !== null) return resolve();
    n.proc.once('exit', () => resolve());
    n.proc.kill('SIGTERM');
    setTimeout(() => n.proc.kill('SIGKILL'), 10_000).unref();
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const serve = args.includes('--serve') || (!args.includes('--check') && process.stdin.isTTY === true);
  const dir = runDir();
  const config = mkdtempSync(join(tmpdir(), 'ulnet-start-'));
  // Port and accept policy for loopback: a high port, and connections from any source port
  // when not root (unprivileged processes cannot bind ports below 1024).
  writeFileSync(join(config, 'lustre.conf'), `options lnet accept_port=${PORT}${isRoot ? '' : ' accept=all'}\n`);
  const socketA = process.env.LNETD_SOCKET ?? join(dir, 'lnetd.sock');
  const socketB = join(dir, 'lnetd-b.sock');
  const nodes: Node[] = [];
  let rc = 0;
  try {
    const a = await startNode('A', '127.0.0.2@tcp', socketA, config);
    nodes.push(a);
    const b = await startNode('B', '127.0.0.3@tcp', socketB, config);
    nodes.push(b);
    process.stdout.write(`lnetd A: ${a.nid} (tcp port ${PORT}), control socket ${a.socket}\n`);
    process.stdout.write(`lnetd B: ${b.nid} (tcp port ${PORT}), control socket ${b.socket}\n\n`);
    const checks = [
      show('node A', LNETCTL, a.socket, ['net', 'show']),
      show('', LCTL, a.socket, ['list_nids']),
      show('a GET of B\'s ping buffer', LNETCTL, a.socket, ['ping', b.nid]),
      show('ping, then push both ways', LNETCTL, a.socket, ['discover', b.nid]),
      show('', LNETCTL, a.socket, ['peer', 'show']),
      show('', LCTL, b.socket, ['ping', a.nid]),
      show('', LNETCTL, a.socket, ['stats', 'show']),
    ];
    rc = checks.some((s) => s !== 0) ? 1 : 0;
    process.stdout.write(rc === 0 ? '\nself-check passed\n' : '\nself-check FAILED\n');
    await stop(b);
    nodes.splice(nodes.indexOf(b), 1);
    if (serve && rc === 0) {
      process.stdout.write(
        `\nlnetd A keeps running (${a.nid}). In another shell:\n` +
          `  export LNETD_SOCKET=${a.socket}\n` +
          `  node ${LNETCTL} net show -v      # or: npx lnetctl …, npx lctl …\n` +
          `  node ${LNETCTL} export --backup\n` +
          `Press Ctrl-C to stop it (networks down, connections closed).\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
        a.proc.once('exit', resolve);
      });
    } else {
      process.stdout.write(
        `\nTo run one yourself: node ${LNETD} --socket /tmp/lnetd.sock accept_port=${PORT} &\n` +
          `  LNETD_SOCKET=/tmp/lnetd.sock node ${LNETCTL} lnet configure\n` +
          `  LNETD_SOCKET=/tmp/lnetd.sock node ${LNETCTL} net add --nid 127.0.0.2@tcp\n` +
          `(npm start on a terminal keeps lnetd A running.)\n`,
      );
    }
    return rc;
  } finally {
    await Promise.all(nodes.map(stop));
    rmSync(config, { recursive: true, force: true });
  }
}

main().then(
  (rc) => process.exit(rc),
  (e: unknown) => {
    process.stderr.write(`self-check failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
