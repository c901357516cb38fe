/** Pieces every lnetctl handler uses: check_cmd, getopt with lnetctl's reporting. */
import { getoptLong, type GetoptResult, type LongOption } from '../getopt.js';
import type { Ctx, Io } from './context.js';
import type { HelpTable } from './help-texts.js';

/** print_help: `<group> <cmd>: <help>` for one command or all of a table. */
export function printHelp(io: Io, table: HelpTable, group: string, name?: string): void {
  for (const [n, h] of table) {
    if (name !== undefined && n !== name) continue;
    io.out(`${group} ${n}: ${h}\n`);
    if (name !== undefined) return;
  }
}

/**
 * check_cmd: too few words prints the command's help (rc -22); a lone -h/--help prints it
 * (rc 1); otherwise 0 and the handler goes on.
 */
export function checkCmd(ctx: Ctx, table: HelpTable, group: string, sub: string, minArgs: number, argv: readonly string[]): number {
  if (argv.length < minArgs) {
    printHelp(ctx.io, table, group, sub);
    return -22;
  }
  if (argv.length === 2 && (argv[1] === '-h' || argv[1] === '--help')) {
    printHelp(ctx.io, table, group, sub);
    return 1;
  }
  return 0;
}

/** getopt_long over a handler's argv; glibc's complaints go to stderr under the handler's name. */
export function getopt(ctx: Ctx, argv: readonly string[], short: string, long: readonly LongOption[], greedy: readonly string[] = []): GetoptResult {
  return getoptLong(argv, short, long, (m) => ctx.io.err(m), true, greedy);
}

export const req = (name: string, val: string): LongOption => ({ name, hasArg: 'required', val });
export const flag = (name: string, val: string): LongOption => ({ name, hasArg: 'none', val });
export const opt = (name: string, val: string): LongOption => ({ name, hasArg: 'optional', val });
