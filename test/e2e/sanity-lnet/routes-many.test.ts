/**
 * sanity-lnet.sh (Lustre 2.17.0) test 111 against lnetd: 499 routes through one gateway,
 * counted by `lnetctl route show` and `lctl show_route`. See README.md and routes.test.ts for
 * how the router node is stood in for.
 *
 * sanity runs `lnetctl route add -n tcp1N -g GW` 499 times. Here the same 499 command lines
 * go to one lnetctl reading them from stdin (its interactive mode, the same command parser):
 * 499 separate processes take minutes on a shared machine, and tap bounds each file.
 */
import t from 'tap';
import { distMissing } from '../../helpers/lnetd-harness.js';
import { netnsUnavailable, ROUTER_NID, setupRouterTest, showResult } from './sanity.js';

const skip = distMissing() || netnsUnavailable();
const REMOTE_NET = 'tcp1';

t.test('test_111: Test many routes', { timeout: 280_000, skip }, async (t) => {
  const n = await setupRouterTest(t);
  let script = '';
  for (let i = 2; i <= 500; i++) script += `route add -n ${REMOTE_NET}${i} -g ${ROUTER_NID}\n`;
  const add = await n.lnetctl([], { stdin: script, timeoutMs: 240_000 });
  t.ok(add.code === 0 && add.stderr === '', 'every route add succeeded (no error document, exit 0)', { diag: showResult(add) });
  const shown = await n.lnetctl(['route', 'show']);
  t.equal(shown.stdout.split('\n').filter((l) => l.includes('gateway')).length, 499, 'lnetctl route show lists 499 routes');
  const lctl = await n.lctl(['show_route']);
  t.equal(lctl.stdout.split('\n').filter((l) => l.includes('net')).length, 499, 'lctl show_route lists 499 routes', { diag: showResult(lctl) });
});
