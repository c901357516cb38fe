/**
 * The recorded walk through "Starting and Stopping LNet" with module parameters
 * (../shared/interop/kernel-2.17.0/06-start-stop-modparams.txt) replayed on lnetd: node B's
 * eth0 (192.0.2.12/24) is a dummy interface in a network namespace; `modprobe lnet PARAMS` is
 * starting lnetd with those parameters, `lustre_rmmod` is stopping it. Every recorded command is
 * a step with its stdout and exit status. One deliberate difference: `lnetctl lnet configure
 * --all` after a plain configure loads the module-parameter networks, as the seed and the manual
 * say (the recording's kernel skipped them; see the recordings' README).
 */
import t, { type Test } from 'tap';
import { haveLnetdDist, recordedNetns, runLctl, startLnetd, type RunResult } from '../helpers/lnetd.js';

const built = haveLnetdDist();
const net = built ? recordedNetns('S', '192.0.2.12/24') : { skip: 'dist/ is not built (npx tsc -p tsconfig.build.json)' };
const skip = net.skip;

const LO_ONLY = 'net:\n-     net type: lo\n      local NI(s):\n      -     nid: 0@lo\n            status: up\n';

function step(t: Test, what: string, r: RunResult, stdout: string, status = 0): void {
  t.equal(r.stdout, stdout, `${what}: stdout`);
  t.equal(r.status, status, `${what}: exit status`);
}

t.test('06-start-stop-modparams.txt', { skip, timeout: 120_000 }, async (t) => {
  const ns = (net as { ns: string }).ns;

  // modprobe -v lnet networks="tcp0(eth0)"; lnetctl lnet configure: only 0@lo.
  let d = await startLnetd(t, { netns: ns, args: ['networks=tcp0(eth0)'] });
  step(t, 'lnetctl lnet configure', await d.ctl(['lnet', 'configure']), '');
  step(t, 'lnetctl net show', await d.ctl(['net', 'show']), LO_ONLY);
  step(t, 'lnetctl lnet unconfigure', await d.ctl(['lnet', 'unconfigure']), '');
  // Here the seed (and ulnet) bring up the module-parameter networks; the recorded kernel did not.
  step(t, 'lnetctl lnet configure --all', await d.ctl(['lnet', 'configure', '--all']), '');
  step(
    t,
    'lnetctl net show after --all',
    await d.ctl(['net', 'show']),
    `${LO_ONLY}-     net type: tcp\n      local NI(s):\n      -     nid: 192.0.2.12@tcp\n            status: up\n            interfaces:\n                  0: eth0\n`,
  );
  step(t, 'lctl list_nids', await d.lctl(['list_nids']), '192.0.2.12@tcp\n');
  // lustre_rmmod: lnetd stops (networks down).
  t.equal(await d.stop(), 0);

  // lctl network down with the module gone.
  const down = await runLctl(d.socket, ['network', 'down']);
  step(t, 'lctl network down (no lnetd)', down, 'LNET unconfigure error 22: Invalid argument\n', 22);
  t.match(down.stderr, /cannot reach lnetd at/, 'stderr says why (the kernel: "Writer error: failed to resolve Netlink family id")');

  // modprobe lnet networks="tcp0(eth0)"; lctl network up.
  d = await startLnetd(t, { netns: ns, args: ['networks=tcp0(eth0)'] });
  step(t, 'lctl network up', await d.lctl(['network', 'up']), 'LNET configured: New Created\n');
  step(t, 'lctl list_nids', await d.lctl(['list_nids']), '192.0.2.12@tcp\n');
  step(t, 'lctl network down', await d.lctl(['network', 'down']), 'LNET ready to unload\n');
  t.equal(await d.stop(), 0);

  // modprobe lnet ip2nets="tcp0(eth0) 192.0.2.[10-20]"
  d = await startLnetd(t, { netns: ns, args: ['ip2nets=tcp0(eth0) 192.0.2.[10-20]'] });
  step(t, 'lctl network up (ip2nets)', await d.lctl(['network', 'up']), 'LNET configured: New Created\n');
  step(t, 'lctl list_nids (ip2nets)', await d.lctl(['list_nids']), '192.0.2.12@tcp\n');
  step(t, 'lctl network down (ip2nets)', await d.lctl(['network', 'down']), 'LNET ready to unload\n');
  t.equal(await d.stop(), 0);

  // modprobe lnet networks="tcp0(eth0)" routes="o2ib0 192.0.2.[11-13]@tcp0": the local .12 is no gateway.
  d = await startLnetd(t, { netns: ns, args: ['networks=tcp0(eth0)', 'routes=o2ib0 192.0.2.[11-13]@tcp0'] });
  step(t, 'lctl network up (routes)', await d.lctl(['network', 'up']), 'LNET configured: New Created\n');
  const routes = await d.ctl(['route', 'show', '-v']);
  t.equal(routes.status, 0);
  const item = (gw: string): string =>
    `-     net: o2ib\n      gateway: ${gw}\n      hop: -1\n      priority: 0\n      state: up\n      type: multi-hop\n`;
  // Where a route goes among its net's routes is random in the kernel (lnet_add_route_to_rnet);
  // the recording listed .13 first. Both items, exactly, in either order:
  t.ok(
    routes.stdout === `route:\n${item('192.0.2.13@tcp')}${item('192.0.2.11@tcp')}` || routes.stdout === `route:\n${item('192.0.2.11@tcp')}${item('192.0.2.13@tcp')}`,
    `route show -v:\n${routes.stdout}`,
  );
  step(t, 'lctl network down (routes)', await d.lctl(['network', 'down']), 'LNET ready to unload\n');
  t.equal(await d.stop(), 0);
});
