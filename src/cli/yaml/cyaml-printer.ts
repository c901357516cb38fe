import type { DocNode, ScalarValue } from './doc.js';

/** cyaml.c INDENT and EXTRA_IND. */
const INDENT = 4;
const EXTRA_IND = 2;

interface PrintInfo {
  level: number;
  arrayFirstElem: boolean;
  extraInd: number;
}

/**
 * The cYAML printer of liblnetconfig (cyaml.c print_value and friends): a child mapping is 4
 * columns past its parent, a sequence item is `- ` at the parent column + 4 with its other keys
 * 2 further in, values raw (`%s`), integers `%d`. The root is a mapping without a key. Booleans
 * print `True`/`False`, the strings liblnetconfig stores for them.
 */
export function printCyaml(root: DocNode): string {
  const out: string[] = [];
  printValue(out, null, root, { level: 0, arrayFirstElem: false, extraInd: 0 });
  return out.join('');
}

const pad = (n: number): string => ' '.repeat(Math.max(0, n));

function printValue(out: string[], key: string | null, n: DocNode, cpi: PrintInfo): void {
  switch (n.kind) {
    case 'scalar':
      return printScalar(out, key, n.value, cpi);
    case 'map':
      return printObject(out, key, n, cpi);
    case 'seq':
      return printArray(out, key, n, cpi);
  }
}

function printScalar(out: string[], key: string | null, v: ScalarValue, cpi: PrintInfo): void {
  const lead = cpi.arrayFirstElem ? pad(INDENT * cpi.level) + '- ' : '';
  const ind = cpi.arrayFirstElem ? 0 : INDENT * cpi.level + cpi.extraInd;
  const text = formatValue(v);
  if (key === null) {
    // cYAML never prints a keyless scalar; a sequence of plain values reads best as `- value`.
    out.push(lead + pad(ind) + text + '\n');
    return;
  }
  const nl = text.indexOf('\n');
  if (nl < 0 || typeof v !== 'string') {
    out.push(lead + pad(ind) + `${key}: ${text}\n`);
    return;
  }
  // print_string: continuation lines line up after "key: ".
  const lines = text.split('\n');
  out.push(lead + pad(ind) + `${key}: ${lines[0]}\n`);
  const cont = INDENT * cpi.level + cpi.extraInd + key.length + 2;
  for (const l of lines.slice(1)) out.push(pad(cont) + l + '\n');
}

function formatValue(v: ScalarValue): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatNumber(v);
  return v;
}

/** print_number: integers as %lld, other values as %f or %e as cyaml.c chooses. */
function formatNumber(d: number): string {
  if (Number.isInteger(d) && Math.abs(d) < 1e60) return d.toFixed(0);
  if (!Number.isFinite(d)) return String(d);
  const a = Math.abs(d);
  if (a < 1e-6 || a > 1e9) {
    const [m, e] = d.toExponential(6).split('e') as [string, string];
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return d.toFixed(6);
}

function printObject(out: string[], key: string | null, n: Extract<DocNode, { kind: 'map' }>, cpi: PrintInfo): void {
  if (key !== null) {
    const ind = cpi.arrayFirstElem ? INDENT * cpi.level : INDENT * cpi.level + cpi.extraInd;
    out.push(pad(ind) + (cpi.arrayFirstElem ? '- ' : '') + key + ':\n');
  }
  const child: PrintInfo = {
    level: key !== null ? cpi.level + 1 : cpi.level,
    arrayFirstElem: key === null ? cpi.arrayFirstElem : false,
    extraInd: cpi.arrayFirstElem ? EXTRA_IND : cpi.extraInd,
  };
  for (const [k, v] of n.entries) {
    printValue(out, k, v, { ...child });
    child.arrayFirstElem = false;
  }
}

function printArray(out: string[], key: string | null, n: Extract<DocNode, { kind: 'seq' }>, cpi: PrintInfo): void {
  if (key !== null) out.push(pad(INDENT * cpi.level + cpi.extraInd) + key + ':\n');
  const child: PrintInfo = { level: key !== null ? cpi.level + 1 : cpi.level, arrayFirstElem: true, extraInd: EXTRA_IND };
  for (const item of n.items) printValue(out, null, item, { ...child });
}
