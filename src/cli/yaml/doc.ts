/**
 * A YAML document tree as lnetctl prints it: mappings keep their key order, scalars keep the
 * style the kernel's tools give them. One tree feeds every printer (libyaml-style, cYAML, JSON).
 */

/** How a scalar is written; the libyaml printer falls back as libyaml does when a style is impossible. */
export type ScalarStyle = 'plain' | 'single' | 'double';

export type ScalarValue = string | number | bigint | boolean | null;

export interface DocScalar {
  readonly kind: 'scalar';
  /** null is the empty value (`key:` with nothing after it). */
  readonly value: ScalarValue;
  /** Requested style (default plain). */
  readonly style?: ScalarStyle;
  /**
   * The event is not "quoted implicit" (libyaml's quoted_implicit = 0), so when the scalar ends
   * up quoted libyaml writes the non-specific tag `! ` before it. Default: true for plain
   * scalars (what lnetctl's re-emitted and hand-built plain scalars are), false for quoted ones.
   */
  readonly tagged?: boolean;
}

export type DocEntry = readonly [key: string, value: DocNode];

export interface DocMap {
  readonly kind: 'map';
  readonly entries: readonly DocEntry[];
}

export interface DocSeq {
  readonly kind: 'seq';
  readonly items: readonly DocNode[];
}

export type DocNode = DocScalar | DocMap | DocSeq;

/** What builders may pass where a node is expected: nodes, or plain scalars. */
export type DocInput = DocNode | ScalarValue;

export function isDocNode(v: unknown): v is DocNode {
  return typeof v === 'object' && v !== null && 'kind' in v && ['scalar', 'map', 'seq'].includes((v as DocNode).kind);
}

export function node(v: DocInput): DocNode {
  return isDocNode(v) ? v : { kind: 'scalar', value: v };
}

/** A plain scalar (or the empty value for null). */
export function scalar(value: ScalarValue, style: ScalarStyle = 'plain', tagged?: boolean): DocScalar {
  return tagged === undefined ? { kind: 'scalar', value, style } : { kind: 'scalar', value, style, tagged };
}

/** A double-quoted scalar, as the kernel's CPT string (`CPT: "[0]"`). */
export function dq(value: string, tagged = false): DocScalar {
  return scalar(value, 'double', tagged);
}

/** A mapping; entries whose value is undefined are left out (optional keys). */
export function map(entries: readonly (readonly [string, DocInput | undefined])[]): DocMap {
  const out: DocEntry[] = [];
  for (const [k, v] of entries) if (v !== undefined) out.push([k, node(v)]);
  return { kind: 'map', entries: out };
}

export function seq(items: readonly DocInput[]): DocSeq {
  return { kind: 'seq', items: items.map(node) };
}

/** A mapping with one more entry at the end. */
export function withEntry(m: DocMap, key: string, value: DocInput): DocMap {
  return { kind: 'map', entries: [...m.entries, [key, node(value)]] };
}

/** The value under `key` of a mapping (first match). */
export function getEntry(m: DocNode | undefined, key: string): DocNode | undefined {
  if (!m || m.kind !== 'map') return undefined;
  return m.entries.find(([k]) => k === key)?.[1];
}

/** The text a scalar prints as, before any quoting. */
export function scalarText(v: ScalarValue, bools: 'lower' | 'title' = 'lower'): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return bools === 'lower' ? (v ? 'true' : 'false') : v ? 'True' : 'False';
  return String(v);
}

/** The tree as plain JavaScript values (what a YAML or JSON parser gives back). */
export function toPlain(n: DocNode): unknown {
  switch (n.kind) {
    case 'scalar': {
      const v = n.value;
      if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
      return v;
    }
    case 'seq':
      return n.items.map(toPlain);
    case 'map': {
      const o: Record<string, unknown> = {};
      for (const [k, v] of n.entries) o[k] = toPlain(v);
      return o;
    }
  }
}
