/**
 * How the kernel splits a module's argument string into `name=value` pairs (kernel/params.c
 * parse_args / next_arg), which is where modprobe options get their quoting rules:
 * - arguments are separated by whitespace outside double quotes;
 * - a '"' anywhere toggles quoting, and the quotes stay in the text, except that
 *   a value starting with '"' loses that quote and a final '"', and an argument starting
 *   with '"' loses that quote and a final '"';
 * - there is no escaping: a backslash is an ordinary character;
 * - the first '=' (not at the very start) separates name and value; no '=' means no value;
 * - a bare `--` ends the arguments; the rest is ignored with a warning.
 */
import { isCSpace } from '../nid/kstrto.js';

export interface ModuleArg {
  readonly name: string;
  /** undefined for an argument without '='. */
  readonly value: string | undefined;
  /** Offset of the name in the argument string. */
  readonly position: number;
  /** Offset of the value (after a stripped quote); undefined without a value. */
  readonly valuePosition: number | undefined;
}

export interface ParsedModuleArgs {
  readonly args: readonly ModuleArg[];
  /** Text after a `--` argument, which the kernel ignores; undefined when there is none. */
  readonly afterDashes: string | undefined;
}

export function parseModuleArgs(text: string): ParsedModuleArgs {
  const out: ModuleArg[] = [];
  let p = 0;
  while (isCSpace(text[p])) p++;
  while (p < text.length) {
    let start = p;
    let inQuote = false;
    let quoted = false;
    if (text[start] === '"') {
      start++;
      inQuote = true;
      quoted = true;
    }
    let i = 0;
    let equals = 0;
    for (; start + i < text.length; i++) {
      const c = text[start + i]!;
      if (isCSpace(c) && !inQuote) break;
      if (equals === 0 && c === '=') equals = i;
      if (c === '"') inQuote = !inQuote;
    }
    const end = start + i;
    // The kernel writes NULs into the buffer; model them as the end of each piece.
    let nameEnd = equals ? start + equals : end;
    let value: string | undefined;
    let valuePosition: number | undefined;
    if (equals) {
      let vStart = start + equals + 1;
      let vEnd = end;
      if (text[vStart] === '"') {
        vStart++;
        if (text[end - 1] === '"') vEnd = end - 1;
      }
      if (quoted && i > 0 && text[end - 1] === '"') vEnd = Math.min(vEnd, end - 1);
      value = vEnd > vStart ? text.slice(vStart, vEnd) : '';
      valuePosition = vStart;
    } else if (quoted && i > 0 && text[end - 1] === '"') {
      nameEnd = end - 1;
    }
    const name = text.slice(start, nameEnd);
    p = end < text.length ? end + 1 : end;
    while (isCSpace(text[p])) p++;
    if (value === undefined && name === '--') return { args: out, afterDashes: text.slice(p) };
    out.push({ name, value, position: start, valuePosition });
  }
  return { args: out, afterDashes: undefined };
}

/**
 * Quote a value so parseModuleArgs gives it back unchanged, where that is possible: a value
 * with whitespace is wrapped in quotes. A value holding a '"' cannot always round-trip (the
 * kernel has no escape), so it is returned as is.
 */
export function quoteModuleArgValue(value: string): string {
  if (value === '' || /["]/.test(value) || !/[ \t\n\v\f\r]/.test(value)) return value;
  return `"${value}"`;
}
