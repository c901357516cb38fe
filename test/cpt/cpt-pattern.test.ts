// cpu_pattern parsing, case by case, against the behaviour of Lustre 2.17.0
// lnet/lnet/lib-cpt.c cfs_cpt_table_create_pattern (and cfs_cpt_table_create for the X/C
// default layouts), with number lists as in lnet/lnet/nidstrings.c cfs_expr_list_parse /
// cfs_range_expr_parse. Each expected table was worked out by hand from that code.
import t from 'tap';
import { LNetError, ParseError } from '../../src/errors.js';
import {
  createCptTable,
  createCptTableFromPattern,
  uniformTopology,
  type CpuTopology,
} from '../../src/cpt/index.js';
import { kstrtouint } from '../../src/cpt/expr-list.js';

const topos: Record<string, CpuTopology> = {
  // one package, no SMT
  c1: uniformTopology(1),
  c2: uniformTopology(2),
  c4: uniformTopology(4),
  c8: uniformTopology(8),
  // two NUMA nodes of 4 CPUs (0-3, 4-7), 2 threads per core
  n2: uniformTopology(8, 2, 2),
  // two nodes with CPUs and a memory-only node 2
  n2m: { nodes: [[0, 1, 2, 3], [4, 5, 6, 7], []] },
  // CPU ids with holes: 0 2 4 6 online, nr_cpu_ids 7
  sparse: { nodes: [[0, 2, 4, 6]] },
  // c2 where the machine could hold more CPUs than are online
  c2p4: { nodes: [[0, 1]], possibleCpus: 4 },
};

interface Ok {
  name: string;
  topo: keyof typeof topos;
  pattern: string;
  npart?: number;
  cpus: number[][];
}

const valid: Ok[] = [
  { name: 'plain two partitions', topo: 'c8', pattern: '0[0-3] 1[4-7]', cpus: [[0, 1, 2, 3], [4, 5, 6, 7]] },
  { name: 'header example "0[0,1] 1[2,3]"', topo: 'c4', pattern: '0[0,1] 1[2,3]', cpus: [[0, 1], [2, 3]] },
  { name: 'partitions in any order', topo: 'c4', pattern: '1[0] 0[1]', cpus: [[1], [0]] },
  { name: 'CPUs left out of every partition', topo: 'c8', pattern: '0[0] 1[7]', cpus: [[0], [7]] },
  { name: 'stride', topo: 'c8', pattern: '0[0-7/2] 1[1-7/2]', cpus: [[0, 2, 4, 6], [1, 3, 5, 7]] },
  {
    name: 'blanks everywhere the kernel trims',
    topo: 'c8',
    pattern: '  0 [ 0 - 3 / 2 , 5 ]\t 1[ 1 ]  ',
    cpus: [[0, 2, 5], [1]],
  },
  { name: 'kstrtouint bases: 0x hex, 0 octal', topo: 'c8', pattern: '0[0x1,02,0X3] 1[07]', cpus: [[1, 2, 3], [7]] },
  { name: "'*' is 0..nr_cpu_ids-1", topo: 'c4', pattern: '0[*]', cpus: [[0, 1, 2, 3]] },
  { name: '%d wraps to a C int: 4294967296 is partition 0', topo: 'c4', pattern: '4294967296[0-3]', cpus: [[0, 1, 2, 3]] },
  { name: 'cpu_npartitions fixes the expected count', topo: 'c8', pattern: '0[0] 1[1] 2[2]', npart: 3, cpus: [[0], [1], [2]] },
  { name: 'string ends at NUL', topo: 'c4', pattern: '0[0-3]\0 junk', cpus: [[0, 1, 2, 3]] },
  // NUMA form: numbers in brackets are node ids
  { name: 'N: one partition per node', topo: 'n2', pattern: 'N 0[0] 1[1]', cpus: [[0, 1, 2, 3], [4, 5, 6, 7]] },
  { name: 'N: lower-case, no blank', topo: 'n2', pattern: 'n0[1]1[0]', cpus: [[4, 5, 6, 7], [0, 1, 2, 3]] },
  { name: 'N with cpu_npartitions=1: both nodes in one', topo: 'n2', pattern: 'N 0[0-1]', npart: 1, cpus: [[0, 1, 2, 3, 4, 5, 6, 7]] },
  { name: "N: '*' is 0..nr_node_ids-1", topo: 'n2', pattern: 'N 0[*]', npart: 1, cpus: [[0, 1, 2, 3, 4, 5, 6, 7]] },
  {
    // cfs_cpt_set_node adds a node's CPUs without checking where they already are
    name: 'N: a node named twice lands in both partitions',
    topo: 'n2',
    pattern: 'N 0[0] 1[0]',
    cpus: [[0, 1, 2, 3], [0, 1, 2, 3]],
  },
  { name: 'bare N: one partition per node with CPUs', topo: 'n2m', pattern: 'N', cpus: [[0, 1, 2, 3], [4, 5, 6, 7]] },
  { name: 'bare N with leading blanks', topo: 'n2', pattern: '  N', cpus: [[0, 1, 2, 3], [4, 5, 6, 7]] },
  { name: 'bare N + cpu_npartitions=4: cfs_cpt_table_create(4)', topo: 'n2', pattern: 'N', npart: 4, cpus: [[0, 1], [2, 3], [4, 5], [6, 7]] },
  // X: exclude CPU ids from the default layout
  { name: 'N X: exclude from the NUMA layout', topo: 'n2', pattern: 'N X[0-1]', cpus: [[2, 3], [4, 5, 6, 7]] },
  { name: 'X alone: the count is the number of brackets (1)', topo: 'c8', pattern: 'X[0]', cpus: [[1, 2, 3, 4, 5, 6, 7]] },
  {
    name: 'X: text before each [ is ignored, two brackets = 2 partitions',
    topo: 'c8',
    pattern: 'X[1] anything[2]',
    cpus: [[0, 3], [4, 5, 6, 7]],
  },
  { name: 'X with no bracket: the estimated layout (4 on 8 single-thread CPUs)', topo: 'c8', pattern: 'X', cpus: [[0, 1], [2, 3], [4, 5], [6, 7]] },
  { name: 'N X with no bracket: the NUMA layout', topo: 'n2', pattern: 'N X', cpus: [[0, 1, 2, 3], [4, 5, 6, 7]] },
  { name: 'X of a CPU in no partition is a no-op', topo: 'sparse', pattern: 'X[1]', cpus: [[0, 2, 4, 6]] },
  // C: relative cores to exclude
  { name: 'N C: first core of each node', topo: 'n2', pattern: 'N C[0]', cpus: [[1, 2, 3], [5, 6, 7]] },
  { name: 'N C: a range per node', topo: 'n2', pattern: 'N C[0-1]', cpus: [[2, 3], [6, 7]] },
  { name: 'C alone: core 0 of the one partition', topo: 'c8', pattern: 'C[0]', cpus: [[1, 2, 3, 4, 5, 6, 7]] },
  {
    // cfs_unset_cpt_core recomputes each partition's first CPU, so the second C[0] takes the next one
    name: 'C twice: each bracket drops the current first CPU of each partition',
    topo: 'c8',
    pattern: 'C[0] C[0]',
    cpus: [[2, 3], [6, 7]],
  },
  { name: 'C counts from the first CPU id, not by position', topo: 'sparse', pattern: 'N C[0-1]', cpus: [[2, 4, 6]] },
  { name: 'X then C', topo: 'c8', pattern: 'XC[0]', cpus: [[1, 2, 3, 4, 5, 6, 7]] },
  { name: 'C then text then [', topo: 'c8', pattern: 'CX[0]', cpus: [[1, 2, 3, 4, 5, 6, 7]] },
  {
    // the partition loop runs at most num_possible_cpus() times, so trailing text is never looked at
    name: 'loop bound: trailing junk unseen once num_possible_cpus partitions are read',
    topo: 'c2',
    pattern: '0[0] 1[1] junk',
    cpus: [[0], [1]],
  },
  { name: 'deviation: N C[0,0] (kernel: out-of-bounds index) drops core 0 once', topo: 'n2', pattern: 'N C[0,0]', cpus: [[1, 2, 3], [5, 6, 7]] },
];

for (const v of valid) {
  t.test(`valid: ${v.name} — ${JSON.stringify(v.pattern)}`, async (t) => {
    const table = createCptTableFromPattern(v.pattern, v.npart ?? 0, topos[v.topo]);
    t.same(table.partCpus, v.cpus);
    t.equal(table.ncpt, v.cpus.length);
  });
}

interface Bad {
  name: string;
  topo: keyof typeof topos;
  pattern: string;
  npart?: number;
  code: string;
  pos: number;
}

const invalid: Bad[] = [
  { name: 'empty pattern has no partitions', topo: 'c4', pattern: '', code: 'EINVAL', pos: 0 },
  { name: 'no bracket at all', topo: 'c4', pattern: 'garbage', code: 'EINVAL', pos: 0 },
  { name: 'blanks only', topo: 'c4', pattern: '   ', code: 'EINVAL', pos: 3 },
  { name: 'more brackets than CPUs', topo: 'c1', pattern: '0[0] 1[0]', code: 'EINVAL', pos: 0 },
  { name: 'N with more partitions than online nodes', topo: 'n2', pattern: 'N 0[0]', npart: 3, code: 'EINVAL', pos: 2 },
  { name: 'partition id beyond the count', topo: 'n2', pattern: 'N 0[0] 1[1] 2[0]', code: 'EINVAL', pos: 12 },
  { name: 'negative partition id', topo: 'c4', pattern: '-1[0]', code: 'EINVAL', pos: 0 },
  { name: "'+' is not accepted by %d", topo: 'c4', pattern: '+0[0]', code: 'EINVAL', pos: 0 },
  { name: 'partition set twice', topo: 'c4', pattern: '0[0] 0[1]', code: 'EPERM', pos: 5 },
  { name: 'text between id and [', topo: 'c4', pattern: '0 x[1]', code: 'EINVAL', pos: 2 },
  { name: 'missing ]', topo: 'c4', pattern: '0[0', code: 'EINVAL', pos: 1 },
  { name: 'CPU beyond nr_cpu_ids-1', topo: 'c8', pattern: '0[8]', code: 'ERANGE', pos: 2 },
  { name: 'backwards range', topo: 'c8', pattern: '0[3-1]', code: 'ERANGE', pos: 2 },
  { name: 'not a number', topo: 'c8', pattern: '0[a]', code: 'ERANGE', pos: 2 },
  { name: 'open range', topo: 'c8', pattern: '0[1-]', code: 'ERANGE', pos: 2 },
  { name: 'negative number', topo: 'c8', pattern: '0[-1]', code: 'ERANGE', pos: 2 },
  { name: 'empty list', topo: 'c8', pattern: '0[]', code: 'ERANGE', pos: 2 },
  { name: 'empty element after comma', topo: 'c8', pattern: '0[1,]', code: 'ERANGE', pos: 4 },
  { name: 'stride above the maximum', topo: 'c8', pattern: '0[0-7/8]', code: 'ERANGE', pos: 2 },
  { name: '08 is bad octal', topo: 'c8', pattern: '0[08]', code: 'ERANGE', pos: 2 },
  { name: 'number over u32', topo: 'c8', pattern: '0[4294967296]', code: 'ERANGE', pos: 2 },
  { name: 'CPU in two partitions', topo: 'c8', pattern: '0[0-1] 1[1-2]', code: 'EINVAL', pos: 9 },
  { name: 'CPU twice in one list', topo: 'c8', pattern: '0[0,0]', code: 'EINVAL', pos: 4 },
  { name: 'offline CPU id', topo: 'sparse', pattern: '0[1]', code: 'EINVAL', pos: 2 },
  { name: 'NUMA node without CPUs', topo: 'n2m', pattern: 'N 0[0] 1[2]', code: 'ENODEV', pos: 8 },
  { name: 'trailing text', topo: 'c8', pattern: '0[0] 1[1] x', code: 'EINVAL', pos: 10 },
  { name: 'trailing text when more CPUs are possible', topo: 'c2p4', pattern: '0[0] 1[1] junk', code: 'EINVAL', pos: 10 },
  { name: 'fewer partitions than cpu_npartitions', topo: 'c8', pattern: '0[0] 1[1]', npart: 3, code: 'EINVAL', pos: 9 },
  { name: 'N counts nodes: one bracket on two nodes', topo: 'n2', pattern: 'N 0[0]', code: 'EINVAL', pos: 6 },
  { name: '"N " is not bare "N"', topo: 'n2', pattern: 'N ', code: 'EINVAL', pos: 2 },
  { name: 'C does not skip blanks', topo: 'c8', pattern: 'C ', code: 'EINVAL', pos: 1 },
  { name: 'C without N can only name core 0 (its bound stays 0)', topo: 'c8', pattern: 'C[0-1]', code: 'ERANGE', pos: 2 },
  { name: 'N C[*] excludes every core', topo: 'n2', pattern: 'N C[*]', code: 'ENODEV', pos: 3 },
  { name: 'X of a whole node', topo: 'n2', pattern: 'N X[0-3]', code: 'ENODEV', pos: 3 },
  { name: 'X of every CPU', topo: 'c8', pattern: 'X[0-7]', code: 'ENODEV', pos: 1 },
  { name: 'X text after the last bracket', topo: 'c8', pattern: 'X[0] tail', code: 'EINVAL', pos: 5 },
  { name: 'deviation: zero stride (kernel divides by zero)', topo: 'c8', pattern: '0[0-7/0]', code: 'EINVAL', pos: 2 },
  {
    name: 'deviation: N X with fewer partitions than nodes (kernel overruns its array)',
    topo: 'n2',
    pattern: 'N X[0]',
    npart: 1,
    code: 'EINVAL',
    pos: 3,
  },
];

for (const b of invalid) {
  t.test(`invalid: ${b.name} — ${JSON.stringify(b.pattern)}`, async (t) => {
    let err: unknown;
    try {
      createCptTableFromPattern(b.pattern, b.npart ?? 0, topos[b.topo]);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof ParseError, `ParseError, got ${String(err)}`);
    const pe = err as ParseError;
    t.equal(pe.code, b.code);
    t.equal(pe.position, b.pos);
    t.equal(pe.input, b.pattern);
    t.equal(pe.what, 'cpu_pattern');
    t.ok(pe.reason.length > 0);
  });
}

t.test('negative cpu_npartitions with a pattern: ENOMEM as the kernel allocation fails', async (t) => {
  t.throws(() => createCptTableFromPattern('0[0]', -1, topos.c4), { code: 'ENOMEM' });
  // bare "N" and the empty pattern go to cfs_cpt_table_create, where <= 0 means "estimate"
  t.equal(createCptTableFromPattern('N', -1, topos.c8).ncpt, 4);
  t.equal(createCptTable({ cpuPattern: '', cpuNpartitions: -5 }, topos.c8).ncpt, 4);
});

t.test('bare N with cpu_npartitions above the CPU count fails like cfs_cpt_table_create', async (t) => {
  const err = t.throws(() => createCptTable({ cpuPattern: 'N', cpuNpartitions: 16 }, topos.n2));
  t.ok(err instanceof LNetError && !(err instanceof ParseError));
  t.match(err, { code: 'EINVAL', message: /16 > cores 8/ });
});

t.test('kstrtouint (base 0) accepts and refuses what the kernel does', async (t) => {
  const ok: [string, number][] = [
    ['0', 0],
    ['7', 7],
    ['+7', 7],
    ['010', 8],
    ['0x1f', 31],
    ['0XfF', 255],
    ['4294967295', 0xffffffff],
    ['12\n', 12],
  ];
  for (const [s, v] of ok) t.equal(kstrtouint(s), v, JSON.stringify(s));
  for (const s of ['', '+', '-1', '0x', '08', '1 ', ' 1', '4294967296', '1\n\n', '0x1g', '99999999999999999999999']) {
    t.equal(kstrtouint(s), undefined, JSON.stringify(s));
  }
});
