// Partition tables built without a pattern (lnet/lnet/lib-cpt.c cfs_cpt_num_estimate,
// cfs_cpt_table_create, cfs_cpt_choose_ncpus), the module parameter defaults
// (libcfs/libcfs/module.c), and the text of cpu_partition_table / cpu_partition_distance
// (lib-cpt.c cfs_cpt_table_print / cfs_cpt_distance_print, lnet/lnet/lnet_debugfs.c).
import t from 'tap';
import os from 'node:os';
import { LNetError } from '../../src/errors.js';
import {
  checkLnetCptCount,
  cptDistance,
  cptOfCpu,
  cptOfNode,
  cptWeight,
  createCptTable,
  createCptTableByCount,
  createCptTableFromPattern,
  CFS_CPT_ANY,
  DEFAULT_CPU_NPARTITIONS,
  DEFAULT_CPU_PATTERN,
  estimateCptCount,
  formatCptDistance,
  formatCptTable,
  hostTopology,
  LNET_CPT_MAX,
  normalizeTopology,
  readCptDistanceParam,
  readCptTableParam,
  uniformTopology,
  type CpuTopology,
  type CptTable,
} from '../../src/cpt/index.js';

/** "0: 0 1 | 1: 2 3" → the kernel text "0\t: 0 1\n1\t: 2 3\n". */
function text(rows: string): string {
  return rows
    .split('|')
    .map((r) => r.trim().replace(/^(\d+):/, '$1\t:') + '\n')
    .join('');
}

t.test('module parameter defaults are cpu_npartitions=0, cpu_pattern="N"', async (t) => {
  t.equal(DEFAULT_CPU_NPARTITIONS, 0);
  t.equal(DEFAULT_CPU_PATTERN, 'N');
});

t.test('recorded kernel nodes: defaults on one NUMA node give the single CPT "[0]"', async (t) => {
  // 02-ping-discover-A-module-params.txt: cpu_npartitions=0, cpu_pattern=N; every NI in the
  // net show -v captures lists CPT "[0]". Whatever the CPU count, one node means one partition.
  for (const n of [1, 2, 3, 4, 5, 8, 16, 64, 96]) {
    const table = createCptTable({}, uniformTopology(n));
    t.equal(table.ncpt, 1, `${n} CPUs`);
    t.same(table.partCpus[0], Array.from({ length: n }, (_, i) => i));
  }
});

t.test('defaults on two NUMA nodes: one partition per node', async (t) => {
  t.equal(formatCptTable(createCptTable({}, uniformTopology(8, 2))), text('0: 0 1 2 3 | 1: 4 5 6 7'));
});

t.test('cfs_cpt_num_estimate', async (t) => {
  const cases: [number, number, number][] = [
    // [cpus, threads per core, expected]
    [1, 1, 1],
    [4, 1, 1], // CPT_WEIGHT_MIN: 4 or fewer CPUs is one partition
    [5, 1, 1], // 3 fits 5 <= 6 but must divide 5: down to 1
    [6, 1, 3],
    [8, 1, 4],
    [8, 2, 2],
    [12, 2, 3],
    [16, 2, 4],
    [48, 2, 12],
    [7, 1, 1],
    [10, 1, 5],
    [9, 1, 3],
  ];
  for (const [n, thr, want] of cases) t.equal(estimateCptCount(uniformTopology(n, 1, thr)), want, `${n} CPUs x${thr}`);
});

t.test('the estimate reads the siblings of the CPU it runs on', async (t) => {
  const topo: CpuTopology = { nodes: [[0, 1, 2, 3, 4, 5, 6, 7]], siblings: [[0, 1]], currentCpu: 0 };
  t.equal(estimateCptCount(topo), 2);
  t.equal(estimateCptCount({ ...topo, currentCpu: 5 }), 4);
});

t.test('empty cpu_pattern uses cpu_npartitions (0: the estimate)', async (t) => {
  t.equal(formatCptTable(createCptTable({ cpuPattern: '' }, uniformTopology(8))), text('0: 0 1 | 1: 2 3 | 2: 4 5 | 3: 6 7'));
  t.equal(formatCptTable(createCptTable({ cpuPattern: '', cpuNpartitions: 1 }, uniformTopology(8, 2))), text('0: 0 1 2 3 4 5 6 7'));
});

t.test('cfs_cpt_table_create: uneven split, the first partitions get the extra CPU', async (t) => {
  t.equal(formatCptTable(createCptTableByCount(3, uniformTopology(8))), text('0: 0 1 2 | 1: 3 4 5 | 2: 6 7'));
});

t.test('cfs_cpt_choose_ncpus keeps hyper-thread siblings together', async (t) => {
  // siblings {0,1} {2,3} ...: partition 0 takes core 0 and half of core 1
  t.equal(formatCptTable(createCptTableByCount(3, uniformTopology(8, 1, 2))), text('0: 0 1 2 | 1: 3 4 5 | 2: 6 7'));
  // Linux-style numbering, siblings {i, i+4}
  const linuxHt: CpuTopology = { nodes: [[0, 1, 2, 3, 4, 5, 6, 7]], siblings: [[0, 4], [1, 5], [2, 6], [3, 7]] };
  t.equal(formatCptTable(createCptTableByCount(2, linuxHt)), text('0: 0 1 4 5 | 1: 2 3 6 7'));
});

t.test('cfs_cpt_choose_ncpus finishes a package before the next', async (t) => {
  const twoSockets: CpuTopology = { nodes: [[0, 1, 2, 3, 4, 5, 6, 7]], packages: [[0, 1, 2, 3], [4, 5, 6, 7]] };
  t.equal(formatCptTable(createCptTableByCount(3, twoSockets)), text('0: 0 1 2 | 1: 3 4 5 | 2: 6 7'));
});

t.test('a partition can span NUMA nodes; distances are the max over its nodes', async (t) => {
  const table = createCptTableByCount(4, uniformTopology(6, 2));
  t.equal(formatCptTable(table), text('0: 0 1 | 1: 2 3 | 2: 4 | 3: 5'));
  t.same(table.partNodes, [[0], [0, 1], [1], [1]]);
  t.equal(formatCptDistance(table), text('0: 0:10 1:20 2:20 3:20 | 1: 0:20 1:20 2:20 3:20 | 2: 0:20 1:20 2:10 3:10 | 3: 0:20 1:20 2:10 3:10'));
  t.equal(table.distance, 20);
  t.equal(cptDistance(table, 0, 0), 10);
  t.equal(cptDistance(table, CFS_CPT_ANY, 0), 20);
  t.same(table.nodeToCpt, [0, 1]);
});

t.test('cfs_cpt_table_create refuses more partitions than CPUs', async (t) => {
  t.throws(() => createCptTableByCount(9, uniformTopology(8)), { code: 'EINVAL', message: /CPU partition count 9 > cores 8/ });
  t.throws(() => createCptTable({ cpuPattern: '', cpuNpartitions: 2 }, uniformTopology(1)), { code: 'EINVAL' });
});

t.test('one CPU: every route leads to one partition', async (t) => {
  const one = uniformTopology(1);
  for (const p of [{}, { cpuPattern: '' }, { cpuPattern: 'N' }, { cpuPattern: 'X' }, { cpuPattern: '0[0]' }, { cpuPattern: 'N 0[0]' }]) {
    t.equal(formatCptTable(createCptTable(p, one)), text('0: 0'), JSON.stringify(p));
  }
});

t.test('cpu_partition_table text: tab before the colon, one line per partition', async (t) => {
  const table = createCptTableFromPattern('0[0-3] 1[4,5,7]', 0, uniformTopology(8));
  t.equal(formatCptTable(table), '0\t: 0 1 2 3\n1\t: 4 5 7\n');
});

t.test('cpu_partition_distance text, NUMA distances from the topology', async (t) => {
  const topo: CpuTopology = {
    nodes: [[0, 1], [2, 3], [4, 5], [6, 7]],
    distance: [
      [10, 12, 10, 11],
      [12, 10, 14, 10],
      [10, 14, 10, 11],
      [11, 10, 11, 10],
    ],
  };
  const table = createCptTable({}, topo);
  t.equal(formatCptDistance(table), '0\t: 0:10 1:12 2:10 3:11\n1\t: 0:12 1:10 2:14 3:10\n2\t: 0:10 1:14 2:10 3:11\n3\t: 0:11 1:10 2:11 3:10\n');
  t.equal(table.distance, 14);
});

t.test('empty partition: printed with no CPUs, distance -1 where never computed', async (t) => {
  // "N X" with cpu_npartitions=3 on two CPU nodes plus a memory-only node leaves partition 2 empty
  const table = createCptTableFromPattern('N X', 3, { nodes: [[0, 1], [2, 3], []] });
  t.equal(formatCptTable(table), '0\t: 0 1\n1\t: 2 3\n2\t:\n');
  t.equal(formatCptDistance(table), '0\t: 0:10 1:20 2:0\n1\t: 0:20 1:10 2:0\n2\t: 0:0 1:0 2:-1\n');
  t.equal(cptWeight(table, 2), 0);
  t.equal(cptWeight(table, CFS_CPT_ANY), 4);
});

t.test('node masks and distances follow the CPUs (cfs_cpt_add_node / cfs_cpt_del_node)', async (t) => {
  const topo = uniformTopology(4, 2); // node 0: CPUs 0 1, node 1: CPUs 2 3
  const spanning = createCptTableFromPattern('0[0-2] 1[3]', 0, topo);
  t.same(spanning.partNodes, [[0, 1], [1]]);
  t.equal(formatCptDistance(spanning), text('0: 0:20 1:20 | 1: 0:20 1:10'));
  // X[0-1]: one partition (one bracket) over both nodes, then node 0 loses its last CPU
  const excluded = createCptTableFromPattern('X[0-1]', 0, topo);
  t.same(excluded.partCpus, [[2, 3]]);
  t.same(excluded.partNodes, [[1]]);
  t.same(excluded.nodes, [1]);
  t.same(excluded.nodeToCpt, [-1, 0]);
  t.equal(formatCptDistance(excluded), text('0: 0:10'));
  t.equal(excluded.distance, 10);
  // C removes CPUs but, as in the kernel (cfs_unset_cpt_core), leaves the node masks alone
  const relative = createCptTableFromPattern('C[0]', 0, { nodes: [[0], [1, 2]] });
  t.same(relative.partCpus, [[1, 2]]);
  t.same(relative.partNodes, [[0, 1]]);
  t.equal(relative.distance, 20);
});

t.test('cpu-to-CPT and node-to-CPT maps', async (t) => {
  const table = createCptTableFromPattern('0[0-2] 1[4,5]', 0, { nodes: [[0, 1, 2, 3], [4, 5, 6, 7]] });
  t.same(table.cpuToCpt, [0, 0, 0, -1, 1, 1, -1, -1]);
  t.equal(cptOfCpu(table, 3), -1);
  t.equal(cptOfCpu(table, 5), 1);
  t.equal(cptOfNode(table, 1), 1);
  t.equal(cptOfNode(table, 9), -1);
  t.same(table.cpus, [0, 1, 2, 4, 5]);
  t.same(table.nodes, [0, 1]);
});

t.test('the read-only proc text fails with E2BIG beyond 4096 bytes', async (t) => {
  // 2048 CPUs in one partition: "0\t:" plus " N" per CPU is about 9 KB
  const big = createCptTableByCount(1, uniformTopology(2048));
  t.ok(formatCptTable(big).length > 4096);
  t.throws(() => readCptTableParam(big), { code: 'E2BIG' });
  const small = createCptTableByCount(2, uniformTopology(8));
  t.equal(readCptTableParam(small), formatCptTable(small));
  t.equal(readCptDistanceParam(small), formatCptDistance(small));
  // exactly 4096 bytes including the final newline still fits; 4097 does not
  const oneLine = (cpus: number[]): CptTable => ({
    ncpt: 1,
    partCpus: [cpus],
    partNodes: [[0]],
    distances: [[10]],
    distance: 10,
    cpus,
    nodes: [0],
    cpuToCpt: [],
    nodeToCpt: [0],
  });
  const fourDigit = Array.from({ length: 818 }, (_, i) => 1000 + i); // 818 x " dddd" = 4090 bytes
  const exact = oneLine([0, ...fourDigit]); // "0\t:" + " 0" + 4090 + "\n" = 4096
  t.equal(formatCptTable(exact).length, 4096);
  t.equal(readCptTableParam(exact), formatCptTable(exact));
  const over = oneLine([10, ...fourDigit]);
  t.equal(formatCptTable(over).length, 4097);
  t.throws(() => readCptTableParam(over), { code: 'E2BIG' });
});

t.test('LNet takes at most LNET_CPT_MAX (256) partitions', async (t) => {
  t.equal(LNET_CPT_MAX, 256);
  t.doesNotThrow(() => checkLnetCptCount(256));
  t.throws(() => checkLnetCptCount(257), { code: 'E2BIG' });
});

t.test('host topology: os.cpus() CPUs on one node', async (t) => {
  const topo = normalizeTopology(hostTopology());
  t.equal(topo.onlineNodes.length, 1);
  t.equal(topo.numOnlineCpus, Math.max(1, os.cpus().length || os.availableParallelism()));
  t.equal(createCptTable().ncpt, 1);
});

t.test('topology validation', async (t) => {
  const bad: CpuTopology[] = [
    { nodes: [] },
    { nodes: [[]] },
    { nodes: [[0, 1], [1]] },
    { nodes: [[-1]] },
    { nodes: [[0.5]] },
    { nodes: [[0, 1]], nrCpuIds: 1 },
    { nodes: [[0, 1]], siblings: [[0, 2]] },
    { nodes: [[0, 1]], siblings: [[0], [0, 1]] },
    { nodes: [[0, 1]], possibleCpus: 1 },
    { nodes: [[0], [1]], siblings: [[0, 1]] }, // siblings across packages
    { nodes: [[0], [1]], distance: [[10]] },
    { nodes: [[0, 1]], currentCpu: 2 },
  ];
  for (const topo of bad) t.throws(() => normalizeTopology(topo), LNetError, JSON.stringify(topo));
  t.throws(() => uniformTopology(0));
  t.throws(() => uniformTopology(4, 5));
});

t.test('tables are frozen', async (t) => {
  const table = createCptTable({}, uniformTopology(4));
  t.ok(Object.isFrozen(table));
  t.ok(Object.isFrozen(table.partCpus));
  t.ok(Object.isFrozen(table.partCpus[0]));
});
