/**
 * A client of lnetd's control socket: `await client.call('net.show', { verbose: 1 })` resolves
 * with the operation's result or rejects with a ControlError carrying the kernel errno. When no
 * lnetd answers, connect() rejects with a DaemonUnreachable that names the socket.
 */
import net from 'node:net';
import { LNetError } from '../errors.js';
import { ControlError, encode, LineSplitter, MAX_RESPONSE_BYTES, type Response } from './protocol.js';

/** lnetd is not running on that socket (or we may not talk to it). */
export class DaemonUnreachable extends LNetError {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super('ENODEV', `cannot reach lnetd at ${path}: ${reason}`);
    this.name = 'DaemonUnreachable';
  }
}

export class ControlClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private closedError: Error | undefined;

  private constructor(
    private readonly sock: net.Socket,
    readonly path: string,
  ) {
    const splitter = new LineSplitter(MAX_RESPONSE_BYTES, (line) => {
      if (line === undefined) return this.fail(new LNetError('EMSGSIZE', 'lnetd sent a response too large to read'));
      let r: Response;
      try {
        r = JSON.parse(line) as Response;
      } catch {
        return this.fail(new LNetError('EPROTO', 'lnetd sent a malformed response'));
      }
      const p = typeof r.id === 'number' ? this.pending.get(r.id) : undefined;
      if (!p) return;
      this.pending.delete(r.id as number);
      if (r.ok) p.resolve(r.result);
      else p.reject(ControlError.fromBody(r.error));
    });
    sock.on('data', (c: Buffer) => splitter.push(c));
    sock.on('error', (e) => this.fail(new LNetError('EIO', `control socket ${path}: ${e.message}`)));
    sock.on('close', () => this.fail(new LNetError('ECONNRESET', `lnetd closed the control socket ${path}`)));
  }

  static connect(path: string, timeoutMs = 5000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection({ path });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new DaemonUnreachable(path, 'no answer'));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        resolve(new ControlClient(sock, path));
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why =
          e.code === 'ENOENT'
            ? 'no such socket (is lnetd running? start it with `lnetd`, or point LNETD_SOCKET at its socket)'
            : e.code === 'ECONNREFUSED'
              ? 'connection refused (a stale socket: lnetd is not running)'
              : e.code === 'EACCES'
                ? 'permission denied (the socket is only for its owner; run as the user lnetd runs as)'
                : (e.message ?? String(e));
        reject(new DaemonUnreachable(path, why));
      });
    });
  }

  /** One operation; rejects with ControlError (daemon-side failure) or LNetError (transport). */
  call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.sock.write(encode({ id, op, args }));
    });
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }

  private fail(e: Error): void {
    this.closedError ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.sock.destroy();
  }
}
