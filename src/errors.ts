import { Errno, type ErrnoName } from './errno.js';

/**
 * Every failure ulnet reports carries a kernel errno name, so callers can branch on
 * `err.code` exactly as they would on a kernel return code.
 */
export class LNetError extends Error {
  readonly code: ErrnoName;
  readonly errno: number;

  constructor(code: ErrnoName, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'LNetError';
    this.code = code;
    this.errno = -Errno[code];
  }
}

/** A parser rejected its input: names the input, where it went wrong, and why. */
export class ParseError extends LNetError {
  readonly input: string;
  readonly position: number;
  readonly reason: string;
  readonly what: string;

  constructor(what: string, input: string, position: number, reason: string, code: ErrnoName = 'EINVAL') {
    super(code, `invalid ${what} '${truncate(input)}' at position ${position}: ${reason}`);
    this.name = 'ParseError';
    this.what = what;
    this.input = input;
    this.position = position;
    this.reason = reason;
  }
}

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

export function isLNetError(e: unknown): e is LNetError {
  return e instanceof LNetError;
}
