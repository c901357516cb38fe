import { printCyaml } from './cyaml-printer.js';
import type { DocMap, DocNode } from './doc.js';
import { formatJson } from './json.js';
import { emitLibyaml } from './libyaml-emitter.js';

/**
 * Which of lnetctl's printers a document goes through:
 * - `libyaml6`: libyaml at indent 6 (net/peer/route show, fault show, export's netlink parts);
 * - `libyaml2`: libyaml at its default indent 2 (ping, discover);
 * - `libyaml6-markers`: indent 6 between `---` and `...` (yaml_lnet_print_error);
 * - `cyaml`: liblnetconfig's cYAML printer (global, stats, routing, udsp, legacy errors).
 */
export type DocPrinter = 'libyaml6' | 'libyaml2' | 'libyaml6-markers' | 'cyaml';

export interface PrintableDoc {
  readonly doc: DocNode;
  readonly printer: DocPrinter;
}

export function printable(doc: DocNode, printer: DocPrinter): PrintableDoc {
  return { doc, printer };
}

/** The text of one document as its printer writes it. */
export function renderDoc(d: PrintableDoc): string {
  switch (d.printer) {
    case 'libyaml6':
      return emitLibyaml(d.doc, { indent: 6 });
    case 'libyaml2':
      return emitLibyaml(d.doc, { indent: 2 });
    case 'libyaml6-markers':
      return emitLibyaml(d.doc, { indent: 6, explicitStart: true, explicitEnd: true });
    case 'cyaml':
      return printCyaml(d.doc);
  }
}

/** Documents printed one after another (export prints its parts this way); nothing for none. */
export function render(parts: PrintableDoc | readonly PrintableDoc[] | undefined | null): string {
  if (!parts) return '';
  const list = 'doc' in parts ? [parts as PrintableDoc] : (parts as readonly PrintableDoc[]);
  return list.map(renderDoc).join('');
}

/** The documents as one JSON object (top-level keys of every part, in order); `{}` for none. */
export function renderJson(parts: PrintableDoc | readonly PrintableDoc[] | undefined | null): string {
  const list = !parts ? [] : 'doc' in parts ? [parts as PrintableDoc] : (parts as readonly PrintableDoc[]);
  if (list.length === 1) return formatJson(list[0]!.doc);
  const entries = list.flatMap((p) => (p.doc.kind === 'map' ? p.doc.entries : [['document', p.doc] as const]));
  const merged: DocMap = { kind: 'map', entries };
  return formatJson(merged);
}
