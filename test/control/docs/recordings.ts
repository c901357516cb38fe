// Test helper: the kernel 2.17.0 recordings as documents to compare with. The CLI
// transcripts (05-cli-behaviours.txt, 06-start-stop-modparams.txt) are split into one entry
// per command with its stdout, stderr and exit code.
import { readFileSync } from 'node:fs';
import { haveInterop, interopFile } from '../../helpers/interop.js';

export { haveInterop };

export interface RecordedCommand {
  readonly command: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly rc: number;
}

export function recordedFile(name: string): string {
  return readFileSync(interopFile(name), 'utf8');
}

/** Every `### [host]# command` block of a CLI transcript. */
export function recordedCommands(name: string): RecordedCommand[] {
  const text = recordedFile(name);
  const out: RecordedCommand[] = [];
  const re = /^### \[\w+\]# (.*)\n--- stdout:\n([\s\S]*?)--- stderr:\n([\s\S]*?)### rc=(\d+)\n/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ command: m[1]!, stdout: m[2]!, stderr: m[3]!, rc: Number(m[4]) });
  return out;
}

/** The n-th (0-based) recording of exactly this command line. */
export function recorded(name: string, command: string, n = 0): RecordedCommand {
  const all = recordedCommands(name).filter((c) => c.command === command);
  const c = all[n];
  if (!c) throw new Error(`no recording of '${command}' (#${n}) in ${name}`);
  return c;
}
