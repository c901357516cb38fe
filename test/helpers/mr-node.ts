/**
 * Test helper: a multi-NI LNet node in its own process (test/fixtures/multirail-node.mjs, built
 * code in dist/), optionally inside a network namespace, driven over JSON lines. Every wait is
 * bounded; close() ends the process (exit → SIGTERM → SIGKILL on timers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const MR_FIXTURE = fileURLToPath(new URL('../fixtures/multirail-node.mjs', import.meta.url));

export interface MrNodeOptions {
  nids: string[];
  port: number;
  netns?: string;
  params?: Record<string, number>;
  sock?: Record<string, number>;
  log?: 'debug' | 'info' | 'warn' | 'error';
}

export interface PeerNiHealth {
  nid: string;
  health: number;
  pingCount: number;
  nextPing: number;
  inRecovery: boolean;
  dropped: number;
  sent: { put: number; get: number; reply: number; ack: number };
}

export interface HealthReport {
  nis: Array<{ nid: string; status: 'up' | 'down'; health: number; fatal: boolean; pingCount: number; sent: { put: number; get: number } }>;
  peers: Array<{ primary: string; state: number; multiRail: boolean; nis: PeerNiHealth[] }>;
  counters: Record<string, number>;
}

type Answer = { id: number; ok: boolean; code?: string; message?: string; [k: string]: unknown };

export class MrNode {
  readonly child: ChildProcess;
  stderr = '';
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (a: Answer) => void; timer: NodeJS.Timeout }>();
  private ready: ((a: Answer) => void) | undefined;
  readonly exited: Promise<void>;

  private constructor(readonly opts: MrNodeOptions) {
    const args = [MR_FIXTURE, '--port', String(opts.port), '--log', opts.log ?? 'warn'];
    for (const n of opts.nids) args.push('--nid', n);
    for (const [k, v] of Object.entries(opts.params ?? {})) args.push('--param', `${k}=${v}`);
    for (const [k, v] of Object.entries(opts.sock ?? {})) args.push('--sock', `${k}=${v}`);
    const [cmd, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, process.execPath, ...args]] : [process.execPath, args];
    this.child = spawn(cmd, argv as string[], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
    this.child.stdin!.on('error', () => {});
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (s: string) => (this.stderr = (this.stderr + s).slice(-32768)));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let a: Answer;
      try {
        a = JSON.parse(line) as Answer;
      } catch {
        return;
      }
      if ('ready' in a && this.ready) {
        this.ready(a);
        this.ready = undefined;
        return;
      }
      const p = this.pending.get(a.id);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(a.id);
      p.resolve(a);
    });
  }

  static async spawn(opts: MrNodeOptions, readyMs = 20_000): Promise<MrNode> {
    const n = new MrNode(opts);
    const a = await new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line from ${opts.nids[0]} in ${readyMs} ms ${n.stderr}`)), readyMs);
      n.ready = (x) => {
        clearTimeout(timer);
        resolve(x);
      };
      void n.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${opts.nids[0]} exited before ready: ${n.stderr}`));
      });
    }).catch(async (e) => {
      await n.close();
      throw e;
    });
    if (a.ready !== true) {
      await n.close();
      throw new Error(`${opts.nids[0]} did not start: ${String(a.message)}`);
    }
    return n;
  }

  call(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<Answer> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${cmd}: no answer from ${this.opts.nids[0]} within ${timeoutMs} ms ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.child.stdin!.write(`${JSON.stringify({ ...args, id, cmd })}\n`);
    });
  }

  async ok<T = Answer>(cmd: string, args: Record<string, unknown> = {}, timeoutMs?: number): Promise<T> {
    const a = await this.call(cmd, args, timeoutMs);
    if (!a.ok) throw Object.assign(new Error(`${cmd}: ${a.code} ${a.message}`), { code: a.code });
    return a as unknown as T;
  }

  health(): Promise<HealthReport> {
    return this.ok<HealthReport>('health');
  }

  /** Ask it to exit; SIGTERM, then SIGKILL, each after `graceMs`. Never rejects. */
  async close(graceMs = 8000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin?.write(`${JSON.stringify({ id: 0, cmd: 'exit' })}\n`);
    for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
      const done = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
      if (done) return;
      this.child.kill(sig);
    }
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, graceMs))]);
  }
}

/** Poll `f` every `everyMs` until it returns something truthy or `maxMs` pass. */
export async function waitFor<T>(f: () => Promise<T>, maxMs: number, everyMs = 250): Promise<T> {
  const end = Date.now() + maxMs;
  let last = await f();
  while (!last && Date.now() < end) {
    await new Promise((r) => setTimeout(r, everyMs));
    last = await f();
  }
  return last;
}
