// The PUT fast paths (LNetCore.fastTx/fastRx: completeTxPut and completeRxPut) against the
// general finalize whose steps they take: the same traffic between two socklnd nodes on real
// sockets, once with them on and once off. Every event each MD got, both nodes' counters, and
// `net show` / `peer show` at their most verbose (credits, minimums, statistics, health) must
// come out the same; with them on, the fast paths must have carried the steady-state PUTs.
import t from 'tap';
import { AckReq, EventKind, LNET_ANY_NID, LNET_MD_THRESH_INF, LNET_PID_ANY, MdOption, Unlink, formatNid, type LNet, type LNetEvent, type LNetMsg, type MdHandle, type ProcessId } from '../../src/index.js';
import { render } from '../../src/cli/yaml/index.js';
import { buildNetShow, buildPeerShow } from '../../src/control/docs/index.js';
import { sockNode } from '../helpers/socklnd-node.js';
import { quiet } from './settle.js';

const A = '127.0.0.81@tcp';
const B = '127.0.0.82@tcp';
let port = 25000 + (process.pid % 1000) * 2;

/** One event as the comparison sees it (handles by the order the run made them). */
function describe(ev: LNetEvent, handles: Map<MdHandle, number>): string {
  const id = (p: ProcessId): string => `${p.pid}-${formatNid(p.nid)}`;
  return [
    EventKind[ev.type],
    `status=${ev.status}`,
    ev.unlinked ? 'unlinked' : '',
    `md=${handles.get(ev.mdHandle) ?? '?'}`,
    `type=${ev.msgType}`,
    `len=${ev.mlength}/${ev.rlength}@${ev.offset}`,
    `ptl=${ev.ptIndex}`,
    `mb=${ev.matchBits}`,
    `hdr=${ev.hdrData}`,
    `target=${id(ev.target)}`,
    `initiator=${id(ev.initiator)}`,
    `source=${id(ev.source)}`,
    `sender=${formatNid(ev.sender)}`,
    `opts=${ev.mdOptions}`,
  ].join(' ');
}

/** The fast-path entry points of a node, counted as they are called (instance properties shadow the class's). */
function countCalls(node: LNet, counts: Record<string, number>): void {
  const core = node.core as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['completeTxPut', 'completeRxPut']) {
    const fn = core[name]!;
    counts[name] = 0;
    core[name] = function (this: unknown, ...args: unknown[]) {
      counts[name]!++;
      return fn.apply(this, args);
    };
  }
}

/**
 * The health checks a node's completions make, as a sorted list (completions on different
 * connections may interleave differently from run to run): health values start at the maximum,
 * so a missed success would not show in them.
 */
function recordHealthChecks(node: LNet, into: string[]): void {
  const health = node.core.health as unknown as { check(msg: LNetMsg, status: number): boolean };
  const check = health.check.bind(health);
  health.check = (msg, status) => {
    into.push(`${msg.type}/${status}/${msg.txCommitted ? 'tx' : 'rx'}`);
    return check(msg, status);
  };
}

interface Outcome {
  events: Record<string, string[]>;
  state: Record<string, unknown>;
  calls: Record<string, number>;
}

/** The traffic, with the fast paths `fast` on both nodes. */
async function run(fast: boolean): Promise<Outcome> {
  // One port: each listens on its own address and connects to the other's on it.
  const p = port++;
  const a = await sockNode(A, p);
  const b = await sockNode(B, p);
  try {
    for (const n of [a.lnet, b.lnet]) n.core.fastTx = n.core.fastRx = fast;
    const calls: Record<string, number> = {};
    countCalls(a.lnet, calls);
    countCalls(b.lnet, calls);
    const checks: Record<string, string[]> = { a: [], b: [] };
    recordHealthChecks(a.lnet, checks['a']!);
    recordHealthChecks(b.lnet, checks['b']!);
    const events: Record<string, string[]> = {};
    const handles = new Map<MdHandle, number>();
    const logTo = (tag: string) => (ev: LNetEvent) => {
      (events[tag] ??= []).push(describe(ev, handles));
    };
    const named = (h: MdHandle): MdHandle => (handles.set(h, handles.size), h);
    const anyone = { nid: LNET_ANY_NID, pid: LNET_PID_ANY };
    const put = (opt: number) => MdOption.OP_PUT | opt;

    // B's side: portals for each way a PUT can land or not.
    const sink = new Uint8Array(1 << 16);
    // 30: any PUT, remote-managed offsets, truncating, never ACKs.
    named(b.lnet.mdAttach(b.lnet.meAttach(30, anyone, 0n, 0n), { start: sink, threshold: LNET_MD_THRESH_INF, options: put(MdOption.MANAGE_REMOTE | MdOption.TRUNCATE | MdOption.ACK_DISABLE), handler: logTo('b30') }));
    // 31: three PUTs, then the MD is used up and unlinks; locally managed offsets.
    named(b.lnet.mdAttach(b.lnet.meAttach(31, anyone, 7n, 0n), { start: new Uint8Array(64), threshold: 3, options: put(0), handler: logTo('b31') }));
    // 32: ACKs allowed, 16 bytes, no truncation (a longer PUT is dropped); match bits with ignore bits.
    named(b.lnet.mdAttach(b.lnet.meAttach(32, anyone, 0x1200n, 0xffn), { start: new Uint8Array(16), threshold: LNET_MD_THRESH_INF, options: put(MdOption.MANAGE_REMOTE), handler: logTo('b32') }));
    // 33: lazy; its MD comes after the PUT.
    b.lnet.setLazyPortal(33);
    // 34: only from A's NID, pid 12345.
    named(b.lnet.mdAttach(b.lnet.meAttach(34, { nid: a.lnet.core.nis.find((n) => formatNid(n.nid) === A)!.nid, pid: 12345 }, 0n, 0n), { start: new Uint8Array(256), threshold: LNET_MD_THRESH_INF, options: put(MdOption.TRUNCATE), handler: logTo('b34') }));

    const target = a.lnet.parseTarget(`12345-${B}`);
    const payload = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    const bound = (tag: string, len: number, threshold = 1): MdHandle => named(a.lnet.mdBind({ start: payload.subarray(0, len), threshold, handler: logTo(tag) }, Unlink.UNLINK));

    // 1. An MD per PUT, no ACK, sizes from 0 to 4 KiB (the first one starts discovery).
    for (let i = 0; i < 12; i++) a.lnet.put(undefined, bound(`a-bound${i}`, [0, 1, 96, 4096][i % 4]!), AckReq.NOACK, target, 30, 0n, i * 8, BigInt(1000 + i) << 32n);
    await quiet([a.lnet, b.lnet]);
    // 2. One MD of threshold ∞ for 40 PUTs at once: five times the peer credits, so most wait for one.
    const one = bound('a-one', 0, LNET_MD_THRESH_INF);
    for (let i = 0; i < 40; i++) a.lnet.put(undefined, one, AckReq.NOACK, target, 30, 0n);
    await quiet([a.lnet, b.lnet]);
    a.lnet.mdUnlink(one);
    // 3. Five PUTs to the MD of threshold 3: three land (the third unlinks it), two find no MD.
    for (let i = 0; i < 5; i++) a.lnet.put(undefined, bound(`a-31-${i}`, 8), AckReq.NOACK, target, 31, 7n);
    await quiet([a.lnet, b.lnet]);
    // 4. ACKed PUTs: two that fit, one too long (dropped: B sends no ACK, so only its SEND comes).
    a.lnet.put(undefined, bound('a-ack0', 16, 2), AckReq.ACK, target, 32, 0x1234n);
    a.lnet.put(undefined, bound('a-ack1', 4, 2), AckReq.ACK, target, 32, 0x12ffn, 3);
    a.lnet.put(undefined, bound('a-ack2', 17), AckReq.NOACK, target, 32, 0x1200n);
    // 5. Match bits no ME takes, a portal nobody uses, and the NID-restricted ME.
    a.lnet.put(undefined, bound('a-nomatch', 1), AckReq.NOACK, target, 32, 0x1300n);
    a.lnet.put(undefined, bound('a-noportal', 1), AckReq.NOACK, target, 35, 0n);
    a.lnet.put(undefined, bound('a-34', 300), AckReq.NOACK, target, 34, 0n);
    await quiet([a.lnet, b.lnet]);
    // 6. The lazy portal: the PUT waits for its MD.
    a.lnet.put(undefined, bound('a-lazy', 10), AckReq.NOACK, target, 33, 0n);
    await quiet([a.lnet, b.lnet], 300);
    named(b.lnet.mdAttach(b.lnet.meAttach(33, anyone, 0n, 0n), { start: new Uint8Array(32), threshold: 1, options: put(0), handler: logTo('b33') }));
    // 7. A GET both ways, and a PUT from B (the general path's other users in between).
    const getSink = named(a.lnet.mdBind({ start: new Uint8Array(8), threshold: 2, handler: logTo('a-get') }, Unlink.UNLINK));
    named(b.lnet.mdAttach(b.lnet.meAttach(36, anyone, 0n, 0n), { start: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), threshold: 1, options: MdOption.OP_GET, handler: logTo('b36') }));
    a.lnet.get(undefined, getSink, target, 36, 0n);
    named(a.lnet.mdAttach(a.lnet.meAttach(30, anyone, 0n, 0n), { start: new Uint8Array(64), threshold: 1, options: put(0), handler: logTo('a30') }));
    b.lnet.put(undefined, named(b.lnet.mdBind({ start: payload.subarray(0, 20), threshold: 2, handler: logTo('b-put') }, Unlink.UNLINK)), AckReq.ACK, b.lnet.parseTarget(`12345-${A}`), 30, 0n);
    await quiet([a.lnet, b.lnet]);

    const state: Record<string, unknown> = {};
    for (const [name, n] of [['a', a.lnet], ['b', b.lnet]] as const) {
      state[`${name} counters`] = { ...n.core.counters };
      state[`${name} net show`] = render(buildNetShow(n, { verbose: 4 }));
      state[`${name} peer show`] = render(buildPeerShow(n, { verbose: 4 }));
      state[`${name} resources`] = n.core.resourceCounts();
      state[`${name} path cache hits`] = n.core.pathCache.hits;
      state[`${name} health checks`] = checks[name]!.sort();
    }
    return { events, state, calls };
  } finally {
    await Promise.all([a.lnet.shutdown(), b.lnet.shutdown()]);
  }
}

t.test('the same traffic with the PUT fast paths on and off: the same events, counters, credits, statistics and health', { timeout: 60_000 }, async (t) => {
  const off = await run(false);
  const on = await run(true);
  t.same(off.calls, { completeTxPut: 0, completeRxPut: 0 }, 'off: no fast path taken');
  // With them on, A's PUTs (its 64 and discovery's) completed the fast way, but for any the
  // general finalize took (a failed batch, one finished inside another completion).
  t.ok(on.calls.completeTxPut! >= 50, `on: A's PUTs completed on the fast path (${on.calls.completeTxPut})`);
  t.ok(on.calls.completeRxPut! >= 50, `on: B's PUTs received and completed on the fast path (${on.calls.completeRxPut})`);
  t.same(Object.keys(on.events).sort(), Object.keys(off.events).sort(), 'the same MDs got events');
  for (const tag of Object.keys(off.events).sort()) t.same(on.events[tag], off.events[tag], `events of ${tag}`);
  for (const k of Object.keys(off.state)) t.same(on.state[k], off.state[k], k);
  // The traffic did what it says (so the comparison is of something).
  t.equal(off.events['b30']!.length, 12 + 40, 'B: 52 PUTs on portal 30');
  t.same(off.events['b31']!.map((e) => e.split(' ').slice(0, 3).join(' ')), ['PUT status=0 ', 'PUT status=0 ', 'PUT status=0 unlinked'], 'B: the third PUT used the MD of threshold 3 up');
  t.match(off.events['a-ack0']!.map((e) => e.split(' ')[0]), ['SEND', 'ACK'], 'an ACKed PUT got its ACK');
  t.same(off.events['b33']!.length, 1, 'the lazy PUT landed once its MD came');
});
