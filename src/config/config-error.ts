/**
 * A configuration-file error: a ParseError that also says where in which file, so a person
 * can go straight to the line (`/etc/modprobe.d/lustre.conf:3:21`).
 */
import type { ErrnoName } from '../errno.js';
import { ParseError } from '../errors.js';

export interface SourceLocation {
  readonly file: string;
  /** 1-based physical line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

export class ConfigFileError extends ParseError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The message without the errno prefix. */
  readonly detail: string;

  constructor(
    at: SourceLocation,
    what: string,
    input: string,
    position: number,
    reason: string,
    code: ErrnoName = 'EINVAL',
  ) {
    super(what, input, position, reason, code);
    this.name = 'ConfigFileError';
    this.file = at.file;
    this.line = at.line;
    this.column = at.column;
    const shown = input.length > 200 ? `${input.slice(0, 200)}…` : input;
    this.detail = `${at.file}:${at.line}:${at.column}: ${what}: ${reason} (in '${shown}')`;
    this.message = `${code}: ${this.detail}`;
  }
}

/** The errors of one module load: the kernel reports every bad parameter, then fails. */
export class ModuleLoadError extends ConfigFileError {
  /** Every failing parameter, in argument order; the first is this error's own location. */
  readonly errors: readonly ConfigFileError[];

  constructor(module: string, errors: readonly ConfigFileError[]) {
    const first = errors[0]!;
    // insmod returns the errno of the last failing parameter.
    const code = errors[errors.length - 1]!.code;
    super(first, first.what, first.input, first.position, first.reason, code);
    this.name = 'ModuleLoadError';
    this.errors = errors;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more: ${errors.slice(1).map((e) => `${e.file}:${e.line}:${e.column}`).join(', ')})` : '';
    this.message = `${code}: ${module} would fail to load: ${first.detail}${more}`;
  }
}
