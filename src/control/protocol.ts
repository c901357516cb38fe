/**
 * The lnetd control protocol: newline-delimited JSON over a UNIX socket. A client sends
 * `{"id":1,"op":"net.show","args":{"verbose":1}}` and gets `{"id":1,"ok":true,"result":…}` or
 * `{"id":1,"ok":false,"error":{"code":"EEXIST","errno":-17,"message":"…"}}` back, one line each.
 * Operations are structured (no argv strings), so library users and `--json` get data; the
 * CLIs turn results and errors into the kernel's YAML and exit codes.
 */
import { Errno, errnoName, type ErrnoName } from '../errno.js';
import { LNetError } from '../errors.js';

/** Largest request line accepted (import documents travel inside one). */
export const MAX_REQUEST_BYTES = 4 << 20;
/** Largest response line a client accepts (a big export or peer table). */
export const MAX_RESPONSE_BYTES = 64 << 20;

export const PROTOCOL_VERSION = 1;

export type RequestId = number | string;

export interface Request {
  id: RequestId;
  op: string;
  args?: Record<string, unknown>;
}

export interface ErrorBody {
  /** Kernel errno name (EEXIST, ENETDOWN, …). */
  code: ErrnoName | string;
  /** Negative errno, as the kernel returns it. */
  errno: number;
  /** The kernel's extack-style description (what error documents print as `descr`). */
  message: string;
  /** Extra data some operations attach (e.g. per-NID ping failures). */
  data?: unknown;
}

export type Response = { id: RequestId | null; ok: true; result: unknown } | { id: RequestId | null; ok: false; error: ErrorBody };

/**
 * An operation failed inside lnetd: carries the kernel errno (negative) and the description
 * the kernel would put in its extack message.
 */
export class ControlError extends LNetError {
  readonly descr: string;
  readonly data: unknown;

  constructor(code: ErrnoName, descr: string, data?: unknown) {
    super(code, descr);
    this.name = 'ControlError';
    this.descr = descr;
    this.data = data;
  }

  static fromBody(b: ErrorBody): ControlError {
    const name = (typeof b.code === 'string' && b.code in Errno ? b.code : errnoName(b.errno) ?? 'EIO') as ErrnoName;
    const e = new ControlError(name, b.message, b.data);
    // Keep the errno the daemon reported (it may differ from the name's, e.g. 0 on some kernel paths).
    (e as { errno: number }).errno = typeof b.errno === 'number' ? b.errno : e.errno;
    return e;
  }
}

/**
 * What a CLI prints for a failure the daemon already rendered (a DocumentError of
 * src/control/docs): the document (or nothing), the stream, the exit code.
 */
export interface ErrorReport {
  document?: unknown;
  /** Plain text to print instead of (or with no) document. */
  text?: string;
  exitCode: number;
  stream: 'stdout' | 'stderr';
}

function reportOf(e: unknown): ErrorReport | undefined {
  if (typeof e !== 'object' || e === null || !('exitCode' in e) || !('document' in e)) return undefined;
  const d = e as { document?: unknown; text?: unknown; exitCode: unknown; stream?: unknown };
  if (typeof d.exitCode !== 'number') return undefined;
  return {
    ...(d.document !== undefined ? { document: d.document } : {}),
    ...(typeof d.text === 'string' ? { text: d.text } : {}),
    exitCode: d.exitCode,
    stream: d.stream === 'stdout' ? 'stdout' : 'stderr',
  };
}

/** Turn anything thrown by an operation into the error body sent back. */
export function errorBody(e: unknown): ErrorBody {
  const report = reportOf(e);
  if (report && e instanceof LNetError) return { code: e.code, errno: e.errno, message: e.message.replace(/^[A-Z0-9]+: /, ''), data: { report } };
  if (e instanceof ControlError) return { code: e.code, errno: e.errno, message: e.descr, ...(e.data !== undefined ? { data: e.data } : {}) };
  if (e instanceof LNetError) return { code: e.code, errno: e.errno, message: e.message.replace(/^[A-Z0-9]+: /, '') };
  return { code: 'EIO', errno: -Errno.EIO, message: e instanceof Error ? e.message : String(e) };
}

/** Parse one request line; throws ControlError EINVAL with a reason a client can act on. */
export function parseRequest(line: string): Request {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new ControlError('EINVAL', `malformed request: not JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ControlError('EINVAL', 'malformed request: expected a JSON object');
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'number' && typeof o.id !== 'string') throw new ControlError('EINVAL', 'malformed request: "id" must be a number or string');
  if (typeof o.op !== 'string' || o.op.length === 0 || o.op.length > 64)
    throw new ControlError('EINVAL', 'malformed request: "op" must be a non-empty string');
  if (o.args !== undefined && (typeof o.args !== 'object' || o.args === null || Array.isArray(o.args)))
    throw new ControlError('EINVAL', 'malformed request: "args" must be an object');
  return { id: o.id, op: o.op, ...(o.args !== undefined ? { args: o.args as Record<string, unknown> } : {}) };
}

/** The id of a line that failed to parse, if one can be read from it (so the client can match the error). */
export function salvageId(line: string): RequestId | null {
  try {
    const v = JSON.parse(line) as { id?: unknown };
    return typeof v?.id === 'number' || typeof v?.id === 'string' ? v.id : null;
  } catch {
    return null;
  }
}

/** One JSON line; bigints (64-bit counters, match bits) travel as numbers when exact, else as strings. */
export function encode(msg: Request | Response): string {
  return `${JSON.stringify(msg, (_k, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v))}\n`;
}

/** The report a daemon-rendered failure carries (see ErrorReport), if any. */
export function errorReport(e: unknown): ErrorReport | undefined {
  if (!(e instanceof ControlError)) return undefined;
  const d = e.data as { report?: ErrorReport } | undefined;
  return d?.report;
}

/**
 * Splits a byte stream into lines, refusing any line longer than `max` bytes (the callback
 * gets `undefined` for it and the rest of the stream should be dropped).
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly max: number,
    private readonly onLine: (line: string | undefined) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      if (this.size + piece.length > this.max) {
        this.reset();
        this.onLine(undefined);
        return;
      }
      this.parts.push(piece);
      const line = Buffer.concat(this.parts).toString('utf8');
      this.reset();
      this.onLine(line);
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) return;
    if (this.size + rest.length > this.max) {
      this.reset();
      this.onLine(undefined);
      return;
    }
    this.parts.push(Buffer.from(rest));
    this.size += rest.length;
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
  }
}
