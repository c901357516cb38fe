/**
 * What every lnetctl command handler gets: output streams, the daemon connection (opened on
 * first use), and the helpers that print documents and failures as the kernel's lnetctl does.
 */
import { readFileSync } from 'node:fs';
import { ControlClient, DaemonUnreachable } from '../../control/client.js';
import { errorReport, ControlError } from '../../control/protocol.js';
import { render, renderJson, type PrintableDoc } from '../yaml/output.js';
import { cyamlErrorDoc, netlinkErrorDoc, type NetlinkOp } from '../../control/docs/error-docs.js';

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

/** lnetctl's exit code for a handler's rc: its low 8 bits (-22 → 234, -1 → 255). */
export const exitOf = (rc: number): number => rc & 0xff;

/** Every netlink-path failure exits 234 (the yaml helpers return -EINVAL). */
export const NETLINK_FAIL = 234;

export class Ctx {
  private client: ControlClient | undefined;

  constructor(
    readonly io: Io,
    readonly socket: string,
    readonly json: boolean,
    /** The program name diagnostics start with. */
    readonly prog = 'lnetctl',
    /** Standard input as text (import without a file). */
    readonly stdinText: () => string = readStdin,
  ) {}

  /** One operation on lnetd (connecting on first use). */
  async call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    this.client ??= await ControlClient.connect(this.socket);
    return this.client.call<T>(op, args);
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  /** Print what a show operation returned: documents (or nothing). */
  print(parts: unknown, stream: 'stdout' | 'stderr' = 'stdout'): void {
    if (parts === null || parts === undefined) return;
    const p = parts as PrintableDoc | PrintableDoc[];
    const text = this.json ? renderJson(p) : render(p);
    if (stream === 'stdout') this.io.out(text);
    else this.io.err(text);
  }

  /**
   * Report a failed operation and return the exit code. A failure the daemon rendered prints
   * as it says; lnetd not running is reported with the socket it looked for; anything else
   * gets the netlink error document of `op`/`cmd` (stderr, 234).
   */
  fail(e: unknown, op: NetlinkOp = 'show', cmd = 'net'): number {
    const rep = errorReport(e);
    if (rep) {
      if (rep.document) this.print(rep.document, rep.stream);
      if (rep.text) (rep.stream === 'stdout' ? this.io.out : this.io.err)(rep.text);
      return rep.exitCode;
    }
    if (e instanceof DaemonUnreachable) return this.unreachable(e);
    if (e instanceof ControlError) {
      this.print(netlinkErrorDoc(op, cmd, e.errno, e.descr), 'stderr');
      return NETLINK_FAIL;
    }
    this.io.err(`${this.prog}: ${e instanceof Error ? e.message : String(e)}\n`);
    return NETLINK_FAIL;
  }

  /** lnetd is not there: the kernel's "module not loaded", said plainly. */
  unreachable(e: DaemonUnreachable, code = NETLINK_FAIL): number {
    this.io.err(`${this.prog}: ${e.message.replace(/^[A-Z]+: /, '')}\n`);
    return code;
  }

  /** A cYAML error document on stderr (liblnetconfig's cYAML_build_error), returning exitOf(rc). */
  cyamlError(cmd: string, entity: string, rc: number, descr: string): number {
    this.print(cyamlErrorDoc(cmd, entity, rc, descr), 'stderr');
    return exitOf(rc);
  }
}
