/**
 * The recorded lnetctl/lctl behaviours of node B (../shared/interop/kernel-2.17.0/
 * 05-cli-behaviours.txt) replayed through lnetd, in the recorded order: B's eth0 (192.0.2.12/24)
 * is one end of a veth pair in a network namespace, and 192.0.2.1 is a local address with
 * nothing on port 988 (it refuses, as the recorded 192.0.2.1 did). B's ping of its own NID
 * before the transcript is replayed first. Outputs are compared byte for byte where they do not
 * depend on what the kernel's run did besides (its router checker, counters of the daemon's
 * life); where ulnet differs on purpose or lacks a feature the step says so.
 */
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { haveLnetdDist, recordedNetns, startLnetd, type RunResult } from '../helpers/lnetd.js';
import { haveInterop, interopFile } from '../helpers/interop.js';

const built = haveLnetdDist();
const net = built ? recordedNetns('B', '192.0.2.12/24', [{ dev: 'eth1', cidr: '192.0.2.1/32' }]) : { skip: 'dist/ is not built (npx tsc -p tsconfig.build.json)' };
const skip = net.skip;

function step(t: Test, what: string, r: RunResult, o: { stdout?: string; stderr?: string; status?: number }): void {
  if (o.stdout !== undefined) t.equal(r.stdout, o.stdout, `${what}: stdout`);
  if (o.stderr !== undefined) t.equal(r.stderr, o.stderr, `${what}: stderr`);
  t.equal(r.status, o.status ?? 0, `${what}: exit status`);
}

/** The recorded stdout, stderr and exit code of a command of 05-cli-behaviours.txt. */
function recorded(command: string): { stdout: string } {
  const text = readFileSync(interopFile('05-cli-behaviours.txt'), 'utf8');
  const at = text.indexOf(`### [B]# ${command}\n--- stdout:\n`);
  if (at < 0) throw new Error(`no recording of ${command}`);
  const from = text.indexOf('--- stdout:\n', at) + '--- stdout:\n'.length;
  return { stdout: text.slice(from, text.indexOf('--- stderr:\n', from)) };
}

const nlError = (op: string, cmd: string, errno: number, descr: string): string =>
  `---\n${op}:\n-     ${cmd}:\n      errno: ${errno}\n      descr: ! "${descr}"\n...\n`;

const NET_SHOW = `net:
-     net type: lo
      local NI(s):
      -     nid: 0@lo
            status: up
-     net type: tcp
      local NI(s):
      -     nid: 192.0.2.12@tcp
            status: up
            interfaces:
                  0: eth0
`;

const PEER_10_10_10_2 = `peer:
-     primary nid: 10.10.10.2@tcp
      Multi-Rail: true
      peer ni:
      -     nid: 10.10.10.2@tcp
            state: NA
      -     nid: 10.10.3.3@tcp1
            state: NA
`;

const ROUTING_SHOW = `routing:
    - cpt[0]:
          tiny:
              npages: 0
              nbuffers: 2048
              credits: 2048
              mincredits: 2048
          small:
              npages: 1
              nbuffers: 16384
              credits: 16384
              mincredits: 16384
          large:
              npages: 256
              nbuffers: 1024
              credits: 1024
              mincredits: 1024
    - enable: 3
buffers:
    tiny: 2048
    small: 16384
    large: 1024
`;

const GLOBAL_SHOW = `global:
    numa_range: 0
    max_interfaces: 200
    discovery: 0
    drop_asym_route: 0
    retry_count: 3
    transaction_timeout: 60
    health_sensitivity: 100
    recovery_interval: 1
    router_sensitivity: 100
    lnd_timeout: 14
    response_tracking: 3
    recovery_limit: 0
    max_recovery_ping_interval: 900
`;

t.test('05-cli-behaviours.txt', { skip, timeout: 120_000 }, async (t) => {
  const d = await startLnetd(t, { netns: (net as { ns: string }).ns, config: 'options lnet cpu_npartitions=1 cpu_pattern=""' });
  // B as the recordings set it up: lnetctl lnet configure; lnetctl net add --net tcp --if eth0.
  step(t, 'lnet configure', await d.ctl(['lnet', 'configure']), { stdout: '', stderr: '' });
  step(t, 'net add --net tcp --if eth0', await d.ctl(['net', 'add', '--net', 'tcp', '--if', 'eth0']), { stdout: '', stderr: '' });
  // Before the transcript B had pinged itself: through its tcp NI and socklnd (connections to
  // its own address), to a peer for itself, which the peer listings below show.
  step(t, 'lnetctl ping 192.0.2.12@tcp (its own NID)', await d.ctl(['ping', '192.0.2.12@tcp']), {
    stdout: 'ping:\n- primary nid: 192.0.2.12@tcp\n  Multi-Rail: false\n  peer_ni:\n  - nid: 192.0.2.12@tcp\n',
    stderr: '',
  });

  step(t, 'lnetctl ping 192.0.2.1@tcp --timeout 2', await d.ctl(['ping', '192.0.2.1@tcp', '--timeout', '2']), {
    stdout: "manage:\n- ping:\n  errno: -111\n  descr: ! 'failed to ping 192.0.2.1@tcp: Connection refused'\n",
    stderr: '',
    status: 255,
  });
  // The kernel printed "Input/output error" and exited 5 here: its 1 s default timeout ran out
  // while its socklnd was still retrying. ulnet's socklnd, backing off after the refusal, fails
  // the send at once (No route to host); the format and the -rc exit are the kernel's.
  const lping = await d.lctl(['ping', '192.0.2.1@tcp']);
  t.match(lping.stdout, /^failed to ping 192\.0\.2\.1@tcp: (Connection refused|Input\/output error|No route to host)\n$/);
  t.ok([111, 5, 113].includes(lping.status), 'lctl exits with -rc');

  step(t, 'net add of an existing net', await d.ctl(['net', 'add', '--net', 'tcp', '--if', 'eth0']), {
    stdout: '',
    stderr: nlError('add', 'net', -17, 'cannot add LNet NI'),
    status: 234,
  });
  step(t, 'net add on a missing interface', await d.ctl(['net', 'add', '--net', 'tcp9', '--if', 'nosuchif']), {
    stdout: '',
    stderr: nlError('add', 'net', -100, 'cannot add LNet NI'),
    status: 234,
  });
  step(t, 'net show', await d.ctl(['net', 'show']), { stdout: NET_SHOW, stderr: '' });
  for (const v of ['1', '2']) {
    const r = await d.ctl(['net', 'show', '-v', v]);
    t.equal(r.status, 0);
    t.match(r.stdout, /^net:\n-     net type: lo\n      local NI\(s\):\n      -     nid: 0@lo\n            status: up\n            statistics:\n/);
    t.match(r.stdout, /            lnd tunables:\n                  conns_per_peer: 1\n                  timeout: 50\n                  tos: -1\n            dev cpt: -1\n            CPT: "\[0\]"\n$/);
    t.equal(r.stdout.includes('health stats:'), v === '2', `-v ${v}: health stats only from level 2`);
  }

  step(t, 'peer add MR peer', await d.ctl(['peer', 'add', '--prim_nid', '10.10.10.2@tcp', '--nid', '10.10.3.3@tcp1,10.4.4.5@tcp2']), { stdout: '', stderr: '' });
  step(t, 'peer add of a NID range as primary', await d.ctl(['peer', 'add', '--prim_nid', '192.168.0.[1-3]@tcp']), { stdout: '', stderr: '', status: 255 });
  const peers = await d.ctl(['peer', 'show']);
  t.equal(peers.status, 0);
  if (haveInterop) {
    t.equal(peers.stdout, recorded('lnetctl peer show').stdout, 'peer show: the self peer, the refused one, the configured one');
    t.equal((await d.ctl(['peer', 'show', '-v'])).stdout, recorded('lnetctl peer show -v').stdout, 'peer show -v: the self peer sent 2, received 2');
  }
  t.match(peers.stdout, /-     primary nid: 10\.10\.10\.2@tcp\n      Multi-Rail: true\n      peer ni:\n      -     nid: 10\.10\.10\.2@tcp\n            state: NA\n      -     nid: 10\.10\.3\.3@tcp1\n            state: NA\n      -     nid: 10\.4\.4\.5@tcp2\n            state: NA\n$/);
  t.match(peers.stdout, /-     primary nid: 192\.0\.2\.1@tcp\n      Multi-Rail: false\n/, 'the peer the failed ping created');
  const v2 = await d.ctl(['peer', 'show', '--nid', '10.10.10.2@tcp', '-v', '2']);
  t.match(v2.stdout, /      -     nid: 10\.10\.3\.3@tcp1\n            state: NA\n            max_ni_tx_credits: 0\n            available_tx_credits: 0\n            min_tx_credits: 0\n            tx_q_num_of_buf: 0\n            available_rtr_credits: 0\n            min_rtr_credits: 0\n            refcount: \d+\n/);
  step(t, 'peer del of one NID', await d.ctl(['peer', 'del', '--prim_nid', '10.10.10.2@tcp', '--nid', '10.4.4.5@tcp2']), { stdout: '', stderr: '' });
  step(t, 'peer show --nid', await d.ctl(['peer', 'show', '--nid', '10.10.10.2@tcp']), { stdout: PEER_10_10_10_2, stderr: '' });
  step(t, 'peer add of the existing primary', await d.ctl(['peer', 'add', '--prim_nid', '10.10.10.2@tcp']), { stdout: '', stderr: '' });
  step(t, 'peer add on an unknown net', await d.ctl(['peer', 'add', '--prim_nid', '1.2.3.4@nosuchnet']), { stdout: '', stderr: '', status: 234 });
  step(t, 'peer del of an unknown peer', await d.ctl(['peer', 'del', '--prim_nid', '10.10.10.99@tcp']), { stdout: '', stderr: '', status: 234 });

  step(t, 'route add tcp2', await d.ctl(['route', 'add', '--net', 'tcp2', '--gateway', '192.0.2.11@tcp', '--hop', '2', '--prio', '1']), { stdout: '', stderr: '' });
  step(t, 'route add o2ib0', await d.ctl(['route', 'add', '--net', 'o2ib0', '--gateway', '192.0.2.11@tcp']), { stdout: '', stderr: '' });
  step(t, 'route show', await d.ctl(['route', 'show']), {
    stdout: 'route:\n-     net: tcp2\n      gateway: 192.0.2.11@tcp\n-     net: o2ib\n      gateway: 192.0.2.11@tcp\n',
  });
  // The kernel showed `state: down`: its router checker had pinged the gateway and failed.
  // ulnet has no router checker yet, so routes stay up (check_routers_before_use=0).
  const rv = await d.ctl(['route', 'show', '-v']);
  t.equal(
    rv.stdout.replace(/state: (up|down)/g, 'state: down'),
    'route:\n-     net: tcp2\n      gateway: 192.0.2.11@tcp\n      hop: 2\n      priority: 1\n      state: down\n      type: multi-hop\n-     net: o2ib\n      gateway: 192.0.2.11@tcp\n      hop: -1\n      priority: 0\n      state: down\n      type: multi-hop\n',
  );
  step(t, 'route del', await d.ctl(['route', 'del', '--net', 'tcp2', '--gateway', '192.0.2.11@tcp']), { stdout: '', stderr: '' });

  step(t, 'routing show, never enabled', await d.ctl(['routing', 'show']), { stdout: '', stderr: '' });
  step(t, 'set routing 1', await d.ctl(['set', 'routing', '1']), { stdout: '', stderr: '' });
  step(t, 'routing show, starting', await d.ctl(['routing', 'show']), { stdout: ROUTING_SHOW, stderr: '' });
  step(t, 'set routing 0', await d.ctl(['set', 'routing', '0']), { stdout: '', stderr: '' });
  for (const [k, v] of [
    ['health_sensitivity', '100'],
    ['transaction_timeout', '60'],
    ['retry_count', '3'],
    ['discovery', '0'],
  ])
    step(t, `set ${k} ${v}`, await d.ctl(['set', k!, v!]), { stdout: '', stderr: '' });
  step(t, 'set max_intf 100', await d.ctl(['set', 'max_intf', '100']), {
    stdout: '',
    stderr: "lnetctl: 'max_intf' is not a valid command. See 'lnetctl --list-commands'.\n",
    status: 255,
  });
  step(t, 'set recovery_interval 2 (deprecated: no effect)', await d.ctl(['set', 'recovery_interval', '2']), { stdout: '', stderr: '' });
  step(t, 'global show', await d.ctl(['global', 'show']), { stdout: GLOBAL_SHOW, stderr: '' });
  step(t, 'set health_sensitivity 2000', await d.ctl(['set', 'health_sensitivity', '2000']), {
    stdout: '',
    stderr: 'add:\n    - health_sensitivity:\n          errno: -61\n          descr: "cannot configure health sensitivity: Invalid argument"\n',
    status: 195,
  });
  const stats = await d.ctl(['stats', 'show']);
  t.equal(stats.status, 0);
  t.match(stats.stdout, /^statistics:\n    msgs_alloc: \d+\n    msgs_max: \d+\n[\s\S]*    drop_length: \d+\n$/);

  // export: B's NIs (0@lo unused: the self ping went through the tcp NI) and the self peer as
  // recorded; the other peers' health had moved on with routing in the kernel's run.
  const exp = await d.ctl(['export']);
  t.equal(exp.status, 0);
  if (haveInterop) {
    const rec = recorded('lnetctl export').stdout;
    t.equal(exp.stdout.slice(0, exp.stdout.indexOf('route:\n')), rec.slice(0, rec.indexOf('route:\n')), 'export: the net section');
    const selfPeer = (doc: string): string => {
      const from = doc.indexOf('-     primary nid: 192.0.2.12@tcp\n');
      return doc.slice(from, doc.indexOf('-     primary nid:', from + 1));
    };
    t.equal(selfPeer(exp.stdout), selfPeer(rec), 'export: the self peer');
  }
  // export --backup: the recorded document, the peer B made for itself (192.0.2.12@tcp) included.
  const backup = await d.ctl(['export', '--backup']);
  t.equal(backup.status, 0);
  if (haveInterop) t.equal(backup.stdout, recorded('lnetctl export --backup').stdout, 'export --backup');
  t.match(backup.stdout, /^net:\n-     net type: tcp\n      local NI\(s\):\n      -     interfaces:\n                  0: eth0\n            tunables:\n                  peer_timeout: 180\n                  peer_credits: 8\n                  peer_buffer_credits: 0\n                  credits: 256\n            lnd tunables:\n                  conns_per_peer: 1\n                  tos: -1\n            CPT: "\[0\]"\nroute:\n-     net: o2ib\n      gateway: 192\.0\.2\.11@tcp\n      hop: -1\n      priority: 0\npeer:\n/);
  t.match(backup.stdout, /-     primary nid: 10\.10\.10\.2@tcp\n      Multi-Rail: true\n      peer ni:\n      -     nid: 10\.10\.10\.2@tcp\n      -     nid: 10\.10\.3\.3@tcp1\n/);
  t.match(backup.stdout, /-     primary nid: 192\.0\.2\.11@tcp\n      Multi-Rail: false\n      peer ni:\n      -     nid: 192\.0\.2\.11@tcp\n/, 'the gateway is a peer');
  t.match(backup.stdout, new RegExp(`routing:\n    enable: 2\nbuffers:\n    tiny: 2048\n    small: 16384\n    large: 1024\n${GLOBAL_SHOW}$`));

  step(t, 'udsp add --src tcp --priority 0', await d.ctl(['udsp', 'add', '--src', 'tcp', '--priority', '0']), { stdout: '', stderr: '' });
  step(t, 'udsp show', await d.ctl(['udsp', 'show']), { stdout: 'udsp:\n    - idx: 0\n      src: tcp\n      action:\n          priority: 0\n', stderr: '' });
  step(t, 'udsp del --idx 0', await d.ctl(['udsp', 'del', '--idx', '0']), { stdout: '', stderr: '' });
  // fault injection is not in ulnet: the recorded `fault drop add` succeeded on the kernel.
  step(t, 'fault show', await d.ctl(['fault', 'show']), {
    stdout: '',
    stderr: "lnetctl: 'show' is not a valid command. See 'lnetctl --list-commands'.\n",
    status: 255,
  });
  step(t, 'bogus', await d.ctl(['bogus']), { stdout: '', stderr: "lnetctl: 'bogus' is not a valid command. See 'lnetctl --list-commands'.\n", status: 255 });
  const usage = await d.ctl(['net']);
  t.equal(usage.status, 234);
  t.equal(usage.stderr, '');
  // The recorded usage text, taken from the transcript itself.
  if (haveInterop) {
    const rec = readFileSync(interopFile('05-cli-behaviours.txt'), 'utf8');
    const recorded = /### \[B\]# lnetctl net\n--- stdout:\n([\s\S]*?)--- stderr:/.exec(rec)![1];
    t.equal(usage.stdout, recorded, 'the usage text of the recording');
  }

  step(t, 'lctl network down', await d.lctl(['network', 'down']), { stdout: 'LNET ready to unload\n', stderr: '' });
  step(t, 'lctl list_nids, LNet down', await d.lctl(['list_nids']), {
    stdout: '',
    stderr: "Reader error: 'Unspecific failure' at 0\nIOC_LIBCFS_GET_NI error 100: Network is down\n",
    status: 1,
  });
  // The plain `lnet configure` above set the sticky flag: network up skips the module parameters.
  step(t, 'lctl network up', await d.lctl(['network', 'up']), { stdout: 'LNET configured: New Created\n', stderr: '' });
  step(t, 'lctl list_nids, only 0@lo', await d.lctl(['list_nids']), { stdout: '', stderr: '' });
  step(t, 'lnet unconfigure', await d.ctl(['lnet', 'unconfigure']), { stdout: '', stderr: '' });
  step(t, 'net show, LNet down', await d.ctl(['net', 'show']), { stdout: '', stderr: nlError('show', 'net', -100, 'Unspecific failure'), status: 234 });
  step(t, 'lnet configure', await d.ctl(['lnet', 'configure']), { stdout: '', stderr: '' });
  step(t, 'net show', await d.ctl(['net', 'show']), {
    stdout: 'net:\n-     net type: lo\n      local NI(s):\n      -     nid: 0@lo\n            status: up\n',
    stderr: '',
  });

  // The same through the binaries: streams and statuses as a shell sees them.
  const bin = d.ctlProcess(['net', 'add', '--net', 'tcp9', '--if', 'nosuchif']);
  t.same(bin, { stdout: '', stderr: nlError('add', 'net', -100, 'cannot add LNet NI'), status: 234 });
});
