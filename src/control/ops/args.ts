/** Reading an operation's arguments: wrong types are EINVAL with the argument's name. */
import { ControlError } from '../protocol.js';

export type Args = Record<string, unknown>;

function bad(name: string, want: string): never {
  throw new ControlError('EINVAL', `malformed request: argument "${name}" must be ${want}`);
}

export function optStr(a: Args, name: string): string | undefined {
  const v = a[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') bad(name, 'a string');
  return v;
}

export function reqStr(a: Args, name: string): string {
  const v = optStr(a, name);
  if (v === undefined) bad(name, 'a string');
  return v;
}

export function optInt(a: Args, name: string): number | undefined {
  const v = a[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) bad(name, 'an integer');
  return v;
}

export function reqInt(a: Args, name: string): number {
  const v = optInt(a, name);
  if (v === undefined) bad(name, 'an integer');
  return v;
}

export function optBool(a: Args, name: string): boolean {
  const v = a[name];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') bad(name, 'true or false');
  return v;
}

export function optStrs(a: Args, name: string): string[] | undefined {
  const v = a[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) bad(name, 'a list of strings');
  return v as string[];
}

export function optInts(a: Args, name: string): number[] | undefined {
  const v = a[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x))) bad(name, 'a list of integers');
  return v as number[];
}

export function optObj(a: Args, name: string): Args | undefined {
  const v = a[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) bad(name, 'an object');
  return v as Args;
}

export function oneOf<T extends string>(a: Args, name: string, values: readonly T[], dflt: T): T {
  const v = optStr(a, name);
  if (v === undefined) return dflt;
  if (!(values as readonly string[]).includes(v)) bad(name, `one of ${values.join(', ')}`);
  return v as T;
}
