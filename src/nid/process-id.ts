import { ParseError } from '../errors.js';
import { formatNid, parseNid, type NidParseOptions } from './nid-string.js';
import { kstrtouint } from './kstrto.js';
import { nidIsAny, type Nid } from './nid.js';

export const LNET_PID_ANY = 0xffffffff;
export const LNET_PID_RESERVED = 0xf0000000;
export const LNET_PID_USERFLAG = 0x80000000;
/** The pid of every kernel LNet instance. */
export const LNET_PID_LUSTRE = 12345;

/** `struct lnet_processid` */
export interface ProcessId {
  readonly nid: Nid;
  readonly pid: number;
}

/** libcfs_idstr: `12345-1.2.3.4@tcp`, `U<pid>-nid` for a userspace peer, `LNET_PID_ANY-nid`. */
export function formatProcessId(id: ProcessId): string {
  if (id.pid >>> 0 === LNET_PID_ANY) return `LNET_PID_ANY-${formatNid(id.nid)}`;
  const user = (id.pid & LNET_PID_USERFLAG) !== 0;
  return `${user ? 'U' : ''}${(id.pid & ~LNET_PID_USERFLAG) >>> 0}-${formatNid(id.nid)}`;
}

/**
 * `[u|U]pid-nid` as lctl ping takes it (pid read as a C number: decimal, 0x hex or 0 octal), or
 * a bare NID (pid undefined). A `U` prefix sets LNET_PID_USERFLAG. As in lctl, text before the
 * first '-' that is not a number makes the whole string a NID (a hostname may contain '-'),
 * and a pid with the ANY NID (`12345-<?>`) is refused.
 */
export function parseProcessId(str: string, opts: NidParseOptions = {}): { nid: Nid; pid: number | undefined } {
  const dash = str.indexOf('-');
  if (dash < 0) return { nid: parseNid(str, opts), pid: undefined };
  const user = str[0] === 'u' || str[0] === 'U';
  const pidText = str.slice(user ? 1 : 0, dash);
  const pid = kstrtouint(pidText, 0);
  if (pid === undefined) {
    if (/^[0-9]+$/.test(pidText))
      throw new ParseError('process id', str, user ? 1 : 0, `pid '${pidText}' is not a u32 (decimal, 0x hex or 0 octal)`);
    return { nid: parseNid(str, opts), pid: undefined };
  }
  const nid = parseNid(str.slice(dash + 1), opts);
  if (nidIsAny(nid)) throw new ParseError('process id', str, dash + 1, 'the ANY NID cannot take a pid');
  return { nid, pid: (user ? pid | LNET_PID_USERFLAG : pid) >>> 0 };
}
