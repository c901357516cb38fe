/**
 * What the ported peer tests of sanity-lnet.sh share: run_test with a fresh node after
 * reinit_dlc, compare_peer_add/compare_peer_del (sanity's comparison plus the kernel's bytes)
 * and the add-then-delete pattern of tests 8–13 and 22–25.
 *
 * The daemons run in one private network namespace per file when one can be made (root), so
 * nothing they do can reach a real network; otherwise in the host's, which these tests do not
 * need (only 0@lo is configured).
 */
import type { Test } from 'tap';
import { createNetns, distMissing } from '../../helpers/lnetd-harness.js';
import { compareYaml, kernelBackup, sanityNode, type KernelPeer, type SanityNode } from './sanity.js';

export const TIMEOUT = 180_000;

export interface PeerSuite {
  skip: string | false;
  netns: string | undefined;
  /** run_test NUM TITLE: a fresh node after reinit_dlc. */
  sanityTest(num: string, title: string, fn: (t: Test, n: SanityNode) => Promise<void>): void;
  /** Tests 8–13 and 22–25: peer add PRIM --nid ADD, then compare_peer_del PRIM DEL. */
  delTest(num: string, title: string, prim: string, add: string, del: string, remaining: string[]): void;
}

/** The suite of one test file: its namespace (named after `tag`) and its run_test. */
export function peerSuite(t: Test, tag: string): PeerSuite {
  const skip = distMissing();
  const ns = skip ? undefined : createNetns(t, `ulsl-${tag}-${process.pid}`, []);
  const netns = typeof ns === 'object' ? ns.name : undefined;
  if (typeof ns === 'string') t.comment(`running in the host network namespace: ${ns}`);
  const sanityTest = (num: string, title: string, fn: (t: Test, n: SanityNode) => Promise<void>): void => {
    t.test(`test_${num}: ${title}`, { timeout: TIMEOUT, skip }, async (t) => {
      const n = await sanityNode(t, { netns });
      await n.reinitDlc(t);
      await fn(t, n);
    });
  };
  const delTest = (num: string, title: string, prim: string, add: string, del: string, remaining: string[]): void => {
    sanityTest(num, title, async (t, n) => {
      const expected = `peer:
    - primary nid: ${prim}
      Multi-Rail: True
      peer ni:
${[prim, ...remaining].map((nid) => `        - nid: ${nid}\n`).join('')}${n.globalYaml}`;
      await n.ok(t, ['peer', 'add', '--prim_nid', prim, '--nid', add], 'Peer add');
      await comparePeerDel(t, n, expected, [mr(prim, ...remaining)], prim, del);
    });
  };
  return { skip, netns, sanityTest, delTest };
}

/** A peer in the kernel's export: MR, NIDs in the order given. */
export const mr = (primary: string, ...others: string[]): KernelPeer => ({ primary, mr: true, nis: [primary, ...others] });

/**
 * compare_peer_add PRIM [NID] against the sanity heredoc `expected` (global yaml appended),
 * plus the kernel's bytes for `peers`.
 */
export async function comparePeerAdd(t: Test, n: SanityNode, expected: string, peers: KernelPeer[], prim: string, nid?: string): Promise<void> {
  await n.ok(t, ['peer', 'add', '--prim_nid', prim, ...(nid ? ['--nid', nid] : [])], 'peer add');
  const actual = await n.exportBackup(t);
  compareYaml(t, actual, expected, 'compare_yaml_files');
  t.equal(actual, kernelBackup({ peers }), "export --backup is the kernel's bytes");
}

/** compare_peer_del PRIM [NID]. */
export async function comparePeerDel(t: Test, n: SanityNode, expected: string, peers: KernelPeer[], prim: string, nid?: string): Promise<void> {
  await n.ok(t, ['peer', 'del', '--prim_nid', prim, ...(nid ? ['--nid', nid] : [])], 'peer del');
  const actual = await n.exportBackup(t);
  compareYaml(t, actual, expected, 'compare_yaml_files');
  t.equal(actual, kernelBackup({ peers }), "export --backup is the kernel's bytes");
}
