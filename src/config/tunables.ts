/**
 * The module-parameter registry: lnet, ksocklnd and ko2iblnd tunables, looked up and set as
 * the kernel does at insmod (kernel/params.c parse_one: '-' and '_' are the same in a name;
 * a parameter without '=' is EINVAL for every one of these, since none is a bool).
 */
import { LNetError, ParseError } from '../errors.js';
import { DEFAULT_LNET_PARAMS, LNET_TUNABLES, type LNetParams } from './lnet-params.js';
import { DEFAULT_O2IBLND_PARAMS, O2IBLND_TUNABLES, type O2iblndParams } from './o2iblnd-params.js';
import { DEFAULT_SOCKLND_PARAMS, SOCKLND_TUNABLES, type SocklndParams } from './socklnd-params.js';
import { failFor, formatTunable, type ModuleName, type TunableSpec, type Warn } from './tunable-spec.js';

export interface ModuleParams {
  readonly lnet: LNetParams;
  readonly ksocklnd: SocklndParams;
  readonly ko2iblnd: O2iblndParams;
}

export const MODULE_NAMES: readonly ModuleName[] = ['lnet', 'ksocklnd', 'ko2iblnd'];

export const TUNABLES: { readonly [M in ModuleName]: readonly TunableSpec<ModuleParams[M]>[] } = {
  lnet: LNET_TUNABLES,
  ksocklnd: SOCKLND_TUNABLES,
  ko2iblnd: O2IBLND_TUNABLES,
};

export const DEFAULT_PARAMS: ModuleParams = Object.freeze({
  lnet: DEFAULT_LNET_PARAMS,
  ksocklnd: DEFAULT_SOCKLND_PARAMS,
  ko2iblnd: DEFAULT_O2IBLND_PARAMS,
});

export const isModuleName = (m: string): m is ModuleName => (MODULE_NAMES as readonly string[]).includes(m);

/** parameq: the kernel treats '-' and '_' in parameter names as the same character. */
export const normalizeParamName = (name: string): string => name.replace(/-/g, '_');

export function findTunable<M extends ModuleName>(module: M, name: string): TunableSpec<ModuleParams[M]> | undefined {
  const n = normalizeParamName(name);
  return (TUNABLES[module] as readonly TunableSpec<ModuleParams[M]>[]).find((s) => s.name === n);
}

/**
 * Set one parameter on `params` as insmod would, returning the new params (the input is not
 * changed). Some setters change other parameters too (lnet_health_sensitivity=0 zeroes
 * lnet_retry_count). Throws ParseError with the kernel setter's errno (EINVAL, ERANGE,
 * ENOSPC), or ENOENT for a parameter the module does not have.
 */
export function applyTunable<M extends ModuleName>(
  module: M,
  params: ModuleParams[M],
  name: string,
  text: string | undefined,
  warn: Warn = () => {},
): ModuleParams[M] {
  const spec = findTunable(module, name);
  if (!spec) throw new ParseError(`${module} parameter`, name, 0, `${module} has no parameter '${name}'`, 'ENOENT');
  const fail = failFor(module, spec.name, text ?? '');
  if (text === undefined) fail(`needs a value (${spec.name}=...)`);
  const patch = spec.set(text!, params, fail, warn);
  return Object.freeze({ ...params, ...patch }) as unknown as ModuleParams[M];
}

/**
 * The value `text` gives the parameter, checked as the kernel setter checks it, in the context
 * of `current` (the defaults unless given) for the setters that compare with other parameters.
 */
export function parseTunable<M extends ModuleName>(
  module: M,
  name: string,
  text: string | undefined,
  current: ModuleParams[M] = DEFAULT_PARAMS[module],
): number | string {
  const spec = findTunable(module, name);
  if (!spec) throw new ParseError(`${module} parameter`, name, 0, `${module} has no parameter '${name}'`, 'ENOENT');
  const next = applyTunable(module, current, name, text);
  return (next as unknown as Record<string, number | string>)[spec.name]!;
}

/** Apply `name=value` pairs in order, as insmod does with a module's argument string. */
export function applyTunables<M extends ModuleName>(
  module: M,
  pairs: Iterable<readonly [string, string | undefined]>,
  params: ModuleParams[M] = DEFAULT_PARAMS[module],
  warn?: Warn,
): ModuleParams[M] {
  let p = params;
  for (const [name, text] of pairs) p = applyTunable(module, p, name, text, warn);
  return p;
}

/** `module.name=value` lines as `/sys/module/<module>/parameters/*` reads, sorted by name. */
export function sysfsLines<M extends ModuleName>(module: M, params: ModuleParams[M]): string[] {
  const specs = [...(TUNABLES[module] as readonly TunableSpec<ModuleParams[M]>[])].sort((a, b) => (a.name < b.name ? -1 : 1));
  const values = params as unknown as Record<string, number | string>;
  return specs.map((s) => `${module}.${s.name}=${formatTunable(s.type, values[s.name]!)}`);
}

/** Throw unless `m` is a module ulnet models. */
export function checkModuleName(m: string): ModuleName {
  if (!isModuleName(m)) throw new LNetError('ENOENT', `no module parameters known for '${m}' (known: ${MODULE_NAMES.join(', ')})`);
  return m;
}
