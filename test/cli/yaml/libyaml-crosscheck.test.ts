// The libyaml emitter against the real libyaml 0.2.5 (the one lnetctl links), driven through
// python3-yaml's C emitter with the same events lnetctl emits. Skipped where python3-yaml with
// libyaml is not installed.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { scalarText, type DocNode } from '../../../src/cli/yaml/doc.js';
import { emitLibyaml, type LibyamlOptions } from '../../../src/cli/yaml/libyaml-emitter.js';
import { SeededRng } from '../../helpers/seeded-rng.js';
import { randomDoc } from './random-doc.js';

const PY = String.raw`
import sys, json, yaml
from yaml.events import *
def ev(n, out):
    k = n['kind']
    if k == 'map':
        out.append(MappingStartEvent(None, None, True, flow_style=False))
        for key, v in n['entries']:
            out.append(ScalarEvent(None, None, (True, False), key))
            ev(v, out)
        out.append(MappingEndEvent())
    elif k == 'seq':
        out.append(SequenceStartEvent(None, None, True, flow_style=False))
        for v in n['items']:
            ev(v, out)
        out.append(SequenceEndEvent())
    else:
        style = {'plain': None, 'single': "'", 'double': '"'}[n['style']]
        out.append(ScalarEvent(None, None, (True, not n['tagged']), n['text'], style=style))
res = []
for case in json.load(sys.stdin):
    events = [StreamStartEvent(), DocumentStartEvent(explicit=case['start'])]
    ev(case['doc'], events)
    events += [DocumentEndEvent(explicit=case['end']), StreamEndEvent()]
    res.append(yaml.emit(events, Dumper=yaml.CDumper, indent=case['indent']))
json.dump(res, sys.stdout)
`;

function pyAvailable(): boolean {
  const r = spawnSync('python3', ['-c', 'import yaml; assert yaml.__with_libyaml__'], { encoding: 'utf8', timeout: 20000 });
  return r.status === 0;
}

/** The tree with every scalar as text plus its style and tag flag, as the Python side needs it. */
function forPython(n: DocNode): unknown {
  switch (n.kind) {
    case 'map':
      return { kind: 'map', entries: n.entries.map(([k, v]) => [k, forPython(v)]) };
    case 'seq':
      return { kind: 'seq', items: n.items.map(forPython) };
    case 'scalar': {
      const style = n.style ?? 'plain';
      return { kind: 'scalar', text: scalarText(n.value), style, tagged: n.tagged ?? style === 'plain' };
    }
  }
}

const skip = !pyAvailable() && 'python3-yaml with libyaml is not installed';

t.test('random trees print exactly as libyaml 0.2.5 prints them (indent 2 and 6, with and without markers)', { timeout: 120000, skip }, async (t) => {
  const seed = Number(process.env.H6A_SEED ?? 0x6a6a);
  t.comment(`seed ${seed}`);
  const rng = new SeededRng(seed);
  const cases: { doc: DocNode; opts: LibyamlOptions }[] = [];
  for (let i = 0; i < 600; i++) {
    const doc = randomDoc(rng);
    const opts: LibyamlOptions = { indent: rng.pick([2, 6]), explicitStart: rng.int(3) === 0, explicitEnd: rng.int(3) === 0 };
    cases.push({ doc, opts });
  }
  const input = JSON.stringify(
    cases.map((c) => ({ doc: forPython(c.doc), indent: c.opts.indent, start: !!c.opts.explicitStart, end: !!c.opts.explicitEnd })),
  );
  const r = spawnSync('python3', ['-c', PY], { input, encoding: 'utf8', timeout: 60000, maxBuffer: 64 << 20 });
  t.equal(r.status, 0, r.stderr);
  const want = JSON.parse(r.stdout) as string[];
  let bad = 0;
  for (let i = 0; i < cases.length; i++) {
    const got = emitLibyaml(cases[i]!.doc, cases[i]!.opts);
    if (got !== want[i]) {
      bad++;
      if (bad <= 3) t.equal(got, want[i], `case ${i}: ${JSON.stringify(forPython(cases[i]!.doc)).slice(0, 300)}`);
    }
  }
  t.equal(bad, 0, `${cases.length} documents identical`);
});
