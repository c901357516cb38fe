/**
 * sanity-lnet.sh (Lustre 2.17.0) test 230 against lnetd: conns_per_peer set by `net add` and
 * `net set --all`, checked with a ping of the node itself and the socklnd connections that
 * `lctl` lists. In its own file: twelve reconfigurations take a while on a shared machine, and
 * tap bounds each file. See README.md.
 *
 * Runs in a network namespace holding INTERFACES[0] = `eth0` (one end of a veth pair, with
 * 10.77.0.10/24); the daemon and the CLIs run inside it.
 */
import t, { type Test } from 'tap';
import { distMissing } from '../../helpers/lnetd-harness.js';
import { IF0, netnsUnavailable, nsTest, showResult, type SanityNode } from './sanity.js';

const skip = distMissing() || netnsUnavailable();
/**
 * wait_update's bound (sanity: 10 s). It only bounds the wait for the listing to settle (the
 * connections exist once the ping has returned); nothing asserts speed.
 */
const WAIT_MS = 15_000;

const lines = (s: string): string[] => s.split('\n');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const addNet = (t: Test, n: SanityNode, net: string, ifname: string) => n.ok(t, ['net', 'add', '--net', net, '--if', ifname], `add_net ${net} ${ifname}`);

/** `printf 'network tcp\nconn_list\n' | lctl | grep -c LNID`: lctl reading commands from stdin. */
async function connList(n: SanityNode, lnid: string): Promise<{ count: number; out: string; ok: boolean }> {
  const r = await n.lctl([], { stdin: 'network tcp\nconn_list\n' });
  return { count: lines(r.stdout).filter((l) => l.includes(lnid)).length, out: showResult(r), ok: r.code === 0 && r.stdout !== '' && r.stderr === '' };
}

nsTest(
  t,
  skip,
  '230',
  'Test setting conns-per-peer',
  async (t, { n }) => {
    // LU-12815
    t.comment('Check valid values; Should succeed');
    for (let i = 4; i < 16; i++) {
      await n.reinitDlc(t);
      if (i % 2 === 0) {
        await addNet(t, n, 'tcp', IF0);
        await n.ok(t, ['net', 'set', '--all', '--conns-per-peer', String(i)], 'should have succeeded');
      } else {
        await n.ok(t, ['net', 'add', '--net', 'tcp', '--if', IF0, '--conns-per-peer', String(i)], 'should have succeeded');
      }
      const v = await n.lnetctl(['net', 'show', '-v', '1']);
      t.match(v.stdout, `conns_per_peer: ${i}`, `set conns-per-peer to ${i}`, { diag: showResult(v) });
      const lnid = lines((await n.lctl(['list_nids'])).stdout)[0] ?? '';
      await n.ok(t, ['ping', lnid], 'ping myself');
      // "Since we're pinging ourselves, there should be 2 Control connections plus
      // 2*conns_per_peer connections created (one Bulk Input, one Bulk Output in each pair)."
      const want = 2 + i * 2;
      const deadline = Date.now() + WAIT_MS;
      // No connection at all a while after the ping is not a listing still settling.
      const noneBound = Date.now() + 2_000;
      let got = await connList(n, lnid);
      while (got.count !== want && Date.now() < deadline && !(got.count === 0 && Date.now() > noneBound)) {
        await sleep(500);
        got = await connList(n, lnid);
      }
      t.ok(got.ok, 'lctl reads `network tcp` and `conn_list` from stdin', { diag: got.out });
      t.equal(got.count, want, `expected number of tcp connections ${want}`, { diag: got.out });
    }

    await n.reinitDlc(t);
    await addNet(t, n, 'tcp', IF0);
    t.comment('Set > 127; Should fail');
    await n.fails(t, ['net', 'set', '--all', '--conns-per-peer', '128'], 'should have failed');

    await n.reinitDlc(t);
    await addNet(t, n, 'tcp', IF0);
    const dflt = lines((await n.lnetctl(['net', 'show', '-v', '1'])).stdout)
      .filter((l) => l.includes('conns_per_peer'))
      .map((l) => l.trim().split(/\s+/).at(-1))[0];
    t.comment('Set < 0; Should be ignored');
    await n.ok(t, ['net', 'set', '--all', '--conns-per-peer', '-1'], 'should have succeeded');
    const v = await n.lnetctl(['net', 'show', '-v', '1']);
    t.match(v.stdout, `conns_per_peer: ${dflt}`, 'Did not stay at default', { diag: showResult(v) });
  },
  { timeout: 290_000 },
);
