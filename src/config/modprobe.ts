/**
 * modprobe.d files (kmod libkmod-config.c kmod_config_parse, libkmod-util.c getline_wrapped,
 * libkmod-module.c kmod_module_get_options), then the kernel's own argument parsing:
 * - a backslash joins the next physical line (backslash-newline vanishes); a backslash before
 *   any other character is dropped and the character kept;
 * - a line whose first character is '#' is a comment; there are no trailing comments, so a
 *   '#' inside an options line reaches the module (ip2nets and routes treat it as a comment);
 * - `options <module> <text>`: the text after the single blank that follows the module name,
 *   tabs turned to spaces; module names treat '-' as '_';
 * - every options line of a module is joined with ' ' in file order, then modprobe's command
 *   line options; the kernel splits that string (module-args.ts) and sets the parameters left
 *   to right, the last value winning;
 * - `install`, `remove`, `alias`, `blacklist`, `softdep` lines are ignored here; unknown
 *   commands and incomplete lines are ignored with a warning, as kmod does.
 */
import type { ErrnoName } from '../errno.js';
import { isLNetError, ParseError } from '../errors.js';
import { ConfigFileError, ModuleLoadError, type SourceLocation } from './config-error.js';
import { parseIp2nets } from './ip2nets.js';
import type { LNetParams } from './lnet-params.js';
import { parseModuleArgs, type ModuleArg } from './module-args.js';
import { LNET_CPT_MAX, parseNetworks } from './networks.js';
import type { O2iblndParams } from './o2iblnd-params.js';
import { parseRoutes } from './routes.js';
import { SOCKLND_ABSENT_PARAMS, type SocklndParams } from './socklnd-params.js';
import type { ModuleName } from './tunable-spec.js';
import { applyTunable, DEFAULT_PARAMS, findTunable, MODULE_NAMES, normalizeParamName, type ModuleParams } from './tunables.js';

export interface ConfigSource {
  /** Shown in messages; a path for real files. */
  readonly file: string;
  readonly text: string;
}

export interface ModprobeOptions {
  /** Normalised module name ('-' as '_'). */
  readonly module: string;
  /** The option text as kmod passes it on (tabs turned to spaces). */
  readonly text: string;
  /** Where the options line starts. */
  readonly at: SourceLocation;
  /** The source location of each character of `text`. */
  readonly origins: readonly SourceLocation[];
}

export interface ConfigWarning {
  readonly at: SourceLocation;
  readonly message: string;
}

export interface ModprobeConfig {
  readonly options: readonly ModprobeOptions[];
  readonly warnings: readonly ConfigWarning[];
}

interface LogicalLine {
  readonly text: string;
  readonly origins: SourceLocation[];
  readonly line: number;
}

/** getline_wrapped over a whole file, keeping where each character came from. */
function logicalLines(src: ConfigSource): LogicalLine[] {
  const out: LogicalLine[] = [];
  const s = src.text;
  let line = 1;
  let col = 1;
  let text = '';
  let origins: SourceLocation[] = [];
  let startLine = 1;
  let i = 0;
  const flush = (): void => {
    out.push({ text, origins, line: startLine });
    text = '';
    origins = [];
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\n') {
      flush();
      i++;
      line++;
      col = 1;
      startLine = line;
      continue;
    }
    if (c === '\\') {
      const next = s[i + 1];
      if (next === '\n') {
        i += 2;
        line++;
        col = 1;
        continue;
      }
      // Backslash before anything else: kmod keeps only the next character. At end of
      // file there is none (kmod would store EOF as a 0xff byte; ulnet drops it).
      i++;
      col++;
      if (next === undefined) break;
      text += next;
      origins.push({ file: src.file, line, column: col });
      i++;
      col++;
      continue;
    }
    text += c;
    origins.push({ file: src.file, line, column: col });
    i++;
    col++;
  }
  if (text.length > 0) flush();
  return out;
}

/** underscores(): '-' becomes '_', except inside [...] character classes. */
function underscores(name: string): string {
  let out = '';
  let inClass = false;
  for (const c of name) {
    if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    out += c === '-' && !inClass ? '_' : c;
  }
  return out;
}

/** strtok_r(.., "\t ") from `p`: the next token and the index just past its delimiter. */
function strtok(s: string, p: number): { token: string; start: number; next: number } | undefined {
  let a = p;
  while (a < s.length && (s[a] === ' ' || s[a] === '\t')) a++;
  if (a >= s.length) return undefined;
  let b = a;
  while (b < s.length && s[b] !== ' ' && s[b] !== '\t') b++;
  return { token: s.slice(a, b), start: a, next: b < s.length ? b + 1 : b };
}

const IGNORED_COMMANDS = new Set(['alias', 'blacklist', 'install', 'remove', 'softdep']);
const DEPRECATED_COMMANDS = new Set(['include', 'config']);

/** kmod_config_parse over each source in order. */
export function parseModprobeConfig(sources: ConfigSource | readonly ConfigSource[]): ModprobeConfig {
  const list = Array.isArray(sources) ? (sources as readonly ConfigSource[]) : [sources as ConfigSource];
  const options: ModprobeOptions[] = [];
  const warnings: ConfigWarning[] = [];
  for (const src of list) {
    for (const ll of logicalLines(src)) {
      const lineAt: SourceLocation = { file: src.file, line: ll.line, column: 1 };
      if (ll.text.length === 0 || ll.text[0] === '#') continue;
      const cmd = strtok(ll.text, 0);
      if (!cmd) continue;
      const at = (k: number): SourceLocation => ll.origins[k] ?? lineAt;
      if (cmd.token === 'options') {
        const mod = strtok(ll.text, cmd.next);
        const rest = mod ? mod.next : ll.text.length;
        if (!mod || rest >= ll.text.length) {
          warnings.push({ at: at(cmd.start), message: "ignoring bad line starting with 'options' (needs a module name and options)" });
          continue;
        }
        options.push({
          module: underscores(mod.token),
          text: ll.text.slice(rest).replace(/\t/g, ' '),
          at: at(cmd.start),
          origins: ll.origins.slice(rest),
        });
      } else if (IGNORED_COMMANDS.has(cmd.token)) {
        continue;
      } else if (DEPRECATED_COMMANDS.has(cmd.token)) {
        warnings.push({ at: at(cmd.start), message: `command ${cmd.token} is deprecated and not parsed anymore` });
      } else {
        warnings.push({ at: at(cmd.start), message: `ignoring bad line starting with '${cmd.token}'` });
      }
    }
  }
  return { options, warnings };
}

/**
 * modprobe's command-line options after the module name (tools/modprobe.c options_from_array):
 * joined with ' ', and a value holding a blank is wrapped in '"' unless it already starts
 * with a quote, since the shell has removed the user's quotes.
 */
export function modprobeArgvOptions(argv: readonly string[]): string {
  return argv
    .map((arg) => {
      const eq = arg.indexOf('=');
      if (eq < 0) return arg;
      const value = arg.slice(eq + 1);
      if (value.startsWith('"') || value.startsWith("'") || !value.includes(' ')) return arg;
      return `${arg.slice(0, eq + 1)}"${value}"`;
    })
    .join(' ');
}

/** One module's argument string as kmod builds it, with each character's origin. */
export interface ModuleArgString {
  readonly text: string;
  readonly origins: readonly SourceLocation[];
}

/**
 * kmod_module_get_options plus modprobe's command-line options: every non-empty options text
 * for the module, joined with ' ', then `commandLine`.
 */
export function moduleArgString(config: ModprobeConfig, module: string, commandLine?: string): ModuleArgString {
  let text = '';
  const origins: SourceLocation[] = [];
  const append = (t: string, o: readonly SourceLocation[]): void => {
    if (t.length === 0) return;
    if (text.length > 0) {
      text += ' ';
      origins.push(origins[origins.length - 1]!);
    }
    text += t;
    origins.push(...o);
  };
  for (const opt of config.options) if (opt.module === module) append(opt.text, opt.origins);
  if (commandLine !== undefined)
    append(
      commandLine,
      [...commandLine].map((_, k) => ({ file: '<command line>', line: 1, column: k + 1 })),
    );
  return { text, origins };
}

export interface LoadOptions {
  /**
   * modprobe command-line options per module: an argument string as insmod would get it
   * (`'networks="tcp0(eth0)"'`), or the argv words after the module name as the shell passes
   * them (`['routes=o2ib0 192.0.2.[11-13]@tcp0']`, quoted by modprobeArgvOptions).
   */
  readonly commandLine?: Partial<Record<string, string | readonly string[]>>;
  /**
   * Also check what the kernel only checks when LNet starts: the networks, ip2nets and routes
   * syntax, and networks with ip2nets. Default true.
   */
  readonly checkSyntax?: boolean;
  /** CPT count for checking networks= CPT lists; default LNET_CPT_MAX (any valid CPT). */
  readonly cptCount?: number;
}

export interface LoadedModuleParams extends ModuleParams {
  /** Every argument each module received, in order (including unknown ones). */
  readonly args: Readonly<Record<string, readonly ModuleArg[]>>;
  /** The parameters each modelled module had set, by kernel name, the last value winning. */
  readonly set: Readonly<Record<ModuleName, ReadonlySet<string>>>;
  readonly warnings: readonly ConfigWarning[];
}

/**
 * Load modprobe configuration for lnet, ksocklnd and ko2iblnd: parse the files, build each
 * module's argument string, and set the typed parameters as insmod would. Throws
 * ModuleLoadError (a ConfigFileError listing every bad parameter with file, line and column)
 * when a module would fail to load; unknown parameters only warn, as the kernel does.
 */
export function loadModprobeConfig(sources: ConfigSource | readonly ConfigSource[], opts: LoadOptions = {}): LoadedModuleParams {
  const config = parseModprobeConfig(sources);
  const warnings: ConfigWarning[] = [...config.warnings];
  const args: Record<string, readonly ModuleArg[]> = {};
  const set = {} as Record<ModuleName, Set<string>>;
  const result = { ...DEFAULT_PARAMS } as { -readonly [M in ModuleName]: ModuleParams[M] };

  const modules = new Set<string>([...MODULE_NAMES, ...config.options.map((o) => o.module), ...Object.keys(opts.commandLine ?? {})]);
  for (const module of modules) {
    const cl = opts.commandLine?.[module];
    const argString = moduleArgString(config, module, cl === undefined || typeof cl === 'string' ? cl : modprobeArgvOptions(cl));
    const parsed = parseModuleArgs(argString.text);
    args[module] = parsed.args;
    const originAt = (k: number): SourceLocation => {
      if (argString.origins.length === 0) return { file: '<none>', line: 1, column: 1 };
      if (k < argString.origins.length) return argString.origins[k]!;
      const last = argString.origins[argString.origins.length - 1]!;
      return { ...last, column: last.column + 1 };
    };
    if (parsed.afterDashes !== undefined)
      warnings.push({
        at: originAt(argString.text.length - parsed.afterDashes.length),
        message: `${module}: parameters '${parsed.afterDashes}' after '--' ignored`,
      });
    if (!(MODULE_NAMES as readonly string[]).includes(module)) continue;
    const m = module as ModuleName;
    set[m] = new Set();
    const errors: ConfigFileError[] = [];
    let params = DEFAULT_PARAMS[m] as ModuleParams[ModuleName];
    const lastArg = new Map<string, ModuleArg>();
    for (const arg of parsed.args) {
      const name = normalizeParamName(arg.name);
      if (name === 'dyndbg' || name === 'async_probe') continue;
      const spec = findTunable(m, name);
      if (!spec) {
        const why = m === 'ksocklnd' && SOCKLND_ABSENT_PARAMS.includes(name) ? ' (only in debug builds of ksocklnd)' : '';
        warnings.push({ at: originAt(arg.position), message: `${m}: unknown parameter '${arg.name}' ignored${why}` });
        continue;
      }
      try {
        params = applyTunable(m, params as never, name, arg.value, (message) =>
          warnings.push({ at: originAt(arg.valuePosition ?? arg.position), message: `${m}: ${message}` }),
        );
        set[m].add(spec.name);
        lastArg.set(spec.name, arg);
      } catch (e) {
        errors.push(asFileError(e, originAt(arg.valuePosition ?? arg.position), `${m} parameter ${spec.name}`, arg.value ?? ''));
      }
    }
    if (errors.length === 0 && m === 'lnet' && opts.checkSyntax !== false)
      errors.push(...checkLNetSyntax(params as LNetParams, lastArg, originAt, opts.cptCount ?? LNET_CPT_MAX));
    if (errors.length > 0) throw new ModuleLoadError(m, errors);
    result[m] = params as never;
  }
  return {
    lnet: result.lnet as LNetParams,
    ksocklnd: result.ksocklnd as SocklndParams,
    ko2iblnd: result.ko2iblnd as O2iblndParams,
    args,
    set,
    warnings,
  };
}

function asFileError(e: unknown, at: SourceLocation, what: string, input: string, offset = 0): ConfigFileError {
  if (e instanceof ParseError) return new ConfigFileError(at, what, input, e.position + offset, e.reason, e.code);
  if (isLNetError(e)) return new ConfigFileError(at, what, input, offset, e.message.replace(/^[A-Z0-9]+: /, ''), e.code as ErrnoName);
  throw e;
}

/** The startup-time checks of networks, ip2nets and routes, located in the source. */
function checkLNetSyntax(
  p: LNetParams,
  lastArg: ReadonlyMap<string, ModuleArg>,
  originAt: (k: number) => SourceLocation,
  cptCount: number,
): ConfigFileError[] {
  const errors: ConfigFileError[] = [];
  const check = (name: 'networks' | 'ip2nets' | 'routes', fn: (text: string) => unknown): void => {
    const value = p[name];
    const arg = lastArg.get(name);
    if (value === '' || !arg) return;
    const base = arg.valuePosition ?? arg.position;
    try {
      fn(value);
    } catch (e) {
      const pos = e instanceof ParseError ? Math.min(e.position, value.length) : 0;
      errors.push(asFileError(e, originAt(base + pos), `lnet parameter ${name}`, value));
    }
  };
  check('networks', (t) => parseNetworks(t, { cptCount }));
  check('ip2nets', (t) => parseIp2nets(t));
  check('routes', (t) => parseRoutes(t));
  if (p.networks !== '' && p.ip2nets !== '') {
    const arg = lastArg.get('ip2nets')!;
    errors.push(
      new ConfigFileError(originAt(arg.position), 'lnet parameter ip2nets', p.ip2nets, 0, "specify either 'networks' or 'ip2nets', not both"),
    );
  }
  return errors;
}
