/**
 * GNU getopt_long as lnetctl and lctl use it: short options ("n:v::"), long options with
 * unique-prefix abbreviation (`--prio` for `--priority`), `--name=value` and `--name value`,
 * optional arguments only when attached, non-options permuted to the end, `--` ending options.
 * Diagnostics are glibc's, prefixed with the program name (argv[0] of the handler).
 */

export type HasArg = 'none' | 'required' | 'optional';

export interface LongOption {
  name: string;
  hasArg: HasArg;
  /** What getopt returns for it (usually the matching short option letter). */
  val: string;
}

export interface GetoptResult {
  /** Options in order: `opt` is the val, or '?' for an error (already reported), ':' never. */
  opts: { opt: string; arg: string | undefined; index: number; greedy?: boolean }[];
  /** Non-option arguments, in order (argv[optind..] after permutation). */
  operands: string[];
}

interface ShortSpec {
  hasArg: HasArg;
}

function parseShort(spec: string): Map<string, ShortSpec> {
  const m = new Map<string, ShortSpec>();
  let i = spec.startsWith('+') || spec.startsWith('-') ? 1 : 0;
  if (spec[i] === ':') i++;
  for (; i < spec.length; i++) {
    const c = spec[i]!;
    let hasArg: HasArg = 'none';
    if (spec[i + 1] === ':') {
      hasArg = spec[i + 2] === ':' ? 'optional' : 'required';
      i += hasArg === 'optional' ? 2 : 1;
    }
    m.set(c, { hasArg });
  }
  return m;
}

/**
 * Parse `argv` (argv[0] is the program/handler name). `report` receives glibc's messages
 * (stderr) unless `opterr` is false.
 */
export function getoptLong(
  argv: readonly string[],
  shortSpec: string,
  longOpts: readonly LongOption[],
  report: (msg: string) => void,
  opterr = true,
  /**
   * Option vals whose optional argument may also be the next word when that word does not
   * start with '-' (lnetctl's `-v [level]`, which peeks at argv[optind]); such an argument
   * comes back with `greedy: true`.
   */
  greedy: readonly string[] = [],
): GetoptResult {
  const prog = argv[0] ?? '';
  const shorts = parseShort(shortSpec);
  const say = (m: string): void => {
    if (opterr) report(`${prog}: ${m}\n`);
  };
  const opts: GetoptResult['opts'] = [];
  const operands: string[] = [];
  let i = 1;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const body = a.slice(2);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const exact = longOpts.find((o) => o.name === name);
      const candidates = exact ? [exact] : longOpts.filter((o) => o.name.startsWith(name));
      // Abbreviations that all name the same option are not ambiguous.
      const distinct = new Set(candidates.map((o) => `${o.hasArg}\0${o.val}`));
      if (candidates.length === 0) {
        say(`unrecognized option '--${name}'`);
        opts.push({ opt: '?', arg: undefined, index: i });
        i++;
        continue;
      }
      if (!exact && distinct.size > 1) {
        say(`option '--${name}' is ambiguous; possibilities: ${candidates.map((o) => `'--${o.name}'`).join(' ')}`);
        opts.push({ opt: '?', arg: undefined, index: i });
        i++;
        continue;
      }
      const o = candidates[0]!;
      if (o.hasArg === 'none') {
        if (eq >= 0) {
          say(`option '--${o.name}' doesn't allow an argument`);
          opts.push({ opt: '?', arg: undefined, index: i });
        } else opts.push({ opt: o.val, arg: undefined, index: i });
        i++;
        continue;
      }
      if (eq >= 0) {
        opts.push({ opt: o.val, arg: body.slice(eq + 1), index: i });
        i++;
        continue;
      }
      if (o.hasArg === 'optional') {
        const next = argv[i + 1];
        if (greedy.includes(o.val) && next !== undefined && !next.startsWith('-')) {
          opts.push({ opt: o.val, arg: next, index: i, greedy: true });
          i += 2;
        } else {
          opts.push({ opt: o.val, arg: undefined, index: i });
          i++;
        }
        continue;
      }
      if (i + 1 >= argv.length) {
        say(`option '--${o.name}' requires an argument`);
        opts.push({ opt: '?', arg: undefined, index: i });
        i++;
        continue;
      }
      opts.push({ opt: o.val, arg: argv[i + 1], index: i });
      i += 2;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      let j = 1;
      let consumedNext = false;
      while (j < a.length) {
        const c = a[j]!;
        const s = shorts.get(c);
        if (!s) {
          say(`invalid option -- '${c}'`);
          opts.push({ opt: '?', arg: undefined, index: i });
          j++;
          continue;
        }
        const rest = a.slice(j + 1);
        const next = argv[i + 1];
        const takeNext = greedy.includes(c) && rest.length === 0 && next !== undefined && !next.startsWith('-');
        if (s.hasArg === 'none' && !takeNext) {
          opts.push({ opt: c, arg: undefined, index: i });
          j++;
          continue;
        }
        if (takeNext && s.hasArg !== 'required') {
          opts.push({ opt: c, arg: next, index: i, greedy: true });
          consumedNext = true;
        } else if (s.hasArg === 'none') {
          opts.push({ opt: c, arg: undefined, index: i });
          j++;
          continue;
        } else if (rest.length > 0) {
          opts.push({ opt: c, arg: rest, index: i });
        } else if (s.hasArg === 'optional') {
          opts.push({ opt: c, arg: undefined, index: i });
        } else if (i + 1 < argv.length) {
          opts.push({ opt: c, arg: argv[i + 1], index: i });
          consumedNext = true;
        } else {
          say(`option requires an argument -- '${c}'`);
          opts.push({ opt: '?', arg: undefined, index: i });
        }
        break;
      }
      i += consumedNext ? 2 : 1;
      continue;
    }
    operands.push(a);
    i++;
  }
  return { opts, operands };
}

/**
 * lnetctl's `-v [level]`: an attached argument (`--verbose=2`, `-v2`) counts as plain `-v`
 * (level 1, as the handlers test optarg first); the next word, when taken, is the level if it
 * parses as a number and 1 otherwise.
 */
export function verboseLevel(o: { arg: string | undefined; greedy?: boolean }): number {
  if (!o.greedy || o.arg === undefined) return 1;
  return parseLong(o.arg) ?? 1;
}

/** lnetctl's parse_long: strtol(s, &end, 0) over the whole string; undefined when it does not parse. */
export function parseLong(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2]!;
  let v: number;
  if (/^0[xX]/.test(body)) v = parseInt(body.slice(2), 16);
  else if (body.length > 1 && body.startsWith('0')) v = parseInt(body, 8);
  else v = parseInt(body, 10);
  return m[1] === '-' ? -v : v;
}
