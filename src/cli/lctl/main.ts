/**
 * lctl's LNet commands (lustre/utils/portals.c, lctl.c): `network up|down|configure|
 * unconfigure [-l]`, `network <net>` / `--net <net> <command>`, `list_nids [all]`, `which_nid`,
 * `ping`, `conn_list`, `peer_list`, `route_list`/`show_route`, `get_param`/`list_param`. lctl
 * exits with −rc (−EIO → 5, −EINVAL → 22), not rc & 0xff as lnetctl does. With no command it
 * reads commands from stdin, one a line (libcfs's cfs_parser).
 */
import { promises as dns } from 'node:dns';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { ControlClient, DaemonUnreachable } from '../../control/client.js';
import { ControlError } from '../../control/protocol.js';
import { socketPath } from '../../control/socket-path.js';
import { LNET_NET_ANY, lookupNet, type Net, formatNet } from '../../nid/net.js';
import { strerror } from '../strerror.js';
import type { Io } from '../lnetctl/context.js';
import { getParam, listParam } from './param.js';

const CMD_HELP = -3;

interface PingReply {
  results: { target: string; ok: boolean; nids?: string[]; errno?: number }[];
}

interface ConnInfo {
  peer: string;
  net: string;
  type: number;
  local: string;
  remote: string;
  passive: boolean;
}

class Lctl {
  private client: ControlClient | undefined;
  /** `--net` / `network <net>`: the net conn_list and friends work on. */
  net: Net | undefined;

  constructor(
    readonly io: Io,
    readonly socket: string,
  ) {}

  async call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    this.client ??= await ControlClient.connect(this.socket);
    return this.client.call<T>(op, args);
  }

  close(): void {
    this.client?.close();
  }

  unreachable(e: DaemonUnreachable): void {
    this.io.err(`lctl: ${e.message.replace(/^[A-Z]+: /, '')}\n`);
  }
}

const USAGE: Record<string, string> = {
  network: 'configure LNET\nusage: network [Network] <up|down> [-l]\n  -l: Override existing, else it will create new\n',
  net: 'configure LNET\nusage: net [Network] <up|down> [-l]\n  -l: Override existing, else it will create new\n',
  list_nids: 'list local NIDs\nusage: list_nids [all]',
  which_nid: 'choose a NID\nusage: which_nid NID [NID...]',
  ping: 'Check LNET connectivity\nusage: ping nid [timeout [pid]]',
  conn_list: 'print all the remote LNet connections\nusage: conn_list',
  peer_list: 'print peer LNet NIDs\nusage: peer_list',
  route_list: "print the LNet routing table, same as 'show_route'\nusage: route_list",
  show_route: "print the LNet routing table, same as 'route_list'\nusage: show_route",
  '--net': 'run <command> after selecting network <net>\nusage: --net <tcp/o2ib/...> <command>',
  get_param:
    'get the Lustre or LNET parameter\n' +
    'usage: get_param [--dshbak|-b] [--color|-c auto|always|never]\n' +
    '\t\t   [--classify|-F] [--header|-H] [--links|-l]\n' +
    '\t\t   [--no-links|-L] [--no-name|-n] [--only-name|-N]\n' +
    '\t\t   [--merge|-m] [--no-merge|-M] [--path|-p]\n' +
    '\t\t   [--readable|-r] [--recursive|-R] [--only-tunable|-t]\n' +
    '\t\t   [--writable|-w] [--yaml|-y]\n' +
    '\t\t   PARAM1 [PARAM2 ...]\n' +
    'Get the value of Lustre or LNET parameter from the specified path.\n' +
    'The path can contain shell-style filename patterns.\n',
  list_param:
    'list the Lustre or LNET parameter name\n' +
    'usage: list_param [--dshbak|-b] [--color|-c auto|always|never]\n' +
    '\t\t    [--only-dir|-D] [--classify|-F] [--links|-l]\n' +
    '\t\t    [--no-links|-L] [--merge|-m] [--no-merge|-M]\n' +
    '\t\t    [--path|-p] [--readable|-r] [--recursive|-R]\n' +
    '\t\t    [--only-tunable|-t] [--writable|-w]\n' +
    '\t\t    PARAM1 [PARAM2 ...]\n' +
    'List the name of Lustre or LNet parameter from the specified path.\n',
};

function str2net(text: string): Net {
  const r = lookupNet(text.trim());
  return 'error' in r ? LNET_NET_ANY : r.net;
}

/** jt_ptl_network */
async function network(l: Lctl, argv: string[]): Promise<number> {
  if (argv.length > 3 || argv.length <= 1) return CMD_HELP;
  const what = argv[1]!;
  if (what === 'unconfigure' || what === 'down') {
    try {
      await l.call('lnet.unconfigure');
      l.io.out('LNET ready to unload\n');
      return 0;
    } catch (e) {
      if (e instanceof DaemonUnreachable) {
        // lnetd not running is the kernel's "module not loaded".
        l.io.out(`LNET unconfigure error 22: ${strerror(22)}\n`);
        l.unreachable(e);
        return -22;
      }
      const c = e instanceof ControlError ? e : new ControlError('EIO', String(e));
      l.io.out(`LNET unconfigure error ${-c.errno}: ${c.descr}\n`);
      return c.errno;
    }
  }
  if (what === 'configure' || what === 'up') {
    const override = argv.length === 3 && argv[2] === '-l';
    try {
      await l.call('lnet.configure', { mode: 'unless-skipped' });
      l.io.out(override ? 'LNET configured: Overridden existing one\n' : 'LNET configured: New Created\n');
      return 0;
    } catch (e) {
      if (e instanceof DaemonUnreachable) {
        l.io.err(`LNET configure error 22: ${strerror(22)}\n`);
        l.unreachable(e);
        return -22;
      }
      const c = e instanceof ControlError ? e : new ControlError('EIO', String(e));
      l.io.err(`LNET configure error ${-c.errno}: ${c.descr}\n`);
      return c.errno;
    }
  }
  const net = str2net(what);
  if (net === LNET_NET_ANY) {
    l.io.err(`Can't parse net ${what}\n`);
    return -1;
  }
  l.net = net;
  return 0;
}

/** jt_ptl_list_nids */
async function listNids(l: Lctl, argv: string[]): Promise<number> {
  const all = argv.length === 2 && argv[1] === 'all';
  if (argv.length > 2 || (argv.length === 2 && !all)) {
    l.io.err(`usage: ${argv[0]} [all]\n`);
    return 0;
  }
  try {
    const r = await l.call<{ nids: string[] }>('nids.list', { all, ...(l.net !== undefined ? { net: formatNet(l.net) } : {}) });
    for (const n of r.nids) l.io.out(`${n}\n`);
    return 0;
  } catch (e) {
    if (e instanceof DaemonUnreachable) l.unreachable(e);
    else {
      const c = e instanceof ControlError ? e : new ControlError('EIO', String(e));
      l.io.err(`Reader error: '${c.descr}' at 0\n`);
      l.io.err(`IOC_LIBCFS_GET_NI error ${-c.errno}: ${strerror(c.errno)}\n`);
    }
    return -1;
  }
}

/** jt_ptl_which_nid: the closest NID by distance, then order. */
async function whichNid(l: Lctl, argv: string[]): Promise<number> {
  if (argv.length < 2) {
    l.io.err(`usage: ${argv[0]} NID [NID...]\n`);
    return 0;
  }
  try {
    const r = await l.call<{ nid: string; distance: number; order: number }[]>('nids.distance', {
      nids: argv.slice(1).map((n) => (n === '*' ? '<?>' : n)),
    });
    let best: { nid: string; distance: number; order: number } | undefined;
    for (const d of r) if (!best || d.distance < best.distance || (d.distance === best.distance && d.order < best.order)) best = d;
    if (!best) {
      l.io.err('No reachable NID\n');
      return -1;
    }
    l.io.out(`${best.nid}\n`);
    return 0;
  } catch (e) {
    if (e instanceof DaemonUnreachable) l.unreachable(e);
    else if (e instanceof ControlError && e.code === 'EINVAL') l.io.err(`${e.descr}\n`);
    else l.io.err(`Unexpected distance: ${e instanceof ControlError ? e.descr : String(e)}\n`);
    return -1;
  }
}

/** jt_ptl_ping: `12345-0@lo` then the NIDs of the reply; `failed to ping …` on stdout otherwise. */
async function ping(l: Lctl, argv: string[]): Promise<number> {
  if (argv.length < 2) {
    l.io.err(`usage: ${argv[0]} id [timeout (secs)]\n`);
    return -22;
  }
  const target = argv[1]!;
  let timeoutMs = 1000;
  if (argv.length > 2) {
    timeoutMs = 1000 * (Number.parseInt(argv[2]!, 10) || 0);
    if (timeoutMs > 120_000) {
      l.io.err(`Timeout ${argv[2]} is to large\n`);
      return -22;
    }
  }
  // [U]pid-nid: the pid part as strtoul reads it.
  let text = target;
  const dash = target.indexOf('-');
  if (dash > 0 && /^[uU]?\d+$/.test(target.slice(0, dash))) {
    const user = /^[uU]/.test(target);
    const pid = Number.parseInt(target.slice(user ? 1 : 0, dash), 10);
    text = `${user ? 'U' : ''}${pid}-${target.slice(dash + 1)}`;
  }
  try {
    const r = await l.call<PingReply>('ping', { nids: [text], timeoutMs });
    const res = r.results[0];
    if (!res || !res.ok) {
      const errno = res?.errno ?? -5;
      l.io.out(`failed to ping ${target}: ${strerror(errno)}\n`);
      return errno;
    }
    // The kernel's reply does not carry 0@lo: lctl prints it first itself.
    l.io.out('12345-0@lo\n');
    for (const n of res.nids ?? []) l.io.out(`${n}\n`);
    return 0;
  } catch (e) {
    if (e instanceof DaemonUnreachable) {
      l.unreachable(e);
      l.io.out(`failed to ping ${target}: ${strerror(100)}\n`);
      return -100;
    }
    const c = e instanceof ControlError ? e : new ControlError('EIO', String(e));
    l.io.out(`failed to ping ${target}: ${c.descr === 'Unspecific failure' ? strerror(c.errno) : c.descr}\n`);
    return c.errno || -113;
  }
}

/** g_net_is_compatible for the socket LND commands. */
function needNet(l: Lctl, cmd: string): boolean {
  if (l.net !== undefined) return true;
  l.io.err(`You must run '${cmd} <network>' command before '--net'\n`);
  return false;
}

async function hostName(addr: string): Promise<string> {
  try {
    const r = await dns.lookupService(addr, 0);
    return r.hostname && r.hostname !== addr ? r.hostname : addr;
  } catch {
    return addr;
  }
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i).replace(/^::ffff:/, ''), Number(s.slice(i + 1))];
}

/** The socket buffer sizes Linux gives a TCP socket by default (what SO_SNDBUF/SO_RCVBUF report). */
function defaultBuffers(): [number, number] {
  const mid = (f: string, d: number): number => {
    try {
      return Number(readFileSync(f, 'utf8').trim().split(/\s+/)[1]) || d;
    } catch {
      return d;
    }
  };
  return [mid('/proc/sys/net/ipv4/tcp_wmem', 16384), mid('/proc/sys/net/ipv4/tcp_rmem', 131072)];
}

async function conns(l: Lctl): Promise<ConnInfo[]> {
  const r = await l.call<{ conns: ConnInfo[] }>('conns.list', { net: formatNet(l.net!) });
  return r.conns;
}

/** jt_ptl_print_connections (socklnd). */
async function connList(l: Lctl, argv: string[]): Promise<number> {
  if (!needNet(l, argv[0]!)) return -1;
  try {
    const list = await conns(l);
    if (list.length === 0) {
      l.io.out('<no connections>\n');
      return 0;
    }
    const [tx, rx] = defaultBuffers();
    for (const c of list) {
      const [la] = splitHostPort(c.local);
      const [ra, rp] = splitHostPort(c.remote);
      const t = c.type === 0 ? 'A' : c.type === 1 ? 'C' : c.type === 2 ? 'I' : c.type === 3 ? 'O' : '?';
      l.io.out(`${c.peer.padEnd(20)} ${t}[0]${await hostName(la)}->${await hostName(ra)}:${rp} ${tx}/${rx} nonagle\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof DaemonUnreachable) l.unreachable(e);
    else l.io.err(`Error getting connection list: ${e instanceof ControlError ? strerror(e.errno) : String(e)}: check dmesg.\n`);
    return 0;
  }
}

/** jt_ptl_print_peers (socklnd): per peer, whether we hold a route (connections we opened). */
async function peerList(l: Lctl, argv: string[]): Promise<number> {
  if (!needNet(l, argv[0]!)) return -1;
  try {
    const list = await conns(l);
    const peers = new Map<string, ConnInfo[]>();
    for (const c of list) peers.set(c.peer, [...(peers.get(c.peer) ?? []), c]);
    if (peers.size === 0) {
      l.io.out('<no peers>\n');
      return 0;
    }
    for (const [peer, cs] of peers) {
      const active = cs.filter((c) => !c.passive);
      if (active.length === 0) {
        l.io.out(`${peer.padEnd(20)} [0]0.0.0.0->0.0.0.0:0 #0\n`);
        continue;
      }
      const [la] = splitHostPort(active[0]!.local);
      const [ra, rp] = splitHostPort(active[0]!.remote);
      // ksnr_conn_count: every connection with the route's peer address, whichever end opened
      // it (to ourselves, both ends of each loopback connection).
      const count = cs.filter((c) => splitHostPort(c.remote)[0] === ra).length;
      l.io.out(`${peer.padEnd(20)} [1]${await hostName(la)}->${await hostName(ra)}:${rp} #${count}\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof DaemonUnreachable) l.unreachable(e);
    else l.io.err(`Error getting peer list: ${e instanceof ControlError ? strerror(e.errno) : String(e)}: check dmesg.\n`);
    return 0;
  }
}

/** jt_ptl_print_routes */
async function routeList(l: Lctl): Promise<number> {
  try {
    const routes = await l.call<{ net: string; hops: number; gateway: string; alive: boolean; priority: number }[]>('routes.list');
    for (const r of routes)
      l.io.out(`net ${r.net.padStart(18)} hops ${r.hops} gw ${r.gateway.padStart(32)} ${r.alive ? 'up' : 'down'} pri ${r.priority >>> 0}\n`);
    return 0;
  } catch (e) {
    if (e instanceof DaemonUnreachable) l.unreachable(e);
    else l.io.err(`Error getting routes: ${e instanceof ControlError ? strerror(e.errno) : String(e)}: check dmesg.\n`);
    return 0;
  }
}

type Cmd = (l: Lctl, argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Cmd> = {
  network,
  net: network,
  list_nids: listNids,
  which_nid: whichNid,
  ping,
  conn_list: connList,
  peer_list: peerList,
  route_list: (l) => routeList(l),
  show_route: (l) => routeList(l),
  get_param: (l, argv) => getParam(l, argv),
  list_param: (l, argv) => listParam(l, argv),
  lustre_build_version: async (l) => {
    l.io.out('lctl   2.17.0\n');
    return 0;
  },
  '--net': async (l, argv) => {
    if (argv.length < 3) return CMD_HELP;
    const rc = await network(l, ['network', argv[1]!]);
    if (rc !== 0) return rc;
    return run(l, argv.slice(2));
  },
};

async function run(l: Lctl, argv: string[], name = argv[0]!): Promise<number> {
  const cmd = COMMANDS[name];
  if (!cmd) {
    l.io.err(`lctl: '${argv[0]}' is not a valid command. See 'lctl --list-commands'.\n`);
    return -1;
  }
  const rc = await cmd(l, argv);
  if (rc === CMD_HELP) l.io.out(`${USAGE[name] ?? ''}\n`);
  return rc;
}

/** The commands cfs_parser adds to every tool's own. */
const PARSER_COMMANDS = ['quit', 'exit', 'help', '--help', 'version', '--version', 'list-commands', '--list-commands', '--ignore_errors', 'ignore_errors'];

function printUsage(io: Io): void {
  io.out("usage: lctl [COMMAND] [OPTIONS]... [ARGS]\nWithout any parameters, interactive mode is invoked\nTry 'lctl help <COMMAND>', or 'lctl --list-commands' for a list of commands.\n");
}

/**
 * find_cmd / process: a line's first word names a command by an unambiguous, case-blind
 * prefix (an exact name always wins).
 */
function lookupCommand(word: string): { name: string } | { ambiguous: string[] } | undefined {
  const names = [...PARSER_COMMANDS, ...Object.keys(COMMANDS)];
  const lower = word.toLowerCase();
  const exact = names.find((n) => n.toLowerCase() === lower);
  if (exact) return { name: exact };
  const hits = names.filter((n) => n.toLowerCase().startsWith(lower));
  if (hits.length === 1) return { name: hits[0]! };
  return hits.length > 1 ? { ambiguous: hits } : undefined;
}

interface ParserState {
  done: boolean;
  ignoreErrors: boolean;
}

/** The cfs_parser commands; undefined when `name` is one of lctl's own. */
function parserCommand(l: Lctl, st: ParserState, name: string, argv: string[]): number | undefined {
  switch (name) {
    case 'quit':
    case 'exit':
      st.done = true;
      return 0;
    case 'help':
    case '--help': {
      if (argv.length === 1) {
        printUsage(l.io);
        return 0;
      }
      const topic = argv.slice(1).join('');
      const found = lookupCommand(topic);
      if (found && 'name' in found && USAGE[found.name] !== undefined) l.io.err(`${topic}: ${USAGE[found.name]}\n`);
      else if (found && 'ambiguous' in found) l.io.err(`Ambiguous command '${topic}'\nOptions: ${found.ambiguous.join(' ')} \n`);
      else if (!found) l.io.err(`lctl: '${topic}' is not a valid command. See 'lctl --list-commands'.\n`);
      return 0;
    }
    case 'version':
    case '--version':
      l.io.out('lctl 2.17.0\n');
      return 0;
    case 'list-commands':
    case '--list-commands':
      l.io.out(`${Object.keys(COMMANDS).join('\n')}\n`);
      return 0;
    case 'ignore_errors':
    case '--ignore_errors':
      st.ignoreErrors = true;
      return 0;
    default:
      return undefined;
  }
}

/**
 * cfs_parser_commands: one command a line from stdin (a "> " prompt on a terminal). Read from
 * a pipe or file, the first failing command ends the run and gives the exit code, unless
 * `ignore_errors` was given.
 */
async function interactive(l: Lctl, input: NodeJS.ReadableStream, st: ParserState): Promise<number> {
  const tty = (input as { isTTY?: boolean }).isTTY === true;
  const rl = createInterface({ input, terminal: false });
  let saved = 0;
  if (tty) l.io.out('> ');
  for await (const line of rl) {
    // line2args: words split on blanks and tabs only.
    const argv = line.split(/[ \t]+/).filter((w) => w !== '');
    let rc = 0;
    if (argv.length > 0) {
      const found = lookupCommand(argv[0]!);
      if (!found) printUsage(l.io);
      else if ('ambiguous' in found) l.io.err(`Ambiguous command '${line.trim()}'\nOptions: ${found.ambiguous.join(' ')} \n`);
      else rc = parserCommand(l, st, found.name, argv) ?? (await run(l, argv, found.name));
    }
    if (rc !== 0 && !tty) {
      if (saved === 0) saved = rc;
      if (!st.ignoreErrors) st.done = true;
    }
    if (st.done) break;
    if (tty) l.io.out('> ');
  }
  rl.close();
  return saved !== 0 ? saved : 0;
}

export interface LctlOptions {
  io: Io;
  env?: NodeJS.ProcessEnv;
  /** What lctl with no command reads its commands from (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

export async function lctlMain(args: string[], o: LctlOptions): Promise<number> {
  let socket: string | undefined;
  let i = 0;
  if (args[0] === '--socket' && args.length > 1) {
    socket = args[1];
    i = 2;
  } else if (args[0]?.startsWith('--socket=')) {
    socket = args[0].slice('--socket='.length);
    i = 1;
  }
  const l = new Lctl(o.io, socketPath(socket, o.env ?? process.env));
  const st: ParserState = { done: false, ignoreErrors: false };
  try {
    const rest = args.slice(i);
    let rc: number;
    if (rest.length === 0) rc = await interactive(l, o.stdin ?? process.stdin, st);
    else rc = parserCommand(l, st, rest[0]!, rest) ?? (await run(l, rest));
    // lctl_main: a negative rc becomes positive.
    return (rc < 0 ? -rc : rc) & 0xff;
  } finally {
    l.close();
  }
}
