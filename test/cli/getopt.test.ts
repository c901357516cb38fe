// getopt_long as glibc does it for lnetctl: abbreviations, `=value`, optional arguments,
// permutation, `--`, and glibc's complaints; lnetctl's `-v [level]` and parse_long.
import t from 'tap';
import { getoptLong, parseLong, verboseLevel, type LongOption } from '../../src/cli/getopt.js';

const LONG: LongOption[] = [
  { name: 'net', hasArg: 'required', val: 'n' },
  { name: 'gateway', hasArg: 'required', val: 'g' },
  { name: 'hop', hasArg: 'required', val: 'c' },
  { name: 'hop-count', hasArg: 'required', val: 'c' },
  { name: 'priority', hasArg: 'required', val: 'p' },
  { name: 'verbose', hasArg: 'optional', val: 'v' },
  { name: 'all', hasArg: 'none', val: 'a' },
];

function run(argv: string[], greedy: string[] = []) {
  const errs: string[] = [];
  const r = getoptLong(['add', ...argv], 'n:g:c:p:va', LONG, (m) => errs.push(m), true, greedy);
  return { opts: r.opts.map((o) => [o.opt, o.arg ?? null]), operands: r.operands, errs };
}

t.test('long options: exact, unique prefixes (--prio), =value, and the same option under two names', async (t) => {
  t.same(run(['--net', 'tcp2', '--gateway=1.2.3.4@tcp', '--prio', '1', '--hop-count', '2']).opts, [
    ['n', 'tcp2'],
    ['g', '1.2.3.4@tcp'],
    ['p', '1'],
    ['c', '2'],
  ]);
  // --ho is a prefix of hop and hop-count, which are the same option: not ambiguous.
  t.same(run(['--ho', '3']).opts, [['c', '3']]);
});

t.test("glibc's complaints, prefixed with the handler's name", async (t) => {
  t.same(run(['--bogus']).errs, ["add: unrecognized option '--bogus'\n"]);
  t.same(run(['--net']).errs, ["add: option '--net' requires an argument\n"]);
  t.same(run(['--all=1']).errs, ["add: option '--all' doesn't allow an argument\n"]);
  t.same(run(['-x']).errs, ["add: invalid option -- 'x'\n"]);
  t.same(run(['-n']).errs, ["add: option requires an argument -- 'n'\n"]);
  t.same(run(['--bogus']).opts, [['?', null]]);
});

t.test('short options: clusters, attached and separate arguments; permutation and --', async (t) => {
  t.same(run(['-van', 'tcp', 'x', '-gGW', '--', '-p']), {
    opts: [
      ['v', null],
      ['a', null],
      ['n', 'tcp'],
      ['g', 'GW'],
    ],
    operands: ['x', '-p'],
    errs: [],
  });
});

t.test("lnetctl's -v [level]: the next word when it is not an option, attached values count as 1", async (t) => {
  const lvl = (argv: string[]) => run(argv, ['v']).opts.filter(([o]) => o === 'v').map(([, a]) => verboseLevel({ arg: a ?? undefined, greedy: a !== null }));
  t.same(lvl(['-v', '3']), [3]);
  t.same(lvl(['--verbose', '4']), [4]);
  t.same(lvl(['-v']), [1]);
  t.same(lvl(['-v', '--net', 'tcp']), [1]);
  t.same(lvl(['-v', 'x']), [1], 'a word that is no number is still taken');
  const attached = getoptLong(['show', '--verbose=2'], 'v', LONG, () => {}, true, ['v']).opts[0]!;
  t.equal(verboseLevel(attached), 1, '--verbose=2 is plain -v, as the handlers test optarg first');
});

t.test('parse_long: strtol base 0 over the whole word', async (t) => {
  t.equal(parseLong('10'), 10);
  t.equal(parseLong('-1'), -1);
  t.equal(parseLong('0x1f'), 31);
  t.equal(parseLong('010'), 8);
  t.equal(parseLong('0'), 0);
  t.equal(parseLong('12a'), undefined);
  t.equal(parseLong(''), undefined);
  t.equal(parseLong(undefined), undefined);
});
