/**
 * sanity-lnet.sh (Lustre 2.17.0) tests 50, 51 and 104 against lnetd: routing, router buffers,
 * numa range and response_tracking through `lnetctl import`, `lnetctl set` and `global show`.
 * See README.md.
 *
 * Where sanity reads or writes /sys/module/lnet/parameters (ulnet has no sysfs), the port uses
 * the same values through what lnetd offers: module parameters in its config file instead of
 * `echo 1 > …/alive_router_check_interval`, and `lnetctl global show`'s numa_range (which the
 * kernel's lnetctl reads from lnet_numa_range) instead of `cat …/lnet_numa_range`.
 */
import t, { type Test } from 'tap';
import { createNetns, distMissing } from '../../helpers/lnetd-harness.js';
import { sanityNode, showResult, type SanityNode } from './sanity.js';

const skip = distMissing();
const ns = skip ? undefined : createNetns(t, `ulsl-glob-${process.pid}`, []);
const netns = typeof ns === 'object' ? ns.name : undefined;
if (typeof ns === 'string') t.comment(`running in the host network namespace: ${ns}`);

const TIMEOUT = 180_000;
/** wait_update's bound, generous: this only bounds the wait, it asserts nothing about speed. */
const WAIT_MS = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** wait_update: poll `probe` until it returns true or the bound passes; the last value. */
async function waitUpdate(probe: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(500);
  }
}

/** `awk '/RE/{print $NF}'` over a command's stdout. */
function awk(text: string, re: RegExp): string[] {
  return text
    .split('\n')
    .filter((l) => re.test(l))
    .map((l) => l.trim().split(/\s+/).at(-1) as string);
}

async function globalValue(n: SanityNode, key: string): Promise<string | undefined> {
  const r = await n.lnetctl(['global', 'show']);
  return awk(r.stdout, new RegExp(`${key}`)).at(0);
}

function sanityTest(num: string, title: string, modprobe: string[], fn: (t: Test, n: SanityNode) => Promise<void>): void {
  t.test(`test_${num}: ${title}`, { timeout: TIMEOUT, skip }, async (t) => {
    const n = await sanityNode(t, { netns, modprobe });
    await n.reinitDlc(t);
    await fn(t, n);
  });
}

sanityTest('50', 'Enable/disable routing via yaml import', ['options lnet alive_router_check_interval=1 router_ping_timeout=1'], async (t, n) => {
  t.comment('Enable routing');
  await n.ok(t, ['import', n.file('routing.yaml', 'routing:\n    enable: 1\n')], 'Import');
  // Get default buffer sizes for later
  const bufs = async (): Promise<{ tiny: number; small: number; large: number; text: string }> => {
    const r = await n.lnetctl(['export', '--backup']);
    const one = (k: string): number => Number(awk(r.stdout, new RegExp(`\\s+${k}:`)).join(' '));
    return { tiny: one('tiny'), small: one('small'), large: one('large'), text: r.stdout };
  };
  const before = await bufs();
  t.ok(before.tiny > 0 && before.small > 0 && before.large > 0, 'the export shows the router buffer sizes', { export: before.text });

  const routingShowHas = (digit: string) => async (): Promise<boolean> => {
    const r = await n.lnetctl(['routing', 'show']);
    return r.stdout.split('\n').filter((l) => l.includes('enable') && l.includes(digit)).length === 1;
  };
  t.ok(await waitUpdate(routingShowHas('1')), 'Routing enabled (routing show: enable 1)');

  t.comment('Disable routing');
  await n.ok(t, ['import', n.file('routing.yaml', 'routing:\n    enable: 0\n')], 'Import');
  t.ok(await waitUpdate(routingShowHas('0')), 'Routing disabled (routing show: enable 0)');

  const cpt = await n.lctlOk(t, ['get_param', '-n', 'cpu_partition_table'], 'lctl get_param -n cpu_partition_table');
  const ncpt = cpt.stdout.split('\n').filter((l) => l !== '').length;
  t.ok(ncpt >= 1, `${ncpt} CPTs`);
  const want = { tiny: before.tiny + ncpt, small: before.small + ncpt, large: before.large + ncpt };
  t.comment('Enable routing w/custom buffer sizses');
  await n.ok(
    t,
    ['import', n.file('routing.yaml', `routing:\n    enable: 1\nbuffers:\n    tiny: ${want.tiny}\n    small: ${want.small}\n    large: ${want.large}\n`)],
    'Import',
  );
  const after = await bufs();
  t.equal(after.tiny, want.tiny, `Expect tiny buffers ${want.tiny}`, { export: after.text });
  t.equal(after.small, want.small, `Expect small buffers ${want.small}`);
  t.equal(after.large, want.large, `Expect large buffers ${want.large}`);
});

sanityTest('51', 'Set numa range via yaml import', [], async (t, n) => {
  const range = Number(await globalValue(n, 'numa_range')) + 1;
  t.ok(Number.isInteger(range), `numa_range now ${range - 1}`);
  await n.ok(t, ['import', n.file('numa.yaml', `numa:\n    range: ${range}\n`)], 'Import');
  t.equal(await globalValue(n, 'numa_range'), String(range), `Expect lnet_numa_range ${range}`);
});

sanityTest('104', 'Set/check response_tracking param', [], async (t, n) => {
  // Default value is '3'
  t.equal(await globalValue(n, 'response_tracking'), '3', 'Expect 3');
  t.comment('Set < 0;  Should fail');
  await n.fails(t, ['set', 'response_tracking', '-1'], 'should have failed');
  await n.reinitDlc(t);
  await n.fails(t, ['import'], 'should have failed', { stdin: 'global:\n    response_tracking: -10\n' });

  t.comment('Check valid values; Should succeed');
  for (let i = 0; i < 4; i++) {
    await n.reinitDlc(t);
    await n.ok(t, ['set', 'response_tracking', String(i)], 'should have succeeded');
    let g = await n.lnetctl(['global', 'show']);
    t.match(g.stdout, `response_tracking: ${i}`, `set response_tracking to ${i}`, { diag: showResult(g) });
    await n.reinitDlc(t);
    await n.ok(t, ['import'], 'should have succeeded', { stdin: `global:\n    response_tracking: ${i}\n` });
    g = await n.lnetctl(['global', 'show']);
    t.match(g.stdout, `response_tracking: ${i}`, `import response_tracking ${i}`, { diag: showResult(g) });
  }

  await n.reinitDlc(t);
  t.comment('Set > 3; Should fail');
  await n.fails(t, ['set', 'response_tracking', '4'], 'should have failed');
  await n.reinitDlc(t);
  await n.fails(t, ['import'], 'should have failed', { stdin: 'global:\n    response_tracking: 10\n' });
});
