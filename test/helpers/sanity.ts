/**
 * Test helper for the ports of lustre/tests/sanity-lnet.sh: the functions those tests are
 * written in (reinit_dlc, do_lnetctl, export --backup, compare_yaml_files) over one lnetd.
 * compare_yaml_files compares semantically, as verify_compare_yaml does: both documents loaded
 * as YAML 1.1 (so `True` and `true` are the same boolean), then compared as data.
 */
import type { Test } from 'tap';
import { parse } from 'yaml';
import type { Lnetd, RunResult } from './lnetd.js';

export class Sanity {
  /** export --backup of a freshly configured node (define_global_yaml). */
  globalYaml = '';

  constructor(
    readonly t: Test,
    readonly d: Lnetd,
  ) {}

  /** do_lnetctl: lnetctl with its exit status (and output kept for messages). */
  async ctl(...args: string[]): Promise<RunResult> {
    return this.d.ctl(args);
  }

  /** lnetctl with a document on stdin (`lnetctl import < FILE`). */
  async ctlStdin(stdin: string, ...args: string[]): Promise<RunResult> {
    return this.d.ctl(args, stdin);
  }

  async ok(...args: string[]): Promise<RunResult> {
    const r = await this.ctl(...args);
    this.t.equal(r.status, 0, `lnetctl ${args.join(' ')} ${r.stdout}${r.stderr}`);
    return r;
  }

  async fails(...args: string[]): Promise<RunResult> {
    const r = await this.ctl(...args);
    this.t.not(r.status, 0, `lnetctl ${args.join(' ')} should fail`);
    return r;
  }

  /** reinit_dlc: lnet unconfigure, lnet configure, then define_global_yaml. */
  async reinit(): Promise<void> {
    await this.ctl('lnet', 'unconfigure');
    const r = await this.ctl('lnet', 'configure');
    this.t.equal(r.status, 0, 'lnet configure');
    this.globalYaml = (await this.ctl('export', '--backup')).stdout;
  }

  async exportBackup(): Promise<string> {
    const r = await this.ctl('export', '--backup');
    this.t.equal(r.status, 0, 'export --backup');
    return r.stdout;
  }

  /** compare_yaml_files(actual, expected + the global yaml when asked). */
  compare(actual: string, expected: string, what = 'configuration'): void {
    this.t.same(load(actual), load(expected), `${what}\n--- expected\n${expected}--- actual\n${actual}`);
  }

  /** The expected document followed by the global yaml (append_global_yaml). */
  withGlobal(expected: string): string {
    return `${expected}${this.globalYaml}`;
  }
}

export function load(text: string): unknown {
  return parse(text, { schema: 'yaml-1.1' }) ?? {};
}

/** validate_peer_nids: the numbers of `primary nid:` and `- nid:` lines of an export. */
export function countPeerNids(yaml: string): { primary: number; nids: number } {
  return {
    primary: (yaml.match(/-\s+primary nid:/g) ?? []).length,
    nids: (yaml.match(/-\s+nid:/g) ?? []).length,
  };
}
