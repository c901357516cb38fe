/**
 * Test helper: one LNet node per OS process (test/fixtures/lnet-node.mjs, built code in
 * dist/), optionally inside a network namespace (`ip netns exec NAME node …`), driven over
 * JSON lines. Every wait is bounded: the ready line, each call, and close() (exit → SIGTERM →
 * SIGKILL on timers).
 *
 *   const [a, b] = await startNodes(t, [{ nid: '127.0.0.2@tcp' }, { nid: '127.0.0.3@tcp' }]);
 *   await a.put({ target: '12345-127.0.0.3@tcp', portal: 30, matchBits: 1n, data });
 *
 * startNodes and startNode register every node they start for closing in `t.teardown`.
 */
import type { SockLndStats } from '../../lnd/socklnd/index.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';

export const FIXTURE = fileURLToPath(new URL('../fixtures/lnet-node.mjs', import.meta.url));
const DIST = new URL('../../dist/', import.meta.url);
/** The fixture runs the built code: tests skip while dist/ lacks it. */
export const haveDist = (): boolean =>
  existsSync(fileURLToPath(new URL('src/index.js', DIST))) && existsSync(fileURLToPath(new URL('lnd/socklnd/index.js', DIST)));

export const isRoot = (): boolean => process.getuid?.() === 0;

/** A random listening port in 20000–31999 (below Linux's ephemeral range). */
export function randomPort(): number {
  return 20000 + Math.floor(Math.random() * 12000);
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `p`'s value, or `undefined` after `ms` (the timer is cleared either way). */
export function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<undefined>((r) => {
      timer = setTimeout(() => r(undefined), ms);
    }),
  ]);
}

export interface NodeOptions {
  /** The NI's NID, e.g. `127.0.0.2@tcp`. */
  nid: string;
  /** acceptPort (the same for every node that talks to this one). */
  port: number;
  accept?: 'secure' | 'all' | 'none';
  /** Bind outgoing connections to ports 1023→512 (default: the LND's own default). */
  privileged?: boolean;
  /** Run inside this network namespace. */
  netns?: string;
  pid?: number;
  /** Core parameters (`transaction_timeout`, …). */
  params?: Record<string, number>;
  /** ksocklnd parameters (`sock_timeout`, `min_reconnectms`, …). */
  sock?: Record<string, number>;
  /** Fixture log level on stderr (default warn). */
  log?: 'debug' | 'info' | 'warn' | 'error';
  readyTimeoutMs?: number;
  /** The fixture exits with code 3 when its shutdown takes longer (default 10000). */
  shutdownTimeoutMs?: number;
}

/** A failed command: `code` is the errno name the node reported (LNetError.code). */
export class NodeCallError extends Error {
  constructor(
    readonly cmd: string,
    readonly code: string,
    message: string,
    readonly errorName?: string,
  ) {
    super(`${cmd}: ${message}`);
    this.name = 'NodeCallError';
  }
}

/** The node did not start: `code` is EADDRINUSE when the port was taken. */
export class NodeStartError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NodeStartError';
  }
}

export interface Answer {
  id: number | null;
  ok: boolean;
  code?: string;
  message?: string;
  name?: string;
  [k: string]: unknown;
}

export interface Received {
  length: number;
  rlength: number;
  sha256: string;
  b64?: string;
  initiator: string;
  matchBits: string;
  hdrData: string;
  portal: number;
}

export interface ConnInfo {
  ni: string;
  peer: string;
  pid: number;
  type: number;
  typeName: string;
  version: number;
  local: string;
  remote: string;
  passive: boolean;
}

/** The socklnd counters a fixture reports (`lnd.stats`). */
export type LndStats = SockLndStats;

export interface PingAnswer {
  mlength: number;
  info: { features: number; pid: number; nis: Array<{ nid: string; status: number }>; largeNis: Array<{ nid: string; status: number }> };
}

type U64 = bigint | number | string;
const u64 = (x: U64 | undefined): string | undefined => (x === undefined ? undefined : `0x${BigInt(x).toString(16)}`);
const b64 = (d: Uint8Array): string => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');

const DEFAULT_CALL_TIMEOUT_MS = 60_000;

export class NodeProcess {
  readonly child: ChildProcess;
  readonly opts: NodeOptions;
  nids: string[] = [];
  /** The fixture's stderr (last 64 KiB), for diagnostics. */
  stderr = '';
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; cmd: string }>();
  private readyWaiter: { resolve: (l: Answer) => void; reject: (e: Error) => void } | undefined;
  private closing: Promise<void> | undefined;

  private constructor(opts: NodeOptions) {
    this.opts = opts;
    const args = [FIXTURE, '--nid', opts.nid, '--port', String(opts.port), '--accept', opts.accept ?? 'secure', '--log', opts.log ?? 'warn'];
    if (opts.privileged !== undefined) args.push('--privileged', opts.privileged ? 'yes' : 'no');
    if (opts.pid !== undefined) args.push('--pid', String(opts.pid));
    if (opts.shutdownTimeoutMs !== undefined) args.push('--shutdown-timeout', String(opts.shutdownTimeoutMs));
    for (const [k, v] of Object.entries(opts.params ?? {})) args.push('--param', `${k}=${v}`);
    for (const [k, v] of Object.entries(opts.sock ?? {})) args.push('--sock', `${k}=${v}`);
    const [cmd, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, process.execPath, ...args]] : [process.execPath, args];
    this.child = spawn(cmd, argv as string[], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        const err = new Error(`node ${opts.nid} exited (code ${code}, signal ${signal}) ${this.stderrTail()}`);
        this.readyWaiter?.reject(err);
        this.readyWaiter = undefined;
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new Error(`${p.cmd}: ${err.message}`));
          this.pending.delete(id);
        }
        resolve({ code, signal });
      });
      this.child.once('error', (e) => {
        this.readyWaiter?.reject(e);
        this.readyWaiter = undefined;
      });
    });
    this.child.stdin!.on('error', () => {
      /* the process went away; the exit handler reports it */
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-65536);
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
  }

  /** Start one node and wait (bounded) for its ready line. Rejects with NodeStartError. */
  static async spawn(opts: NodeOptions): Promise<NodeProcess> {
    const n = new NodeProcess(opts);
    const timeoutMs = opts.readyTimeoutMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const ready = await new Promise<Answer>((resolve, reject) => {
        n.readyWaiter = { resolve, reject };
        timer = setTimeout(() => reject(new Error(`node ${opts.nid}: no ready line within ${timeoutMs} ms ${n.stderrTail()}`)), timeoutMs);
      });
      if (ready.ready !== true) throw new NodeStartError(String(ready.code ?? 'EIO'), `node ${opts.nid} did not start: ${ready.message}`);
      n.nids = ready.nids as string[];
      return n;
    } catch (e) {
      await n.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  get nid(): string {
    return this.opts.nid;
  }

  /** `12345-<nid>`: the kernel-style process id other nodes address. */
  get target(): string {
    return `${this.opts.pid ?? 12345}-${this.opts.nid}`;
  }

  get alive(): boolean {
    return this.exitStatus === undefined;
  }

  stderrTail(n = 2000): string {
    return this.stderr ? `\n--- stderr of ${this.opts.nid} ---\n${this.stderr.slice(-n)}` : '';
  }

  private onLine(line: string): void {
    let msg: Answer;
    try {
      msg = JSON.parse(line) as Answer;
    } catch {
      this.stderr += `[stdout] ${line}\n`;
      return;
    }
    if (this.readyWaiter && 'ready' in msg) {
      this.readyWaiter.resolve(msg);
      this.readyWaiter = undefined;
      return;
    }
    const p = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!p) {
      this.stderr += `[unmatched answer] ${line}\n`;
      return;
    }
    clearTimeout(p.timer);
    this.pending.delete(msg.id as number);
    p.resolve(msg);
  }

  /** Send one command and wait (bounded) for its answer, ok or not. */
  call(cmd: string, args: Record<string, unknown> = {}, timeoutMs = DEFAULT_CALL_TIMEOUT_MS): Promise<Answer> {
    if (!this.alive) return Promise.reject(new Error(`${cmd}: node ${this.opts.nid} is not running`));
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${cmd}: no answer from ${this.opts.nid} within ${timeoutMs} ms ${this.stderrTail()}`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, cmd });
      this.child.stdin!.write(`${JSON.stringify({ ...args, id, cmd })}\n`);
    });
  }

  /** call() that throws NodeCallError (with the node's errno code) on `ok: false`. */
  async ok<T = Answer>(cmd: string, args: Record<string, unknown> = {}, timeoutMs?: number): Promise<T> {
    const a = await this.call(cmd, args, timeoutMs);
    if (!a.ok) throw new NodeCallError(cmd, a.code ?? 'EIO', a.message ?? 'failed', a.name);
    return a as unknown as T;
  }

  // ------------------------------------------------------------------ typed commands

  put(o: { target: string; portal: number; matchBits?: U64; data: Uint8Array; ack?: boolean; hdrData?: U64; timeoutMs?: number }): Promise<{ mlength: number }> {
    return this.ok('put', {
      target: o.target,
      portal: o.portal,
      matchBits: u64(o.matchBits ?? 0),
      hdrData: u64(o.hdrData),
      ack: o.ack,
      b64: b64(o.data),
      timeoutMs: o.timeoutMs,
    });
  }

  get(o: { target: string; portal: number; matchBits?: U64; sink: number; timeoutMs?: number }): Promise<{ mlength: number; rlength: number; length: number; sha256: string; b64?: string }> {
    return this.ok('get', { target: o.target, portal: o.portal, matchBits: u64(o.matchBits ?? 0), sink: o.sink, timeoutMs: o.timeoutMs });
  }

  async listen(o: { portal: number; matchBits?: U64; ignoreBits?: U64; maxMessage?: number }): Promise<number> {
    const a = await this.ok<{ listener: number }>('listen', {
      portal: o.portal,
      matchBits: u64(o.matchBits ?? 0),
      ignoreBits: u64(o.ignoreBits ?? 0),
      maxMessage: o.maxMessage,
    });
    return a.listener;
  }

  next(listener: number, timeoutMs = 20_000): Promise<Received> {
    return this.ok('next', { listener, timeoutMs }, timeoutMs + 10_000);
  }

  async serveGet(o: { portal: number; matchBits?: U64; data: Uint8Array }): Promise<number> {
    const a = await this.ok<{ server: number }>('serveGet', { portal: o.portal, matchBits: u64(o.matchBits ?? 0), b64: b64(o.data) });
    return a.server;
  }

  ping(target: string, timeoutMs?: number): Promise<PingAnswer> {
    return this.ok('ping', { target, timeoutMs });
  }

  async conns(): Promise<ConnInfo[]> {
    return (await this.ok<{ conns: ConnInfo[] }>('conns')).conns;
  }

  async stats(): Promise<LndStats> {
    return (await this.ok<{ stats: LndStats }>('stats')).stats;
  }

  async drop(): Promise<void> {
    await this.ok('drop');
  }

  /** SIGKILL (or another signal) and wait, bounded, for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', waitMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) this.child.kill(signal);
    const r = await within(this.exited, waitMs);
    if (!r) throw new Error(`node ${this.opts.nid} did not exit within ${waitMs} ms of ${signal}`);
    return r;
  }

  /**
   * Ask the node to exit; SIGTERM after `graceMs`, SIGKILL after as long again. Never
   * rejects. Safe to call more than once.
   */
  close = (graceMs = 10_000): Promise<void> => {
    this.closing ??= (async () => {
      if (!this.alive) return;
      if (this.child.stdin?.writable) this.child.stdin.write(`${JSON.stringify({ id: this.nextId++, cmd: 'exit' })}\n`);
      for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
        if (await within(this.exited, graceMs)) return;
        this.child.kill(sig);
      }
      await within(this.exited, graceMs);
    })();
    return this.closing;
  };
}

/**
 * Every node started for a test is closed by one teardown, all at once (as a cluster would
 * stop), each bounded by close()'s own timers.
 */
const perTest = new WeakMap<Test, Set<NodeProcess>>();

export function closeWithTest(t: Test, n: NodeProcess): void {
  let set = perTest.get(t);
  if (!set) {
    const nodes = new Set<NodeProcess>();
    set = nodes;
    perTest.set(t, nodes);
    t.teardown(async () => {
      await Promise.all([...nodes].map((x) => x.close()));
    });
  }
  set.add(n);
}

/**
 * Start nodes that share one acceptPort (random; retried on EADDRINUSE), closed in `t`'s
 * teardown. Returns them in order, and the port.
 */
export async function startNodes(
  t: Test,
  specs: Array<Omit<NodeOptions, 'port'>>,
  o: { port?: number; attempts?: number } = {},
): Promise<NodeProcess[] & { port: number }> {
  let lastErr: unknown;
  const attempts = o.port !== undefined ? 1 : (o.attempts ?? 5);
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = o.port ?? randomPort();
    const nodes: NodeProcess[] = [];
    try {
      for (const s of specs) {
        const n = await NodeProcess.spawn({ ...s, port });
        closeWithTest(t, n);
        nodes.push(n);
      }
      return Object.assign(nodes, { port });
    } catch (e) {
      lastErr = e;
      await Promise.all(nodes.map((n) => n.close()));
      if (!(e instanceof NodeStartError && e.code === 'EADDRINUSE')) throw e;
    }
  }
  throw lastErr;
}

/** Start one more node on a known port (e.g. a restart), registering its teardown. */
export async function startNode(t: Test, opts: NodeOptions): Promise<NodeProcess> {
  const n = await NodeProcess.spawn(opts);
  closeWithTest(t, n);
  return n;
}

/** Run a command synchronously (bounded); returns {ok, out}. For `ip` set-up and teardown. */
export function run(cmd: string, args: string[], timeoutMs = 15_000): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

/**
 * Retry `fn` up to `attempts` times, `pauseMs` apart, until it resolves; returns its result
 * and how many tries it took, or throws the last error.
 */
export async function retry<T>(attempts: number, pauseMs: number, fn: (i: number) => Promise<T>): Promise<{ value: T; tries: number; errors: string[] }> {
  const errors: string[] = [];
  for (let i = 0; i < attempts; i++) {
    try {
      return { value: await fn(i), tries: i + 1, errors };
    } catch (e) {
      errors.push(e instanceof NodeCallError ? e.code : (e as Error).message);
      if (i === attempts - 1) throw Object.assign(e as Error, { errors });
      await sleep(pauseMs);
    }
  }
  throw new Error('unreachable');
}
