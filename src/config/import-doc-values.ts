/**
 * The YAML of an import document as lnetctl sees it: libyaml events with raw scalar text (the
 * `yaml` package's failsafe schema gives the same: every scalar a string), and the two ways
 * numbers are read from it: lnetctl's parse_long (strtol base 0, whole string) and the netlink
 * emitter's typing of values sent to the kernel (yaml_fill_scalar_data).
 */
import YAML, { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';

export type YNode =
  | { readonly t: 'map'; readonly entries: readonly (readonly [string, YNode])[] }
  | { readonly t: 'seq'; readonly items: readonly YNode[] }
  | { readonly t: 'scalar'; readonly text: string; readonly quoted: boolean };

export interface YamlSyntaxProblem {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly scanner: boolean;
}

/** An empty value (`key:`) reads as the empty plain scalar, as libyaml gives it. */
const EMPTY: YNode = { t: 'scalar', text: '', quoted: false };

function convert(n: Node | null | undefined, doc: Document, depth: number): YNode {
  if (depth > 200) return EMPTY;
  if (n === null || n === undefined) return EMPTY;
  if (isAlias(n)) return convert(n.resolve(doc) as Node | undefined, doc, depth + 1);
  if (isMap(n)) {
    return {
      t: 'map',
      entries: n.items.map((p) => {
        const k = convert(p.key as Node | null, doc, depth + 1);
        // libyaml hands lnetctl a complex key as events; its scalars never match a name.
        const key = k.t === 'scalar' ? k.text : '';
        return [key, convert(p.value as Node | null, doc, depth + 1)] as const;
      }),
    };
  }
  if (isSeq(n)) return { t: 'seq', items: n.items.map((i) => convert(i as Node | null, doc, depth + 1)) };
  if (isScalar(n)) {
    const v = n.value;
    const quoted = n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE';
    return { t: 'scalar', text: v === null || v === undefined ? '' : String(v), quoted };
  }
  return EMPTY;
}

/** Every document of the stream, or the first syntax problem. */
export function readYamlStream(text: string): YNode[] | YamlSyntaxProblem {
  const docs = YAML.parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false, prettyErrors: false, merge: false });
  const list = Array.isArray(docs) ? docs : [];
  const out: YNode[] = [];
  for (const d of list) {
    const err = d.errors[0];
    if (err) {
      const pos = err.linePos?.[0] ?? { line: 1, col: 1 };
      return { message: err.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, ''), line: pos.line, column: pos.col, scanner: err.code !== 'BAD_INDENT' };
    }
    if (d.contents !== null) out.push(convert(d.contents as Node, d, 0));
  }
  return out;
}

/** C's strtol(s, &end, 0) on the whole string: sign, 0x hex, 0 octal, decimal; undefined when anything is left over. */
export function parseLong(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2]!;
  let v: bigint;
  if (/^0[xX]/.test(body)) v = BigInt(body);
  else if (body.length > 1 && body[0] === '0') v = BigInt('0o' + body.slice(1));
  else v = BigInt(body);
  if (m[1] === '-') v = -v;
  // strtol saturates at LONG_MIN/LONG_MAX.
  const max = (1n << 63n) - 1n;
  if (v > max) v = max;
  if (v < -max - 1n) v = -max - 1n;
  return Number(v);
}

/** The kernel-bound typing of a value (yaml_fill_scalar_data). */
export type KernelValue = { readonly type: 'int'; readonly value: number } | { readonly type: 'str'; readonly value: string } | { readonly type: 'none' };

/** strtoll(s, NULL, 0) on a string of digits and '-': the longest valid prefix, 0 when none. */
function strtollPrefix(s: string): number {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (!m) return 0;
  return parseLong(m[0]) ?? 0;
}

/**
 * How lnetctl's netlink emitter types a mapping value it sends to the kernel: yes/true/on/y →
 * 1, no/false/off/n → 0 (any case), only digits and '-' → a number, else a string. Quoted
 * scalars stay strings; an empty value sends nothing.
 */
export function kernelValue(n: YNode | undefined): KernelValue {
  if (!n || n.t !== 'scalar') return { type: 'none' };
  const s = n.text;
  if (s.length === 0) return { type: 'none' };
  if (n.quoted) return { type: 'str', value: s };
  const l = s.toLowerCase();
  if (l === 'yes' || l === 'true' || l === 'on' || l === 'y') return { type: 'int', value: 1 };
  if (l === 'no' || l === 'false' || l === 'off' || l === 'n') return { type: 'int', value: 0 };
  if (/^[-0-9]+$/.test(s)) return { type: 'int', value: strtollPrefix(s) };
  return { type: 'str', value: s };
}

export function scalarText(n: YNode | undefined): string | undefined {
  return n && n.t === 'scalar' ? n.text : undefined;
}
