import { LNetError, ParseError } from '../errors.js';
import { isDigit, isSpace, parseExprList, type RangeExpr } from './expr-list.js';
import { hostTopology, normalizeTopology, type CpuTopology, type NormTopology } from './topology.js';

/**
 * The CPU partition table (libcfs `struct cfs_cpt_table`), built the way
 * lnet/lnet/lib-cpt.c builds it at module load (cfs_cpu_init): from `cpu_pattern` if it is
 * not empty, otherwise from `cpu_npartitions`.
 */
export interface CptTable {
  /** cfs_cpt_number */
  readonly ncpt: number;
  /** Each partition's cpumask, ascending. */
  readonly partCpus: readonly (readonly number[])[];
  /** Each partition's nodemask, ascending. */
  readonly partNodes: readonly (readonly number[])[];
  /** cpt_distance[i][j]; -1 where the kernel never computed one (it prints the unsigned -1 with %d). */
  readonly distances: readonly (readonly number[])[];
  /** ctb_distance: the largest NUMA distance between any two nodes of the table. */
  readonly distance: number;
  /** All CPUs / nodes of the table, ascending (ctb_cpumask / ctb_nodemask). */
  readonly cpus: readonly number[];
  readonly nodes: readonly number[];
  /** ctb_cpu2cpt (length nr_cpu_ids) and ctb_node2cpt (length nr_node_ids), -1 for none. */
  readonly cpuToCpt: readonly number[];
  readonly nodeToCpt: readonly number[];
}

/** Module parameter defaults (libcfs/libcfs/module.c): cpu_npartitions=0, cpu_pattern="N". */
export const DEFAULT_CPU_NPARTITIONS = 0;
export const DEFAULT_CPU_PATTERN = 'N';
/** LNET_CPT_MAX on a 64-bit host: lnet_lib_init refuses more partitions (E2BIG). */
export const LNET_CPT_MAX_BITS = 8;
export const LNET_CPT_MAX = 1 << LNET_CPT_MAX_BITS;
/** CFS_CPT_ANY */
export const CFS_CPT_ANY = -1;

export interface CptParams {
  /** cpu_npartitions; default 0. */
  readonly cpuNpartitions?: number;
  /** cpu_pattern; default "N". "" means "use cpu_npartitions". */
  readonly cpuPattern?: string;
}

/** Mutable table mirroring the kernel structure while it is built; frozen into a CptTable. */
class Builder {
  readonly topo: NormTopology;
  readonly nparts: number;
  readonly partCpu: Uint8Array[];
  readonly partNode: Uint8Array[];
  readonly partDist: number[][];
  readonly cpu2cpt: Int32Array;
  readonly node2cpt: Int32Array;
  readonly tabCpu: Uint8Array;
  readonly tabNode: Uint8Array;
  tabDist = 0;

  constructor(topo: NormTopology, nparts: number) {
    this.topo = topo;
    this.nparts = nparts;
    this.partCpu = Array.from({ length: nparts }, () => new Uint8Array(topo.nrCpuIds));
    this.partNode = Array.from({ length: nparts }, () => new Uint8Array(topo.nrNodeIds));
    this.partDist = Array.from({ length: nparts }, () => new Array<number>(nparts).fill(-1));
    this.cpu2cpt = new Int32Array(topo.nrCpuIds).fill(-1);
    this.node2cpt = new Int32Array(topo.nrNodeIds).fill(-1);
    this.tabCpu = new Uint8Array(topo.nrCpuIds);
    this.tabNode = new Uint8Array(topo.nrNodeIds);
  }

  weight(cpt: number): number {
    let n = 0;
    for (const b of this.partCpu[cpt] as Uint8Array) n += b;
    return n;
  }

  /** cfs_cpt_online: every CPU in a mask is online in this model. */
  online(cpt: number): boolean {
    return (this.partCpu[cpt] as Uint8Array).includes(1);
  }

  /** Max node_distance from every node of mask `a` to every node of mask `b`; 0 if either is empty. */
  private distCalc(a: Uint8Array, b: Uint8Array): number {
    let max = 0;
    for (let f = 0; f < a.length; f++) {
      if (!a[f]) continue;
      for (let t = 0; t < b.length; t++) {
        if (!b[t]) continue;
        const d = this.topo.nodeDistance(f, t);
        if (d > max) max = d;
      }
    }
    return max;
  }

  private refreshDist(cpt: number): void {
    const part = this.partNode[cpt] as Uint8Array;
    for (let c2 = 0; c2 < this.nparts; c2++) {
      const other = this.partNode[c2] as Uint8Array;
      (this.partDist[cpt] as number[])[c2] = this.distCalc(part, other);
      (this.partDist[c2] as number[])[cpt] = this.distCalc(other, part);
    }
  }

  addCpu(cpt: number, cpu: number): void {
    this.cpu2cpt[cpu] = cpt;
    this.tabCpu[cpu] = 1;
    (this.partCpu[cpt] as Uint8Array)[cpu] = 1;
  }

  delCpu(cpt: number, cpu: number): void {
    (this.partCpu[cpt] as Uint8Array)[cpu] = 0;
    this.tabCpu[cpu] = 0;
    this.cpu2cpt[cpu] = -1;
  }

  addNode(cpt: number, node: number): void {
    if (!this.tabNode[node]) {
      this.tabNode[node] = 1;
      this.node2cpt[node] = cpt;
      this.tabDist = this.distCalc(this.tabNode, this.tabNode);
    }
    const part = this.partNode[cpt] as Uint8Array;
    if (!part[node]) {
      part[node] = 1;
      this.refreshDist(cpt);
    }
  }

  delNode(cpt: number, node: number): void {
    const { cpuNode } = this.topo;
    const part = this.partNode[cpt] as Uint8Array;
    const cpus = this.partCpu[cpt] as Uint8Array;
    let still = false;
    for (let c = 0; c < cpus.length && !still; c++) still = cpus[c] === 1 && cpuNode[c] === node;
    if (!still && part[node]) {
      part[node] = 0;
      for (let c2 = 0; c2 < this.nparts; c2++) {
        if ((this.partNode[c2] as Uint8Array)[node]) this.node2cpt[node] = c2;
      }
      this.refreshDist(cpt);
    }
    still = false;
    for (let c = 0; c < this.tabCpu.length && !still; c++) still = this.tabCpu[c] === 1 && cpuNode[c] === node;
    if (!still && this.tabNode[node]) {
      this.tabNode[node] = 0;
      this.node2cpt[node] = -1;
      this.tabDist = this.distCalc(this.tabNode, this.tabNode);
    }
  }

  /** cfs_cpt_set_cpu: false if the CPU is not online or is already placed. */
  setCpu(cpt: number, cpu: number): boolean {
    if (cpu < 0 || cpu >= this.topo.nrCpuIds || this.topo.cpuNode[cpu] === -1) return false;
    if (this.cpu2cpt[cpu] !== -1 || this.tabCpu[cpu] || (this.partCpu[cpt] as Uint8Array)[cpu]) return false;
    this.addCpu(cpt, cpu);
    this.addNode(cpt, this.topo.cpuNode[cpu] as number);
    return true;
  }

  /** cfs_cpt_unset_cpu */
  unsetCpu(cpt: number, cpu: number): void {
    if (cpu < 0 || cpu >= this.topo.nrCpuIds) return;
    if (cpt === CFS_CPT_ANY) {
      cpt = this.cpu2cpt[cpu] as number;
      if (cpt < 0) return;
    } else if (cpt !== this.cpu2cpt[cpu]) {
      return;
    }
    this.delCpu(cpt, cpu);
    this.delNode(cpt, this.topo.cpuNode[cpu] as number);
  }

  /**
   * cfs_cpt_set_node: adds every CPU of the node without the duplicate checks of setCpu, so
   * a node named in two partitions ends up in both cpumasks (the kernel does the same).
   */
  setNode(cpt: number, node: number): boolean {
    if (node < 0 || node >= this.topo.nrNodeIds) return false;
    for (const cpu of this.topo.nodeCpus[node] as readonly number[]) this.addCpu(cpt, cpu);
    this.addNode(cpt, node);
    return true;
  }

  /** cfs_unset_node_core: drop CPUs lo..hi counted from each node's first CPU id. */
  unsetNodeCore(lo: number, hi: number): void {
    for (const node of this.topo.onlineNodes) {
      const cpus = this.topo.nodeCpus[node] as readonly number[];
      if (cpus.length === 0) continue;
      const offset = cpus[0] as number;
      for (const cpu of cpus) {
        if (lo + offset <= cpu && hi + offset >= cpu) {
          const cpt = this.cpu2cpt[cpu] as number;
          // Deliberate difference: the kernel indexes partition -1 (out of bounds) when the
          // CPU was already excluded, e.g. "N C[0,0]"; here that is a no-op.
          if (cpt >= 0) this.delCpu(cpt, cpu);
        }
      }
    }
  }

  /** cfs_unset_cpt_core: the same per partition, counted from its current first CPU. */
  unsetCptCore(lo: number, hi: number): void {
    for (let cpt = 0; cpt < this.nparts; cpt++) {
      const mask = this.partCpu[cpt] as Uint8Array;
      let offset = -1;
      for (let cpu = 0; cpu < mask.length; cpu++) {
        if (!mask[cpu]) continue;
        if (offset < 0) offset = cpu;
        if (lo + offset <= cpu && hi + offset >= cpu) this.delCpu(cpt, cpu);
      }
    }
  }

  freeze(): CptTable {
    const ids = (m: Uint8Array): number[] => {
      const out: number[] = [];
      for (let i = 0; i < m.length; i++) if (m[i]) out.push(i);
      return out;
    };
    return Object.freeze({
      ncpt: this.nparts,
      partCpus: Object.freeze(this.partCpu.map((m) => Object.freeze(ids(m)))),
      partNodes: Object.freeze(this.partNode.map((m) => Object.freeze(ids(m)))),
      distances: Object.freeze(this.partDist.map((r) => Object.freeze([...r]))),
      distance: this.tabDist,
      cpus: Object.freeze(ids(this.tabCpu)),
      nodes: Object.freeze(ids(this.tabNode)),
      cpuToCpt: Object.freeze(Array.from(this.cpu2cpt)),
      nodeToCpt: Object.freeze(Array.from(this.node2cpt)),
    });
  }
}

function topoOf(topology: CpuTopology | NormTopology | undefined): NormTopology {
  if (topology === undefined) return normalizeTopology(hostTopology());
  return 'cpuNode' in topology ? topology : normalizeTopology(topology);
}

/** CPT_WEIGHT_MIN: machines with this many CPUs or fewer get one partition. */
const CPT_WEIGHT_MIN = 4;

/**
 * cfs_cpt_num_estimate (64-bit host): with more than 4 CPUs, the smallest ncpt >= 2 with
 * ncpu <= 2 * threads-per-core * ncpt, then lowered until it divides ncpu.
 */
export function estimateCptCount(topology?: CpuTopology | NormTopology): number {
  return estimate(topoOf(topology));
}

function estimate(topo: NormTopology): number {
  const ncpu = topo.numOnlineCpus;
  const nthr = (topo.siblings[topo.currentCpu] as readonly number[]).length;
  let ncpt = 1;
  if (ncpu > CPT_WEIGHT_MIN) for (ncpt = 2; ncpu > 2 * nthr * ncpt; ncpt++);
  while (ncpu % ncpt) ncpt--;
  return ncpt;
}

/** cfs_cpt_choose_ncpus: up to `number` CPUs of `nodeMask` into `cpt`, a core and package at a time. */
function chooseNcpus(b: Builder, cpt: number, nodeMask: Uint8Array, number: number): boolean {
  const topo = b.topo;
  const first = (m: Uint8Array): number => m.indexOf(1);
  let weight = 0;
  for (const v of nodeMask) weight += v;
  if (number >= weight) {
    for (let cpu = first(nodeMask); cpu >= 0; cpu = first(nodeMask)) {
      nodeMask[cpu] = 0;
      if (!b.setCpu(cpt, cpu)) return false;
    }
    return true;
  }
  const socket = new Uint8Array(nodeMask.length);
  while (nodeMask.includes(1)) {
    let cpu = first(nodeMask);
    socket.fill(0);
    for (const c of topo.packages[cpu] as readonly number[]) if (nodeMask[c]) socket[c] = 1;
    while (socket.includes(1)) {
      const core = (topo.siblings[cpu] as readonly number[]).filter((c) => nodeMask[c]);
      for (const i of core) {
        socket[i] = 0;
        nodeMask[i] = 0;
        if (!b.setCpu(cpt, i)) return false;
        if (!--number) return true;
      }
      cpu = first(socket);
    }
  }
  return true;
}

/** cfs_cpt_table_create: `ncpt` partitions (0 or less: the estimate) filled node by node. */
function createByCount(topo: NormTopology, ncpt: number): Builder {
  if (ncpt <= 0) ncpt = estimate(topo);
  const online = topo.numOnlineCpus;
  if (ncpt > online) {
    throw new LNetError('EINVAL', `libcfs: CPU partition count ${ncpt} > cores ${online}`);
  }
  const b = new Builder(topo, ncpt);
  const num = Math.floor(online / ncpt);
  let rem = online % ncpt;
  let cpt = 0;
  for (const node of topo.onlineNodes) {
    const nodeMask = new Uint8Array(topo.nrCpuIds);
    for (const c of topo.nodeCpus[node] as readonly number[]) nodeMask[c] = 1;
    while (cpt < ncpt && nodeMask.includes(1)) {
      const want = (rem > 0 ? 1 : 0) + num;
      if (!chooseNcpus(b, cpt, nodeMask, want - b.weight(cpt))) {
        throw new LNetError('EINVAL', `libcfs: failed to set up CPU partition table with ${ncpt} partitions`);
      }
      if (b.weight(cpt) === want) {
        cpt++;
        rem--;
      }
    }
  }
  return b;
}

/** cfs_cpt_table_create as a public entry point: `ncpt` partitions, 0 for the estimate. */
export function createCptTableByCount(ncpt: number, topology?: CpuTopology | NormTopology): CptTable {
  checkInt(ncpt, 'cpu_npartitions');
  return createByCount(topoOf(topology), ncpt).freeze();
}

function checkInt(v: number, what: string): void {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new LNetError('EINVAL', `${what} ${v} is not an int`);
}

/**
 * sscanf(s, "%d%n") as the kernel's vsscanf does it: skip blanks, an optional '-', at least
 * one digit; the value wraps to a C int. Returns undefined when nothing converts.
 */
function scanInt(s: string, at: number, end: number): { value: number; next: number } | undefined {
  let i = at;
  while (i < end && isSpace(s[i])) i++;
  if (i >= end) return undefined;
  const neg = s[i] === '-';
  if (!isDigit(s[neg ? i + 1 : i]) || (neg && i + 1 >= end)) return undefined;
  if (neg) i++;
  let v = 0;
  for (; i < end && isDigit(s[i]); i++) v = (v * 10 + (s.charCodeAt(i) - 48)) | 0;
  return { value: neg ? -v | 0 : v, next: i };
}

/**
 * cfs_cpt_table_create_pattern. Errors carry the kernel's errno: EINVAL for syntax, ERANGE
 * for a bad number list, EPERM for a partition given twice, ENODEV for a partition left
 * without CPUs.
 *
 * Grammar (lib-cpt.c):
 *   [N] [X] [C] { <cpt> '[' list ']' }     with N, numbers in brackets are NUMA node ids
 *   list := elem { ',' elem },  elem := n | '*' | n '-' m [ '/' stride ]
 * X: the brackets list CPUs to remove from the default layout (NUMA layout with N);
 * C: relative core numbers to remove from each NUMA node (with N) or each partition.
 * With X or C no partition ids are written, and text before each '[' is ignored.
 */
export function createCptTableFromPattern(
  pattern: string,
  cpuNpartitions = 0,
  topology?: CpuTopology | NormTopology,
): CptTable {
  checkInt(cpuNpartitions, 'cpu_npartitions');
  const topo = topoOf(topology);
  // A C string ends at the first NUL; the module parameter cannot hold more.
  const nul = pattern.indexOf('\0');
  const s = nul < 0 ? pattern : pattern.slice(0, nul);
  let end = s.length;
  function fail(pos: number, reason: string, code: 'EINVAL' | 'ERANGE' | 'EPERM' | 'ENODEV' = 'EINVAL'): never {
    throw new ParseError('cpu_pattern', pattern, pos, reason, code);
  }
  const skipSpaces = (i: number): number => {
    while (i < end && isSpace(s[i])) i++;
    return i;
  };
  // strim(): trailing blanks of the whole remaining string are cut for good, as the kernel
  // overwrites them with NUL in its copy.
  const strim = (i: number): number => {
    while (end > i && isSpace(s[end - 1])) end--;
    return skipSpaces(i);
  };

  let node = 0; // 1: N prefix, -1: the bare "N" layout
  let exclude = false;
  let relative = false;
  let ncpt = cpuNpartitions;
  let high = 0;
  const nodesWithCpus = topo.onlineNodes.filter((n) => (topo.nodeCpus[n] as readonly number[]).length > 0);

  let str = skipSpaces(0);
  if (s[str] === 'n' || s[str] === 'N') {
    str++;
    node = 1;
    if (str >= end) {
      if (cpuNpartitions) return createByCount(topo, cpuNpartitions).freeze();
      node = -1;
      ncpt += nodesWithCpus.length;
    }
    str = skipSpaces(str);
  }
  if (s[str] === 'x' || s[str] === 'X') {
    str++;
    exclude = true;
    str = skipSpaces(str);
  }
  if (s[str] === 'c' || s[str] === 'C') {
    str++; // no blank skipping here: "C [0]" leaves " [0]", which still works via the '[' search
    exclude = true;
    relative = true;
  }
  if (node && !ncpt) {
    ncpt = nodesWithCpus.length;
  } else if (!ncpt) {
    for (let i = str; i < end; i++) if (s[i] === '[') ncpt++;
  }

  if ((!ncpt && !exclude) || (node && ncpt > topo.onlineNodes.length) || (!node && ncpt > topo.numOnlineCpus)) {
    fail(str, ncpt ? `too many partitions ${ncpt}` : 'no partition given');
  }
  if (ncpt < 0) {
    // cfs_cpt_table_alloc(negative) asks for an impossible allocation
    throw new LNetError('ENOMEM', `failed to allocate a CPU partition table of ${ncpt} partitions`);
  }

  let b = new Builder(topo, ncpt);
  if (exclude || node < 0) {
    if (node) {
      let cpt = 0;
      for (const n of nodesWithCpus) {
        // Deliberate difference: with cpu_npartitions below the node count the kernel writes
        // past its partition array; refuse instead.
        if (cpt >= ncpt) fail(str, `${nodesWithCpus.length} NUMA nodes with CPUs but only ${ncpt} partitions`);
        b.setNode(cpt++, n);
        if (relative) {
          const c = (topo.nodeCpus[n] as readonly number[]).length;
          if (high === 0 || c < high) high = c;
        }
      }
      if (node < 0) return b.freeze();
    } else {
      b = createByCount(topo, ncpt);
    }
    // relative without N keeps high = 0, so "C[...]" can only name core 0, as in the kernel
    if (!relative) high = topo.numOnlineCpus - 1;
  }
  if (!exclude) high = node ? topo.nrNodeIds - 1 : topo.nrCpuIds - 1;

  for (let c = 0; c < topo.numPossibleCpus; c++) {
    const bracket = s.indexOf('[', str);
    if (bracket < 0 || bracket >= end) {
      if (str < end) fail(str, `unexpected '${s.slice(str, end)}'`);
      if (!exclude && c !== ncpt) fail(str, `expected ${ncpt} partitions but found ${c}`);
      break;
    }

    let cpt = 0;
    if (!exclude) {
      const scanned = scanInt(s, str, end);
      if (!scanned) fail(str, 'expected a partition number');
      cpt = scanned.value;
      if (cpt < 0 || cpt >= ncpt) fail(str, `invalid partition id ${cpt}, total partitions ${ncpt}`);
      if (b.weight(cpt)) fail(str, `partition ${cpt} has already been set`, 'EPERM');
      str = strim(scanned.next);
      if (str !== bracket) fail(str, `expected '[' after partition ${cpt}`);
    } else {
      str = bracket;
    }

    const close = s.indexOf(']', str);
    if (close < 0 || close >= end) fail(bracket, `missing ']' for partition ${cpt}`);

    const list = parseExprList(s, bracket, close, high);
    if (!Array.isArray(list)) fail(list.pos, `can't parse number range: ${list.reason}`, 'ERANGE');

    for (const range of list as RangeExpr[]) {
      if (exclude && relative) {
        if (node) b.unsetNodeCore(range.lo, range.hi);
        else b.unsetCptCore(range.lo, range.hi);
        continue;
      }
      // Deliberate difference: a zero stride makes the kernel divide by zero; refuse it.
      if (range.stride === 0) fail(range.pos, 'stride 0');
      for (let i = range.lo; i <= range.hi; i++) {
        if ((i - range.lo) % range.stride) continue;
        if (exclude) {
          b.unsetCpu(CFS_CPT_ANY, i);
          continue;
        }
        if (node ? !b.setNode(cpt, i) : !b.setCpu(cpt, i)) {
          fail(range.pos, node ? `invalid NUMA node ${i}` : `CPU ${i} is not online or is already in a partition`);
        }
      }
    }

    if (exclude || relative) {
      for (let p = 0; p < ncpt; p++) {
        if (!b.online(p)) fail(bracket, `all cores are excluded on partition ${p}`, 'ENODEV');
      }
    } else if (!b.online(cpt)) {
      fail(bracket, `no online CPU is found on partition ${cpt}`, 'ENODEV');
    }
    str = strim(close + 1);
  }
  return b.freeze();
}

/**
 * cfs_cpu_init: the table libcfs builds at load. A non-empty cpu_pattern wins (though
 * cpu_npartitions still sets the partition count it expects); an empty one uses
 * cpu_npartitions (0: the estimate). With the defaults ("N", 0) that is one partition per
 * NUMA node that has CPUs.
 */
export function createCptTable(params: CptParams = {}, topology?: CpuTopology | NormTopology): CptTable {
  const npart = params.cpuNpartitions ?? DEFAULT_CPU_NPARTITIONS;
  const pattern = params.cpuPattern ?? DEFAULT_CPU_PATTERN;
  const topo = topoOf(topology);
  if (pattern.length > 0 && pattern[0] !== '\0') return createCptTableFromPattern(pattern, npart, topo);
  return createCptTableByCount(npart, topo);
}

/** cfs_cpt_of_cpu / cfs_cpt_of_node: -1 when the CPU or node is not in the table. */
export function cptOfCpu(table: CptTable, cpu: number): number {
  return table.cpuToCpt[cpu] ?? -1;
}

export function cptOfNode(table: CptTable, node: number): number {
  return table.nodeToCpt[node] ?? -1;
}

/** cfs_cpt_weight: CPUs in a partition, or in the whole table for CFS_CPT_ANY. */
export function cptWeight(table: CptTable, cpt: number): number {
  return cpt === CFS_CPT_ANY ? table.cpus.length : (table.partCpus[cpt]?.length ?? 0);
}

/** cfs_cpt_distance: CFS_CPT_ANY on either side gives the table-wide distance. */
export function cptDistance(table: CptTable, cpt1: number, cpt2: number): number {
  if (cpt1 === CFS_CPT_ANY || cpt2 === CFS_CPT_ANY) return table.distance;
  return table.distances[cpt1]?.[cpt2] ?? -1;
}

/** `cpu_partition_table`: per partition `"<cpt>\t:"` then `" <cpu>"` for each CPU, newline. */
export function formatCptTable(table: CptTable): string {
  let out = '';
  for (let i = 0; i < table.ncpt; i++) {
    out += `${i}\t:`;
    for (const cpu of table.partCpus[i] as readonly number[]) out += ` ${cpu}`;
    out += '\n';
  }
  return out;
}

/** `cpu_partition_distance`: per partition `"<cpt>\t:"` then `" <cpt2>:<distance>"` for every partition. */
export function formatCptDistance(table: CptTable): string {
  let out = '';
  for (let i = 0; i < table.ncpt; i++) {
    out += `${i}\t:`;
    const row = table.distances[i] as readonly number[];
    for (let j = 0; j < table.ncpt; j++) out += ` ${j}:${row[j] as number}`;
    out += '\n';
  }
  return out;
}

/**
 * The kernel renders both files into one 4096-byte buffer and, because its printer reports
 * E2BIG while the reader only retries on EFBIG, a longer text fails to read at all
 * (lnet_debugfs.c proc_cpt_table / proc_cpt_distance).
 */
export const CPT_PROC_BUFFER = 4096;

export function readCptTableParam(table: CptTable): string {
  return procLimit(formatCptTable(table), 'cpu_partition_table');
}

export function readCptDistanceParam(table: CptTable): string {
  return procLimit(formatCptDistance(table), 'cpu_partition_distance');
}

function procLimit(text: string, what: string): string {
  // the trailing newline may take the buffer's last byte; anything before it may not
  if (text.length - 1 >= CPT_PROC_BUFFER) throw new LNetError('E2BIG', `${what} does not fit in ${CPT_PROC_BUFFER} bytes`);
  return text;
}

/** lnet_lib_init's check: LNet runs with at most LNET_CPT_MAX partitions. */
export function checkLnetCptCount(ncpt: number): void {
  if (ncpt > LNET_CPT_MAX) {
    throw new LNetError('E2BIG', `can't have ${ncpt} CPTs for LNet (max allowed is ${LNET_CPT_MAX})`);
  }
}
