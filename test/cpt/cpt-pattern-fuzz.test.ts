// Fuzz of the cpu_pattern parser (lnet/lnet/lib-cpt.c cfs_cpt_table_create_pattern):
// random strings over the grammar's alphabet and mutations of valid patterns. Every input
// must give either a consistent table or a ParseError; nothing else may escape, and the
// parser must finish (the input sizes keep every loop small).
import t from 'tap';
import { ParseError, LNetError } from '../../src/errors.js';
import {
  createCptTableFromPattern,
  normalizeTopology,
  uniformTopology,
  type CptTable,
  type CpuTopology,
} from '../../src/cpt/index.js';

/** mulberry32: small seeded PRNG so failures replay. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const topologies: CpuTopology[] = [
  uniformTopology(1),
  uniformTopology(4),
  uniformTopology(8, 2, 2),
  { nodes: [[0, 2, 4, 6], [1, 3], []] },
  { nodes: [[0, 1]], possibleCpus: 4 },
  uniformTopology(16, 4),
];

const alphabet = '0123456789NnXxCc[]-,/*  \t+x';
const seeds = [
  'N',
  '0[0-3] 1[4-7]',
  'N 0[0] 1[1]',
  'N X[0-1]',
  'C[0]',
  'N C[0-1]',
  'X[1] X[2]',
  '0[0-7/2] 1[1-7/2]',
  '0 [ 1 - 3 / 2 , 5 ]',
  'N 0[*]',
  '0[0x1,02]',
];

/** A table must agree with itself and with the machine; returns what is wrong. */
function checkTable(table: CptTable, topo: CpuTopology): string[] {
  const norm = normalizeTopology(topo);
  const problems: string[] = [];
  if (!(table.ncpt >= 1) || table.partCpus.length !== table.ncpt) problems.push('partition count');
  for (let p = 0; p < table.ncpt; p++) {
    for (const cpu of table.partCpus[p] as readonly number[]) {
      if (norm.cpuNode[cpu] === undefined || norm.cpuNode[cpu] === -1) problems.push(`offline CPU ${cpu}`);
    }
    if ((table.distances[p] as readonly number[]).length !== table.ncpt) problems.push('distance row');
  }
  table.cpuToCpt.forEach((cpt, cpu) => {
    if (cpt !== -1 && !(table.partCpus[cpt] as readonly number[]).includes(cpu)) problems.push(`cpu2cpt ${cpu}`);
  });
  return problems;
}

interface Outcome {
  ok: number;
  errors: number;
  /** Inputs that broke the contract, with what happened. */
  failures: string[];
}

function run(inputs: string[], npartChoices: number[], rnd: () => number): Outcome {
  let ok = 0;
  let errors = 0;
  const failures: string[] = [];
  for (const input of inputs) {
    const topo = topologies[Math.floor(rnd() * topologies.length)] as CpuTopology;
    const npart = npartChoices[Math.floor(rnd() * npartChoices.length)] as number;
    try {
      const table = createCptTableFromPattern(input, npart, topo);
      const problems = checkTable(table, topo);
      if (problems.length) failures.push(`${JSON.stringify(input)} npart=${npart}: ${problems.join(', ')}`);
      else ok++;
    } catch (e) {
      // with cpu_npartitions 0 every refusal is a pattern error; otherwise the count itself
      // may be refused (cfs_cpt_table_create: EINVAL, a negative count: ENOMEM)
      if (e instanceof ParseError) errors++;
      else if (npart !== 0 && e instanceof LNetError) errors++;
      else failures.push(`${JSON.stringify(input)} npart=${npart}: ${String(e)}`);
    }
  }
  return { ok, errors, failures };
}

t.test('fuzz: random strings over the pattern alphabet', async (t) => {
  const rnd = prng(0xc0ffee);
  const inputs: string[] = [];
  for (let i = 0; i < 4000; i++) {
    const len = Math.floor(rnd() * 24);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    inputs.push(s);
  }
  const { ok, errors, failures } = run(inputs, [0], rnd);
  t.same(failures, [], 'only tables or ParseErrors');
  t.equal(ok + errors, inputs.length);
  t.ok(ok > 0, `${ok} random patterns gave tables`);
});

t.test('fuzz: mutated valid patterns', async (t) => {
  const rnd = prng(42);
  const inputs: string[] = [];
  for (let i = 0; i < 4000; i++) {
    let s = seeds[Math.floor(rnd() * seeds.length)] as string;
    const edits = 1 + Math.floor(rnd() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rnd() * (s.length + 1));
      const ch = alphabet[Math.floor(rnd() * alphabet.length)] as string;
      const op = Math.floor(rnd() * 4);
      if (op === 0) s = s.slice(0, at) + ch + s.slice(at); // insert
      else if (op === 1) s = s.slice(0, at) + s.slice(at + 1); // delete
      else if (op === 2) s = s.slice(0, at) + ch + s.slice(at + 1); // replace
      else s = s.slice(0, at) + s.slice(at, at + 4) + s.slice(at); // duplicate a chunk
    }
    inputs.push(s);
  }
  const { ok, errors, failures } = run(inputs, [0, 0, 0, 1, 2, 3, 4, -1], rnd);
  t.same(failures, [], 'only tables, ParseErrors, or count errors when cpu_npartitions is set');
  t.equal(ok + errors, inputs.length);
  t.ok(ok > 100, `${ok} mutated patterns still gave tables`);
  t.ok(errors > 100, `${errors} were refused`);
});

t.test('fuzz: long inputs stay bounded', async (t) => {
  const rnd = prng(7);
  const inputs = [
    '['.repeat(2000),
    ']'.repeat(2000),
    '0['.repeat(500) + ']',
    'X' + '[0]'.repeat(1000),
    'C' + '[0]'.repeat(1000),
    'N' + ' '.repeat(5000),
    '0[' + '0,'.repeat(3000) + '0]',
    '0[' + '9'.repeat(400) + ']',
    '9'.repeat(400) + '[0]',
    '\0'.repeat(10),
  ];
  const { ok, errors, failures } = run(inputs, [0], rnd);
  t.same(failures, []);
  t.equal(ok + errors, inputs.length);
});
