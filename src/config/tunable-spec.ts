/**
 * How a module parameter is described and set: the kernel's name, storage type, default,
 * permission, description (as modinfo shows it) and setter. Setters behave like the kernel's
 * param ops (kernel/params.c param_set_int/uint/charp and LNet's own): they return the fields
 * to store, or throw the errno the kernel setter returns, which makes insmod fail.
 */
import type { ErrnoName } from '../errno.js';
import { ParseError } from '../errors.js';
import { kstrtoint, kstrtouint, kstrtoul, type KstrtoxResult } from './kstrtox.js';

export type ModuleName = 'lnet' | 'ksocklnd' | 'ko2iblnd';

/** How the value is stored and printed in /sys/module/<module>/parameters. */
export type TunableType = 'int' | 'uint' | 'charp';

export type Fail = (reason: string, code?: ErrnoName) => never;
/** A console warning the kernel prints while accepting the value. */
export type Warn = (message: string) => void;

export interface TunableSpec<P extends object> {
  readonly module: ModuleName;
  readonly name: keyof P & string;
  readonly type: TunableType;
  readonly default: number | string;
  /** 0644: writable at runtime through sysfs; 0444: load time only. */
  readonly writable: boolean;
  /** MODULE_PARM_DESC */
  readonly description: string;
  /** What values are accepted beyond the type, in words ('' when nothing more is checked). */
  readonly limits: string;
  /**
   * When the kernel refuses a bad value: `set` fails insmod; `startup` is accepted at load and
   * fails LNet (or NI) startup instead. ulnet checks both when the value is set.
   */
  readonly checkedAt: 'set' | 'startup';
  /** The setter. A bare `name` with no '=' never reaches it: the kernel refuses that (EINVAL) first. */
  readonly set: (text: string, current: Readonly<P>, fail: Fail, warn: Warn) => Partial<P>;
}

/** param_set_charp refuses strings longer than this (ENOSPC). */
export const CHARP_MAX = 1024;

/** Unwrap a kstrto* result, failing with its errno. */
export function need(r: KstrtoxResult, what: string, fail: Fail): bigint {
  if (r.ok) return r.value;
  if (r.errno === 'ERANGE') return fail(`does not fit in ${what}`, 'ERANGE');
  return fail(`not ${what} (decimal, 0x hex or 0-prefixed octal)`, 'EINVAL');
}

/** param_set_int */
export const setInt =
  <P extends object>(name: keyof P & string) =>
  (text: string, _c: Readonly<P>, fail: Fail): Partial<P> =>
    ({ [name]: Number(need(kstrtoint(text), 'an int', fail)) }) as Partial<P>;

/** param_set_uint */
export const setUint =
  <P extends object>(name: keyof P & string) =>
  (text: string, _c: Readonly<P>, fail: Fail): Partial<P> =>
    ({ [name]: Number(need(kstrtouint(text), 'an unsigned int', fail)) }) as Partial<P>;

/** param_set_charp */
export function checkCharp(text: string, fail: Fail): string {
  if (text.length > CHARP_MAX) fail(`string longer than ${CHARP_MAX} characters`, 'ENOSPC');
  return text;
}

export const setCharp =
  <P extends object>(name: keyof P & string) =>
  (text: string, _c: Readonly<P>, fail: Fail): Partial<P> =>
    ({ [name]: checkCharp(text, fail) }) as Partial<P>;

/** A charp the kernel later compares against fixed words (checked at startup there). */
export const setEnumCharp =
  <P extends object>(name: keyof P & string, allowed: readonly string[]) =>
  (text: string, _c: Readonly<P>, fail: Fail): Partial<P> => {
    checkCharp(text, fail);
    if (!allowed.includes(text)) fail(`must be one of ${allowed.map((a) => (a === '' ? "''" : a)).join(', ')}`);
    return { [name]: text } as Partial<P>;
  };

/** param_set_tos of socklnd and o2iblnd: -1 (unset) or an IP TOS byte; ERANGE otherwise. */
export const setTos =
  <P extends { readonly tos: number }>() =>
  (text: string, _c: Readonly<P>, fail: Fail): Partial<P> => {
    const t = Number(need(kstrtoint(text), 'an int', fail));
    if (t < -1 || t > 0xff) fail('must be -1 (unset) or 0..255', 'ERANGE');
    return { tos: t } as unknown as Partial<P>;
  };

/** kstrtoul, as the custom LNet setters read their value. */
export function readUlong(text: string, fail: Fail): bigint {
  return need(kstrtoul(text), 'an unsigned long', fail);
}

/** Store an unsigned long into an unsigned int, as C assignment truncates it. */
export const toU32 = (v: bigint): number => Number(BigInt.asUintN(32, v));

/** The value as the sysfs file shows it (param_get_int / param_get_uint / param_get_charp). */
export function formatTunable(type: TunableType, value: number | string): string {
  if (typeof value === 'string') return value;
  if (type === 'int') return String(value | 0);
  return String(value >>> 0);
}

/** Build the `fail` a setter receives: a ParseError naming the module parameter. */
export function failFor(module: ModuleName, name: string, text: string): Fail {
  return (reason, code = 'EINVAL') => {
    throw new ParseError(`${module} parameter ${name}`, text, 0, reason, code);
  };
}
