// lnetctl's command dispatch and argument handling as the kernel's lnetctl does them
// (libcfs util/parser.c, lnetctl.c check_cmd and getopt use), in-process against an in-process
// lnetd (src/control/daemon.ts) on a temp socket.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadModprobeConfig } from '../../src/config/modprobe.js';
import { Daemon } from '../../src/control/daemon.js';
import { createLogger } from '../../src/control/log.js';
import { lnetctlMain } from '../../src/cli/lnetctl/main.js';
import { NET_HELP, TOP_HELP } from '../../src/cli/lnetctl/help-texts.js';

const dir = mkdtempSync(join(tmpdir(), 'lnetctl-disp-'));
const socket = join(dir, 'lnetd.sock');
let daemon: Daemon;

t.before(async () => {
  daemon = await Daemon.start({ socket, params: loadModprobeConfig([]), logger: createLogger('error', () => {}), ncpt: 1 });
});
t.teardown(async () => {
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[], stdin?: string): Promise<{ out: string; err: string; status: number }> {
  let out = '';
  let err = '';
  const status = await lnetctlMain(args, {
    io: { out: (s) => void (out += s), err: (s) => void (err += s) },
    env: { LNETD_SOCKET: socket },
    ...(stdin !== undefined ? { stdin: Readable.from([stdin]), stdinText: () => stdin } : {}),
  });
  return { out, err, status };
}

t.test('unknown words: the parser message on stderr, exit 255', async (t) => {
  t.same(await run(['bogus']), { out: '', err: "lnetctl: 'bogus' is not a valid command. See 'lnetctl --list-commands'.\n", status: 255 });
  t.same(await run(['fault', 'show']), { out: '', err: "lnetctl: 'show' is not a valid command. See 'lnetctl --list-commands'.\n", status: 255 });
  t.same(await run(['set', 'max_intf', '100']), { out: '', err: "lnetctl: 'max_intf' is not a valid command. See 'lnetctl --list-commands'.\n", status: 255 });
  // Commands are exact words (cfs_parser_findargcmd uses strcmp).
  t.equal((await run(['ne', 'show'])).status, 255);
});

t.test('a group word alone prints every usage of the group on stdout and exits 234; -h exits 1', async (t) => {
  const r = await run(['net']);
  t.equal(r.status, 234);
  t.equal(r.err, '');
  t.equal(r.out, NET_HELP.map(([n, h]) => `net ${n}: ${h}\n`).join(''));
  const h = await run(['net', '--help']);
  t.equal(h.status, 1);
  t.equal(h.out, r.out);
  const sub = await run(['net', 'show', '-h']);
  t.equal(sub.status, 1);
  t.equal(sub.out, `net show: ${NET_HELP.find(([n]) => n === 'show')![1]}\n`);
});

t.test("a bad option: glibc's complaint, the command's help, exit 0 (lnetctl returns 0 there)", async (t) => {
  const r = await run(['route', 'add', '--bogus']);
  t.equal(r.status, 0);
  t.equal(r.err, "add: unrecognized option '--bogus'\n");
  t.match(r.out, /^route add: add a route\n/);
});

t.test('--list-commands, version, help', async (t) => {
  const l = await run(['--list-commands']);
  t.equal(l.status, 0);
  t.match(l.out, /^quit {16}exit {16}help {16}--help {14}\n/);
  for (const [n] of TOP_HELP) t.match(l.out, new RegExp(`(^| )${n.replace(/-/g, '\\-')} `, 'm'));
  t.same(await run(['--version']), { out: 'lnetctl 2.17.0\n', err: '', status: 0 });
  t.match((await run(['help', 'net'])).out, /^net \{add \| del \| show \| set \| help\}\n$/);
});

t.test('argument checks made before lnetd is asked', async (t) => {
  t.same(await run(['net', 'add', '--net', 'tcp']), { out: 'creating a local NI needs at least one interface\n', err: '', status: 234 });
  t.same(await run(['net', 'add', '--if', 'eth0']), { out: "missing mandatory parameters in NI config: 'network'\n", err: '', status: 234 });
  t.same(await run(['net', 'add', '--net', 'tcp', '--nid', '1.2.3.4@tcp']), { out: '--net is invalid with --nid option\n', err: '', status: 234 });
  t.same(await run(['route', 'add', '--net', 'tcp2']), { out: "missing mandatory parameters:'gateway'\n", err: '', status: 234 });
  t.same(await run(['set', 'health_sensitivity', 'abc']), {
    out: '',
    err: 'parser:\n    - set:\n          errno: -1\n          descr: cannot parse health sensitivity value\n',
    status: 255,
  });
  t.same(await run(['set', 'routing', '2']), {
    out: '',
    err: 'parser:\n    - set:\n          errno: -1\n          descr: cannot parse routing value.\n                 must be 0 for disable or 1 for enable\n',
    status: 255,
  });
  t.same(await run(['net', 'add', '--net', 'tcp', '--if', 'eth0', '--tos', '300']), {
    out: '',
    err: 'ni:\n    - add:\n          errno: -1\n          descr: Invalid ToS argument\n',
    status: 234,
  });
  t.same(await run(['discover']), { out: 'Missing nid argument\n', err: '', status: 255 });
});

t.test('--json prints the documents as JSON; the interactive shell reads commands from stdin', async (t) => {
  t.equal((await run(['lnet', 'configure'])).status, 0);
  const j = await run(['--json', 'net', 'show']);
  t.equal(j.status, 0);
  t.same(JSON.parse(j.out), { net: [{ 'net type': 'lo', 'local NI(s)': [{ nid: '0@lo', status: 'up' }] }] });
  const g = await run(['--json', 'global', 'show']);
  t.match(JSON.parse(g.out), { global: { max_interfaces: 200, lnd_timeout: 49 } });
  const sh = await run([], 'set retry_count 1\nglobal show\nquit\nglobal show\n');
  t.equal((sh.out.match(/^global:/gm) ?? []).length, 1, 'quit ends the session');
  t.match(sh.out, /retry_count: 1\n/);
});

t.test('import of a file that does not exist', async (t) => {
  const r = await run(['import', join(dir, 'none.yaml')]);
  t.equal(r.status, 254);
  t.match(r.err, /^yaml:\n    - builder:\n          errno: -1\n          descr: cannot open '.*none\.yaml': No such file or directory\n$/);
});
