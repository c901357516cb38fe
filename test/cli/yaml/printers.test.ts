// The printers on hand-built trees: the recorded kernel texts byte for byte (05-cli-behaviours.txt,
// transcript-04-o2ib-rxe.txt, 02-ping-discover-A-*.yaml), libyaml's quoting rules, the cYAML
// layout, JSON, and the round trip emit → parse → same tree.
import t from 'tap';
import YAML from 'yaml';
import {
  dq,
  emitLibyaml,
  formatJson,
  map,
  printCyaml,
  render,
  renderJson,
  scalar,
  seq,
  toPlain,
  printable,
} from '../../../src/cli/yaml/index.js';
import { SeededRng } from '../../helpers/seeded-rng.js';
import { haveInterop, recorded, recordedFile } from '../../control/docs/recordings.js';
import { randomDoc } from './random-doc.js';

const errDoc = (op: string, cmd: string, errno: number, descr: string) =>
  map([[op, seq([map([[cmd, null], ['errno', errno], ['descr', dq(descr, true)]])])]]);

t.test('netlink error documents: `---`, indent 6, empty command key without a trailing space, ! "descr", `...`', async (t) => {
  const six = { indent: 6, explicitStart: true, explicitEnd: true };
  t.equal(
    emitLibyaml(errDoc('add', 'net', -17, 'cannot add LNet NI'), six),
    '---\nadd:\n-     net:\n      errno: -17\n      descr: ! "cannot add LNet NI"\n...\n',
  );
  t.equal(
    emitLibyaml(errDoc('configure', 'lnet', 0, 'LNet configure error: (null)'), six),
    '---\nconfigure:\n-     lnet:\n      errno: 0\n      descr: ! "LNet configure error: (null)"\n...\n',
    'transcript-04-o2ib-rxe.txt',
  );
  if (haveInterop) {
    const dup = recorded('05-cli-behaviours.txt', 'lnetctl net add --net tcp --if eth0');
    t.equal(emitLibyaml(errDoc('add', 'net', -17, 'cannot add LNet NI'), six), dup.stderr, '05: duplicate net add');
    const down = recorded('05-cli-behaviours.txt', 'lnetctl net show', 1);
    t.equal(emitLibyaml(errDoc('show', 'net', -100, 'Unspecific failure'), six), down.stderr, '05: net show after unconfigure');
    const tr = recordedFile('transcript-04-o2ib-rxe.txt');
    t.ok(tr.includes(emitLibyaml(errDoc('configure', 'lnet', 0, 'LNet configure error: (null)'), six)));
  }
});

t.test('a failed ping: indent 2, no markers, single quotes with the ! tag because of ": "', async (t) => {
  const doc = map([
    ['manage', seq([map([['ping', null], ['errno', -111], ['descr', 'failed to ping 192.0.2.1@tcp: Connection refused']])])],
  ]);
  const text = emitLibyaml(doc, { indent: 2 });
  t.equal(text, "manage:\n- ping:\n  errno: -111\n  descr: ! 'failed to ping 192.0.2.1@tcp: Connection refused'\n");
  if (haveInterop) t.equal(text, recorded('05-cli-behaviours.txt', 'lnetctl ping 192.0.2.1@tcp --timeout 2').stdout);
});

t.test('ping and discover success documents at indent 2', async (t) => {
  const doc = (k: string, mr: boolean) =>
    map([[k, seq([map([['primary nid', '192.0.2.12@tcp'], ['Multi-Rail', mr], ['peer_ni', seq([map([['nid', '192.0.2.12@tcp']])])]])])]]);
  t.equal(emitLibyaml(doc('ping', false), { indent: 2 }), 'ping:\n- primary nid: 192.0.2.12@tcp\n  Multi-Rail: false\n  peer_ni:\n  - nid: 192.0.2.12@tcp\n');
  if (haveInterop) {
    t.equal(emitLibyaml(doc('ping', false), { indent: 2 }), recordedFile('02-ping-discover-A-ping.yaml'));
    t.equal(emitLibyaml(doc('discover', true), { indent: 2 }), recordedFile('02-ping-discover-A-discover.yaml'));
  }
});

t.test('indent 6: indentless sequences in mappings, item content padded, nested mappings 6 further, CPT double quoted', async (t) => {
  const doc = map([
    [
      'net',
      seq([
        map([['net type', 'lo'], ['local NI(s)', seq([map([['nid', '0@lo'], ['status', 'up']])])]]),
        map([
          ['net type', 'tcp'],
          ['local NI(s)', seq([map([['nid', '192.0.2.12@tcp'], ['status', 'up'], ['interfaces', map([['0', 'eth0']])], ['CPT', dq('[0]')]])])],
        ]),
      ]),
    ],
  ]);
  t.equal(
    emitLibyaml(doc, { indent: 6 }),
    [
      'net:',
      '-     net type: lo',
      '      local NI(s):',
      '      -     nid: 0@lo',
      '            status: up',
      '-     net type: tcp',
      '      local NI(s):',
      '      -     nid: 192.0.2.12@tcp',
      '            status: up',
      '            interfaces:',
      '                  0: eth0',
      '            CPT: "[0]"',
      '',
    ].join('\n'),
  );
});

t.test('libyaml scalar rules: plain when allowed, single quotes, double quotes for specials, ! only when not quoted-implicit', async (t) => {
  const one = (v: ReturnType<typeof scalar>) => emitLibyaml(map([['k', v]]), { indent: 2 });
  t.equal(one(scalar('[0]')), "k: ! '[0]'\n", 'a flow indicator first: single quoted, tagged');
  t.equal(one(scalar('[0]', 'plain', false)), "k: '[0]'\n", 'quoted implicit: no tag');
  t.equal(one(scalar("it's")), "k: it's\n", "a quote inside is fine plain");
  t.equal(one(scalar("'x'")), "k: ! '''x'''\n", 'quotes doubled inside single quotes');
  t.equal(one(scalar('a\tb')), 'k: ! "a\\tb"\n', 'tab is not printable: double quoted');
  t.equal(one(scalar('é')), 'k: ! "\\xE9"\n', 'non-ASCII without unicode output: escaped');
  t.equal(one(scalar(' x')), "k: ! ' x'\n", 'leading space');
  t.equal(one(scalar('a #b')), "k: ! 'a #b'\n", 'comment indicator after a space');
  t.equal(one(scalar('a#b')), 'k: a#b\n');
  t.equal(one(scalar('2001:db8::5@tcp')), 'k: 2001:db8::5@tcp\n', 'IPv6 NIDs stay plain');
  t.equal(one(scalar(null)), 'k:\n', 'empty value: no trailing space');
  t.equal(one(scalar('')), 'k:\n');
  t.equal(one(scalar('', 'double')), 'k: ""\n');
  t.equal(emitLibyaml(map([['', 1]]), { indent: 2 }), "! '': 1\n", 'empty key');
  t.equal(emitLibyaml(map([['k', map([])], ['s', seq([])]]), { indent: 6 }), 'k: {}\ns: []\n', 'empty collections print in flow style');
  const long = 'word '.repeat(30).trim();
  t.equal(
    emitLibyaml(map([['k', long]]), { indent: 6 }),
    `k: ${'word '.repeat(16).trim()}\n      ${'word '.repeat(14).trim()}\n`,
    'plain scalars fold past column 80',
  );
});

t.test('cYAML printer: mappings 4 columns in, items `- ` at +4 with their keys at +6, raw values', async (t) => {
  const global = map([
    [
      'global',
      map([
        ['numa_range', 0],
        ['max_interfaces', 200],
        ['discovery', 1],
        ['drop_asym_route', 0],
        ['retry_count', 2],
        ['transaction_timeout', 150],
        ['health_sensitivity', 100],
        ['recovery_interval', 1],
        ['router_sensitivity', 100],
        ['lnd_timeout', 49],
        ['response_tracking', 3],
        ['recovery_limit', 0],
        ['max_recovery_ping_interval', 900],
      ]),
    ],
  ]);
  if (haveInterop) t.equal(printCyaml(global), recordedFile('02-ping-discover-A-global-show.yaml'));
  const udsp = map([['udsp', seq([map([['idx', 0], ['src', 'tcp'], ['action', map([['priority', 0]])]])])]]);
  t.equal(printCyaml(udsp), 'udsp:\n    - idx: 0\n      src: tcp\n      action:\n          priority: 0\n');
  if (haveInterop) t.equal(printCyaml(udsp), recorded('05-cli-behaviours.txt', 'lnetctl udsp show').stdout);
  const pool = (npages: number, n: number) => map([['npages', npages], ['nbuffers', n], ['credits', n], ['mincredits', n]]);
  const routing = map([
    ['routing', seq([map([['cpt[0]', map([['tiny', pool(0, 2048)], ['small', pool(1, 16384)], ['large', pool(256, 1024)]])]]), map([['enable', 3]])])],
    ['buffers', map([['tiny', 2048], ['small', 16384], ['large', 1024]])],
  ]);
  if (haveInterop) t.equal(printCyaml(routing), recorded('05-cli-behaviours.txt', 'lnetctl routing show', 1).stdout);
  const err = map([
    ['add', seq([map([['health_sensitivity', map([['errno', -61], ['descr', '"cannot configure health sensitivity: Invalid argument"']])]])])],
  ]);
  if (haveInterop) t.equal(printCyaml(err), recorded('05-cli-behaviours.txt', 'lnetctl set health_sensitivity 2000').stderr);
  t.equal(printCyaml(map([['peer', seq([map([['primary nid', '1.1.1.1@tcp'], ['Multi-Rail', true], ['peer ni', seq([map([['nid', '1.1.1.1@tcp']])])]])])]])),
    'peer:\n    - primary nid: 1.1.1.1@tcp\n      Multi-Rail: True\n      peer ni:\n        - nid: 1.1.1.1@tcp\n',
    'booleans as liblnetconfig stores them; a sequence in an item: `- ` at level 2 (the layout of sanity-lnet.sh test 1)');
  t.equal(printCyaml(map([['k', 'a\nb']])), 'k: a\n   b\n', 'multi-line strings continue after "key: "');
});

t.test('render joins parts; JSON gives the same tree', async (t) => {
  const a = printable(map([['net', seq([map([['net type', 'lo']])])]]), 'libyaml6');
  const b = printable(map([['global', map([['discovery', 1]])]]), 'cyaml');
  t.equal(render([a, b]), 'net:\n-     net type: lo\nglobal:\n    discovery: 1\n');
  t.equal(render(null), '');
  t.same(JSON.parse(renderJson([a, b])), { net: [{ 'net type': 'lo' }], global: { discovery: 1 } });
  t.same(JSON.parse(renderJson(a)), { net: [{ 'net type': 'lo' }] });
  t.equal(formatJson(map([['n', 10n], ['e', null]])), '{\n  "n": 10,\n  "e": null\n}\n');
});

t.test('round trip: emit (indent 2 and 6) then parse with the yaml package gives the same tree', async (t) => {
  const rng = new SeededRng(0x5eed);
  let n = 0;
  for (let i = 0; i < 800; i++) {
    const doc = randomDoc(rng, 0, true);
    for (const indent of [2, 6]) {
      const text = emitLibyaml(doc, { indent, explicitStart: i % 3 === 0, explicitEnd: i % 5 === 0 });
      const back = YAML.parse(text) as unknown;
      if (JSON.stringify(back) !== JSON.stringify(toPlain(doc))) {
        t.same(back, toPlain(doc), `seed 0x5eed case ${i} indent ${indent}:\n${text}`);
        return;
      }
      n++;
    }
  }
  t.equal(n, 1600, 'every document read back identical');
});
