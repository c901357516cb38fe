// modprobe.d loading. File syntax follows kmod (libkmod/libkmod-config.c kmod_config_parse,
// libkmod/libkmod-util.c getline_wrapped and underscores, libkmod-module.c
// kmod_module_get_options); argument splitting and setting follow the kernel
// (kernel/params.c parse_args, next_arg, parse_one; kernel/module unknown_module_param_cb);
// the startup checks are those of lnet/lnet/config.c. The options line of the recording
// (06-start-stop-modparams.txt: `insmod lnet.ko networks=tcp0(eth0)`) is the first case.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  ConfigFileError,
  loadModprobeConfig,
  ModuleLoadError,
  moduleArgString,
  modprobeArgvOptions,
  parseModprobeConfig,
  parseModuleArgs,
  quoteModuleArgValue,
  readModprobeDirs,
} from '../../src/config/index.js';
import { checkTotal, Prng, readInterop, total } from './helpers.js';

const args = (s: string): [string, string | undefined][] => parseModuleArgs(s).args.map((a) => [a.name, a.value]);

// Source: kernel/params.c next_arg, parse_args.
t.test('kernel argument splitting (next_arg)', async (t) => {
  const cases: [string, [string, string | undefined][]][] = [
    ['networks=tcp0(eth0)', [['networks', 'tcp0(eth0)']]],
    ['networks="tcp0(eth0)"', [['networks', 'tcp0(eth0)']]],
    ['  a=1   b=2  ', [['a', '1'], ['b', '2']]],
    ['a="x y" b', [['a', 'x y'], ['b', undefined]]],
    ['"a=x y"', [['a', 'x y']]],
    // Quotes in the middle toggle quoting but stay in the text.
    ['a=x"y z"w', [['a', 'x"y z"w']]],
    ['a=x"y', [['a', 'x"y']]],
    // Only a leading quote of the value is stripped (with a final one).
    ['a="x', [['a', 'x']]],
    ['a="', [['a', '']]],
    ['a=', [['a', '']]],
    ['a==b', [['a', '=b']]],
    // An '=' in first position does not count.
    ['=a=b', [['=a', 'b']]],
    ['\ta=1\nb=2\r', [['a', '1'], ['b', '2']]],
    // No escapes: the backslash is kept.
    ['a=x\\ y', [['a', 'x\\'], ['y', undefined]]],
    ['', []],
  ];
  for (const [input, want] of cases) t.same(args(input), want, JSON.stringify(input));
  const d = parseModuleArgs('a=1 -- b=2 c');
  t.same(d.args.map((a) => a.name), ['a']);
  t.equal(d.afterDashes, 'b=2 c');
  const pos = parseModuleArgs('x=1  routes="o2ib 1.2.3.4@tcp"').args[1]!;
  t.same([pos.position, pos.valuePosition], [5, 13]);
  t.equal(quoteModuleArgValue('o2ib0 192.0.2.[11-13]@tcp0'), '"o2ib0 192.0.2.[11-13]@tcp0"');
  t.equal(quoteModuleArgValue('tcp0(eth0)'), 'tcp0(eth0)');
});

// Source: 06-start-stop-modparams.txt (modprobe -v output).
t.test('recorded options line', async (t) => {
  const rec = readInterop('06-start-stop-modparams.txt');
  const insmod = /insmod \S+\/lnet\.ko (.*)/.exec(rec)![1]!;
  t.equal(insmod.trim(), 'networks=tcp0(eth0)');
  const l = loadModprobeConfig({ file: 'lustre.conf', text: `options lnet ${insmod}\n` });
  t.equal(l.lnet.networks, 'tcp0(eth0)');
  t.same([...l.set.lnet], ['networks']);
  // And the seed's form with quotes and a routes= value containing blanks.
  const q = loadModprobeConfig({ file: 'lustre.conf', text: 'options lnet networks="tcp0(eth0)" routes="o2ib0 192.0.2.[11-13]@tcp0"\n' });
  t.equal(q.lnet.networks, 'tcp0(eth0)');
  t.equal(q.lnet.routes, 'o2ib0 192.0.2.[11-13]@tcp0');
  t.equal(q.lnet.accept, 'secure', 'unset parameters keep their defaults');
});

// Source: kmod libkmod/libkmod-config.c kmod_config_parse, libkmod/libkmod-util.c getline_wrapped.
t.test('kmod file syntax', async (t) => {
  const text = [
    '# Lustre networking',
    'options lnet networks="tcp0(eth0)" \\',
    '\troutes="o2ib 10.0.0.[1-2]@tcp"',
    '  # indented comments are bad lines to kmod',
    'options ko2iblnd peer_credits=32 \\',
    'peer_credits_hiw=16',
    'options\tksocklnd\tcredits=512\tpeer_credits=16',
    'install lnet /sbin/modprobe --ignore-install lnet && /usr/sbin/lctl net up',
    'alias lustre lnet',
    'blacklist foo',
    'softdep lnet pre: libcfs',
    'options lnet accept=all',
    'options lnet',
    'frobnicate lnet',
    'include /etc/other.conf',
    'options lnet lnet_retry_count=1 # no trailing comments: this reaches the kernel',
    '',
  ].join('\n');
  const cfg = parseModprobeConfig({ file: 'lustre.conf', text });
  t.same(
    cfg.options.map((o) => [o.module, o.text, o.at.line]),
    [
      ['lnet', 'networks="tcp0(eth0)"  routes="o2ib 10.0.0.[1-2]@tcp"', 2],
      ['ko2iblnd', 'peer_credits=32 peer_credits_hiw=16', 5],
      ['ksocklnd', 'credits=512 peer_credits=16', 7],
      ['lnet', 'accept=all', 12],
      ['lnet', 'lnet_retry_count=1 # no trailing comments: this reaches the kernel', 16],
    ],
  );
  t.same(
    cfg.warnings.map((w) => [w.at.line, w.message]),
    [
      [4, "ignoring bad line starting with '#'"],
      [13, "ignoring bad line starting with 'options' (needs a module name and options)"],
      [14, "ignoring bad line starting with 'frobnicate'"],
      [15, 'command include is deprecated and not parsed anymore'],
    ],
  );
  // The continuation line keeps its own line and column numbers.
  const o = cfg.options[0]!;
  const r = o.text.indexOf('routes');
  t.same([o.origins[r]!.line, o.origins[r]!.column], [3, 2]);

  const l = loadModprobeConfig({ file: 'lustre.conf', text });
  t.equal(l.lnet.routes, 'o2ib 10.0.0.[1-2]@tcp');
  t.equal(l.lnet.accept, 'all');
  t.equal(l.lnet.lnet_retry_count, 1);
  t.equal(l.ko2iblnd.peer_credits_hiw, 16);
  t.equal(l.ksocklnd.credits, 512);
  t.same(
    l.warnings.filter((w) => /unknown parameter/.test(w.message)).map((w) => w.message),
    ['#', 'no', 'trailing', 'comments:', 'this', 'reaches', 'the', 'kernel'].map((w) => `lnet: unknown parameter '${w}' ignored`),
  );
  t.same(moduleArgString(cfg, 'lnet').text.split(' ').slice(-3), ['reaches', 'the', 'kernel']);
});

// Source: kmod getline_wrapped, underscores, kmod_module_get_options; kernel/params.c parameq, parse_args, unknown_module_param_cb.
t.test('backslashes, CRLF, dashes, repeats and the command line', async (t) => {
  // kmod drops a backslash before any character but newline; CR stays (the kernel treats it
  // as a blank between arguments).
  const a = parseModprobeConfig({ file: 'f', text: 'options lnet accept=a\\ll\r\noptions ko2iblnd ipif_name=ib\\\\0\n' });
  t.same(a.options.map((o) => o.text), ['accept=all\r', 'ipif_name=ib\\0']);
  t.equal(loadModprobeConfig({ file: 'f', text: 'options lnet accept=a\\ll\r\n' }).lnet.accept, 'all');
  // Module and parameter names treat '-' as '_'.
  const d = loadModprobeConfig({ file: 'f', text: 'options lnet lnet-retry-count=0 lnet_transaction-timeout=1\n' });
  t.same([d.lnet.lnet_retry_count, d.lnet.lnet_transaction_timeout], [0, 1]);
  // The last value wins, across lines and files, and the command line comes last.
  const l = loadModprobeConfig(
    [
      { file: 'a.conf', text: 'options ksocklnd credits=1\noptions ksocklnd credits=2\n' },
      { file: 'b.conf', text: 'options ksocklnd credits=3\n' },
    ],
    { commandLine: { ksocklnd: 'credits=4' } },
  );
  t.equal(l.ksocklnd.credits, 4);
  t.same(l.args.ksocklnd!.map((x) => x.value), ['1', '2', '3', '4']);
  // Unmodelled modules are split but not typed; dyndbg is silently accepted.
  const u = loadModprobeConfig({ file: 'f', text: 'options mlx5_core foo=1\noptions lnet dyndbg=+p protocol=2\noptions ksocklnd protocol=2\n' });
  t.same(u.args.mlx5_core!.map((x) => [x.name, x.value]), [['foo', '1']]);
  t.same(
    u.warnings.map((w) => w.message),
    ["lnet: unknown parameter 'protocol' ignored", "ksocklnd: unknown parameter 'protocol' ignored (only in debug builds of ksocklnd)"],
  );
  // modprobe argv (tools/modprobe.c options_from_array): values with blanks get quoted.
  t.equal(
    modprobeArgvOptions(['networks=tcp0(eth0)', 'routes=o2ib0 192.0.2.[11-13]@tcp0', 'x="a b"']),
    'networks=tcp0(eth0) routes="o2ib0 192.0.2.[11-13]@tcp0" x="a b"',
  );
  const argv = loadModprobeConfig([], { commandLine: { lnet: ['networks=tcp0(eth0)', 'routes=o2ib0 192.0.2.[11-13]@tcp0'] } });
  t.same([argv.lnet.networks, argv.lnet.routes], ['tcp0(eth0)', 'o2ib0 192.0.2.[11-13]@tcp0']);
  const dd = loadModprobeConfig({ file: 'f', text: 'options lnet accept=all -- networks=o2ib\n' });
  t.equal(dd.lnet.networks, '');
  t.match(dd.warnings[0]!.message, /after '--' ignored/);
});

// Source: kernel/params.c parse_args (every bad parameter reported, last errno returned), param_set_charp.
t.test('errors name file, line and column', async (t) => {
  const text = 'options lnet accept=all\noptions lnet networks="tcp0(eth0)" \\\n   accept=open lnet_retry_count=x\n';
  let err: unknown;
  try {
    loadModprobeConfig({ file: '/etc/modprobe.d/lustre.conf', text });
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof ModuleLoadError, 'ModuleLoadError');
  const e = err as ModuleLoadError;
  t.ok(e instanceof ConfigFileError);
  t.equal(e.code, 'EINVAL');
  t.same(
    e.errors.map((x) => [x.file, x.line, x.column, x.what, x.code]),
    [
      ['/etc/modprobe.d/lustre.conf', 3, 11, 'lnet parameter accept', 'EINVAL'],
      ['/etc/modprobe.d/lustre.conf', 3, 33, 'lnet parameter lnet_retry_count', 'EINVAL'],
    ],
  );
  t.match(e.message, /^EINVAL: lnet would fail to load: \/etc\/modprobe\.d\/lustre\.conf:3:11: lnet parameter accept: must be one of/);
  // insmod returns the last failing parameter's errno.
  try {
    loadModprobeConfig({ file: 'f', text: 'options ksocklnd credits=x tos=300\n' });
    t.fail('no error');
  } catch (x) {
    t.equal((x as ModuleLoadError).code, 'ERANGE');
  }
  // A parameter without a value.
  try {
    loadModprobeConfig({ file: 'f', text: 'options lnet networks\n' });
    t.fail('no error');
  } catch (x) {
    t.same([(x as ConfigFileError).line, (x as ConfigFileError).column, (x as ConfigFileError).code], [1, 14, 'EINVAL']);
  }
  // ENOSPC for a string over 1024 characters.
  try {
    loadModprobeConfig({ file: 'f', text: `options lnet routes=${'x'.repeat(1025)}\n` });
    t.fail('no error');
  } catch (x) {
    t.equal((x as ConfigFileError).code, 'ENOSPC');
  }
});

// Source: lnet/lnet/config.c lnet_parse_networks, lnet_parse_ip2nets, lnet_parse_routes; lnet/lnet/api-ni.c lnet_get_networks.
t.test('startup checks located in the value', async (t) => {
  const cases: [string, number, number, RegExp][] = [
    // networks: the bad token.
    ['options lnet networks="tcp0(eth0),foo"\n', 1, 35, /unrecognised network type 'foo'/],
    // routes on a continuation line: the bad token of the second route.
    ['options lnet \\\n  routes="o2ib 10.0.0.1@tcp; tcp1 x@o2ib"\n', 2, 35, /bad gateway NID 'x@o2ib'/],
    ['options lnet ip2nets="tcp 10.0.0.*; o2ib 10.0.0"\n', 1, 48, /bad IP address pattern/],
    ['options lnet networks=tcp ip2nets="tcp 10.*.*.*"\n', 1, 27, /not both/],
  ];
  for (const [text, line, column, re] of cases) {
    try {
      loadModprobeConfig({ file: 'f', text });
      t.fail(`no error for ${JSON.stringify(text)}`);
    } catch (x) {
      const e = x as ConfigFileError;
      t.same([e.line, e.column], [line, column], JSON.stringify(text));
      t.match(e.message, re);
    }
  }
  // CPT lists are checked against LNET_CPT_MAX unless cptCount is given.
  t.ok(loadModprobeConfig({ file: 'f', text: 'options lnet networks=tcp[7]\n' }));
  t.throws(() => loadModprobeConfig({ file: 'f', text: 'options lnet networks=tcp[7]\n' }, { cptCount: 2 }));
  t.equal(loadModprobeConfig({ file: 'f', text: 'options lnet networks=foo\n' }, { checkSyntax: false }).lnet.networks, 'foo');
});

// Source: kmod libkmod-config.c conf_files_filter_out, conf_files_insert_sorted.
t.test('configuration directories: .conf files by name, earlier directory first', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ulnet-modprobe-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const etc = join(root, 'etc');
  const lib = join(root, 'lib');
  mkdirSync(etc);
  mkdirSync(lib);
  writeFileSync(join(lib, 'lustre.conf'), 'options lnet networks=o2ib\n');
  writeFileSync(join(lib, 'a-first.conf'), 'options ksocklnd credits=1\n');
  writeFileSync(join(etc, 'lustre.conf'), 'options lnet networks=tcp\n');
  writeFileSync(join(etc, 'z-last.conf'), 'options ksocklnd credits=2\n');
  writeFileSync(join(etc, '.hidden.conf'), 'options lnet accept=all\n');
  writeFileSync(join(etc, 'notes.txt'), 'options lnet accept=none\n');
  mkdirSync(join(etc, 'dir.conf'));
  const sources = await readModprobeDirs([etc, join(root, 'missing'), lib]);
  t.same(
    sources.map((s) => s.file.slice(root.length)),
    ['/lib/a-first.conf', '/etc/lustre.conf', '/etc/z-last.conf'],
  );
  const l = loadModprobeConfig(sources);
  t.equal(l.lnet.networks, 'tcp');
  t.equal(l.lnet.accept, 'secure');
  t.equal(l.ksocklnd.credits, 2);
});

// Source: as above.
t.test('fuzz: random and mutated modprobe files', async (t) => {
  const rng = new Prng(0x6d6f6470);
  const alphabet = 'options lnet ksocklnd ko2iblnd networks=routes="tcp0(eth0)"\\\n#\t1[]-:@.;x';
  const seeds = [
    'options lnet networks="tcp0(eth0)" routes="o2ib0 192.0.2.[11-13]@tcp0"\n',
    '# c\noptions ksocklnd credits=512 \\\n peer_credits=16\ninstall lnet true\n',
    'options lnet ip2nets="tcp0(eth0) 192.0.2.[10-20]" accept=all lnet_retry_count=1\n',
  ];
  let loaded = 0;
  for (let i = 0; i < 2000; i++) {
    const text = i % 2 === 0 ? rng.string(alphabet, 80) : rng.mutate(rng.pick(seeds), alphabet);
    const r = total(() => loadModprobeConfig({ file: 'fuzz.conf', text }));
    if (!checkTotal(t, r, text)) break;
    if (r.ok) loaded++;
    else if (!(r.error instanceof ConfigFileError)) {
      t.fail(`load error without a location for ${JSON.stringify(text)}: ${String(r.error)}`);
      break;
    }
  }
  t.ok(loaded > 200, `a fair share loaded (${loaded})`);
});
