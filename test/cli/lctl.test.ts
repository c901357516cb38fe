// lctl in-process against an in-process lnetd: get_param / list_param over the lnet debugfs
// files lnetd offers (lnet_debugfs.c, lustre_cfg.c's display), and commands read from stdin
// when lctl has none (libcfs util/parser.c cfs_parser_commands).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadModprobeConfig } from '../../src/config/modprobe.js';
import { Daemon } from '../../src/control/daemon.js';
import { createLogger } from '../../src/control/log.js';
import { lctlMain } from '../../src/cli/lctl/main.js';
import { lnetctlMain } from '../../src/cli/lnetctl/main.js';
import { globMatch } from '../../src/cli/lctl/param.js';
import { formatCptDistance, formatCptTable } from '../../src/cpt/cpt-table.js';

const dir = mkdtempSync(join(tmpdir(), 'lctl-cli-'));
const socket = join(dir, 'lnetd.sock');
let daemon: Daemon;

t.before(async () => {
  // `network up` below starts tcp on the loopback interface, on a port of its own.
  const port = 20000 + (process.pid % 20000);
  const params = loadModprobeConfig([{ file: 'lctl.test', text: `options lnet networks="tcp(lo)" accept_port=${port}\n` }]);
  // lo stands for an ordinary interface here: ip2nets rules skip loopback interfaces.
  const interfaces = () => [{ name: 'lo', addresses: ['127.0.0.1'], loopback: false }];
  daemon = await Daemon.start({ socket, params, interfaces, logger: createLogger('error', () => {}), ncpt: 2 });
});
t.teardown(async () => {
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function lctl(args: string[], stdin?: string, sock = socket): Promise<{ out: string; err: string; status: number }> {
  let out = '';
  let err = '';
  const status = await lctlMain(args, {
    io: { out: (s) => void (out += s), err: (s) => void (err += s) },
    env: { LNETD_SOCKET: sock },
    ...(stdin !== undefined ? { stdin: Readable.from([stdin]) } : {}),
  });
  return { out, err, status };
}

t.test('globMatch is fnmatch without flags', async (t) => {
  t.ok(globMatch('cpu_*', 'cpu_partition_table'));
  t.ok(globMatch('cpu_partition_[dt]*', 'cpu_partition_distance'));
  t.notOk(globMatch('cpu_partition_[!dt]*', 'cpu_partition_table'));
  t.ok(globMatch('lnet_lnd_timeou?', 'lnet_lnd_timeout'));
  t.notOk(globMatch('cpu', 'cpu_partition_table'));
  t.ok(globMatch('a.b', 'a.b'), 'a dot is literal');
  t.notOk(globMatch('a.b', 'axb'));
});

t.test('get_param: the CPT table and distances of lnetd, with and without names', async (t) => {
  const table = formatCptTable(daemon.module.cptTable);
  const dist = formatCptDistance(daemon.module.cptTable);
  t.equal(daemon.module.cptTable.ncpt, 2);
  t.same(await lctl(['get_param', '-n', 'cpu_partition_table']), { out: table, err: '', status: 0 });
  t.same(await lctl(['get_param', '-n', 'cpu_partition_table']).then((r) => r.out.split('\n').filter(Boolean).length), 2, 'one line a CPT (sanity test_50 counts them)');
  // several lines: the name, '=', a newline, then the text
  t.same(await lctl(['get_param', 'cpu_partition_table']), { out: `cpu_partition_table=\n${table}`, err: '', status: 0 });
  t.same(await lctl(['get_param', 'cpu_partition_*']), { out: `cpu_partition_table=\n${table}cpu_partition_distance=\n${dist}`, err: '', status: 0 });
  // one short line: on the same line as the name
  t.same(await lctl(['get_param', 'lnet_lnd_timeout']), { out: 'lnet_lnd_timeout=49\n', err: '', status: 0 });
  t.same(await lctl(['get_param', '-N', 'cpu*']), { out: 'cpu_partition_table\ncpu_partition_distance\n', err: '', status: 0 });
  t.same(await lctl(['get_param', '-N', '-F', '-p', 'lnet_lnd_timeout']), { out: '/sys/kernel/debug/lnet/lnet_lnd_timeout\n', err: '', status: 0 });
  t.same(await lctl(['get_param', '-w', '*']), { out: '', err: '', status: 0 }, 'none of them is writable');
});

t.test('list_param', async (t) => {
  t.same(await lctl(['list_param', '*']), { out: 'cpu_partition_table\ncpu_partition_distance\nlnet_lnd_timeout\n', err: '', status: 0 });
  t.same(await lctl(['list_param', '-F', 'lnet_*']), { out: 'lnet_lnd_timeout\n', err: '', status: 0 }, '-F marks only writable files');
});

t.test('unknown parameters, bad options, no lnetd', async (t) => {
  t.same(await lctl(['get_param', 'nosuch']), { out: '', err: "error: get_param: param_path 'nosuch': No such file or directory\n", status: 2 });
  t.same(await lctl(['list_param', 'nosuch']), { out: '', err: "error: list_param: param_path 'nosuch': No such file or directory\n", status: 2 });
  const both = await lctl(['get_param', '-n', 'nosuch', 'lnet_lnd_timeout']);
  t.same(both, { out: '49\n', err: "error: get_param: param_path 'nosuch': No such file or directory\n", status: 2 }, 'the others are still shown');
  const none = await lctl(['get_param']);
  t.equal(none.status, 3, 'no parameter: the usage (CMD_HELP)');
  t.match(none.out, /^get the Lustre or LNET parameter\nusage: get_param /);
  const bad = await lctl(['get_param', '-Z', 'x']);
  t.equal(bad.status, 3);
  t.match(bad.err, "invalid option -- 'Z'");
  t.same(await lctl(['get_param', '-n', 'cpu_partition_table'], undefined, join(dir, 'none.sock')), {
    out: '',
    err: "error: get_param: param_path 'cpu_partition_table': No such file or directory\n",
    status: 2,
  }, 'without lnetd the files do not exist, as without the lnet module');
});

t.test('lctl with no command reads commands from stdin', async (t) => {
  const up = await lctl([], 'network up\nlist_nids\n');
  t.equal(up.status, 0, up.err);
  t.match(up.out, /^LNET configured: New Created\n/);
  const nids = (await lctl(['list_nids'])).out;
  t.equal(nids, '127.0.0.1@tcp\n');
  // `network tcp` selects the net for the commands after it, on later lines
  t.same(await lctl([], 'network tcp\nconn_list\n'), { out: '<no connections>\n', err: '', status: 0 });
  t.same(await lctl([], '  \n\tlist_nids\n\n'), { out: nids, err: '', status: 0 }, 'blank lines and leading blanks');
  t.same(await lctl([], 'list_n\n'), { out: nids, err: '', status: 0 }, 'an unambiguous prefix names the command');
  const amb = await lctl([], 'list\n');
  t.match(amb.err, /^Ambiguous command 'list'\nOptions: /);
  t.equal(amb.status, 0);
  const unknown = await lctl([], 'bogus\nlist_nids\n');
  t.same(unknown, { out: `usage: lctl [COMMAND] [OPTIONS]... [ARGS]\nWithout any parameters, interactive mode is invoked\nTry 'lctl help <COMMAND>', or 'lctl --list-commands' for a list of commands.\n${nids}`, err: '', status: 0 });
  // not interactive: the first failure ends the run and is the exit code
  const fail = await lctl([], 'get_param nosuch\nlist_nids\n');
  t.same(fail, { out: '', err: "error: get_param: param_path 'nosuch': No such file or directory\n", status: 2 });
  const ignore = await lctl([], 'ignore_errors\nget_param nosuch\nlist_nids\nquit\nlist_nids\n');
  t.same(ignore, { out: nids, err: "error: get_param: param_path 'nosuch': No such file or directory\n", status: 2 }, 'ignore_errors goes on; quit stops');
  t.same(await lctl([], ''), { out: '', err: '', status: 0 }, 'empty input');
});

t.test("the parser's own commands", async (t) => {
  t.same(await lctl(['version']), { out: 'lctl 2.17.0\n', err: '', status: 0 });
  t.same(await lctl(['help']), {
    out: "usage: lctl [COMMAND] [OPTIONS]... [ARGS]\nWithout any parameters, interactive mode is invoked\nTry 'lctl help <COMMAND>', or 'lctl --list-commands' for a list of commands.\n",
    err: '',
    status: 0,
  });
  const h = await lctl(['help', 'list_nids']);
  t.same(h, { out: '', err: 'list_nids: list local NIDs\nusage: list_nids [all]\n', status: 0 });
});

t.test('net add --ip2net naming an interface the net already has is EEXIST (lnet_startup_lndnet)', async (t) => {
  await lctl(['network', 'up']);
  let out = '';
  let err = '';
  const status = await lnetctlMain(['net', 'add', '--ip2net', 'tcp 127.0.0.1'], {
    io: { out: (s) => void (out += s), err: (s) => void (err += s) },
    env: { LNETD_SOCKET: socket },
  });
  t.same({ out, err, status }, {
    out: '',
    err: '---\nadd:\n-     net:\n      errno: -17\n      descr: ! "cannot setup ip2nets"\n...\n',
    // yaml_lnet_config_ni: any kernel error is -EINVAL for the exit code
    status: 234,
  });
  t.equal((await lctl(['list_nids'])).out, '127.0.0.1@tcp\n', 'nothing added');
});
