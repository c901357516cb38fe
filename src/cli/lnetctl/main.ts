/**
 * lnetctl's command dispatch (libcfs util/parser.c cfs_parser and lnetctl.c jt_<group>): exact
 * command names, the parser's own commands (help, --list-commands, version, …), a group word
 * alone printing its usage on stdout with exit 234, unknown words
 * "lnetctl: 'x' is not a valid command. See 'lnetctl --list-commands'." and exit 255. Handlers
 * return the C rc; the exit code is its low 8 bits.
 */
import { createInterface } from 'node:readline';
import { socketPath } from '../../control/socket-path.js';
import { Ctx, exitOf, type Io } from './context.js';
import { TOP_HELP } from './help-texts.js';
import { printHelp } from './util.js';
import { GROUPS, TOP_COMMANDS, type Handler } from './commands.js';

const OVERRIDE = ['quit', 'exit', 'help', '--help', 'version', '--version', 'list-commands', '--list-commands', '--ignore_errors', 'ignore_errors'];
const OVERRIDE_HELP: Record<string, string> = {
  quit: 'quit',
  exit: 'exit',
  help: 'provide useful information about a command',
  '--help': 'provide useful information about a command',
  version: 'show program version',
  '--version': 'show program version',
  'list-commands': 'list available commands',
  '--list-commands': 'list available commands',
  '--ignore_errors': 'ignore errors that occur during script processing',
  ignore_errors: 'ignore errors that occur during script processing',
};

/** The Lustre release lnetctl reports (`lnetctl --version`). */
export const LUSTRE_VERSION = '2.17.0';

/** cfs_parser_list_commands: names in 4 columns of 20. */
function listCommands(io: Io): void {
  const names = [...OVERRIDE, ...TOP_HELP.map(([n]) => n)];
  const charMax = 20;
  let col = 0;
  let offset = 0;
  let line = '';
  for (const n of names) {
    const width = Math.max(0, charMax - offset - 1);
    const printed = `${n.padEnd(width)} `;
    line += printed;
    offset = Math.max(0, offset + printed.length - charMax);
    if (++col >= 4) {
      io.out(`${line}\n`);
      line = '';
      col = 0;
      offset = 0;
    }
  }
  if (col !== 0) io.out(`${line}\n`);
}

function notValid(ctx: Ctx, word: string): number {
  ctx.io.err(`${ctx.prog}: '${word}' is not a valid command. See '${ctx.prog} --list-commands'.\n`);
  return -1;
}

/** The parser's own commands, valid at every level. */
function override(ctx: Ctx, argv: string[]): number | undefined {
  switch (argv[0]) {
    case 'quit':
    case 'exit':
    case '--ignore_errors':
    case 'ignore_errors':
      return 0;
    case 'version':
    case '--version':
      ctx.io.out(`${ctx.prog} ${LUSTRE_VERSION}\n`);
      return 0;
    case 'list-commands':
    case '--list-commands':
      listCommands(ctx.io);
      return 0;
    case 'help':
    case '--help': {
      // cfs_parser_help: the help of the named command, or the list of commands.
      const name = argv[1];
      const top = TOP_HELP.find(([n]) => n === name);
      if (name !== undefined && top) ctx.io.out(`${top[1]}\n`);
      else if (name !== undefined && OVERRIDE_HELP[name]) ctx.io.out(`${OVERRIDE_HELP[name]}\n`);
      else {
        ctx.io.out('Available commands are:\n');
        listCommands(ctx.io);
        ctx.io.out(`For more help type: help command-name\n`);
      }
      return 0;
    }
    default:
      return undefined;
  }
}

/** One command line (argv without the program name). */
export async function runCommand(ctx: Ctx, argv: string[]): Promise<number> {
  const word = argv[0]!;
  const o = override(ctx, argv);
  if (o !== undefined) return o;
  const group = GROUPS[word];
  if (group) {
    // check_cmd(group_cmds, group, NULL, 2, ...): a group word alone prints every usage.
    if (argv.length < 2) {
      printHelp(ctx.io, group.help, word);
      return -22;
    }
    if (argv.length === 2 && (argv[1] === '-h' || argv[1] === '--help')) {
      printHelp(ctx.io, group.help, word);
      return 1;
    }
    const sub = argv.slice(1);
    const so = override(ctx, sub);
    if (so !== undefined) return so;
    const h = group.commands[sub[0]!];
    if (!h) return notValid(ctx, sub[0]!);
    return h(ctx, sub);
  }
  const h: Handler | undefined = TOP_COMMANDS[word];
  if (!h) return notValid(ctx, word);
  return h(ctx, argv);
}

/** Split a shell line into words (quotes group, backslash escapes). */
function lineToArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let any = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      any = true;
    } else if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (/\s/.test(c)) {
      if (cur !== '' || any) out.push(cur);
      cur = '';
      any = false;
    } else cur += c;
  }
  if (cur !== '' || any) out.push(cur);
  return out;
}

/** `lnetctl` with no command: the interactive shell (one command per line, `quit` to leave). */
async function interactive(ctx: Ctx, input: NodeJS.ReadableStream): Promise<number> {
  const rl = createInterface({ input, terminal: false });
  const tty = (input as { isTTY?: boolean }).isTTY === true;
  if (tty) ctx.io.out('lnetctl > ');
  let rc = 0;
  for await (const line of rl) {
    const args = lineToArgs(line);
    if (args.length > 0) {
      if (args[0] === 'quit' || args[0] === 'exit') break;
      rc = await runCommand(ctx, args);
    }
    if (tty) ctx.io.out('lnetctl > ');
  }
  return rc;
}

export interface RunOptions {
  io: Io;
  env?: NodeJS.ProcessEnv;
  /** The interactive shell's input (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** What `import` reads when no file is named (default: all of fd 0). */
  stdinText?: () => string;
}

/**
 * lnetctl's main: leading `--json` (print documents as JSON) and `--socket PATH` (or
 * LNETD_SOCKET) select output and daemon; the rest is the command. Returns the exit code.
 */
export async function lnetctlMain(args: string[], o: RunOptions): Promise<number> {
  let json = false;
  let socket: string | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--socket' && i + 1 < args.length) socket = args[++i];
    else if (a.startsWith('--socket=')) socket = a.slice('--socket='.length);
    else break;
  }
  const ctx = new Ctx(o.io, socketPath(socket, o.env ?? process.env), json, 'lnetctl', o.stdinText);
  try {
    const rest = args.slice(i);
    const rc = rest.length === 0 ? await interactive(ctx, o.stdin ?? process.stdin) : await runCommand(ctx, rest);
    return exitOf(rc);
  } finally {
    ctx.close();
  }
}
