import { toPlain, type DocNode } from './doc.js';

/** `--json`: the same tree as JSON (mappings as objects in key order, sequences as arrays). */
export function formatJson(doc: DocNode): string {
  return JSON.stringify(toPlain(doc), null, 2) + '\n';
}
