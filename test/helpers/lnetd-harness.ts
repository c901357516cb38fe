/**
 * Test helper: an `lnetd` daemon from dist/ with its own temp dir, control socket and
 * module-parameter file, and the kernel's CLIs (`lnetctl`, `lctl`) run against it as a user
 * runs them (`LNETD_SOCKET=…`), with stdout, stderr and exit code captured.
 *
 *   const d = await startLnetd(t, { modprobe: ['options lnet tiny_router_buffers=16'] });
 *   const r = await d.lnetctl(['peer', 'add', '--prim_nid', '1.1.1.1@tcp']);
 *   const e = await d.lnetctl(['import'], { stdin: 'peer:\n…' });
 *
 * Every wait is bounded: the daemon's start (socket up), each command (SIGKILL on timeout,
 * reported as `timedOut`) and the stop (SIGTERM, then SIGKILL). `startLnetd` registers the stop
 * and the removal of the temp dir in `t.teardown`.
 *
 * With `netns`, the daemon and every CLI run inside that network namespace (`ip netns exec`),
 * so they see only its interfaces; the control socket is a path name and so reachable from any
 * namespace. `createNetns` makes such a namespace with dummy and veth interfaces and deletes it
 * in teardown (and on process exit).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tap, { type Test } from 'tap';

const DIST = new URL('../../dist/src/cli/', import.meta.url);
export const LNETD_JS = fileURLToPath(new URL('lnetd.js', DIST));
export const LNETCTL_JS = fileURLToPath(new URL('lnetctl.js', DIST));
export const LCTL_JS = fileURLToPath(new URL('lctl.js', DIST));

/** The tools are built: e2e tests skip (with this reason) otherwise. */
export function distMissing(): string | false {
  for (const f of [LNETD_JS, LNETCTL_JS, LCTL_JS]) if (!existsSync(f)) return `${f} is missing: build with npx tsc -p tsconfig.build.json`;
  return false;
}

export interface CliResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The command outlived its time bound and was killed. */
  timedOut: boolean;
  /** The command line, for messages. */
  cmd: string;
}

export interface RunOptions {
  /** Text fed to stdin (stdin is closed right away otherwise). */
  stdin?: string;
  /** Time bound for this command (default: the daemon's commandTimeoutMs). */
  timeoutMs?: number;
  /** Extra environment. */
  env?: Record<string, string>;
}

export interface LnetdOptions {
  /** Extra lines for the module-parameter file (`options lnet …`, `options ksocklnd …`). */
  modprobe?: string[];
  /** The acceptor port (default: a free one); written as accept_port and accept_port_bulk. */
  acceptPort?: number;
  /** Run the daemon and the CLIs inside this network namespace. */
  netns?: string;
  /** Extra lnetd arguments. */
  args?: string[];
  /** Time bound for the daemon to bring its socket up (default 20 s). */
  readyTimeoutMs?: number;
  /** Default time bound per CLI command (default 30 s). */
  commandTimeoutMs?: number;
}

const DEFAULT_READY_MS = 20_000;
const DEFAULT_COMMAND_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const LOG_LIMIT = 256 * 1024;

/** Run `node script args` (inside `netns` when given); never rejects. */
export function runNode(script: string, args: readonly string[], opts: RunOptions & { netns?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const [cmd, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, process.execPath, script, ...args]] : [process.execPath, [script, ...args]];
  const shown = `${script.replace(/^.*\//, '').replace(/\.js$/, '')} ${args.join(' ')}`.trim();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_COMMAND_MS;
  return new Promise((resolve) => {
    const child = spawn(cmd, argv as string[], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => (stdout += s));
    child.stderr!.on('data', (s: string) => (stderr += s));
    child.stdin!.on('error', () => {
      /* the command did not read its stdin */
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: stderr + String(e), timedOut, cmd: shown });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, cmd: shown });
    });
    child.stdin!.end(opts.stdin ?? '');
  });
}

/** A TCP port nothing listens on right now (the kernel's pick, so unlikely to collide). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Lnetd {
  readonly dir: string;
  readonly socket: string;
  readonly configFile: string;
  readonly acceptPort: number;
  readonly netns: string | undefined;
  readonly commandTimeoutMs: number;
  child: ChildProcess | undefined;
  /** The daemon's stdout and stderr (last 256 KiB), for diagnostics. */
  log = '';
  exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private exited: Promise<void> | undefined;
  private files = 0;

  constructor(dir: string, acceptPort: number, opts: LnetdOptions) {
    this.dir = dir;
    this.socket = join(dir, 'lnetd.sock');
    this.configFile = join(dir, 'lnet.conf');
    this.acceptPort = acceptPort;
    this.netns = opts.netns;
    this.commandTimeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_MS;
  }

  /** Start the daemon and wait (bounded) until its socket accepts connections. */
  async start(opts: LnetdOptions): Promise<void> {
    const lines = [`options lnet accept_port=${this.acceptPort} accept_port_bulk=${this.acceptPort}`, ...(opts.modprobe ?? [])];
    writeFileSync(this.configFile, lines.join('\n') + '\n');
    const args = [LNETD_JS, '--socket', this.socket, '--config', this.configFile, ...(opts.args ?? [])];
    const [cmd, argv] = this.netns ? ['ip', ['netns', 'exec', this.netns, process.execPath, ...args]] : [process.execPath, args];
    const child = spawn(cmd, argv as string[], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LNETD_SOCKET: this.socket } });
    this.child = child;
    liveDaemons.add(child);
    installExitCleanup();
    const append = (s: string): void => {
      this.log = (this.log + s).slice(-LOG_LIMIT);
    };
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        liveDaemons.delete(child);
        this.exitStatus = { code, signal };
        resolve();
      });
      child.once('error', (e) => {
        append(String(e));
        this.exitStatus ??= { code: null, signal: null };
        resolve();
      });
    });
    const deadline = Date.now() + (opts.readyTimeoutMs ?? DEFAULT_READY_MS);
    while (Date.now() < deadline) {
      if (this.exitStatus) throw new Error(`lnetd exited before its socket came up (code ${this.exitStatus.code}, signal ${this.exitStatus.signal}): ${this.log.slice(-2000)}`);
      if (existsSync(this.socket) && (await canConnect(this.socket))) return;
      await sleep(50);
    }
    throw new Error(`lnetd: socket ${this.socket} not up within ${opts.readyTimeoutMs ?? DEFAULT_READY_MS} ms: ${this.log.slice(-2000)}`);
  }

  /** `lnetctl ARGS` against this daemon. */
  lnetctl(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
    return this.cli(LNETCTL_JS, args, opts);
  }

  /** `lctl ARGS` against this daemon. */
  lctl(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
    return this.cli(LCTL_JS, args, opts);
  }

  private cli(script: string, args: readonly string[], opts: RunOptions): Promise<CliResult> {
    return runNode(script, args, {
      ...opts,
      netns: this.netns,
      timeoutMs: opts.timeoutMs ?? this.commandTimeoutMs,
      env: { LNETD_SOCKET: this.socket, ...opts.env },
    });
  }

  /** Write `text` to a new file in the daemon's temp dir (named after `name`) and return its path. */
  file(name: string, text: string): string {
    const p = join(this.dir, `${++this.files}-${name}`);
    writeFileSync(p, text);
    return p;
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) return;
    if (!this.exitStatus) {
      child.kill('SIGTERM');
      const gone = await Promise.race([this.exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
      if (!gone) {
        child.kill('SIGKILL');
        await Promise.race([this.exited, sleep(STOP_GRACE_MS)]);
      }
    }
  }
}

/** Start an lnetd for test `t`; stopped and its temp dir removed in `t.teardown`. */
export async function startLnetd(t: Test, opts: LnetdOptions = {}): Promise<Lnetd> {
  const dir = mkdtempSync(join(tmpdir(), 'ulnet-lnetd-'));
  liveDirs.add(dir);
  const d = new Lnetd(dir, opts.acceptPort ?? (await freePort()), opts);
  t.teardown(async () => {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  });
  try {
    await d.start(opts);
  } catch (e) {
    await d.stop();
    throw e;
  }
  return d;
}

/** One line of output of `ip …`; ok when it exited 0. */
export function ip(args: readonly string[]): { ok: boolean; out: string } {
  const r = spawnSync('ip', args as string[], { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

export interface NetnsLink {
  /** Interface name inside the namespace. */
  name: string;
  /** `dummy` (default), or one end of a veth pair whose other end `peer` is also in the namespace and up. */
  kind?: 'dummy' | 'veth';
  peer?: string;
  /** Addresses with prefix length, e.g. `10.77.0.10/24`, `2001:db8:77::10/64` (IPv6 added nodad). */
  addrs?: string[];
  /** Extra `ip addr add` arguments per address, e.g. a label. */
  labels?: Record<string, string>;
}

export interface Netns {
  name: string;
}

/** Daemons, temp dirs and namespaces not yet cleaned up: cleaned on exit or a fatal signal. */
const liveDaemons = new Set<ChildProcess>();
const liveDirs = new Set<string>();
const liveNamespaces = new Set<string>();
let exitCleanupInstalled = false;

function installExitCleanup(): void {
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  const cleanup = (): void => {
    for (const c of liveDaemons) c.kill('SIGKILL');
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
    for (const n of liveNamespaces) ip(['netns', 'del', n]);
    liveDaemons.clear();
    liveDirs.clear();
    liveNamespaces.clear();
  };
  process.once('exit', cleanup);
  // tap's own file timeout ends the root test without a signal (the runner may SIGKILL later).
  tap.teardown(cleanup);
  // Killed by a signal: clean up, then exit as that signal would.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
    process.once(sig, () => {
      cleanup();
      process.exit(128 + (constants.signals[sig] as number));
    });
}

/**
 * A network namespace with `lo` up and the given links, deleted in `t.teardown` (and on exit).
 * Returns a reason string when it cannot be made (not root, no iproute2).
 */
export function createNetns(t: Test, name: string, links: readonly NetnsLink[]): Netns | string {
  const first = ip(['netns', 'add', name]);
  if (!first.ok) return `ip netns add ${name} failed (needs root and iproute2): ${first.out}`;
  liveNamespaces.add(name);
  installExitCleanup();
  const del = (): void => {
    if (!liveNamespaces.delete(name)) return;
    ip(['netns', 'del', name]);
  };
  t.teardown(del);
  const failed = ip(['-n', name, 'link', 'set', 'lo', 'up']).ok ? addLinks({ name }, links) : `ip -n ${name} link set lo up failed`;
  if (failed) {
    del();
    return failed;
  }
  return { name };
}

/** Add links to a namespace made by createNetns; a reason string when a step fails, else false. */
export function addLinks(ns: Netns, links: readonly NetnsLink[]): string | false {
  const name = ns.name;
  const steps: string[][] = [];
  for (const l of links) {
    if ((l.kind ?? 'dummy') === 'dummy') steps.push(['-n', name, 'link', 'add', l.name, 'type', 'dummy']);
    else steps.push(['-n', name, 'link', 'add', l.peer ?? `${l.name}p`, 'type', 'veth', 'peer', 'name', l.name], ['-n', name, 'link', 'set', l.peer ?? `${l.name}p`, 'up']);
    for (const a of l.addrs ?? []) {
      const extra = l.labels?.[a] ? ['label', l.labels[a] as string] : [];
      steps.push(['-n', name, 'addr', 'add', a, 'dev', l.name, ...extra, ...(a.includes(':') ? ['nodad'] : [])]);
    }
    steps.push(['-n', name, 'link', 'set', l.name, 'up']);
  }
  for (const s of steps) {
    const r = ip(s);
    if (!r.ok) return `network namespace set-up failed at 'ip ${s.join(' ')}': ${r.out}`;
  }
  return false;
}
