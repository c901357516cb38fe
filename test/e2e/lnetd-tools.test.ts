/**
 * Two lnetds on loopback (127.0.0.5@tcp and 127.0.0.6@tcp), driven by lnetctl and lctl as a user
 * would: ping and discover with the kernel's documents, lctl ping's `12345-0@lo` then bare
 * NIDs, which_nid, conn_list and peer_list formats, route_list; lnetd's --yaml and --up.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveLnetdDist, startLnetd } from '../helpers/lnetd.js';

const skip = haveLnetdDist() ? false : 'dist/ is not built (npx tsc -p tsconfig.build.json)';
const PORT = 21000 + Math.floor(Math.random() * 9000);
const conf = `options lnet accept_port=${PORT}`;

t.test('ping, discover and the lctl views between two lnetds', { skip, timeout: 120_000 }, async (t) => {
  const a = await startLnetd(t, { config: conf });
  const b = await startLnetd(t, { config: conf });
  for (const [d, nid] of [
    [a, '127.0.0.5@tcp'],
    [b, '127.0.0.6@tcp'],
  ] as const) {
    t.equal((await d.ctl(['lnet', 'configure'])).status, 0);
    t.equal((await d.ctl(['net', 'add', '--nid', nid])).status, 0);
  }
  // A first ping: Multi-Rail from A's peer table, false until discovery (02-ping-discover-A-ping.yaml).
  const p1 = await a.ctl(['ping', '127.0.0.6@tcp']);
  t.same(p1, { stdout: 'ping:\n- primary nid: 127.0.0.6@tcp\n  Multi-Rail: false\n  peer_ni:\n  - nid: 127.0.0.6@tcp\n', stderr: '', status: 0 });
  const disc = await a.ctl(['discover', '127.0.0.6@tcp']);
  t.same(disc, { stdout: 'discover:\n- primary nid: 127.0.0.6@tcp\n  Multi-Rail: true\n  peer_ni:\n  - nid: 127.0.0.6@tcp\n', stderr: '', status: 0 });
  const p2 = await a.ctl(['ping', '127.0.0.6@tcp', '--source', '127.0.0.5@tcp', '--timeout', '5']);
  t.match(p2.stdout, /^ping:\n- primary nid: 127\.0\.0\.6@tcp\n  Multi-Rail: true\n/);
  // A source that is not ours fails that target.
  const bad = await a.ctl(['ping', '127.0.0.6@tcp', '--source', '127.0.0.9@tcp']);
  t.equal(bad.status, 255);
  t.match(bad.stdout, /^manage:\n- ping:\n  errno: -22\n  descr: ! 'failed to ping 127\.0\.0\.6@tcp: Invalid argument'\n$/);
  // Two targets, one dead: the answer and the failure, exit 255.
  const two = await a.ctl(['ping', '127.0.0.6@tcp,127.0.0.77@tcp']);
  t.equal(two.status, 255);
  t.match(two.stdout, /^ping:\n- primary nid: 127\.0\.0\.6@tcp\n[\s\S]*manage:\n- ping:\n  errno: -\d+\n  descr: ! 'failed to ping 127\.0\.0\.77@tcp: [^']+'\n$/);

  t.same(await b.lctl(['ping', '127.0.0.5@tcp']), { stdout: '12345-0@lo\n127.0.0.5@tcp\n', stderr: '', status: 0 });
  t.same(await b.lctl(['ping', '12345-127.0.0.5@tcp', '5']), { stdout: '12345-0@lo\n127.0.0.5@tcp\n', stderr: '', status: 0 });
  t.same(await b.lctl(['ping', '127.0.0.5@tcp', '500']), { stdout: '', stderr: 'Timeout 500 is to large\n', status: 22 });
  t.same(await a.lctl(['which_nid', '127.0.0.9@o2ib', '127.0.0.6@tcp', '127.0.0.5@tcp']), { stdout: '127.0.0.5@tcp\n', stderr: '', status: 0 });
  t.same(await a.lctl(['which_nid', '1.2.3.4@o2ib']), { stdout: '', stderr: 'No reachable NID\n', status: 1 });
  t.same(await a.lctl(['list_nids', 'all']), { stdout: '0@lo\n127.0.0.5@tcp\n', stderr: '', status: 0 });

  // conn_list: A opened CONTROL, BULK_IN, BULK_OUT to B's port (01-start-teardown-A-conn_list.txt format).
  const conns = (await a.lctl(['--net', 'tcp', 'conn_list'])).stdout.trim().split('\n');
  t.equal(conns.length, 3, conns.join('\n'));
  for (const line of conns) t.match(line, new RegExp(`^12345-127\\.0\\.0\\.6@tcp {2}[OIC]\\[0\\]\\S+->\\S+:${PORT} \\d+/\\d+ nonagle$`));
  t.same(conns.map((l) => /\s([OIC])\[/.exec(l)![1]).sort(), ['C', 'I', 'O']);
  const peers = await a.lctl(['--net', 'tcp', 'peer_list']);
  t.match(peers.stdout, new RegExp(`^12345-127\\.0\\.0\\.6@tcp {2}\\[1\\]\\S+->\\S+:${PORT} #3\\n$`));
  t.match((await b.lctl(['--net', 'tcp', 'peer_list'])).stdout, /^12345-127\.0\.0\.5@tcp {2}\[0\]0\.0\.0\.0->0\.0\.0\.0:0 #0\n$/, 'the passive side has no route');
  t.same(await a.lctl(['conn_list']), { stdout: '', stderr: "You must run 'conn_list <network>' command before '--net'\n", status: 1 });

  // net set --health puts the NI on the local recovery queue (lnet_ni_set_healthv).
  t.equal((await a.ctl(['net', 'set', '--nid', '127.0.0.5@tcp', '--health', '500'])).status, 0);
  t.same(await a.ctl(['debug', 'recovery', '--local']), { stdout: 'Local NI recovery:\n      nid-0: 127.0.0.5@tcp\n', stderr: '', status: 0 });
  t.match((await a.ctl(['net', 'show', '-v', '2'])).stdout, /health value: 500\n/);
  t.same(await a.ctl(['debug', 'recovery', '--peer']), { stdout: '', stderr: '', status: 0 });
  t.equal((await a.ctl(['net', 'set', '--nid', '127.0.0.5@tcp', '--health', '1000'])).status, 0);

  await a.ctl(['route', 'add', '--net', 'tcp7', '--gateway', '127.0.0.6@tcp', '--hop', '2', '--priority', '3']);
  t.same(await a.lctl(['route_list']), {
    stdout: `net ${'tcp7'.padStart(18)} hops 2 gw ${'127.0.0.6@tcp'.padStart(32)} up pri 3\n`,
    stderr: '',
    status: 0,
  });
});

t.test('lnetctl ping of the own NID goes through socklnd to a peer for ourselves; so do local NI recovery pings', { skip, timeout: 60_000 }, async (t) => {
  const d = await startLnetd(t, { config: conf });
  t.equal((await d.ctl(['lnet', 'configure'])).status, 0);
  t.equal((await d.ctl(['net', 'add', '--nid', '127.0.0.71@tcp'])).status, 0);
  const p = await d.ctl(['ping', '127.0.0.71@tcp']);
  t.same(p, { stdout: 'ping:\n- primary nid: 127.0.0.71@tcp\n  Multi-Rail: false\n  peer_ni:\n  - nid: 127.0.0.71@tcp\n', stderr: '', status: 0 });
  // 05-cli-behaviours.txt: B's peer for itself after one ping of its own NID.
  const v = await d.ctl(['peer', 'show', '-v']);
  t.equal(
    v.stdout,
    'peer:\n-     primary nid: 127.0.0.71@tcp\n      Multi-Rail: false\n      peer ni:\n      -     nid: 127.0.0.71@tcp\n            state: NA\n' +
      '            max_ni_tx_credits: 8\n            available_tx_credits: 8\n            min_tx_credits: 7\n            tx_q_num_of_buf: 0\n' +
      '            available_rtr_credits: 8\n            min_rtr_credits: 8\n            refcount: 1\n            statistics:\n' +
      '                  send_count: 2\n                  recv_count: 2\n                  drop_count: 0\n',
  );
  t.match((await d.ctl(['net', 'show', '-v'])).stdout, /nid: 0@lo\n            status: up\n            statistics:\n                  send_count: 0\n/, 'nothing through 0@lo');
  // Both ends of each connection to ourselves, newest first (03-selftest-A-conn_list.txt).
  const conns = (await d.lctl(['--net', 'tcp', 'conn_list'])).stdout.trim().split('\n');
  t.same(conns.map((l) => /^12345-127\.0\.0\.71@tcp +([OIC])\[0\]\S+->\S+:\d+ \d+\/\d+ nonagle$/.exec(l)?.[1]), ['I', 'O', 'C', 'C'], conns.join('\n'));
  t.match(conns[0], new RegExp(`:${PORT} `), 'the active BULK_IN to the accept port');
  t.match(conns[2], new RegExp(`:${PORT} `), 'the active CONTROL to the accept port');
  t.match((await d.lctl(['--net', 'tcp', 'peer_list'])).stdout, new RegExp(`^12345-127\\.0\\.0\\.71@tcp +\\[1\\]\\S+->\\S+:${PORT} #4\\n$`), 'the route counts all four');

  // A local NI in recovery pings its own NID through itself: connections to ourselves appear.
  const e = await startLnetd(t, { config: conf });
  t.equal((await e.ctl(['lnet', 'configure'])).status, 0);
  t.equal((await e.ctl(['net', 'add', '--nid', '127.0.0.72@tcp'])).status, 0);
  t.equal((await e.lctl(['--net', 'tcp', 'conn_list'])).stdout, '<no connections>\n');
  t.equal((await e.ctl(['net', 'set', '--nid', '127.0.0.72@tcp', '--health', '500'])).status, 0);
  let list = '';
  for (let i = 0; i < 100 && !/ C\[0\]/.test(list); i++) {
    await new Promise((r) => setTimeout(r, 100));
    list = (await e.lctl(['--net', 'tcp', 'conn_list'])).stdout;
  }
  t.match(list, /^12345-127\.0\.0\.72@tcp +[OIC]\[0\]/, 'the recovery ping connected to ourselves');
  const peer = await e.ctl(['peer', 'show', '-v']);
  t.match(peer.stdout, /primary nid: 127\.0\.0\.72@tcp\n[\s\S]*send_count: [1-9]/, 'and went to the peer for ourselves');
});

t.test('lnetd --yaml imports at start; --up configures the module-parameter networks', { skip, timeout: 60_000 }, async (t) => {
  const y = await startLnetd(t, { config: conf });
  const doc = join(y.dir, 'start.yaml');
  writeFileSync(doc, 'global:\n    retry_count: 1\npeer:\n    - primary nid: 10.9.9.9@tcp\n      Multi-Rail: True\n');
  await y.stop();
  const d = await startLnetd(t, { config: conf, args: ['--yaml', doc] });
  let status = '';
  for (let i = 0; i < 50 && !status.includes('retry_count: 1'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await d.ctl(['global', 'show'])).stdout;
  }
  t.match(status, /retry_count: 1\n/);
  t.match((await d.ctl(['peer', 'show'])).stdout, /primary nid: 10\.9\.9\.9@tcp/);
  t.match((await d.ctl(['net', 'show'])).stdout, /nid: 0@lo/, 'configured as by lnet configure');

  const u = await startLnetd(t, { config: `${conf} networks="tcp(lo)"`, args: ['--up'] });
  let nids = '';
  for (let i = 0; i < 50 && nids === ''; i++) {
    await new Promise((r) => setTimeout(r, 100));
    nids = (await u.lctl(['list_nids'])).stdout;
  }
  t.equal(nids, '127.0.0.1@tcp\n');
});
