// ksocknal_lib_setup_sock: the socket options every socklnd connection gets (TCP_NODELAY unless
// nagle, buffer sizes, keepalive idle/interval/count, IP_TOS, no FIN_WAIT2 linger), read back
// with getsockopt and, for established LNet connections, from the kernel's side with `ss`.
import t, { type Test } from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import net, { type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SockLnd } from '../../lnd/socklnd/index.js';
import { addonDisabled, setupSock, sockoptAddon, socketFd, type SockSetup, type SockoptName } from '../../lnd/socklnd/sock-opts.js';
import { Errno } from '../../src/errno.js';
import { LNetError } from '../../src/errors.js';
import { LNet, type LogFn } from '../../src/index.js';
import type { SocklndParams } from '../../src/config/socklnd-params.js';
import { haveDist, sleep, within } from '../helpers/node-process.js';
import { onFreePort } from '../helpers/socklnd-node.js';

const A = '127.0.0.81';
const B = '127.0.0.82';
const BOUND_MS = 20_000;

const KERNEL_DEFAULTS: SockSetup = { nagle: 0, tx_buffer_size: 0, rx_buffer_size: 0, keepalive_idle: 30, keepalive_count: 5, keepalive_intvl: 5, tos: -1 };

/** A connected TCP pair on loopback; closed at teardown. */
async function socketPair(t: Test): Promise<Socket> {
  const server = net.createServer((s) => t.teardown(() => s.destroy()));
  await new Promise<void>((r) => server.listen(0, B, r));
  t.teardown(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  const s = net.connect({ host: B, port, localAddress: A });
  await new Promise((r) => s.once('connect', r));
  t.teardown(() => s.destroy());
  return s;
}

function opt(s: Socket, level: 'SOL_SOCKET' | 'IPPROTO_IP' | 'IPPROTO_TCP', name: SockoptName): number {
  const addon = sockoptAddon!;
  const [rc, v] = addon.getIntOpt(socketFd(s), addon.constants[level], addon.constants[name]);
  return rc < 0 ? rc : v;
}

const NO_ADDON = !sockoptAddon && 'no addon';

t.test('the addon was built at install', { skip: addonDisabled() && 'ULNET_NO_ADDON' }, async (t) => {
  // A machine without a C compiler runs without it; the machines tests run on have one.
  t.ok(sockoptAddon, 'lnd/socklnd/native loaded (npm ci builds it with node-gyp)');
  t.end();
});

/** The TOS byte without its ECN bits (set by the stack when ECN is negotiated). */
const dscp = (tos: number): number => tos & 0xfc;

t.test('setupSock sets what ksocknal_lib_setup_sock sets', { skip: NO_ADDON }, async (t) => {
  const s = await socketPair(t);
  const r = setupSock(s, { nagle: 0, tx_buffer_size: 65536, rx_buffer_size: 131072, keepalive_idle: 7, keepalive_count: 4, keepalive_intvl: 3, tos: 0x28 });
  t.same(r, { rc: 0, unapplied: [] }, 'every option taken');
  t.equal(opt(s, 'IPPROTO_TCP', 'TCP_NODELAY'), 1, 'TCP_NODELAY (nagle=0)');
  t.equal(opt(s, 'SOL_SOCKET', 'SO_SNDBUF'), 65536, 'the send buffer is tx_buffer_size itself, as lnet_sock_setbuf sets sk_sndbuf');
  t.equal(opt(s, 'SOL_SOCKET', 'SO_RCVBUF'), 131072, 'the receive buffer is rx_buffer_size');
  t.equal(opt(s, 'SOL_SOCKET', 'SO_KEEPALIVE'), 1, 'SO_KEEPALIVE on');
  t.equal(opt(s, 'IPPROTO_TCP', 'TCP_KEEPIDLE'), 7, 'TCP_KEEPIDLE = keepalive_idle');
  t.equal(opt(s, 'IPPROTO_TCP', 'TCP_KEEPINTVL'), 3, 'TCP_KEEPINTVL = keepalive_intvl');
  t.equal(opt(s, 'IPPROTO_TCP', 'TCP_KEEPCNT'), 4, 'TCP_KEEPCNT = keepalive_count');
  t.equal(dscp(opt(s, 'IPPROTO_IP', 'IP_TOS')), 0x28, 'IP_TOS = tos');
  t.equal(opt(s, 'IPPROTO_TCP', 'TCP_LINGER2'), -1, 'TCP_LINGER2 -1 (tp->linger2 = -1)');
});

t.test('the kernel defaults: keepalive 30/5/5, buffers and TOS left alone', { skip: NO_ADDON }, async (t) => {
  const s = await socketPair(t);
  const tos0 = opt(s, 'IPPROTO_IP', 'IP_TOS');
  t.same(setupSock(s, KERNEL_DEFAULTS), { rc: 0, unapplied: [] });
  t.equal(opt(s, 'SOL_SOCKET', 'SO_KEEPALIVE'), 1);
  t.same([opt(s, 'IPPROTO_TCP', 'TCP_KEEPIDLE'), opt(s, 'IPPROTO_TCP', 'TCP_KEEPINTVL'), opt(s, 'IPPROTO_TCP', 'TCP_KEEPCNT')], [30, 5, 5]);
  t.equal(opt(s, 'IPPROTO_IP', 'IP_TOS'), tos0, 'tos -1: IP_TOS untouched');
});

t.test('keepalive is off unless idle, count and interval are all positive', { skip: NO_ADDON }, async (t) => {
  for (const off of [{ keepalive_idle: 0 }, { keepalive_count: 0 }, { keepalive_intvl: 0 }]) {
    const s = await socketPair(t);
    t.same(setupSock(s, KERNEL_DEFAULTS), { rc: 0, unapplied: [] });
    t.same(setupSock(s, { ...KERNEL_DEFAULTS, ...off }), { rc: 0, unapplied: [] });
    t.equal(opt(s, 'SOL_SOCKET', 'SO_KEEPALIVE'), 0, `${Object.keys(off)[0]} 0 turns SO_KEEPALIVE off`);
  }
  const s = await socketPair(t);
  t.same(setupSock(s, { ...KERNEL_DEFAULTS, nagle: 1 }), { rc: 0, unapplied: [] });
  t.equal(opt(s, 'IPPROTO_TCP', 'TCP_NODELAY'), 0, 'nagle=1 leaves Nagle on');
});

t.test('with keepalive off, tos is not set either (the kernel returns before it)', { skip: NO_ADDON }, async (t) => {
  const s = await socketPair(t);
  const tos0 = opt(s, 'IPPROTO_IP', 'IP_TOS');
  t.same(setupSock(s, { ...KERNEL_DEFAULTS, keepalive_idle: 0, tos: 0x28 }), { rc: 0, unapplied: [] });
  t.equal(opt(s, 'IPPROTO_IP', 'IP_TOS'), tos0, 'IP_TOS untouched');
  t.same(setupSock(s, { ...KERNEL_DEFAULTS, keepalive_idle: 0, tos: 0x28 }, null).unapplied, [], 'nor listed as unapplied without the addon');
});

t.test('a closed socket fails with EBADF, not as a missing addon', { skip: NO_ADDON }, async (t) => {
  const s = await socketPair(t);
  s.destroy();
  t.same(setupSock(s, KERNEL_DEFAULTS), { rc: -Errno.EBADF, failed: 'socket (already closed)', unapplied: [] });
});

t.test('an option the socket refuses is reported with its errno', { skip: NO_ADDON }, async (t) => {
  const s = await socketPair(t);
  // Linux's MAX_TCP_KEEPIDLE is 32767: tcp_sock_set_keepidle fails with EINVAL, as the kernel LND's would.
  t.same(setupSock(s, { ...KERNEL_DEFAULTS, keepalive_idle: 40000 }), { rc: -Errno.EINVAL, failed: 'TCP_KEEPIDLE', unapplied: [] });
});

t.test('without the addon: nagle and the keepalive idle time through Node, the rest listed', { skip: NO_ADDON }, async (t) => {
  const s = await socketPair(t);
  const r = setupSock(s, { nagle: 0, tx_buffer_size: 65536, rx_buffer_size: 131072, keepalive_idle: 7, keepalive_count: 4, keepalive_intvl: 3, tos: 0x28 }, null);
  t.same(r, { rc: 0, unapplied: ['tx_buffer_size', 'rx_buffer_size', 'keepalive_count', 'keepalive_intvl', 'tos'] });
  t.equal(opt(s, 'IPPROTO_TCP', 'TCP_NODELAY'), 1, 'TCP_NODELAY');
  t.equal(opt(s, 'SOL_SOCKET', 'SO_KEEPALIVE'), 1, 'SO_KEEPALIVE');
  t.equal(opt(s, 'IPPROTO_TCP', 'TCP_KEEPIDLE'), 7, 'TCP_KEEPIDLE');
  t.same(setupSock(s, KERNEL_DEFAULTS, null).unapplied, ['keepalive_count', 'keepalive_intvl'], 'the defaults: only the keepalive interval and count are out of reach');
});

interface NodeOpts {
  params?: Partial<SocklndParams>;
  /** The NI's lnd tunable tos. */
  tos?: number;
  log?: LogFn;
}

/** Two socklnd nodes on A and B, sharing a free port; shut down at teardown. */
function twoNodes(t: Test, a: NodeOpts, b: NodeOpts): Promise<Array<{ lnet: LNet; lnd: SockLnd }>> {
  return onFreePort(async (port) => {
    const start = async (addr: string, o: NodeOpts): Promise<{ lnet: LNet; lnd: SockLnd }> => {
      const lnd = new SockLnd({ acceptPort: port, accept: 'all', params: o.params ?? {} });
      const lnet = await LNet.start({
        nets: [{ net: 'tcp', lnd, nis: [{ nid: `${addr}@tcp`, ...(o.tos !== undefined ? { lndTunables: { tos: o.tos } } : {}) }] }],
        ...(o.log ? { log: o.log } : {}),
      });
      t.teardown(() => lnet.shutdown());
      return { lnet, lnd };
    };
    return [await start(A, a), await start(B, b)];
  });
}

/**
 * `ss`'s view of one TCP connection (both ends named: a passive side shares its local port).
 * ss shows one timer, the retransmit timer while data is in flight: with `keepalive`, asked
 * again (bounded) until the connection is idle and shows its keepalive timer.
 */
async function ssOf(local: string, remote: string, keepalive = false): Promise<string> {
  let out = '';
  for (let i = 0; i < 50; i++) {
    out = execFileSync('ss', ['-tnoemH', '--tos', 'state', 'established', 'src', local, 'dst', remote], { encoding: 'utf8' });
    if (!keepalive || /timer:\(keepalive,/.test(out)) break;
    await sleep(100);
  }
  return out;
}

/** ss's `tos:0x..` without the ECN bits; -1 when absent. */
function ssTos(ss: string): number {
  const m = /\btos:(0x[0-9a-f]+|\d+)/.exec(ss);
  return m ? dscp(Number(m[1])) : -1;
}

t.test('LNet connections carry the options, as the kernel sees them (ss)', { skip: NO_ADDON, timeout: 60_000 }, async (t) => {
  const [a, b] = await twoNodes(
    t,
    { params: { tos: 0x28, tx_buffer_size: 65536, rx_buffer_size: 131072, keepalive_idle: 7 } },
    // B: the NI's lnd tunable tos beats the module parameter, as ksocknal_tunables_setup does.
    { params: { tos: 0x10 }, tos: 0x48 },
  );
  const pinged = await within(a!.lnet.ping(`12345-${B}@tcp`), BOUND_MS);
  t.ok(pinged, 'A pinged B');
  const tcpNi = (n: LNet) => n.core.nis.find((ni) => ni.lnd instanceof SockLnd)!;
  t.equal(tcpNi(a!.lnet).lndTunables.tos, 0x28, "A's NI took the module parameter's tos (what net show prints)");
  t.equal(tcpNi(b!.lnet).lndTunables.tos, 0x48, "B's NI kept its own");
  const aConns = a!.lnd.connections();
  const bConns = b!.lnd.connections();
  t.ok(aConns.length > 0 && bConns.length > 0, `connections at both ends (${aConns.length} / ${bConns.length})`);
  for (const c of aConns) {
    const ss = await ssOf(c.local, c.remote, true);
    t.equal(ssTos(ss), 0x28, `A ${c.local} → ${c.remote}: tos 0x28`);
    t.match(ss, /\brb131072\b/, 'receive buffer 131072');
    t.match(ss, /\btb65536\b/, 'send buffer 65536');
    t.match(ss, /timer:\(keepalive,/, 'a keepalive timer');
  }
  for (const c of bConns) {
    const ss = await ssOf(c.local, c.remote, true);
    t.equal(ssTos(ss), 0x48, `B ${c.local} → ${c.remote}: the NI's tos 0x48`);
    t.match(ss, /timer:\(keepalive,/, 'a keepalive timer (the kernel defaults)');
    t.notMatch(ss, /\btb65536\b/, 'B sets no buffer sizes of its own');
  }
});

t.test('a socket option the kernel refuses fails the connection, with a line naming it', { skip: NO_ADDON, timeout: 60_000 }, async (t) => {
  const logs: string[] = [];
  const [a] = await twoNodes(t, { params: { keepalive_idle: 40000 }, log: (level, msg) => void (level === 'error' && logs.push(msg)) }, {});
  const na = a!.lnet;
  const r = await within(
    na.putAsync({ target: na.parseTarget(`12345-${B}@tcp`), portal: 9, matchBits: 0, data: new Uint8Array(8), ack: false }).then(
      () => 'sent',
      (e: unknown) => (e instanceof LNetError ? e.code : String(e)),
    ),
    BOUND_MS,
  );
  t.not(r, 'sent', `the PUT failed (${r})`);
  t.ok(logs.some((l) => /can't set TCP_KEEPIDLE on the connection with 127\.0\.0\.82: EINVAL/.test(l)), 'logged with the option and errno', { logs });
});

t.test('a build without the addon connects, and says once what it cannot set', { skip: !haveDist() && 'needs dist/', timeout: 60_000 }, async (t) => {
  const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
  const script = `
    const { LNet } = await import(${JSON.stringify(dist + 'src/index.js')});
    const { SockLnd } = await import(${JSON.stringify(dist + 'lnd/socklnd/index.js')});
    const port = 20000 + Math.floor(Math.random() * 12000);
    const warns = [];
    const log = (level, msg) => { if (level === 'warn' && /socket options/.test(msg)) warns.push(msg); };
    const mk = (addr) => LNet.start({ nets: [{ net: 'tcp', lnd: new SockLnd({ acceptPort: port, accept: 'all', params: { tos: 0x28 } }), nis: [{ nid: addr + '@tcp' }] }], log });
    const a = await mk('${A}'), b = await mk('${B}');
    for (let i = 0; i < 3; i++) await a.putAsync({ target: a.parseTarget('12345-${B}@tcp'), portal: 9, matchBits: 0, data: new Uint8Array(8), ack: false });
    console.log(JSON.stringify(warns));
    await a.shutdown(); await b.shutdown();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ULNET_NO_ADDON: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await within(new Promise((r) => child.on('exit', r)), BOUND_MS);
  t.equal(code, 0, 'the PUTs went and the process exited');
  const warns = JSON.parse(out.trim().split('\n').pop() ?? '[]') as string[];
  // One line per LND instance (two here), however many connections each made.
  t.equal(warns.length, 2, 'one warning per socklnd instance');
  t.match(warns[0], /socket options not applied as set \(keepalive_count, keepalive_intvl, tos\).*native addon/, 'naming the options and the remedy');
});
