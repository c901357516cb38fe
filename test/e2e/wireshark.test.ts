/**
 * Wireshark's LNet dissector reads what ulnet puts on the wire.
 *
 * Two ulnet nodes, each in its own Node process (the built code in dist/), talk over socklnd on
 * loopback — B = 127.0.0.3@tcp serves, A = 127.0.0.2@tcp initiates — on a random private port
 * P, while `tshark -i lo` records that port. A sends a PUT with an ACK, a PUT without one, a
 * GET (whose REPLY spans several TCP segments) and a ping (GET on portal 0 with the ping match
 * bits); then A is restarted with pid 12346 and sends one more PUT with an ACK, so the two pids
 * in a header differ and the dissector's labels can be checked. The capture is then decoded
 * with `-d tcp.port==P,lnet` and every field the dissector has is checked against what was
 * sent, and against how the same dissector decodes the kernel recordings.
 *
 * Known dissector behaviour (Wireshark 4.0, packet-lnet.c), asserted as such — the kernel
 * recordings (../shared/interop/kernel-2.17.0) decode the same way:
 * - acceptor requests and hellos are not decoded (no LNet item for those segments);
 * - the header's dest_pid is shown as `lnet.src_pid` and its src_pid as `lnet.dest_pid`;
 * - an ACK's dst_wmd is decoded big-endian, so it shows byte-swapped against the PUT's ack_wmd;
 * - a PUT's payload goes to the sub-dissector of its portal (Lustre's for Lustre portals, so
 *   this test uses portals 40-42, which have none) and, with none, the PUT is flagged "Buffer
 *   length mis-match" (`Capture:N offset:96 (length:0) msg_type:1 ib_type:00`);
 * - the socklnd checksum is the field `lnet.ib_csum`.
 *
 * Needs tshark and root (capturing on lo; socklnd's privileged source ports, which kernel peers
 * with accept=secure require); skips otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import {
  LiveCapture,
  bswap64,
  decodeLnet,
  findTshark,
  LNET_FIELDS,
  missingFields,
  summaryLnetLines,
  undecodedSegments,
  type CaptureStopResult,
  type DissectedFrame,
  type DissectedPdu,
  type UndecodedSegment,
} from '../helpers/capture.js';
import { haveInterop, interopFile } from '../helpers/interop.js';

const ROOT = new URL('../../', import.meta.url);
const DIST_INDEX = fileURLToPath(new URL('dist/src/index.js', ROOT));
const DIST_SOCKLND = fileURLToPath(new URL('dist/lnd/socklnd/index.js', ROOT));

const A_IP = '127.0.0.2';
const B_IP = '127.0.0.3';
const PID = 12345;
const PID2 = 12346;
const NONE = 0xffffffffffffffffn; // LNET_WIRE_HANDLE_COOKIE_NONE

// What A does, and what B answers with.
const PUT_ACK = { portal: 40, matchBits: 0x8765432100000001n, hdrData: 0xfedcba9876543210n, length: 1000, seed: 1 };
const PUT_NOACK = { portal: 41, matchBits: 0x42n, length: 300, seed: 2 };
const GET = { portal: 42, matchBits: 0x1122334455667788n, sink: 131072, served: 70000, seed: 3 };
const PING = { portal: 0, matchBits: 0x8000000000000000n, sink: 3960 };
const PUT_PID2 = { portal: 40, matchBits: 0x8765432100000004n, hdrData: 0n, length: 64, seed: 4 };
const PUT_LISTEN = { portal: 40, matchBits: 0x8765432100000000n, ignoreBits: 0xffn };

const WAIT_MS = 30_000;

const tshark = findTshark();
const isRoot = process.getuid?.() === 0;
const skip = !tshark ? 'tshark not installed' : !isRoot ? 'not root: cannot capture on lo or bind privileged source ports' : false;

// ---------------------------------------------------------------------------------------------
// The two node processes
// ---------------------------------------------------------------------------------------------

const COMMON = String.raw`
import { createHash } from 'node:crypto';
const cfg = JSON.parse(process.argv[2]);
const { LNet, formatNid } = await import(cfg.dist.index);
const { SockLnd } = await import(cfg.dist.socklnd);
// Never outlive the test, whatever happens to it.
setTimeout(() => process.exit(3), cfg.lifetimeMs).unref();
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const hex = (v) => '0x' + BigInt.asUintN(64, BigInt(v)).toString(16);
const sha = (b) => createHash('sha256').update(b).digest('hex');
const pattern = (n, seed) => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff; return b; };
let node;
try {
  node = await LNet.start({ pid: cfg.pid, nets: [{ net: 'tcp', lnd: new SockLnd({ acceptPort: cfg.port }), nis: [{ nid: cfg.nid }] }] });
} catch (e) {
  out({ event: 'error', op: 'start', code: e.code, message: e.message });
  process.exit(1);
}
`;

/** B: listens and serves until told to quit (or its stdin closes). */
const SERVER = String.raw`${COMMON}
import { createInterface } from 'node:readline';
const loops = cfg.listen.map((l) => (async () => {
  const listener = node.listen({ portal: l.portal, matchBits: BigInt(l.matchBits), ignoreBits: BigInt(l.ignoreBits) });
  for await (const m of listener)
    out({ event: 'put', portal: m.portal, matchBits: hex(m.matchBits), hdrData: hex(m.hdrData), rlength: m.rlength,
          length: m.data.length, sha: sha(m.data), initiator: m.initiator.pid + '-' + formatNid(m.initiator.nid) });
})());
const stops = cfg.serve.map((s) => node.serveGet({ portal: s.portal, matchBits: BigInt(s.matchBits), data: pattern(s.length, s.seed),
  onGet: (ev) => out({ event: 'get', portal: s.portal, mlength: ev.mlength, initiator: ev.initiator.pid + '-' + formatNid(ev.initiator.nid) }) }));
out({ event: 'ready', pid: node.pid });
for await (const line of createInterface({ input: process.stdin })) if (line.trim() === 'quit') break;
for (const stop of stops) stop();
await node.shutdown();
await Promise.allSettled(loops);
out({ event: 'bye' });
process.exit(0);
`;

/** A: runs its operations one after the other, reports each, shuts down. */
const CLIENT = String.raw`${COMMON}
for (const op of cfg.ops) {
  try {
    if (op.kind === 'put') {
      const data = pattern(op.length, op.seed);
      const r = await node.putAsync({ target: op.target, portal: op.portal, matchBits: BigInt(op.matchBits), hdrData: BigInt(op.hdrData), data, ack: op.ack });
      out({ event: 'put', name: op.name, mlength: r.mlength, acked: r.ackEvent !== undefined, sha: sha(data) });
    } else {
      const r = await node.getAsync({ target: op.target, portal: op.portal, matchBits: BigInt(op.matchBits), sink: op.sink });
      out({ event: 'get', name: op.name, mlength: r.mlength, rlength: r.rlength, sha: sha(r.data) });
    }
  } catch (e) {
    out({ event: 'error', op: op.name, code: e.code, message: e.message });
  }
}
await node.shutdown();
out({ event: 'done' });
process.exit(0);
`;

interface Line {
  event: string;
  [k: string]: unknown;
}

/** A node process speaking JSON lines on stdout; every wait bounded. */
class NodeProc {
  readonly lines: Line[] = [];
  stderr = '';
  exitCode: number | null | undefined = undefined;
  private readonly child: ChildProcess;
  private readonly waiters: Array<() => void> = [];

  constructor(script: string, cfg: object) {
    this.child = spawn(process.execPath, [script, JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Line);
      } catch {
        this.lines.push({ event: 'text', text: l });
      }
      this.wake();
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (d: string) => (this.stderr += d));
    this.child.on('error', (e) => {
      this.stderr += `spawn error: ${e.message}\n`;
      this.exitCode ??= -1;
      this.wake();
    });
    this.child.on('exit', (code, signal) => {
      this.exitCode = code ?? (signal ? -1 : null);
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** True once `cond` holds; false when the process exited first or `ms` passed. */
  until(cond: () => boolean, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(cond()), ms);
      const check = (): void => {
        if (cond() || this.exitCode !== undefined) {
          clearTimeout(timer);
          resolve(cond());
        } else this.waiters.push(check);
      };
      check();
    });
  }

  waitEvent(event: string, ms = WAIT_MS): Promise<boolean> {
    return this.until(() => this.lines.some((l) => l.event === event), ms);
  }

  waitExit(ms = WAIT_MS): Promise<boolean> {
    return this.until(() => this.exitCode !== undefined, ms);
  }

  send(line: string): void {
    if (this.exitCode === undefined) this.child.stdin!.write(`${line}\n`);
  }

  kill(): void {
    if (this.exitCode === undefined) {
      try {
        this.child.kill('SIGKILL');
      } catch {
        // gone
      }
    }
  }

  events(event: string): Line[] {
    return this.lines.filter((l) => l.event === event);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** A port in 20000–31999 (below the ephemeral range) free on both addresses. */
async function pickPort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const p = 20000 + Math.floor(Math.random() * 12000);
    if ((await canListen(A_IP, p)) && (await canListen(B_IP, p))) return p;
  }
  throw new Error('no free port on 127.0.0.2 and 127.0.0.3');
}

/**
 * Connect A_IP:localPort → B_IP:port once B is gone: the refused SYN's RST marks the end of the
 * capture. Returns the local port used (another is tried when one is taken).
 */
async function knock(port: number): Promise<number> {
  for (let i = 0; ; i++) {
    const localPort = 32000 + Math.floor(Math.random() * 700); // below the ephemeral range
    const code = await new Promise<string | undefined>((resolve) => {
      const s = net.connect({ host: B_IP, port, localAddress: A_IP, localPort });
      const done = (e?: NodeJS.ErrnoException): void => {
        s.destroy();
        resolve(e?.code);
      };
      s.once('error', done);
      s.once('connect', () => done());
      s.setTimeout(5_000, () => done());
    });
    if (code !== 'EADDRINUSE' || i >= 10) return localPort;
  }
}

const pattern = (n: number, seed: number): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
};

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The named fields of a PDU, for t.same (bigints compare exactly). */
function pick<K extends keyof DissectedPdu>(p: DissectedPdu, o: Pick<DissectedPdu, K>): Pick<DissectedPdu, K> {
  return Object.fromEntries(Object.keys(o).map((k) => [k, p[k as K]])) as Pick<DissectedPdu, K>;
}

const hex = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;

/** The buffer-length expert message with the PDU size made generic. */
const normExpert = (m: string): string => m.replace(/Capture:\d+/, 'Capture:N');

// ---------------------------------------------------------------------------------------------
// The run (in before), then the checks
// ---------------------------------------------------------------------------------------------

interface Run {
  port: number;
  a1: NodeProc;
  a2: NodeProc;
  b: NodeProc;
  markerSeen: boolean;
  stop: CaptureStopResult;
  frames: DissectedFrame[];
  pdus: DissectedPdu[];
  undecoded: UndecodedSegment[];
}

let run: Run;
let tmp: string | undefined;
let capture: LiveCapture | undefined;
const procs: NodeProc[] = [];
let captureSkip: string | false = false;

t.teardown(() => {
  for (const p of procs) p.kill();
  capture?.kill();
  if (!tmp) return;
  // ULNET_KEEP_CAPTURE=1 keeps the capture and the scripts for a look with Wireshark.
  if (process.env.ULNET_KEEP_CAPTURE) t.comment(`capture kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
});

if (!skip) {
  // Start the capture up front: whether it can run decides whether the tests skip.
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ulnet-wireshark-'));
  const port = await pickPort();
  const pcap = path.join(tmp, 'ulnet.pcapng');
  const filter = `tcp port ${port} and host ${A_IP} and host ${B_IP}`;
  const started = await LiveCapture.start({ tshark: tshark!, iface: 'lo', filter, file: pcap });
  if (typeof started === 'string') captureSkip = `cannot capture on lo: ${started}`;
  else capture = started;

  if (capture) {
    const cap = capture;
    const dir = tmp;
    t.before(async () => {
      if (!existsSync(DIST_INDEX) || !existsSync(DIST_SOCKLND)) throw new Error(`build first: ${DIST_INDEX} or ${DIST_SOCKLND} missing`);
      const serverJs = path.join(dir, 'server.mjs');
      const clientJs = path.join(dir, 'client.mjs');
      writeFileSync(serverJs, SERVER);
      writeFileSync(clientJs, CLIENT);
      const dist = { index: DIST_INDEX, socklnd: DIST_SOCKLND };
      const lifetimeMs = 120_000;
      const target = `${PID}-${B_IP}@tcp`;

      const b = new NodeProc(serverJs, {
        dist,
        lifetimeMs,
        port,
        nid: `${B_IP}@tcp`,
        pid: PID,
        listen: [
          { portal: PUT_LISTEN.portal, matchBits: hex(PUT_LISTEN.matchBits), ignoreBits: hex(PUT_LISTEN.ignoreBits) },
          { portal: PUT_NOACK.portal, matchBits: hex(PUT_NOACK.matchBits), ignoreBits: '0x0' },
        ],
        serve: [{ portal: GET.portal, matchBits: hex(GET.matchBits), length: GET.served, seed: GET.seed }],
      });
      procs.push(b);
      if (!(await b.waitEvent('ready'))) throw new Error(`B did not start: ${JSON.stringify(b.lines)} ${b.stderr}`);

      const a1 = new NodeProc(clientJs, {
        dist,
        lifetimeMs,
        port,
        nid: `${A_IP}@tcp`,
        pid: PID,
        ops: [
          { name: 'put-ack', kind: 'put', target, ...PUT_ACK, matchBits: hex(PUT_ACK.matchBits), hdrData: hex(PUT_ACK.hdrData), ack: true },
          { name: 'put-noack', kind: 'put', target, ...PUT_NOACK, matchBits: hex(PUT_NOACK.matchBits), hdrData: '0x0', ack: false },
          { name: 'get', kind: 'get', target, portal: GET.portal, matchBits: hex(GET.matchBits), sink: GET.sink },
          { name: 'ping', kind: 'get', target, portal: PING.portal, matchBits: hex(PING.matchBits), sink: PING.sink },
        ],
      });
      procs.push(a1);
      await a1.waitExit(60_000);
      // B has the no-ACK PUT once A's later GETs were answered; wait for its report anyway.
      await b.until(() => b.events('put').length >= 2, 5_000);

      const a2 = new NodeProc(clientJs, {
        dist,
        lifetimeMs,
        port,
        nid: `${A_IP}@tcp`,
        pid: PID2,
        ops: [{ name: 'put-pid2', kind: 'put', target, ...PUT_PID2, matchBits: hex(PUT_PID2.matchBits), hdrData: hex(PUT_PID2.hdrData), ack: true }],
      });
      procs.push(a2);
      await a2.waitExit(60_000);

      b.send('quit');
      await b.waitExit(20_000);
      b.kill();

      // A packet after everything else: once tshark has printed it, the file holds all before it.
      const markerPort = await knock(port);
      const markerSeen = await cap.waitForLine(new RegExp(`\\b${port}\\b.*\\b${markerPort}\\b.*RST`), 15_000);
      const stop = await cap.stop(15_000);

      const frames = decodeLnet(tshark!, pcap, port);
      run = {
        port,
        a1,
        a2,
        b,
        markerSeen,
        stop,
        frames,
        pdus: frames.flatMap((f) => f.pdus),
        undecoded: undecodedSegments(tshark!, pcap, port),
      };
    });
  }
}

const opts = { skip: skip || captureSkip };

t.test('the traffic ran and was captured', opts, async (t) => {
  t.same(missingFields(tshark!, LNET_FIELDS), [], 'this tshark has every LNet field the test reads');
  const { a1, a2, b } = run;
  t.same(a1.events('error'), [], `A raised no error (stderr: ${a1.stderr.slice(-500)})`);
  t.same(a2.events('error'), [], `A with pid ${PID2} raised no error (stderr: ${a2.stderr.slice(-500)})`);
  t.same(b.events('error'), [], `B raised no error (stderr: ${b.stderr.slice(-500)})`);
  t.equal(a1.exitCode, 0, 'A exited 0');
  t.equal(a2.exitCode, 0, `A with pid ${PID2} exited 0`);
  t.equal(b.exitCode, 0, 'B exited 0');

  const res = (name: string): Line | undefined => [...a1.lines, ...a2.lines].find((l) => l.name === name);
  t.match(res('put-ack'), { mlength: PUT_ACK.length, acked: true, sha: sha(pattern(PUT_ACK.length, PUT_ACK.seed)) }, 'PUT acked with its length');
  t.match(res('put-noack'), { mlength: PUT_NOACK.length, acked: false }, 'PUT without ACK sent');
  t.match(res('get'), { mlength: GET.served, rlength: GET.served, sha: sha(pattern(GET.served, GET.seed)) }, 'GET got the served bytes');
  t.match(res('ping'), { mlength: 48 }, 'ping REPLY of 48 bytes (0@lo and the tcp NID), as the kernel node answered');
  t.match(res('put-pid2'), { mlength: PUT_PID2.length, acked: true }, `PUT from pid ${PID2} acked`);

  const puts = b.events('put');
  t.match(
    puts,
    [
      { portal: 40, matchBits: hex(PUT_ACK.matchBits), hdrData: hex(PUT_ACK.hdrData), length: PUT_ACK.length, sha: sha(pattern(PUT_ACK.length, PUT_ACK.seed)), initiator: `${PID}-${A_IP}@tcp` },
      { portal: 41, matchBits: hex(PUT_NOACK.matchBits), length: PUT_NOACK.length, sha: sha(pattern(PUT_NOACK.length, PUT_NOACK.seed)), initiator: `${PID}-${A_IP}@tcp` },
      { portal: 40, matchBits: hex(PUT_PID2.matchBits), length: PUT_PID2.length, initiator: `${PID2}-${A_IP}@tcp` },
    ],
    'B received the three PUTs',
  );
  t.equal(puts.length, 3, 'and no other');
  t.match(b.events('get'), [{ portal: GET.portal, mlength: GET.served, initiator: `${PID}-${A_IP}@tcp` }], 'B served the GET');

  t.ok(run.markerSeen, 'tshark saw the end marker (all traffic is in the file)');
  t.notOk(run.stop.killed, 'tshark stopped on SIGINT');
  t.match(run.stop.stderr, /\d+ packets? captured/, 'tshark reported its packet count');
});

/** The LNet messages expected on the wire, in order. */
const EXPECTED_TYPES = ['PUT', 'ACK', 'PUT', 'GET', 'REPLY', 'GET', 'REPLY', 'PUT', 'ACK'];

/**
 * The PDUs without discovery's: a first PUT or GET to a peer waits for its discovery (ping
 * GETs with the 272-byte sink and their REPLYs, pushes on portal 0 with the ping match bits
 * and their ACKs), as on kernel nodes. The checks here are about the test's own operations.
 */
function withoutDiscovery(pdus: DissectedPdu[]): DissectedPdu[] {
  const ping = 0x8000000000000000n;
  const requests = new Set<string>();
  return pdus.filter((p) => {
    if ((p.typeName === 'GET' && p.ptlIndex === 0 && p.sinkLength === 272) || (p.typeName === 'PUT' && p.ptlIndex === 0 && p.matchBits === ping)) {
      requests.add(`${p.wmdInterface}:${p.wmdObject}`);
      return false;
    }
    // The dissector shows a GET's return_wmd and a PUT's ack_wmd byte-swapped against the
    // dst_wmd of their answers (or not): accept either form.
    if (p.typeName === 'REPLY' || p.typeName === 'ACK')
      return !requests.has(`${bswap64(p.wmdInterface)}:${bswap64(p.wmdObject)}`) && !requests.has(`${p.wmdInterface}:${p.wmdObject}`);
    return true;
  });
}

function pdusOk(t: Test): DissectedPdu[] | undefined {
  const pdus = withoutDiscovery(run.pdus);
  const types = pdus.map((p) => p.typeName);
  if (!t.same(types, EXPECTED_TYPES, 'the LNet messages on the wire')) return undefined;
  return pdus;
}

t.test('the dissector decodes every LNet message and nothing else', opts, async (t) => {
  const pdus = pdusOk(t);
  t.same(
    run.frames.filter((f) => f.problem).map((f) => `${f.frame}: ${f.problem}`),
    [],
    'each frame’s fields line up with the message types in it',
  );
  if (!pdus) return;
  t.same(
    pdus.map((p) => p.ksmType),
    pdus.map(() => 0xc1),
    'every message is KSOCK_MSG_LNET (0xc1): no NOOPs',
  );
  t.same(
    pdus.map((p) => p.csum),
    pdus.map(() => 0),
    'checksum 0 (shown as lnet.ib_csum by the dissector), as the kernel sends',
  );
  t.same(
    pdus.map((p) => [p.zcReqCookie, p.zcAckCookie]),
    pdus.map(() => [0n, 0n]),
    'zero-copy cookies 0',
  );
  t.ok(
    pdus.every((p) => p.dstPort === run.port || p.srcPort === run.port),
    'all on the acceptor port',
  );
});

t.test('handshakes are not decoded as LNet; they are acceptor requests and V3 hellos', opts, async (t) => {
  // Per stream and direction, the undecoded bytes: A's are connreq (16) + hello (56), B's a hello.
  const byKey = new Map<string, Buffer>();
  for (const s of run.undecoded) {
    const k = `${s.stream}:${s.ipSrc === A_IP ? 'A' : 'B'}`;
    byKey.set(k, Buffer.concat([byKey.get(k) ?? Buffer.alloc(0), s.payload]));
  }
  const streams = new Set(run.undecoded.map((s) => s.stream));
  // Phase 1 opens CONTROL, BULK_IN, BULK_OUT one after the other; the short-lived pid-12346 A
  // may exit before its bulk connections are up. So: at least one per A process.
  t.ok(streams.size >= 2, `connections made by both A processes (${streams.size})`);
  const isHello = (b: Buffer, o: number): boolean =>
    b.length >= o + 56 && b.readUInt32LE(o) === 0x45726963 && b.readUInt32LE(o + 4) === 3;
  for (const st of [...streams].sort((x, y) => x - y)) {
    const a = byKey.get(`${st}:A`) ?? Buffer.alloc(0);
    const b = byKey.get(`${st}:B`) ?? Buffer.alloc(0);
    t.equal(a.length >= 16 ? a.readUInt32LE(0) : -1, 0xacce7100, `stream ${st}: A's first bytes are the acceptor request (magic 0xacce7100)`);
    t.ok(a.length === 16 || (a.length === 72 && isHello(a, 16)), `stream ${st}: then A's hello, V3 (${a.length} bytes)`);
    t.ok(b.length === 0 || (b.length === 56 && isHello(b, 0)), `stream ${st}: B's only undecoded bytes are its V3 hello (${b.length} bytes)`);
  }
  for (const st of new Set(run.pdus.map((p) => p.stream))) {
    t.equal(byKey.get(`${st}:A`)?.length, 72, `stream ${st} carries LNet: after A's connreq + hello`);
    t.equal(byKey.get(`${st}:B`)?.length, 56, `stream ${st} carries LNet: after B's hello`);
  }
  t.notOk(
    run.pdus.some((p) => p.msgType === 4),
    'no LNET_MSG_HELLO decoded',
  );
});

t.test('NIDs', opts, async (t) => {
  const pdus = pdusOk(t);
  if (!pdus) return;
  for (const p of pdus) {
    const fromA = p.ipSrc === A_IP;
    const [src, dst] = fromA ? [A_IP, B_IP] : [B_IP, A_IP];
    t.same(
      { src: p.srcNid, dest: p.destNid },
      { src: { addr: src, type: 2, net: 0 }, dest: { addr: dst, type: 2, net: 0 } },
      `frame ${p.frame} ${p.typeName}: ${src}@tcp → ${dst}@tcp (SOCKLND, tcp0)`,
    );
  }
  t.same(
    pdus.map((p) => (p.ipSrc === A_IP ? 'A' : 'B')),
    ['A', 'B', 'A', 'A', 'B', 'A', 'B', 'A', 'B'],
    'requests from A, ACKs and REPLYs from B',
  );
});

t.test('pids, with the dissector’s src/dest labels swapped', opts, async (t) => {
  const pdus = pdusOk(t);
  if (!pdus) return;
  // Wire header: dest_pid then src_pid; the dissector labels them "Src pid" then "Dest pid".
  const wire = (p: DissectedPdu): { dest: number; src: number } => ({ dest: p.labelSrcPid, src: p.labelDestPid });
  for (const p of pdus.slice(0, 7)) t.same(wire(p), { dest: PID, src: PID }, `frame ${p.frame} ${p.typeName}: both pids ${PID}`);
  const [put, ack] = pdus.slice(7);
  t.same(wire(put!), { dest: PID, src: PID2 }, `PUT from pid ${PID2}: header dest_pid ${PID}, src_pid ${PID2}`);
  t.equal(put!.labelSrcPid, PID, `… which the dissector shows as "Src pid" ${PID}`);
  t.equal(put!.labelDestPid, PID2, `… and "Dest pid" ${PID2}`);
  t.same(wire(ack!), { dest: PID2, src: PID }, `its ACK: dest_pid ${PID2}, src_pid ${PID}`);
});

t.test('PUT with ACK: header fields, and the ACK echoes its handle and match bits', opts, async (t) => {
  const pdus = pdusOk(t);
  if (!pdus) return;
  for (const [put, ack, what] of [
    [pdus[0]!, pdus[1]!, PUT_ACK],
    [pdus[7]!, pdus[8]!, PUT_PID2],
  ] as const) {
    const wantPut = { ptlIndex: what.portal, matchBits: what.matchBits, hdrData: what.hdrData, offset: 0, payloadLength: what.length };
    t.same(
      pick(put, wantPut),
      wantPut,
      `PUT (frame ${put.frame}): portal, match bits, hdr_data, offset, payload length`,
    );
    t.not(put.wmdInterface, NONE, 'ack_wmd set (an ACK is wanted)');
    t.not(put.wmdObject, NONE, 'ack_wmd object cookie set');
    const wantAck = { payloadLength: 0, matchBits: what.matchBits, mlength: what.length };
    t.same(pick(ack, wantAck), wantAck, `ACK (frame ${ack.frame}): no payload, match bits echoed, mlength`);
    t.same(
      [bswap64(ack.wmdInterface), bswap64(ack.wmdObject)],
      [put.wmdInterface, put.wmdObject],
      'ACK dst_wmd = the PUT’s ack_wmd (the dissector reads it big-endian: shown byte-swapped)',
    );
  }
});

t.test('PUT without ACK', opts, async (t) => {
  const pdus = pdusOk(t);
  if (!pdus) return;
  const put = pdus[2]!;
  const want = { ptlIndex: PUT_NOACK.portal, matchBits: PUT_NOACK.matchBits, hdrData: 0n, offset: 0, payloadLength: PUT_NOACK.length };
  t.same(pick(put, want), want, 'portal, match bits, hdr_data, offset, payload length');
  t.same([put.wmdInterface, put.wmdObject], [NONE, NONE], 'ack_wmd is LNET_WIRE_HANDLE_COOKIE_NONE (as the kernel’s no-ACK selftest PUTs)');
  t.equal(pdus.filter((p) => p.typeName === 'ACK').length, 2, 'no ACK for it');
});

t.test('GET and REPLY', opts, async (t) => {
  const pdus = pdusOk(t);
  if (!pdus) return;
  for (const [get, reply, what, len] of [
    [pdus[3]!, pdus[4]!, { ...GET, sink: GET.sink }, GET.served],
    [pdus[5]!, pdus[6]!, PING, 48],
  ] as const) {
    const wantGet = { ptlIndex: what.portal, matchBits: what.matchBits, srcOffset: 0, sinkLength: what.sink, payloadLength: 0 };
    t.same(
      pick(get, wantGet),
      wantGet,
      `GET (frame ${get.frame}): portal ${what.portal}, match bits, src_offset, sink_length, no payload`,
    );
    t.not(get.wmdInterface, NONE, 'return_wmd set');
    t.equal(reply.payloadLength, len, `REPLY (frame ${reply.frame}): ${len} bytes`);
    t.same([reply.wmdInterface, reply.wmdObject], [get.wmdInterface, get.wmdObject], 'REPLY dst_wmd = the GET’s return_wmd');
    t.equal(reply.matchBits, undefined, 'REPLY carries no match bits');
  }
  t.ok(
    pdus[4]!.frameLen < GET.served,
    `the ${GET.served}-byte REPLY spans several TCP segments and was reassembled (completing frame ${pdus[4]!.frameLen} bytes)`,
  );
  t.not(pdus[3]!.wmdObject, pdus[5]!.wmdObject, 'each GET its own MD');
});

t.test('as the kernel recordings decode', opts, async (t) => {
  const pdus = pdusOk(t);
  if (!pdus) return;
  // Expert info: only the dissector's complaint about PUT payloads it has no sub-dissector for.
  const ours = run.frames.flatMap((f) => f.expert);
  // (Over every frame, so discovery's pushes too.)
  const putsWithPayload = run.pdus.filter((p) => p.typeName === 'PUT' && p.payloadLength > 0);
  t.same(
    [...new Set(ours.map(normExpert))],
    ['Capture:N offset:96 (length:0) msg_type:1 ib_type:00'],
    'the only expert message is "buffer length mis-match" on PUTs (no Malformed)',
  );
  t.same(
    ours.map((m) => Number(/Capture:(\d+)/.exec(m)?.[1])).sort((x, y) => x - y),
    putsWithPayload.map((p) => 96 + p.payloadLength).sort((x, y) => x - y),
    'one per PUT, naming its full size (96 + payload)',
  );

  // Info column and size of the single-message frames, against the kernel's summaries. Their
  // frames have 66 bytes of headers (Ethernet, IPv4, TCP with timestamps); compare TCP payloads,
  // since under load loopback TCP may add options (SACK) to ours.
  const KERNEL_HDRS = 66;
  const mine = [
    { what: 'ping GET', p: pdus[5]! },
    { what: 'ping REPLY', p: pdus[6]! },
    { what: 'ACK', p: pdus[1]! },
    { what: 'ACK', p: pdus[8]! },
  ];
  t.match(pdus[5]!.info, /^LNET_GET, Unknown \(0\)$/, 'ping GET Info: LNET_GET, Unknown (0)');
  t.match(pdus[0]!.info, /^LNET_PUT, Unknown\(40\)$/, 'PUT Info: LNET_PUT, Unknown(40) (the dissector has no space there)');
  if (!haveInterop) return;
  const kernel = new Map<string, Set<number>>();
  for (const f of ['01-start-teardown', '02-ping-discover']) {
    const u = interopFile(`${f}.tshark-summary.txt`);
    if (!existsSync(u)) continue;
    for (const [info, lens] of summaryLnetLines(readFileSync(u, 'utf8')))
      kernel.set(info, new Set([...(kernel.get(info) ?? []), ...[...lens].map((l) => l - KERNEL_HDRS)]));
  }
  t.ok(kernel.size > 0, 'kernel summaries read');
  for (const { what, p } of mine) {
    if (p.pdusInFrame !== 1) {
      t.comment(`${what} (frame ${p.frame}) shares its frame with another message: not compared`);
      continue;
    }
    t.ok(kernel.get(p.info)?.has(p.tcpLen), `${what}: "${p.info}", ${p.tcpLen} bytes of TCP payload, as a kernel frame in the recordings`);
  }

  // The same dissector on the kernel's own discovery PUT/ACK: the ACK's handle shows swapped there too.
  const kpcap = interopFile('02-ping-discover.pcap');
  if (existsSync(kpcap)) {
    const kp = decodeLnet(tshark!, fileURLToPath(kpcap), undefined).flatMap((f) => f.pdus);
    const kputs = kp.filter((p) => p.typeName === 'PUT' && p.wmdInterface !== NONE);
    const kacks = kp.filter((p) => p.typeName === 'ACK');
    t.ok(kputs.length > 0 && kacks.length > 0, 'kernel PUTs and ACKs found');
    t.ok(
      kacks.every((a) => kputs.some((p) => bswap64(a.wmdInterface) === p.wmdInterface && bswap64(a.wmdObject) === p.wmdObject)),
      'every kernel ACK shows its PUT’s ack_wmd byte-swapped, as ours do',
    );
    const kexp = decodeLnet(tshark!, fileURLToPath(kpcap), undefined).flatMap((f) => f.expert);
    t.same([...new Set(kexp.map(normExpert))], [...new Set(ours.map(normExpert))], 'the kernel recording draws the same expert messages');
    t.same(
      [...new Set(kp.map((p) => `${p.ksmType}/${p.csum}/${p.zcReqCookie}/${p.zcAckCookie}`))],
      [...new Set(pdus.map((p) => `${p.ksmType}/${p.csum}/${p.zcReqCookie}/${p.zcAckCookie}`))],
      'same ksock header values as the kernel’s messages',
    );
  }
});
