import { map, seq, type DocEntry, type DocMap } from '../../cli/yaml/doc.js';
import { printable, type PrintableDoc } from '../../cli/yaml/output.js';
import type { RouterBufferPoolInput, RoutingInput } from './inputs.js';

const POOLS = ['tiny', 'small', 'large'] as const;

function poolNode(p: RouterBufferPoolInput): DocMap {
  return map([
    ['npages', p.npages],
    ['nbuffers', p.nbuffers],
    ['credits', p.credits],
    ['mincredits', p.mincredits],
  ]);
}

/** `buffers:`: each pool's buffers summed over the CPTs. */
export function buffersNode(r: RoutingInput): DocMap {
  const cpts = r.cpts ?? [];
  return map(POOLS.map((k) => [k, cpts.reduce((n, c) => n + c[k].nbuffers, 0)] as const));
}

/**
 * The `routing:` and `buffers:` entries (lustre_lnet_show_routing), or none while the kernel
 * has no router buffer pools. `backup` gives export --backup's `routing:` mapping with only
 * `enable`.
 */
export function routingEntries(r: RoutingInput | undefined, backup = false): DocEntry[] {
  if (!r || !r.cpts || r.cpts.length === 0) return [];
  const routing = backup
    ? map([['enable', r.state]])
    : seq([
        ...r.cpts.map((c, i) => map([[`cpt[${i}]`, map(POOLS.map((k) => [k, poolNode(c[k])] as const))]])),
        map([['enable', r.state]]),
      ]);
  return [
    ['routing', routing],
    ['buffers', buffersNode(r)],
  ];
}

/** `lnetctl routing show` (cYAML); null (no output, exit 0) while no pools exist. */
export function buildRoutingShow(r: RoutingInput | undefined): PrintableDoc | null {
  const entries = routingEntries(r);
  return entries.length === 0 ? null : printable({ kind: 'map', entries }, 'cyaml');
}
