/**
 * LNet over TCP between separate OS processes (test/fixtures/lnet-node.mjs) on 127.0.0.2–.5:
 * PUT/GET with content checks, a triangle of three nodes, the typed-connection layout on both
 * sides, a peer killed with SIGKILL and restarted, and the acceptor's secure/all policies
 * against unprivileged clients. Each test picks its own random port; every process is closed
 * in teardown, every wait is bounded.
 */
import t, { type Test } from 'tap';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { connReqFor, connReqToBuffer } from '../../src/wire/acceptor.js';
import { decodeHello, helloToBuffer, invertConnType, KsockProtoVersion, SocklndConnType } from '../../src/wire/ksock-hello.js';
import { WireError } from '../../src/wire/wire-error.js';
import { NiStatus } from '../../src/wire/ping-buffer.js';
import { parseNid, formatNid } from '../../src/nid/nid-string.js';
import { LNET_PID_USERFLAG } from '../../src/nid/process-id.js';
import {
  haveDist,
  isRoot,
  retry,
  sha256,
  NodeProcess,
  startNode,
  startNodes,
  type ConnInfo,
} from '../helpers/node-process.js';

const A = '127.0.0.2@tcp';
const B = '127.0.0.3@tcp';
const C = '127.0.0.4@tcp';
const U = '127.0.0.5@tcp';
const PID = 12345;

const skip = !haveDist()
  ? 'dist/ is not built (npx tsc -p tsconfig.build.json)'
  : !isRoot()
    ? 'needs root: nodes connect from privileged ports 1023→512 (accept=secure)'
    : false;

/** Failures that mean "could not reach / lost the peer". */
const NET_ERRORS = ['EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ENOTCONN', 'ESHUTDOWN', 'ENETDOWN', 'EIO', 'ECANCELED'];

const hostOf = (nid: string): string => nid.slice(0, nid.indexOf('@'));
const portOf = (endpoint: string): number => Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
const byType = (cs: ConnInfo[]): ConnInfo[] => [...cs].sort((x, y) => x.type - y.type);

/**
 * The node's connections (to `peer` if given) once there are `n` of them. The first message
 * goes out as soon as CONTROL is up (as ksocknal_launch_packet does) while BULK_IN and BULK_OUT
 * are still being made, so right after a first exchange there may be fewer: poll, bounded.
 */
async function connsOnce(node: NodeProcess, n: number, peer?: string): Promise<ConnInfo[]> {
  let last: ConnInfo[] = [];
  try {
    await retry(100, 100, async () => {
      last = (await node.conns()).filter((c) => peer === undefined || c.peer === peer);
      if (last.length !== n) throw new Error(`${node.nid} has ${last.length} connections${peer ? ` to ${peer}` : ''}, waiting for ${n}`);
    });
  } catch {
    /* the caller's assertions report what there is */
  }
  return last;
}

async function putChecked(
  t: Test,
  from: NodeProcess,
  to: NodeProcess,
  listener: number,
  portal: number,
  matchBits: bigint,
  data: Uint8Array,
  what: string,
): Promise<void> {
  const r = await from.put({ target: to.target, portal, matchBits, data, timeoutMs: 30_000 });
  t.equal(r.mlength, data.length, `${what}: the ACK reports ${data.length} bytes deposited`);
  const m = await to.next(listener, 20_000);
  t.equal(m.length, data.length, `${what}: ${data.length} bytes arrived`);
  t.equal(m.rlength, data.length, `${what}: rlength`);
  t.equal(m.sha256, sha256(data), `${what}: the bytes are the ones sent`);
  t.equal(m.initiator, from.target, `${what}: initiator is ${from.target}`);
  t.equal(BigInt(m.matchBits), matchBits, `${what}: match bits`);
}

t.test('PUT and GET of 0 B, 4 KiB and 1 MiB between two processes', { skip }, async (t) => {
  const [a, b] = await startNodes(t, [{ nid: A }, { nid: B }]);
  t.same(a!.nids, ['0@lo', A], 'node A has 0@lo and its tcp NID');

  const ping = await a!.ping(b!.target, 20_000);
  t.equal(ping.info.pid, PID, 'ping: the peer answers with pid 12345');
  t.same(
    ping.info.nis.map((n) => n.nid),
    ['0@lo', B],
    'ping: the peer lists 0@lo and its NID',
  );
  t.equal(ping.info.nis[1]!.status >>> 0, NiStatus.UP, 'ping: its tcp NI is UP');

  const sizes = [0, 4096, 1 << 20];
  const lb = await b!.listen({ portal: 30, matchBits: 7n });
  const la = await a!.listen({ portal: 30, matchBits: 8n });
  for (const size of sizes) {
    const data = randomBytes(size);
    await putChecked(t, a!, b!, lb, 30, 7n, data, `PUT ${size} B A→B`);
    const back = randomBytes(size);
    await putChecked(t, b!, a!, la, 30, 8n, back, `PUT ${size} B B→A`);
  }

  for (const [i, size] of sizes.entries()) {
    const data = randomBytes(size);
    const mb = 0x100n + BigInt(i);
    await b!.serveGet({ portal: 31, matchBits: mb, data });
    const r = await a!.get({ target: b!.target, portal: 31, matchBits: mb, sink: size, timeoutMs: 30_000 });
    t.equal(r.mlength, size, `GET ${size} B: mlength`);
    t.equal(r.rlength, size, `GET ${size} B: rlength`);
    t.equal(r.sha256, sha256(data), `GET ${size} B: the bytes are the served ones`);
  }
  // A GET into a smaller sink: the target sends only what the sink asked for (the REPLY carries
  // min(sink_length, MD length), as lnet_parse_get), the initiator gets those bytes.
  const served = randomBytes(8192);
  await b!.serveGet({ portal: 32, data: served });
  const small = await a!.get({ target: b!.target, portal: 32, sink: 1000, timeoutMs: 30_000 });
  t.equal(small.mlength, 1000, 'short sink: 1000 bytes landed');
  t.equal(small.rlength, 1000, 'short sink: the REPLY carried 1000 bytes');
  t.equal(small.sha256, sha256(served.subarray(0, 1000)), 'short sink: the first 1000 bytes');

  await connsOnce(a!, 3);
  const sa = await a!.stats();
  const sb = await b!.stats();
  t.equal(sa.connectionsInitiated, 3, 'A (first to send) opened three connections');
  t.equal(sb.connectionsInitiated, 0, 'B answered over the connections A opened (opened none)');
  t.equal(sb.connectionsAccepted, 3, 'B accepted three');
  t.equal(sa.protocolErrors + sb.protocolErrors, 0, 'no protocol errors');
});

t.test('three processes exchange in a triangle', { skip }, async (t) => {
  const nodes = await startNodes(t, [{ nid: A }, { nid: B }, { nid: C }]);
  const listeners = await Promise.all(nodes.map((n) => n.listen({ portal: 40, ignoreBits: 0xffn })));
  const payload = (from: number, to: number): Buffer => Buffer.concat([Buffer.from(`${from}->${to}:`), randomBytes(3000 + from * 100 + to)]);
  const sent = new Map<string, string>();

  // Everyone sends to everyone else at once (connection races included).
  const sends: Array<Promise<unknown>> = [];
  for (const [i, from] of nodes.entries())
    for (const [j, to] of nodes.entries()) {
      if (i === j) continue;
      const data = payload(i, j);
      sent.set(`${from.target}->${to.target}`, sha256(data));
      sends.push(from.put({ target: to.target, portal: 40, matchBits: BigInt(i * 16 + j), data, timeoutMs: 30_000 }));
    }
  const results = await Promise.allSettled(sends);
  t.same(
    results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
    [],
    'all six PUTs were ACKed',
  );

  for (const [j, to] of nodes.entries()) {
    const got = new Map<string, string>();
    for (let k = 0; k < 2; k++) {
      const m = await to.next(listeners[j]!, 20_000);
      got.set(`${m.initiator}->${to.target}`, m.sha256);
    }
    for (const [i, from] of nodes.entries()) {
      if (i === j) continue;
      const key = `${from.target}->${to.target}`;
      t.equal(got.get(key), sent.get(key), `${key}: arrived with the bytes sent`);
    }
  }

  // GETs around the triangle, both ways: each node serves one buffer per requester (distinct
  // match bits; one buffer answering repeated GETs is a separate test below).
  const served = new Map<string, Buffer>();
  for (const [i, n] of nodes.entries())
    for (const [j] of nodes.entries()) {
      if (i === j) continue;
      const data = randomBytes(5000 + i * 10 + j);
      served.set(`${i}<-${j}`, data);
      await n.serveGet({ portal: 41, matchBits: BigInt(j), data });
    }
  for (const [i, n] of nodes.entries())
    for (const dir of [1, 2]) {
      const k = (i + dir) % 3;
      const peer = nodes[k]!;
      const r = await n.get({ target: peer.target, portal: 41, matchBits: BigInt(i), sink: 8192, timeoutMs: 30_000 });
      t.equal(r.sha256, sha256(served.get(`${k}<-${i}`)!), `GET ${n.nid} ← ${peer.nid}: the served bytes`);
    }

  // Each pair ends up with exactly one CONTROL, BULK_IN and BULK_OUT, mirrored on both sides
  // (the acceptor sees the initiator's BULK_IN as its BULK_OUT and vice versa).
  const conns = await Promise.all(nodes.map((n) => connsOnce(n, 6)));
  for (let i = 0; i < 3; i++)
    for (let j = i + 1; j < 3; j++) {
      const mine = conns[i]!.filter((c) => c.peer === nodes[j]!.nid);
      const theirs = conns[j]!.filter((c) => c.peer === nodes[i]!.nid);
      t.same(
        byType(mine).map((c) => c.typeName),
        ['CONTROL', 'BULK_IN', 'BULK_OUT'],
        `${nodes[i]!.nid}↔${nodes[j]!.nid}: one connection of each type on ${nodes[i]!.nid}`,
      );
      t.same(
        byType(theirs).map((c) => c.typeName),
        ['CONTROL', 'BULK_IN', 'BULK_OUT'],
        `${nodes[i]!.nid}↔${nodes[j]!.nid}: one connection of each type on ${nodes[j]!.nid}`,
      );
      t.same(
        mine.map((c) => `${c.local}|${c.remote}`).sort(),
        theirs.map((c) => `${c.remote}|${c.local}`).sort(),
        `${nodes[i]!.nid}↔${nodes[j]!.nid}: both sides see the same sockets`,
      );
      // With everyone sending at once, either side may have opened any of the three (races
      // are resolved per type), but each socket has exactly one active end.
      const other = new Map(theirs.map((c) => [`${c.remote}|${c.local}`, c]));
      t.ok(
        mine.every((c) => other.get(`${c.local}|${c.remote}`)?.passive === !c.passive),
        `${nodes[i]!.nid}↔${nodes[j]!.nid}: every socket has one active and one passive end`,
      );
      t.ok(
        mine.every((c) => other.get(`${c.local}|${c.remote}`)?.type === invertConnType(c.type)),
        `${nodes[i]!.nid}↔${nodes[j]!.nid}: the ends of each socket have inverted types (BULK_IN ↔ BULK_OUT)`,
      );
    }
});

t.test('connection layout: initiator CONTROL/BULK_IN/BULK_OUT from 1023/1022/1021, passive side inverted', { skip }, async (t) => {
  const nodes = await startNodes(t, [{ nid: A }, { nid: B }]);
  const [a, b] = nodes;
  const lb = await b!.listen({ portal: 50 });
  await putChecked(t, a!, b!, lb, 50, 0n, Buffer.from('layout'), 'first PUT A→B');

  const ca = byType(await connsOnce(a!, 3));
  t.same(
    ca.map((c) => ({ type: c.typeName, local: c.local, remote: c.remote, passive: c.passive, peer: c.peer, version: c.version })),
    [
      { type: 'CONTROL', local: `${hostOf(A)}:1023`, remote: `${hostOf(B)}:${nodes.port}`, passive: false, peer: B, version: KsockProtoVersion.V3 },
      { type: 'BULK_IN', local: `${hostOf(A)}:1022`, remote: `${hostOf(B)}:${nodes.port}`, passive: false, peer: B, version: KsockProtoVersion.V3 },
      { type: 'BULK_OUT', local: `${hostOf(A)}:1021`, remote: `${hostOf(B)}:${nodes.port}`, passive: false, peer: B, version: KsockProtoVersion.V3 },
    ],
    'the initiator: CONTROL from 1023, BULK_IN from 1022, BULK_OUT from 1021, to the acceptor port, hello V3',
  );
  const cb = (await connsOnce(b!, 3)).sort((x, y) => portOf(y.remote) - portOf(x.remote));
  t.same(
    cb.map((c) => ({ type: c.type, remote: c.remote, local: c.local, passive: c.passive, peer: c.peer, pid: c.pid })),
    [
      { type: SocklndConnType.CONTROL, remote: `${hostOf(A)}:1023`, local: `${hostOf(B)}:${nodes.port}`, passive: true, peer: A, pid: PID },
      { type: SocklndConnType.BULK_OUT, remote: `${hostOf(A)}:1022`, local: `${hostOf(B)}:${nodes.port}`, passive: true, peer: A, pid: PID },
      { type: SocklndConnType.BULK_IN, remote: `${hostOf(A)}:1021`, local: `${hostOf(B)}:${nodes.port}`, passive: true, peer: A, pid: PID },
    ],
    'the passive side: types 1/3/2 for source ports 1023/1022/1021 (BULK_IN and BULK_OUT inverted)',
  );

  // Traffic the other way uses the same three connections.
  const la = await a!.listen({ portal: 51 });
  await putChecked(t, b!, a!, la, 51, 0n, randomBytes(64 * 1024), 'B→A over the existing connections');
  t.equal((await a!.conns()).length, 3, 'A still has three connections');
  t.equal((await b!.conns()).length, 3, 'B still has three connections');
  t.equal((await b!.stats()).connectionsInitiated, 0, 'B opened none');
});

t.test('a peer killed with SIGKILL and restarted: traffic resumes', { skip }, async (t) => {
  const nodes = await startNodes(t, [{ nid: A }, { nid: B }]);
  let a = nodes[0]!;
  let b = nodes[1]!;
  const port = nodes.port;
  let lb = await b.listen({ portal: 60 });
  await putChecked(t, a, b, lb, 60, 0n, randomBytes(10_000), 'before the kill');

  // --- kill the passive side
  const st = await b.kill('SIGKILL');
  t.equal(st.signal, 'SIGKILL', 'B died of SIGKILL');
  // A notices the lost connections (FIN/RST from the dead process's sockets); bounded wait.
  await retry(50, 100, async () => {
    if ((await a.conns()).length !== 0) throw new Error('A still lists connections to B');
  }).then(
    () => t.pass('A dropped its connections to the dead B'),
    (e: Error) => t.fail(`A kept connections to the dead B: ${e.message}`),
  );
  const dead = await a.call('put', { target: b.target, portal: 60, matchBits: '0', b64: 'ZGVhZA==', timeoutMs: 15_000 }, 30_000);
  t.notOk(dead.ok, 'a PUT to the dead B fails');
  t.ok(NET_ERRORS.includes(String(dead.code)), `… with a network errno (${dead.code})`);
  t.ok(a.alive, 'A survives');

  b = await startNode(t, { nid: B, port });
  lb = await b.listen({ portal: 60 });
  const data = randomBytes(100_000);
  const r = await retry(40, 250, () => a.put({ target: b.target, portal: 60, data, timeoutMs: 10_000 }));
  t.equal(r.value.mlength, data.length, `A→restarted B: PUT ACKed (after ${r.tries} tries: ${r.errors.join(',') || 'first time'})`);
  const m = await b.next(lb);
  t.equal(m.sha256, sha256(data), 'the restarted B got the bytes');
  let la = await a.listen({ portal: 61 });
  await putChecked(t, b, a, la, 61, 0n, randomBytes(5000), 'restarted B→A');

  // --- kill the initiator
  t.equal((await a.kill('SIGKILL')).signal, 'SIGKILL', 'A died of SIGKILL');
  a = await startNode(t, { nid: A, port });
  la = await a.listen({ portal: 61 });
  const back = randomBytes(70_000);
  const r2 = await retry(40, 250, () => b.put({ target: a.target, portal: 61, data: back, timeoutMs: 10_000 }));
  t.equal(r2.value.mlength, back.length, `B→restarted A: PUT ACKed (after ${r2.tries} tries: ${r2.errors.join(',') || 'first time'})`);
  t.equal((await a.next(la)).sha256, sha256(back), 'the restarted A got the bytes');
  await putChecked(t, a, b, lb, 60, 0n, randomBytes(3000), 'restarted A→B');

  const cb = await connsOnce(b, 3, A);
  t.equal(cb.filter((c) => c.peer === A).length, 3, 'B has exactly three live connections to A (old ones gone)');
  t.equal((await connsOnce(a, 3)).length, 3, 'the restarted A has three');
});

t.test("accept 'secure' refuses an unprivileged client", { skip }, async (t) => {
  const [s] = await startNodes(t, [{ nid: A, accept: 'secure' }]);
  const before = await s!.stats();

  // A plain TCP client from an ephemeral (> 1023) port.
  const sock = net.connect({ host: hostOf(A), port: s!.opts.port, localAddress: hostOf(U) });
  t.teardown(() => {
    sock.destroy();
  });
  const outcome = await new Promise<{ bytes: number; localPort: number; connected: boolean; error?: string }>((resolve) => {
    let bytes = 0;
    let connected = false;
    let localPort = 0;
    let error: string | undefined;
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ bytes, localPort, connected, error: 'the server did not close within 10 s' });
    }, 10_000);
    sock.on('connect', () => {
      connected = true;
      localPort = sock.localPort ?? 0;
      // A well-formed connection request: refused for the port, not the content.
      sock.write(connReqToBuffer(connReqFor(parseNid(A))));
    });
    sock.on('data', (d: Buffer) => (bytes += d.length));
    sock.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes, localPort, connected, ...(error ? { error } : {}) });
    });
  });
  t.ok(outcome.connected, 'the TCP connect itself succeeded');
  t.ok(outcome.localPort > 1023, `the client port ${outcome.localPort} is unprivileged`);
  t.not(outcome.error, 'the server did not close within 10 s', 'the server closed the connection');
  t.equal(outcome.bytes, 0, 'without sending a byte');
  const after = await s!.stats();
  t.equal(after.insecureRefused, before.insecureRefused + 1, 'stats.insecureRefused grew by one');
  t.equal(after.connectionsAccepted, before.connectionsAccepted, 'nothing was accepted');

  // An LNet node that can only use unprivileged ports is refused too.
  const [u] = await startNodes(t, [{ nid: U, privileged: false, accept: 'none' }], { port: s!.opts.port });
  const put = await u!.call('put', { target: s!.target, portal: 20, matchBits: '0', b64: 'aGk=', timeoutMs: 15_000 }, 30_000);
  t.notOk(put.ok, 'a PUT from an unprivileged LNet node fails');
  t.ok(NET_ERRORS.includes(String(put.code)), `… with a network errno (${put.code})`);
  t.ok((await s!.stats()).insecureRefused > after.insecureRefused, 'and was counted as refused');
  t.same(await s!.conns(), [], 'the secure node holds no connection');
});

t.test("accept 'all' accepts an unprivileged client", { skip }, async (t) => {
  const [s] = await startNodes(t, [{ nid: B, accept: 'all' }]);
  const before = await s!.stats();

  // A hand-made client from an ephemeral port: connreq + hello V3 (CONTROL), expect the
  // node's hello back.
  const sock = net.connect({ host: hostOf(B), port: s!.opts.port, localAddress: hostOf(U) });
  t.teardown(() => {
    sock.destroy();
  });
  const reply = await new Promise<{ buf: Buffer; localPort: number; error?: string }>((resolve) => {
    let buf = Buffer.alloc(0);
    let localPort = 0;
    const timer = setTimeout(() => resolve({ buf, localPort, error: 'no complete hello within 10 s' }), 10_000);
    const finish = (error?: string): void => {
      clearTimeout(timer);
      resolve({ buf, localPort, ...(error ? { error } : {}) });
    };
    sock.on('connect', () => {
      localPort = sock.localPort ?? 0;
      sock.write(connReqToBuffer(connReqFor(parseNid(B))));
      sock.write(
        helloToBuffer({
          version: KsockProtoVersion.V3,
          srcNid: parseNid(U),
          dstNid: parseNid(B),
          srcPid: PID,
          dstPid: 0,
          srcIncarnationLo: 0x1234,
          srcIncarnationHi: 0x5678,
          dstIncarnationLo: 0,
          dstIncarnationHi: 0,
          ctype: SocklndConnType.CONTROL,
          ips: [],
        }),
      );
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!(decodeHello(buf) instanceof WireError)) finish();
    });
    sock.on('error', (e: NodeJS.ErrnoException) => finish(e.code));
    sock.on('close', () => finish('closed by the server'));
  });
  t.ok(reply.localPort > 1023, `the client port ${reply.localPort} is unprivileged`);
  t.equal(reply.error, undefined, 'the server answered with a hello and kept the connection');
  const hello = decodeHello(reply.buf);
  if (hello instanceof WireError) t.fail(`no hello: ${hello.message}`);
  else {
    t.equal(formatNid(hello.srcNid), B, "the hello is the node's");
    t.equal(hello.ctype, SocklndConnType.CONTROL, 'accepted as CONTROL');
    t.equal(hello.version, KsockProtoVersion.V3, 'in V3');
  }
  const after = await s!.stats();
  t.equal(after.connectionsAccepted, before.connectionsAccepted + 1, 'stats.connectionsAccepted grew by one');
  t.equal(after.insecureRefused, 0, 'nothing refused');
  const conns = await s!.conns();
  t.same(
    conns.map((c) => ({ peer: c.peer, pid: c.pid, passive: c.passive, remote: c.remote })),
    [{ peer: U, pid: (reply.localPort | LNET_PID_USERFLAG) >>> 0, passive: true, remote: `${hostOf(U)}:${reply.localPort}` }],
    'the client is known as a userspace peer: its address, pid = port | LNET_PID_USERFLAG',
  );
  sock.destroy();

  // A real LNet node on unprivileged ports: PUT with ACK and GET both work.
  const [u] = await startNodes(t, [{ nid: U, privileged: false, accept: 'none' }], { port: s!.opts.port });
  const ls = await s!.listen({ portal: 21 });
  const data = randomBytes(20_000);
  const r = await u!.put({ target: s!.target, portal: 21, data, timeoutMs: 30_000 });
  t.equal(r.mlength, data.length, 'PUT from the unprivileged node ACKed');
  const m = await s!.next(ls);
  t.equal(m.sha256, sha256(data), 'with the bytes sent');
  // The kernel's form for a userspace peer: U<source port>-<address from the socket>.
  const um = new RegExp(`^U(\\d+)-${U.replace(/\./g, '\\.')}$`).exec(m.initiator);
  t.ok(um, `the initiator ${m.initiator} is U<port>-${U}: a userspace peer named by its address`);
  const uPorts = (await connsOnce(u!, 3)).map((c) => portOf(c.local));
  t.ok(um && uPorts.includes(Number(um[1])), `… and the port is one the unprivileged node connected from (${uPorts.join(', ')})`);
  const served = randomBytes(3000);
  await s!.serveGet({ portal: 22, data: served });
  const g = await u!.get({ target: s!.target, portal: 22, sink: 4096, timeoutMs: 30_000 });
  t.equal(g.sha256, sha256(served), 'GET from the unprivileged node returns the served bytes');
  // The kernel keys a socklnd peer by NID *and* pid, so each connection from a userspace
  // client is its own peer U<its port>-<address>.
  const sc = await s!.conns();
  t.ok(
    sc.length > 0 && sc.every((c) => c.pid === (portOf(c.remote) | LNET_PID_USERFLAG) >>> 0),
    `each accepted userspace connection is listed with pid = its own source port | USERFLAG (${sc.map((c) => `${c.remote} pid U${c.pid & 0x7fffffff}`).join(', ')})`,
  );
  const uc = await u!.conns();
  t.ok(uc.length > 0 && uc.every((c) => portOf(c.local) > 1023 && !c.passive), 'the unprivileged node connected from ports above 1023');

  // And the accepting node does not connect back to a userspace peer: a PUT to it goes over
  // the connections the peer opened.
  const lu = await u!.listen({ portal: 23 });
  await s!.put({ target: m.initiator, portal: 23, data: Buffer.from('back'), timeoutMs: 30_000 });
  t.equal(Buffer.from((await u!.next(lu)).b64 ?? '', 'base64').toString(), 'back', 'the node answers a userspace peer over its connections');
  t.equal((await s!.stats()).connectionsInitiated, 0, 'the accepting node opened no connection');
});


// serveGet's MD must be MANAGE_REMOTE: otherwise its local offset advances past the data on
// the first GET and every later GET gets 0 bytes (found by this test; fixed in src/lnet.ts).
t.test('one serveGet buffer answers repeated GETs', { skip }, async (t) => {
  const [a, b] = await startNodes(t, [{ nid: A }, { nid: B }]);
  const data = randomBytes(3000);
  await b!.serveGet({ portal: 33, data });
  for (let i = 1; i <= 3; i++) {
    const r = await a!.get({ target: b!.target, portal: 33, sink: 4096, timeoutMs: 30_000 });
    t.equal(r.mlength, data.length, `GET #${i}: ${data.length} bytes`);
    t.equal(r.sha256, sha256(data), `GET #${i}: the served bytes`);
  }
});

t.test('the node process exits 0 on exit, SIGTERM and the end of stdin', { skip }, async (t) => {
  const nodes = await startNodes(t, [{ nid: A }, { nid: B }, { nid: C }]);
  const [a, b, c] = nodes as NodeProcess[];
  const ans = await a!.call('exit', {}, 30_000);
  t.same({ ok: ans.ok, exiting: ans.exiting }, { ok: true, exiting: true }, '`exit` is answered');
  t.same(await a!.exited, { code: 0, signal: null }, 'exit: code 0');
  b!.child.kill('SIGTERM');
  t.same(await b!.exited, { code: 0, signal: null }, 'SIGTERM: code 0');
  c!.child.stdin!.end();
  t.same(await c!.exited, { code: 0, signal: null }, 'end of stdin: code 0');
  t.equal(await NodeProcess.spawn({ nid: A, port: nodes.port, accept: 'bogus' as 'all' }).then(
    (n) => n.close().then(() => 'started'),
    (e: Error) => e.name,
  ), 'NodeStartError', 'bad arguments: the fixture reports ready:false');
});

// socklnd's shutdown must close the accepted connections before awaiting server.close(), which
// only calls back once they have all ended: else the passive side hangs until its peers close
// them (found by this test; fixed in lnd/socklnd/socklnd.ts).
t.test('a passive node shuts down while its peer stays up', { skip }, async (t) => {
  const [a, b] = await startNodes(t, [{ nid: A }, { nid: B, shutdownTimeoutMs: 20_000 }]);
  const lb = await b!.listen({ portal: 34 });
  await putChecked(t, a!, b!, lb, 34, 0n, Buffer.from('before shutdown'), 'A→B');
  await connsOnce(a!, 3);
  const ans = await b!.call('exit', {}, 40_000).catch((e: Error) => ({ ok: false, message: e.message }));
  t.ok(ans.ok, `B's shutdown completed and \`exit\` was answered (${ans.ok ? 'ok' : ans.message})`);
  t.same(await b!.exited, { code: 0, signal: null }, 'B exited 0 (not 3, the fixture\'s "shutdown hung" code)');
  t.ok(a!.alive, 'A is still up');
  await retry(50, 100, async () => {
    if ((await a!.conns()).length !== 0) throw new Error('A still lists connections');
  }).then(
    () => t.pass('A saw its connections to B close'),
    () => t.fail('A kept connections to the stopped B'),
  );
});
