/**
 * What the ported ip2nets tests of sanity-lnet.sh (150–162) share: add_net, do_import_test,
 * the failing-import check and the `ip2nets:` rule text the shell writes.
 */
import type { Test } from 'tap';
import { compareYaml, type SanityNode } from './sanity.js';

export const NETTYPE = 'tcp';

export const addNet = (t: Test, n: SanityNode, net: string, ifname: string) => n.ok(t, ['net', 'add', '--net', net, '--if', ifname], `add_net ${net} ${ifname}`);

/** do_import_test FILE: reinit_dlc, import FILE, export --backup, compare with `expected`. */
export async function doImportTest(t: Test, n: SanityNode, expected: string, yaml: string): Promise<void> {
  await n.reinitDlc(t);
  t.comment(yaml);
  await n.ok(t, ['import', n.file('sanity-lnet.yaml', yaml)], 'Import');
  const actual = await n.exportBackup(t);
  compareYaml(t, actual, expected, 'compare_yaml_files');
}

/** `! do_lnetctl import FILE || error …`. */
export async function importFails(t: Test, n: SanityNode, yaml: string, what: string): Promise<void> {
  t.comment(yaml);
  await n.fails(t, ['import', n.file('sanity-lnet.yaml', yaml)], what);
}

export const rule = (net: string, ifaces: string[], ranges: string[] = []): string =>
  `  - net-spec: ${net}\n    interfaces:\n${ifaces.map((f, i) => `        ${i}: ${f}\n`).join('')}` +
  (ranges.length ? `    ip-range:\n${ranges.map((r, i) => `        ${i}: ${r}\n`).join('')}` : '');
