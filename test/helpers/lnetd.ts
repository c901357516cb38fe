/**
 * Test helper: real lnetd processes (built code in dist/), each on its own control socket in a
 * temp dir, optionally inside a network namespace; lnetctl and lctl run against them either
 * in-process (fast: the same main functions the binaries run) or as processes (exact streams and
 * exit statuses). Every wait is bounded; everything started is stopped in t.teardown.
 *
 *   const d = await startLnetd(t, { config: 'options lnet accept_port=23000' });
 *   const r = await d.ctl(['net', 'show']);   // { stdout, stderr, status }
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { ControlClient } from '../../src/control/client.js';
import { lnetctlMain } from '../../src/cli/lnetctl/main.js';
import { lctlMain } from '../../src/cli/lctl/main.js';

const DIST = fileURLToPath(new URL('../../dist/src/cli/', import.meta.url));
export const LNETD = join(DIST, 'lnetd.js');
export const LNETCTL = join(DIST, 'lnetctl.js');
export const LCTL = join(DIST, 'lctl.js');

export const haveLnetdDist = (): boolean => existsSync(LNETD) && existsSync(LNETCTL) && existsSync(LCTL);

export interface RunResult {
  stdout: string;
  stderr: string;
  status: number;
}

export interface LnetdOptions {
  /** modprobe-style text for --config (default: nothing, i.e. kernel defaults). */
  config?: string;
  /** Extra lnetd arguments (PARAM=VALUE, --up, …). */
  args?: string[];
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** Milliseconds to wait for the socket to answer. */
  readyMs?: number;
}

export interface Lnetd {
  readonly socket: string;
  readonly dir: string;
  readonly proc: ChildProcess;
  /** lnetctl in-process (same code as the binary), stdin text for import. */
  ctl(args: string[], stdin?: string): Promise<RunResult>;
  /** lctl in-process. */
  lctl(args: string[]): Promise<RunResult>;
  /** The lnetctl binary as a process. */
  ctlProcess(args: string[], stdin?: string): RunResult;
  lctlProcess(args: string[]): RunResult;
  /** Everything lnetd wrote on stderr so far (its JSON log lines). */
  log(): string;
  /** SIGTERM and wait for the exit status (SIGKILL after `ms`). */
  stop(signal?: NodeJS.Signals, ms?: number): Promise<number | null>;
}

export async function waitForSocket(socket: string, proc: ChildProcess | undefined, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`lnetd exited with status ${proc.exitCode}`);
    try {
      const c = await ControlClient.connect(socket, 1000);
      c.close();
      return;
    } catch {
      if (Date.now() > until) throw new Error(`lnetd did not answer on ${socket} within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function capture(): { io: { out(s: string): void; err(s: string): void }; result(status: number): RunResult } {
  let stdout = '';
  let stderr = '';
  return {
    io: { out: (s) => void (stdout += s), err: (s) => void (stderr += s) },
    result: (status) => ({ stdout, stderr, status }),
  };
}

/** lnetctl's main in-process against `socket`. */
export async function runLnetctl(socket: string, args: string[], stdin = ''): Promise<RunResult> {
  const c = capture();
  const status = await lnetctlMain(args, { io: c.io, env: { LNETD_SOCKET: socket }, stdinText: () => stdin });
  return c.result(status);
}

export async function runLctl(socket: string, args: string[]): Promise<RunResult> {
  const c = capture();
  const status = await lctlMain(args, { io: c.io, env: { LNETD_SOCKET: socket } });
  return c.result(status);
}

export function runProcess(bin: string, socket: string, args: string[], stdin?: string): RunResult {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LNETD_SOCKET: socket },
    timeout: 60_000,
    ...(stdin !== undefined ? { input: stdin } : {}),
  });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status ?? -1 };
}

/** Start an lnetd; it is stopped (and its temp dir removed) in the test's teardown. */
export async function startLnetd(t: Test, o: LnetdOptions = {}): Promise<Lnetd> {
  const dir = mkdtempSync(join(tmpdir(), 'lnetd-test-'));
  // Reachable by anyone, so refusals come from the socket's own mode (permission tests).
  chmodSync(dir, 0o755);
  const socket = join(dir, 'lnetd.sock');
  const conf = join(dir, 'lustre.conf');
  writeFileSync(conf, `${o.config ?? ''}\n`);
  const argv = [LNETD, '--config', conf, '--socket', socket, '--log-level', 'debug', ...(o.args ?? [])];
  const proc = o.netns
    ? spawn('ip', ['netns', 'exec', o.netns, process.execPath, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (c: Buffer) => void (log += c.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', ms = 15_000): Promise<number | null> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  t.teardown(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    await waitForSocket(socket, proc, o.readyMs ?? 20_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nlnetd log:\n${log}`);
  }
  return {
    socket,
    dir,
    proc,
    ctl: (args, stdin) => runLnetctl(socket, args, stdin),
    lctl: (args) => runLctl(socket, args),
    ctlProcess: (args, stdin) => runProcess(LNETCTL, socket, args, stdin),
    lctlProcess: (args) => runProcess(LCTL, socket, args),
    log: () => log,
    stop,
  };
}

/** Run a command; ok when it exits 0. */
export function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/**
 * A network namespace with an `eth0` (one end of a veth pair) holding `cidr` (e.g. 192.0.2.12/24): lnetd inside sees
 * the interface names and addresses of the recorded kernel nodes. Deleted in teardown. Returns
 * the namespace name (deleted when the process exits), or a reason to skip.
 */
export function recordedNetns(tag: string, cidr: string, extra: { dev: string; cidr: string }[] = []): { ns: string; skip: false } | { skip: string } {
  const ns = `uln${tag}${process.pid}`;
  const first = sh('ip', ['netns', 'add', ns]);
  if (!first.ok) return { skip: `ip netns add failed (needs root and iproute2): ${first.out}` };
  // Deleted when the test process ends, whatever happened (the veth pairs go with it).
  process.once('exit', () => void sh('ip', ['netns', 'del', ns]));
  // A veth pair with both ends in the namespace (no dummy module needed): `dev` carries the address.
  const dev = (name: string, addr: string, i: number): string[][] => [
    ['-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `vp${i}`],
    ['-n', ns, 'addr', 'add', addr, 'dev', name],
    ['-n', ns, 'link', 'set', `vp${i}`, 'up'],
    ['-n', ns, 'link', 'set', name, 'up'],
  ];
  const steps = [['-n', ns, 'link', 'set', 'lo', 'up'], ...dev('eth0', cidr, 0), ...extra.flatMap((e, i) => dev(e.dev, e.cidr, i + 1))];
  for (const s of steps) {
    const r = sh('ip', s);
    if (!r.ok) {
      sh('ip', ['netns', 'del', ns]);
      return { skip: `network set-up failed at 'ip ${s.join(' ')}': ${r.out}` };
    }
  }
  return { ns, skip: false };
}
