import { map, seq, type DocMap } from '../../cli/yaml/doc.js';
import { printable, type PrintableDoc } from '../../cli/yaml/output.js';
import type { UdspRuleInput } from './inputs.js';

function ruleNode(r: UdspRuleInput): DocMap {
  return map([
    ['idx', r.idx],
    ['src', r.src || undefined],
    ['dst', r.dst || undefined],
    ['rte', r.rte || undefined],
    ['action', r.priority === undefined ? undefined : map([['priority', r.priority]])],
  ]);
}

/** The `udsp:` sequence, or undefined when there are no rules. */
export function udspNode(rules: readonly UdspRuleInput[], idx?: number): ReturnType<typeof seq> | undefined {
  const list = idx === undefined || idx < 0 ? rules : rules.filter((r) => r.idx === idx);
  return list.length === 0 ? undefined : seq(list.map(ruleNode));
}

/** `lnetctl udsp show [--idx N]` (cYAML); null (no output) when there is no such rule. */
export function buildUdspShow(rules: readonly UdspRuleInput[], idx?: number): PrintableDoc | null {
  const n = udspNode(rules, idx);
  return n ? printable(map([['udsp', n]]), 'cyaml') : null;
}
