/**
 * lnetd's structured log: one JSON object per line (time, level, msg, then fields) on stderr,
 * so journald and log shippers can read it without parsing prose.
 */
import type { LogFn } from '../core/lnet-core.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function isLogLevel(s: string): s is LogLevel {
  return s in RANK;
}

export interface Logger {
  readonly log: LogFn;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A logger writing lines at or above `level` to `write` (default: process.stderr). */
export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const log: LogFn = (lvl, msg, fields) => {
    if (RANK[lvl] < RANK[level]) return;
    const rec: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, msg };
    if (fields) for (const [k, v] of Object.entries(fields)) if (!(k in rec)) rec[k] = v;
    let line: string;
    try {
      line = JSON.stringify(rec, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Error ? v.message : v));
    } catch {
      line = JSON.stringify({ time: rec.time, level: lvl, msg });
    }
    write(`${line}\n`);
  };
  return {
    log,
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  };
}
