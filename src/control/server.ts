/**
 * lnetd's control socket: a UNIX socket (mode 0600, in a 0700 directory when lnetd creates
 * it) carrying the newline-delimited JSON protocol of protocol.ts. One daemon per socket: a
 * live socket (one that answers) makes start() fail with EADDRINUSE; a stale file left by a
 * crashed daemon is taken over. A malformed or oversized request is answered with an error
 * and disturbs nobody else.
 */
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { LNetError } from '../errors.js';
import type { Logger } from './log.js';
import {
  ControlError,
  encode,
  errorBody,
  LineSplitter,
  MAX_REQUEST_BYTES,
  parseRequest,
  salvageId,
  type Request,
  type Response,
} from './protocol.js';

export type Handler = (req: Request) => Promise<unknown>;

export interface ControlServerOptions {
  path: string;
  handler: Handler;
  logger: Logger;
  maxRequestBytes?: number;
}

/** Does something answer on this UNIX socket? */
export function socketIsLive(path: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection({ path });
    const done = (v: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(true), timeoutMs); // accepted but silent: still someone's
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export class ControlServer {
  private server: net.Server | undefined;
  private readonly clients = new Set<net.Socket>();
  private readonly maxRequest: number;
  private nextClient = 1;

  constructor(private readonly o: ControlServerOptions) {
    this.maxRequest = o.maxRequestBytes ?? MAX_REQUEST_BYTES;
  }

  get path(): string {
    return this.o.path;
  }

  async start(): Promise<void> {
    const path = this.o.path;
    const dir = dirname(path);
    try {
      lstatSync(dir);
    } catch {
      // Ours to create: nobody else may even look inside.
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    let existing;
    try {
      existing = lstatSync(path);
    } catch {
      existing = undefined;
    }
    if (existing) {
      if (!existing.isSocket()) throw new LNetError('EEXIST', `${path} exists and is not a socket; refusing to replace it`);
      if (await socketIsLive(path)) throw new LNetError('EADDRINUSE', `another lnetd is already serving ${path}`);
      this.o.logger.warn('taking over a stale control socket', { socket: path });
      unlinkSync(path);
    }
    const server = net.createServer((sock) => this.accept(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new LNetError(e.code === 'EADDRINUSE' ? 'EADDRINUSE' : 'EIO', `cannot listen on ${path}: ${e.message}`)),
      );
      // The umask makes the socket 0600 from birth (no window where others could connect).
      const old = process.umask(0o177);
      try {
        server.listen({ path }, () => resolve());
      } finally {
        process.umask(old);
      }
    });
    chmodSync(path, 0o600);
    server.on('error', (e) => this.o.logger.error('control socket error', { socket: path, error: String(e) }));
    this.server = server;
  }

  /** Stop accepting, close every client, remove the socket file. */
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const c of this.clients) c.destroy();
    this.clients.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
    try {
      if (lstatSync(this.o.path).isSocket()) unlinkSync(this.o.path);
    } catch {
      // already gone
    }
  }

  private accept(sock: net.Socket): void {
    const client = this.nextClient++;
    this.clients.add(sock);
    this.o.logger.debug('control client connected', { client });
    let closed = false;
    const send = (r: Response): void => {
      if (!closed && !sock.destroyed) sock.write(encode(r));
    };
    const splitter = new LineSplitter(this.maxRequest, (line) => {
      if (line === undefined) {
        send({ id: null, ok: false, error: errorBody(new ControlError('EMSGSIZE', `request longer than ${this.maxRequest} bytes`)) });
        this.o.logger.warn('oversized control request; closing that client', { client, limit: this.maxRequest });
        closed = true;
        sock.end();
        return;
      }
      if (line.trim() === '') return;
      let req: Request;
      try {
        req = parseRequest(line);
      } catch (e) {
        this.o.logger.warn('malformed control request', { client, error: errorBody(e).message });
        send({ id: salvageId(line), ok: false, error: errorBody(e) });
        return;
      }
      void this.dispatch(client, req).then(send);
    });
    sock.on('data', (chunk: Buffer) => {
      if (!closed) splitter.push(chunk);
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      closed = true;
      this.clients.delete(sock);
      this.o.logger.debug('control client gone', { client });
    });
  }

  private async dispatch(client: number, req: Request): Promise<Response> {
    try {
      const result = await this.o.handler(req);
      return { id: req.id, ok: true, result: result ?? null };
    } catch (e) {
      const body = errorBody(e);
      if (!(e instanceof LNetError)) this.o.logger.error('operation failed unexpectedly', { client, op: req.op, error: String(e) });
      else this.o.logger.debug('operation failed', { client, op: req.op, code: body.code, message: body.message });
      return { id: req.id, ok: false, error: body };
    }
  }
}
