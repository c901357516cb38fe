// Random document trees for printer property tests: keys and values drawn to hit every
// libyaml scalar rule (indicators, quotes, spaces, breaks, non-ASCII, long text that folds).
import { map, scalar, seq, type DocNode, type ScalarStyle } from '../../../src/cli/yaml/doc.js';
import { SeededRng } from '../../helpers/seeded-rng.js';

const WORDS = ['net', 'peer ni', 'local NI(s)', 'nid', '0@lo', '192.0.2.11@tcp', 'Multi-Rail', 'CPT', 'health stats', 'tcp1'];
const PIECES = [' ', ':', ': ', '#', ' #', '-', '- ', "'", '"', '\\', '[', ']', '{', '}', ',', '?', '!', '&', '*', '|', '>', '%', '@', '`', 'é', '\t', '\n', '  ', '...', '---', 'x', 'abc', '12', '@tcp'];

/** A string that a YAML 1.2 core-schema parser reads back as a string when printed plain. */
function isCoreStringSafe(s: string): boolean {
  return !/^(?:[-+]?(?:\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN|null|Null|NULL|~|true|True|TRUE|false|False|FALSE|[-+]?[0-9][0-9_.eExXoObB+-]*|0x[0-9a-fA-F]+|0o[0-7]+|[-+]?\.[0-9].*|<<)$/.test(s) && s.trim() !== '';
}

export function randomString(rng: SeededRng, safe: boolean): string {
  for (;;) {
    let s = '';
    const n = rng.int(5);
    for (let i = 0; i < n; i++) s += rng.int(3) === 0 ? rng.pick(PIECES) : rng.pick(WORDS);
    if (rng.int(8) === 0) s = Array.from({ length: 8 + rng.int(20) }, () => rng.pick(WORDS)).join(' ');
    if (!safe || isCoreStringSafe(s)) return s;
  }
}

function randomScalar(rng: SeededRng, forRoundTrip: boolean): DocNode {
  switch (rng.int(6)) {
    case 0:
      return scalar(rng.int(2000) - 1000);
    case 1:
      return scalar(rng.int(2) === 0);
    case 2:
      return scalar(null);
    default: {
      const style: ScalarStyle = rng.pick(['plain', 'plain', 'single', 'double']);
      // Plain strings must not read back as numbers or booleans for the round trip.
      const s = randomString(rng, forRoundTrip && style === 'plain');
      return scalar(s, style, rng.int(2) === 0);
    }
  }
}

export function randomDoc(rng: SeededRng, depth = 0, forRoundTrip = false): DocNode {
  const r = rng.int(10);
  if (depth > 3 || (depth > 0 && r < 3)) return randomScalar(rng, forRoundTrip);
  if (r < 7 || depth === 0) {
    const n = rng.int(5);
    const keys = new Set<string>();
    const entries: [string, DocNode][] = [];
    for (let i = 0; i < n; i++) {
      let k = rng.int(4) === 0 ? randomString(rng, true) : rng.pick(WORDS);
      if (rng.int(30) === 0) k = 'k'.repeat(130);
      if (keys.has(k)) continue;
      keys.add(k);
      entries.push([k, randomDoc(rng, depth + 1, forRoundTrip)]);
    }
    return map(entries);
  }
  return seq(Array.from({ length: rng.int(4) }, () => randomDoc(rng, depth + 1, forRoundTrip)));
}
