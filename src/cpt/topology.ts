import os from 'node:os';
import { LNetError } from '../errors.js';

/**
 * The parts of the machine's topology the kernel's CPT code looks at: online CPUs per NUMA
 * node (cpumask_of_node), hyper-thread siblings (topology_sibling_cpumask), packages
 * (topology_core_cpumask) and node_distance(). Every CPU listed is online; CPU ids not listed
 * do not exist, so they may be sparse.
 */
export interface CpuTopology {
  /** Index = NUMA node id, value = its CPU ids. Every entry is an online node; [] is a memory-only node. */
  readonly nodes: readonly (readonly number[])[];
  /** Hyper-thread sibling groups. CPUs in none are their own single-thread core. */
  readonly siblings?: readonly (readonly number[])[];
  /** Package (socket) groups. Default: one package per NUMA node. */
  readonly packages?: readonly (readonly number[])[];
  /** node_distance matrix. Default: 10 on the diagonal, 20 elsewhere (Linux without a SLIT). */
  readonly distance?: readonly (readonly number[])[];
  /** nr_cpu_ids. Default: highest CPU id + 1. */
  readonly nrCpuIds?: number;
  /** nr_node_ids. Default: nodes.length. */
  readonly nrNodeIds?: number;
  /** num_possible_cpus(): bounds the pattern parser's partition loop. Default: the online count. */
  readonly possibleCpus?: number;
  /** The CPU cfs_cpt_num_estimate happens to run on (its sibling count matters). Default: the first. */
  readonly currentCpu?: number;
}

/** Linux LOCAL_DISTANCE / REMOTE_DISTANCE, what node_distance() gives without firmware tables. */
export const LOCAL_DISTANCE = 10;
export const REMOTE_DISTANCE = 20;

/** The topology with lookup tables built once, so table construction is plain array work. */
export interface NormTopology {
  readonly nrCpuIds: number;
  readonly nrNodeIds: number;
  readonly numOnlineCpus: number;
  readonly numPossibleCpus: number;
  /** Online node ids, ascending (for_each_online_node). */
  readonly onlineNodes: readonly number[];
  /** cpumask_of_node, ascending; [] for ids below nrNodeIds that are not online. */
  readonly nodeCpus: readonly (readonly number[])[];
  /** cpu_to_node, -1 for ids that are not online CPUs. */
  readonly cpuNode: Int32Array;
  /** topology_sibling_cpumask / topology_core_cpumask per CPU, ascending, including the CPU. */
  readonly siblings: readonly (readonly number[])[];
  readonly packages: readonly (readonly number[])[];
  readonly currentCpu: number;
  nodeDistance(a: number, b: number): number;
}

const MAX_IDS = 1 << 16; // far above any real nr_cpu_ids; keeps a typo from allocating gigabytes

function bad(msg: string): never {
  throw new LNetError('EINVAL', `CPU topology: ${msg}`);
}

function checkId(v: unknown, what: string, limit: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= limit) bad(`${what} ${String(v)} is not an id in 0..${limit - 1}`);
  return v;
}

export function normalizeTopology(topo: CpuTopology): NormTopology {
  if (!Array.isArray(topo.nodes) || topo.nodes.length === 0) bad('at least one NUMA node is needed');
  const nodesIn = topo.nodes;
  let maxCpu = -1;
  let online = 0;
  for (const cpus of nodesIn) {
    if (!Array.isArray(cpus)) bad('each node must list its CPU ids');
    for (const c of cpus) {
      checkId(c, 'CPU', MAX_IDS);
      if (c > maxCpu) maxCpu = c;
      online++;
    }
  }
  if (online === 0) bad('no CPU is online');
  const nrCpuIds = topo.nrCpuIds ?? maxCpu + 1;
  if (!Number.isInteger(nrCpuIds) || nrCpuIds <= maxCpu || nrCpuIds > MAX_IDS) bad(`nrCpuIds ${nrCpuIds} must exceed every CPU id`);
  const nrNodeIds = topo.nrNodeIds ?? nodesIn.length;
  if (!Number.isInteger(nrNodeIds) || nrNodeIds < nodesIn.length || nrNodeIds > MAX_IDS) bad(`nrNodeIds ${nrNodeIds} must be at least the node count`);

  const cpuNode = new Int32Array(nrCpuIds).fill(-1);
  const nodeCpus: number[][] = [];
  const onlineNodes: number[] = [];
  for (let n = 0; n < nrNodeIds; n++) {
    const list = n < nodesIn.length ? [...(nodesIn[n] as readonly number[])].sort((a, b) => a - b) : [];
    for (const c of list) {
      if (cpuNode[c] !== -1) bad(`CPU ${c} is listed twice`);
      cpuNode[c] = n;
    }
    nodeCpus.push(list);
    if (n < nodesIn.length) onlineNodes.push(n);
  }

  const possible = topo.possibleCpus ?? online;
  if (!Number.isInteger(possible) || possible < online) bad(`possibleCpus ${possible} is below the online count ${online}`);

  const groupsOf = (groups: readonly (readonly number[])[] | undefined, what: string, dflt: (cpu: number) => number[]): number[][] => {
    const per: (number[] | undefined)[] = new Array(nrCpuIds);
    for (const g of groups ?? []) {
      const sorted = [...g].sort((a, b) => a - b);
      for (const c of sorted) {
        checkId(c, `${what} CPU`, nrCpuIds);
        if (cpuNode[c] === -1) bad(`${what} CPU ${c} is not online`);
        if (per[c]) bad(`CPU ${c} is in two ${what} groups`);
        per[c] = sorted;
      }
    }
    const out: number[][] = new Array(nrCpuIds);
    for (let c = 0; c < nrCpuIds; c++) out[c] = per[c] ?? (cpuNode[c] === -1 ? [] : dflt(c));
    return out;
  };
  const siblings = groupsOf(topo.siblings, 'sibling', (c) => [c]);
  const packages = groupsOf(topo.packages, 'package', (c) => nodeCpus[cpuNode[c] as number] as number[]);
  for (let c = 0; c < nrCpuIds; c++) {
    // cfs_cpt_choose_ncpus walks a package core by core; siblings outside it would never be reached
    if (cpuNode[c] !== -1 && !(siblings[c] as number[]).every((s) => (packages[c] as number[]).includes(s))) {
      bad(`siblings of CPU ${c} are not all in its package`);
    }
  }

  const dist = topo.distance;
  if (dist) {
    for (const n of onlineNodes) {
      const row = dist[n];
      if (!row) bad(`distance row for node ${n} is missing`);
      for (const m of onlineNodes) if (!Number.isInteger(row[m]) || (row[m] as number) < 0) bad(`distance ${n}->${m} is not a non-negative integer`);
    }
  }
  const nodeDistance = dist
    ? (a: number, b: number): number => (dist[a] as readonly number[])[b] as number
    : (a: number, b: number): number => (a === b ? LOCAL_DISTANCE : REMOTE_DISTANCE);

  let currentCpu = topo.currentCpu ?? -1;
  if (currentCpu === -1) {
    for (let c = 0; c < nrCpuIds; c++) {
      if (cpuNode[c] !== -1) {
        currentCpu = c;
        break;
      }
    }
  } else if (!Number.isInteger(currentCpu) || currentCpu < 0 || currentCpu >= nrCpuIds || cpuNode[currentCpu] === -1) {
    bad(`currentCpu ${currentCpu} is not online`);
  }

  return {
    nrCpuIds,
    nrNodeIds,
    numOnlineCpus: online,
    numPossibleCpus: possible,
    onlineNodes,
    nodeCpus,
    cpuNode,
    siblings,
    packages,
    currentCpu,
    nodeDistance,
  };
}

/**
 * A regular machine: `ncpus` CPUs split into `numaNodes` equal contiguous blocks, each block
 * one package, with `threadsPerCore` consecutive CPU ids per core.
 */
export function uniformTopology(ncpus: number, numaNodes = 1, threadsPerCore = 1): CpuTopology {
  if (!Number.isInteger(ncpus) || ncpus < 1) bad(`ncpus ${ncpus} must be a positive integer`);
  if (!Number.isInteger(numaNodes) || numaNodes < 1 || numaNodes > ncpus) bad(`numaNodes ${numaNodes} must be in 1..${ncpus}`);
  if (!Number.isInteger(threadsPerCore) || threadsPerCore < 1) bad(`threadsPerCore ${threadsPerCore} must be positive`);
  const nodes: number[][] = [];
  const per = Math.floor(ncpus / numaNodes);
  const extra = ncpus % numaNodes;
  let next = 0;
  for (let n = 0; n < numaNodes; n++) {
    const count = per + (n < extra ? 1 : 0);
    nodes.push(Array.from({ length: count }, (_, i) => next + i));
    next += count;
  }
  const siblings: number[][] = [];
  for (const cpus of nodes) for (let i = 0; i < cpus.length; i += threadsPerCore) siblings.push(cpus.slice(i, i + threadsPerCore));
  return { nodes, siblings, packages: nodes };
}

/**
 * The host as ulnet sees it: os.cpus() online CPUs in one NUMA node. (Node does not expose
 * NUMA layout or SMT siblings portably, so each CPU counts as its own core.)
 */
export function hostTopology(): CpuTopology {
  let n = os.cpus().length;
  if (n < 1) n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : 1;
  return uniformTopology(Math.max(1, n));
}
