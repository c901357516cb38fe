/** `lnetctl import [--add|--del|--show|--exec] [FILE]` and `lnetctl export [--backup] [FILE]` (jt_import, jt_export). */
import { readFileSync, writeFileSync } from 'node:fs';
import { Errno } from '../../errno.js';
import { render, renderJson, type PrintableDoc } from '../yaml/output.js';
import { strerror } from '../strerror.js';
import type { Ctx } from './context.js';
import { flag, getopt } from './util.js';

const IMPORT_HELP =
  'import FILE\nimport < FILE : import a file\n\t--add: add configuration\n\t--del: delete configuration\n\t--show: show configuration\n\t--exec: execute command\n\t--help: display this help\nIf no command option is given then --add is assumed by default\n';

interface ImportReply {
  /** Documents to print on stdout (--show, --exec). */
  output?: unknown;
  /** lnetctl's warnings (stderr). */
  warnings?: string[];
  /** The exit code when some part failed without an error document (--exec ping failures). */
  exitCode?: number;
}

export async function importCmd(ctx: Ctx, argv: string[]): Promise<number> {
  const r = getopt(ctx, argv, 'adseh', [flag('add', 'a'), flag('del', 'd'), flag('show', 's'), flag('exec', 'e'), flag('help', 'h')]);
  let mode: 'add' | 'del' | 'show' | 'exec' = 'add';
  for (const o of r.opts) {
    if (o.opt === 'a') mode = 'add';
    else if (o.opt === 'd') mode = 'del';
    else if (o.opt === 's') mode = 'show';
    else if (o.opt === 'e') mode = 'exec';
    else if (o.opt === 'h') {
      ctx.io.out(IMPORT_HELP);
      return 0;
    } else return 0;
  }
  const optFound = r.opts.length > 0;
  const file = (optFound && argv.length === 3) || (!optFound && argv.length === 2) ? r.operands[0] : undefined;
  let text: string;
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const errno = Errno[(e as NodeJS.ErrnoException).code as keyof typeof Errno] ?? Errno.EIO;
      ctx.cyamlError('yaml', 'builder', -1, `cannot open '${file}': ${strerror(errno)}`);
      return -errno;
    }
  } else text = ctx.stdinText();
  try {
    const reply = await ctx.call<ImportReply | null>('import', { text, mode });
    for (const w of reply?.warnings ?? []) ctx.io.err(`${w}\n`);
    if (reply?.output) ctx.print(reply.output);
    return reply?.exitCode ? -1 : 0;
  } catch (e) {
    return ctx.fail(e, mode === 'del' ? 'del' : mode === 'show' ? 'show' : 'add', 'import');
  }
}

export async function exportCmd(ctx: Ctx, argv: string[]): Promise<number> {
  const r = getopt(ctx, argv, 'bh', [flag('backup', 'b'), flag('help', 'h')]);
  let backup = false;
  for (const o of r.opts) {
    if (o.opt === 'b') backup = true;
    else {
      ctx.io.out("export > FILE.yaml : export configuration\n\t--backup: export only what's necessary for reconfig\n\t--help: display this help\n");
      return 0;
    }
  }
  const file = (backup && argv.length >= 3) || (!backup && argv.length >= 2) ? r.operands[0] : undefined;
  let parts: PrintableDoc[];
  try {
    parts = await ctx.call<PrintableDoc[]>('export', { backup });
  } catch (e) {
    return ctx.fail(e, 'show', 'net');
  }
  const text = ctx.json ? renderJson(parts) : render(parts);
  if (file === undefined) {
    ctx.io.out(text);
    return 0;
  }
  try {
    writeFileSync(file, text);
    return 0;
  } catch {
    return -1;
  }
}
