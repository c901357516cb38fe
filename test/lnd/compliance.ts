// The LND compliance suite: the same checks for every LND (memory LND, socklnd, o2iblnd).
// A test file calls `lndCompliance(t, factory)`; each check is its own top-level `t.test`, run on
// a fresh pair of nodes from the factory, and bounds every wait it makes.
//
// What an LND must do to pass: carry headers and payloads intact (0 B … LNET_MTU, contiguous
// and fragmented MDs, at offsets), deliver in send order within a size class (small < 1 KiB,
// bulk), complete every send it accepted exactly once (so credits and queues drain), fail sends
// to a dead peer with an LNetError, survive a peer restarting and connections breaking: every
// operation settles, and traffic flows again afterwards.
//
// Factories: give each pair its own addresses/ports (checks run one after another, but test
// files may run in parallel); one connection per type (socklnd conns_per_peer 1), or bulk
// ordering is not promised; optional hooks (restartB, breakLinks, deadTarget) enable the
// checks that need them, which are reported as skipped otherwise.
import type { Test } from 'tap';
import { setMaxListeners } from 'node:events';
import { LNetError } from '../../src/errors.js';
import type { IncomingMessage, LNet, Listener } from '../../src/lnet.js';
import { EventKind, LNET_MD_THRESH_INF, MdOption, Unlink } from '../../src/core/constants.js';
import type { LNetEvent } from '../../src/core/event.js';
import { nidEquals, nidNet, LNET_ANY_NID, type Nid } from '../../src/nid/nid.js';
import { formatNid } from '../../src/nid/nid-string.js';
import { LNET_PID_ANY } from '../../src/nid/process-id.js';
import { LNET_MTU } from '../../src/wire/lnet-hdr.js';

/** Two running nodes joined by the LND under test. */
export interface LndPair {
  a: LNet;
  /** The current node b; a factory's `restartB` should update it too. */
  b: LNet;
  /** `12345-<a's NID>` */
  aTarget: string;
  /** `12345-<b's NID>` */
  bTarget: string;
  /** Shut down both nodes (the current b) and whatever the factory made. Must be idempotent. */
  close(): Promise<void>;
  /** Restart node b (same NID), returning the new instance; optional. */
  restartB?(): Promise<LNet>;
  /** Abruptly break every connection between a and b (e.g. destroy sockets) while keeping both nodes up; optional. */
  breakLinks?(): Promise<void> | void;
  /**
   * `12345-<nid>` on a's net where no node runs and sends fail promptly (socklnd: an address
   * nobody listens on, so connect is refused); optional.
   */
  deadTarget?: string;
}

export interface LndFactory {
  /** Shown in the test names, e.g. `memlnd`. */
  name: string;
  /** Start a pair; `peerCredits` / `credits` are the NI tunables `peer_credits` / `credits` of both nodes. */
  pair(opts?: { peerCredits?: number; credits?: number }): Promise<LndPair>;
}

/** The checks, by id (for `ComplianceOptions.todo` / `skip` / `only`). */
export const CHECK_IDS = [
  'put-0B',
  'put-1B',
  'put-4KiB',
  'put-1MiB',
  'put-over-mtu',
  'get-0B',
  'get-1B',
  'get-4KiB',
  'get-1MiB',
  'get-over-mtu',
  'put-ack-mlength',
  'put-noack',
  'get-sink-smaller',
  'get-sink-larger',
  'get-repeat',
  'kiov',
  'bulk',
  'ordering',
  'credits',
  'both-ways',
  'self',
  'unreachable',
  'unreachable-cleanup',
  'restart',
  'break',
  'reuse',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export interface ComplianceOptions {
  /** Bound on any one wait (a message arriving, an operation completing), ms. Default 30 000. */
  waitMs?: number;
  /** Bound on an operation settling after `breakLinks` (an LND may need its own timeout to notice), ms. Default 120 000. */
  settleMs?: number;
  /** Attempts allowed for the first exchange after a restart or a break. Default 10. */
  attempts?: number;
  /** Bound on each of those attempts (it is then aborted: ECANCELED), ms. Default 10 000. */
  attemptMs?: number;
  /** Mark checks todo (id → reason): they run, failures don't count. Adds to the suite's own todos. */
  todo?: Partial<Record<CheckId, string>>;
  /** Skip checks (id → reason). */
  skip?: Partial<Record<CheckId, string>>;
  /** Run only these checks. */
  only?: readonly CheckId[];
}

/**
 * Known bugs outside the LNDs that make a check fail whatever the LND: the check stays `todo`
 * until they are fixed (then tap reports the todo passing).
 */
const CORE_TODO: Partial<Record<CheckId, string>> = {};

type Ctx = Required<Pick<ComplianceOptions, 'waitMs' | 'settleMs' | 'attempts' | 'attemptMs'>> & { factory: LndFactory };

interface Check {
  id: CheckId;
  title: string;
  pairOpts?: { peerCredits?: number; credits?: number };
  needs?: 'restartB' | 'breakLinks' | 'deadTarget';
  run(t: Test, p: LndPair, ctx: Ctx): Promise<void>;
}

const KiB = 1024;
const MiB = 1024 * KiB;
/** Match bits and hdr_data with every byte distinct, so a codec that swaps halves or bytes shows. */
const MBITS = 0xfedcba9876543210n;
const HDATA = 0x0123456789abcdefn;
const ALL_BITS = 0xffffffffffffffffn;
const ANY = { nid: LNET_ANY_NID, pid: LNET_PID_ANY };

// ------------------------------------------------------------------ helpers

/** Patterned bytes: an xorshift32 stream from `seed`, so a shifted, swapped or stale chunk shows. */
export function pattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = (Math.imul(seed + 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function concat(frags: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(frags.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)));
}

/** Byte-for-byte comparison that reports the length or the first differing offset, not a 1 MiB diff. */
function sameBytes(t: Test, got: Uint8Array, want: Uint8Array, what: string): boolean {
  if (got.byteLength !== want.byteLength) return t.equal(got.byteLength, want.byteLength, `${what}: length`);
  if (Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)))
    return t.pass(what);
  let i = 0;
  while (got[i] === want[i]) i++;
  return t.fail(`${what}: first difference at byte ${i} of ${want.byteLength}`, {
    found: Buffer.from(got.subarray(i, i + 16)).toString('hex'),
    wanted: Buffer.from(want.subarray(i, i + 16)).toString('hex'),
  });
}

/** `p`, or a rejection naming `what` if it has not settled within `ms` (a hang, not a timing claim). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, bound]);
  } finally {
    clearTimeout(timer);
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
const settle = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.then(
    (value) => ({ ok: true, value }) as const,
    (error: unknown) => ({ ok: false, error }) as const,
  );

const describeError = (e: unknown): string => (e instanceof LNetError ? e.code : e instanceof Error ? e.message : String(e));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` up to `tries` times, 10 ms apart (for state an LND updates after the operation settled). */
async function eventually(cond: () => boolean, tries = 1000): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return true;
    await sleep(10);
  }
  return cond();
}

/** A signal that aborts after `ms`, usable by many operations at once. */
function timeoutSignal(ms: number): AbortSignal {
  const s = AbortSignal.timeout(ms);
  setMaxListeners(0, s);
  return s;
}

const nidOf = (node: LNet, target: string): Nid => node.parseTarget(target).nid;

/** node's credit state towards the peer `peerTarget`. */
function credits(node: LNet, peerTarget: string) {
  const peerNid = nidOf(node, peerTarget);
  const lpni = [...node.core.peers.values()].find((p) => nidEquals(p.nid, peerNid));
  const ni = node.nis.find((n) => n !== node.core.loNi && n.net === nidNet(peerNid));
  return { lpni, ni };
}

function isDrained(node: LNet, peerTarget: string): boolean {
  const { lpni, ni } = credits(node, peerTarget);
  if (!ni) return false;
  const niOk = ni.txQueues.every((q) => q.credits === q.maxCredits && q.delayed.length === 0);
  // No peer NI yet means nothing was ever sent to that peer: trivially drained.
  const peerOk = !lpni || (lpni.txCredits === lpni.maxTxCredits && lpni.txQueue.length === 0 && lpni.txQnob === 0);
  return niOk && peerOk;
}

/** Wait (bounded) for `node`'s queues towards the peer to drain, then assert every credit came back. */
async function assertDrained(t: Test, node: LNet, peerTarget: string, who: string): Promise<void> {
  await eventually(() => isDrained(node, peerTarget));
  const { lpni, ni } = credits(node, peerTarget);
  t.ok(ni, `${who}: has an NI on the peer's net`);
  if (lpni) {
    t.equal(lpni.txCredits, lpni.maxTxCredits, `${who}: all peer tx credits returned`);
    t.equal(lpni.txQueue.length, 0, `${who}: peer tx queue empty`);
    t.equal(lpni.txQnob, 0, `${who}: no bytes queued for the peer`);
  }
  ni?.txQueues.forEach((q, i) => {
    t.equal(q.credits, q.maxCredits, `${who}: NI tx credits of CPT ${i} returned`);
    t.equal(q.delayed.length, 0, `${who}: NI tx queue of CPT ${i} empty`);
  });
}

/**
 * Nothing of `node` is in flight or awaited (it may still have MEs/MDs of its own listeners).
 * `trackers: false` after operations that failed: their response trackers outlive them until the
 * transaction timeout (the 'unreachable-cleanup' core bug), which is not the LND's doing.
 */
async function assertIdle(t: Test, node: LNet, who: string, o: { trackers?: boolean } = {}): Promise<void> {
  const trackers = o.trackers ?? true;
  await eventually(() => node.core.resourceCounts().active === 0 && (!trackers || node.core.resourceCounts().trackers === 0));
  const rc = node.core.resourceCounts();
  t.equal(rc.active, 0, `${who}: no messages left on the active list`);
  if (trackers) t.equal(rc.trackers, 0, `${who}: no response trackers left`);
}

/**
 * Run `attempt(i)` until one succeeds, at most `n` times (not a time bound: the first attempts
 * after a restart or a break may fail on a stale connection, each with an LNetError).
 */
async function untilSuccess<T>(
  t: Test,
  n: number,
  what: string,
  attempt: (i: number) => Promise<T>,
): Promise<{ value: T; attempt: number } | undefined> {
  const errors: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await settle(attempt(i));
    if (r.ok) {
      if (errors.length) t.comment(`${what}: succeeded at attempt ${i + 1} after ${errors.join(', ')}`);
      return { value: r.value, attempt: i };
    }
    t.ok(r.error instanceof LNetError, `${what}: attempt ${i + 1} failed with an LNetError (${describeError(r.error)})`);
    errors.push(describeError(r.error));
    // Let the LND notice the dead connection before the next try.
    await sleep(20 * (i + 1));
  }
  t.fail(`${what}: no success in ${n} attempts`, { errors });
  return undefined;
}

/**
 * The next message of `l` that satisfies `want`, passing over at most `maxSkip` others, each of
 * which must satisfy `skippable` (e.g. a retried attempt that landed although it failed).
 */
async function nextWhere(
  t: Test,
  l: Listener,
  want: (m: IncomingMessage) => boolean,
  maxSkip: number,
  waitMs: number,
  who: string,
  skippable: (m: IncomingMessage) => boolean,
): Promise<IncomingMessage | undefined> {
  for (let k = 0; k <= maxSkip; k++) {
    const m = await l.next(waitMs);
    if (want(m)) return m;
    t.ok(skippable(m), `${who}: passing over an earlier attempt, intact (${m.data.byteLength} B, bits ${m.matchBits})`);
  }
  t.fail(`${who}: the expected message is not among the next ${maxSkip + 1}`);
  return undefined;
}

/** A sequence-numbered payload of `size` bytes: the content depends on seq. */
const seqPayload = (seq: number, size: number, stream: number): Uint8Array => pattern(size, stream * 100003 + seq);

// ------------------------------------------------------------------ the checks

const SIZES: Array<[label: string, id: string, size: number]> = [
  ['0 B', '0B', 0],
  ['1 B', '1B', 1],
  ['4 KiB', '4KiB', 4 * KiB],
  ['1 MiB (LNET_MTU)', '1MiB', LNET_MTU],
];

function putSize(label: string, id: string, size: number): Check {
  return {
    id: `put-${id}` as CheckId,
    title: `PUT ${label}: payload and header fields arrive intact, the ACK reports ${size} bytes`,
    async run(t, p, ctx) {
      const aNid = nidOf(p.a, p.aTarget);
      const l = p.b.listen({ portal: 40, matchBits: MBITS });
      t.teardown(() => l.close());
      const data = pattern(size, size + 1);
      const r = await within(
        p.a.putAsync({ target: p.bTarget, portal: 40, matchBits: MBITS, hdrData: HDATA, data }),
        ctx.waitMs,
        'PUT',
      );
      t.equal(r.sendEvent.status, 0, 'SEND status 0');
      t.equal(r.sendEvent.mlength, size, 'SEND reports the length sent');
      t.equal(r.ackEvent?.type, EventKind.ACK, 'an ACK came back');
      t.equal(r.mlength, size, 'ACK mlength: every byte deposited');
      t.equal(r.ackEvent?.matchBits, MBITS, 'ACK carries the match bits');
      const m = await l.next(ctx.waitMs);
      sameBytes(t, m.data, data, 'payload');
      t.equal(m.rlength, size, 'rlength');
      t.equal(m.event.mlength, size, 'mlength');
      t.equal(m.matchBits, MBITS, 'match bits');
      t.equal(m.hdrData, HDATA, 'hdr_data');
      t.equal(m.portal, 40, 'portal');
      t.ok(nidEquals(m.initiator.nid, aNid), `initiator NID is a's (${formatNid(m.initiator.nid)})`);
      t.equal(m.initiator.pid, p.a.pid, 'initiator pid');
      t.ok(nidEquals(m.event.sender, aNid), 'sender (last hop) is a');
      t.ok(nidEquals(m.event.target.nid, nidOf(p.a, p.bTarget)), 'target NID is b');
      await assertIdle(t, p.a, 'a');
      await assertDrained(t, p.a, p.bTarget, 'a');
    },
  };
}

function getSize(label: string, id: string, size: number): Check {
  return {
    id: `get-${id}` as CheckId,
    title: `GET ${label}: the REPLY carries the served bytes intact`,
    async run(t, p, ctx) {
      const data = pattern(size, size + 2);
      const gets: LNetEvent[] = [];
      const stop = p.b.serveGet({ portal: 41, matchBits: MBITS, data, onGet: (e) => gets.push(e.clone()) });
      t.teardown(stop);
      const sink = new Uint8Array(size).fill(0xee);
      const r = await within(p.a.getAsync({ target: p.bTarget, portal: 41, matchBits: MBITS, sink }), ctx.waitMs, 'GET');
      t.equal(r.replyEvent.status, 0, 'REPLY status 0');
      t.equal(r.mlength, size, 'mlength');
      t.equal(r.rlength, size, 'rlength');
      sameBytes(t, r.data, data, 'REPLY payload');
      t.ok(nidEquals(r.replyEvent.initiator.nid, nidOf(p.a, p.bTarget)), 'REPLY initiator is b');
      await eventually(() => gets.length > 0);
      t.equal(gets.length, 1, 'b saw one GET');
      t.equal(gets[0]?.mlength, size, "b's GET event: mlength");
      t.equal(gets[0]?.matchBits, MBITS, "b's GET event: match bits");
      t.ok(gets[0] && nidEquals(gets[0].initiator.nid, nidOf(p.a, p.aTarget)), "b's GET event: initiator is a");
      await assertIdle(t, p.a, 'a');
      await assertIdle(t, p.b, 'b');
      await assertDrained(t, p.b, p.aTarget, 'b');
    },
  };
}

const putOverMtu: Check = {
  id: 'put-over-mtu',
  title: 'PUT of LNET_MTU+1 B and 4 MiB is refused with EINVAL (LNetMDBind), nothing is sent',
  async run(t, p, ctx) {
    const l = p.b.listen({ portal: 42 });
    t.teardown(() => l.close());
    for (const size of [LNET_MTU + 1, 4 * MiB]) {
      for (const ack of [true, false]) {
        await t.rejects(
          p.a.putAsync({ target: p.bTarget, portal: 42, matchBits: 0, data: new Uint8Array(size), ack }),
          { code: 'EINVAL' },
          `${size} B, ack ${ack}: EINVAL`,
        );
        t.same(p.a.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 }, 'nothing bound or in flight');
      }
    }
    // The first message b gets is the one sent after the refused ones.
    const marker = Buffer.from('after');
    await within(p.a.putAsync({ target: p.bTarget, portal: 42, matchBits: 0, data: marker }), ctx.waitMs, 'PUT');
    sameBytes(t, (await l.next(ctx.waitMs)).data, marker, 'b received only the valid PUT');
  },
};

const getOverMtu: Check = {
  id: 'get-over-mtu',
  title: 'GET into a sink of LNET_MTU+1 B or 4 MiB is refused with EINVAL; a 1 MiB GET from a 4 MiB served buffer works',
  async run(t, p, ctx) {
    // An ME-attached MD may be larger than LNET_MTU; only bound MDs are limited.
    const big = pattern(4 * MiB, 44);
    const gets: LNetEvent[] = [];
    const stop = p.b.serveGet({ portal: 43, data: big, onGet: (e) => gets.push(e.clone()) });
    t.teardown(stop);
    for (const size of [LNET_MTU + 1, 4 * MiB]) {
      await t.rejects(p.a.getAsync({ target: p.bTarget, portal: 43, matchBits: 0, sink: size }), { code: 'EINVAL' }, `${size} B sink: EINVAL`);
      t.same(p.a.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 }, 'nothing bound or in flight');
    }
    const r = await within(p.a.getAsync({ target: p.bTarget, portal: 43, matchBits: 0, sink: LNET_MTU }), ctx.waitMs, 'GET');
    t.equal(r.mlength, LNET_MTU, 'LNET_MTU bytes');
    sameBytes(t, r.data, big.subarray(0, LNET_MTU), 'the first MiB of the served buffer');
    await eventually(() => gets.length > 0);
    t.equal(gets.length, 1, 'b saw only the valid GET');
  },
};

const putAckMlength: Check = {
  id: 'put-ack-mlength',
  title: 'PUT with ACK into a smaller buffer: the ACK reports the deposited length (TRUNCATE), b gets the prefix',
  async run(t, p, ctx) {
    const l = p.b.listen({ portal: 44, maxMessage: 1000 });
    t.teardown(() => l.close());
    const data = pattern(4 * KiB, 3);
    const r = await within(p.a.putAsync({ target: p.bTarget, portal: 44, matchBits: 0, data }), ctx.waitMs, 'PUT');
    t.equal(r.sendEvent.mlength, 4 * KiB, 'SEND: the full length went');
    t.ok(r.ackEvent, 'an ACK came back');
    t.equal(r.mlength, 1000, 'ACK mlength: what b deposited');
    t.equal(r.ackEvent?.mlength, 1000);
    const m = await l.next(ctx.waitMs);
    t.equal(m.rlength, 4 * KiB, 'b: rlength is what was sent');
    sameBytes(t, m.data, data.subarray(0, 1000), 'b: the first 1000 bytes');
    // The rest of the payload was discarded, not left for the next message to trip over.
    const next = pattern(300, 4);
    const r2 = await within(p.a.putAsync({ target: p.bTarget, portal: 44, matchBits: 0, data: next }), ctx.waitMs, 'PUT');
    t.equal(r2.mlength, 300);
    sameBytes(t, (await l.next(ctx.waitMs)).data, next, 'the following message is intact');
    await assertDrained(t, p.a, p.bTarget, 'a');
    await assertDrained(t, p.b, p.aTarget, 'b');
  },
};

const putNoAck: Check = {
  id: 'put-noack',
  title: 'PUT without ACK: settles on SEND with the length sent, arrives intact, no ACK is generated',
  async run(t, p, ctx) {
    const l = p.b.listen({ portal: 45 });
    t.teardown(() => l.close());
    // A first PUT waits for discovery (ping, push, push-back): get it done, its ACKs are not ours.
    await within(p.a.discover(p.bTarget), ctx.waitMs, 'discovery');
    const acks0 = credits(p.a, p.bTarget).ni!.stats.recv.ack;
    const data = pattern(4 * KiB, 5);
    const r = await within(p.a.putAsync({ target: p.bTarget, portal: 45, matchBits: 0, data, ack: false }), ctx.waitMs, 'PUT');
    t.equal(r.ackEvent, undefined, 'no ACK event');
    t.equal(r.mlength, 4 * KiB, 'mlength: the bytes sent');
    t.equal(r.sendEvent.status, 0);
    sameBytes(t, (await l.next(ctx.waitMs)).data, data, 'payload');
    // An ACK for it would reach a before the one for this PUT on an ordered link, and be dropped.
    await within(p.a.putAsync({ target: p.bTarget, portal: 45, matchBits: 0, data: new Uint8Array(1) }), ctx.waitMs, 'PUT');
    await l.next(ctx.waitMs);
    const ani = credits(p.a, p.bTarget).ni!;
    await eventually(() => ani.stats.recv.ack >= acks0 + 1);
    t.equal(ani.stats.recv.ack - acks0, 1, 'a received exactly one ACK (for the second PUT)');
    t.equal(p.a.counters.drop_count, 0, 'a dropped nothing');
    t.equal(p.b.counters.drop_count, 0, 'b dropped nothing');
  },
};

const getSinkSmaller: Check = {
  id: 'get-sink-smaller',
  title: 'GET with a sink smaller than the served data: the REPLY carries only the sink length',
  async run(t, p, ctx) {
    const data = pattern(4 * KiB, 6);
    const stop = p.b.serveGet({ portal: 46, data });
    t.teardown(stop);
    const sink = new Uint8Array(1000);
    const r = await within(p.a.getAsync({ target: p.bTarget, portal: 46, matchBits: 0, sink }), ctx.waitMs, 'GET');
    t.equal(r.mlength, 1000);
    t.equal(r.rlength, 1000, 'b sent only what the sink takes');
    sameBytes(t, r.data, data.subarray(0, 1000), 'the first 1000 served bytes');
  },
};

const getSinkLarger: Check = {
  id: 'get-sink-larger',
  title: 'GET with a sink larger than the served data (TRUNCATE at b): mlength is the data length, the rest of the sink is untouched',
  async run(t, p, ctx) {
    const data = pattern(1000, 7);
    const stop = p.b.serveGet({ portal: 47, data });
    t.teardown(stop);
    const sink = new Uint8Array(4 * KiB).fill(0xee);
    const r = await within(p.a.getAsync({ target: p.bTarget, portal: 47, matchBits: 0, sink }), ctx.waitMs, 'GET');
    t.equal(r.mlength, 1000);
    t.equal(r.rlength, 1000);
    sameBytes(t, r.data, data, 'the served bytes');
    sameBytes(t, sink.subarray(1000), new Uint8Array(4 * KiB - 1000).fill(0xee), 'sink beyond mlength untouched');
  },
};

const getRepeat: Check = {
  id: 'get-repeat',
  title: 'GET: several GETs in a row from one serveGet each get the whole served data',
  async run(t, p, ctx) {
    const data = pattern(3000, 8);
    const stop = p.b.serveGet({ portal: 48, data });
    t.teardown(stop);
    for (let i = 0; i < 4; i++) {
      const r = await within(p.a.getAsync({ target: p.bTarget, portal: 48, matchBits: 0, sink: 3000 }), ctx.waitMs, 'GET');
      sameBytes(t, r.data, data, `GET ${i + 1}`);
    }
  },
};

const kiov: Check = {
  id: 'kiov',
  title: 'fragmented MDs (kiov): PUT and GET gather and scatter across fragments, at offsets, nothing written past mlength',
  async run(t, p, ctx) {
    const FILL = 0xee;
    // PUT: a 3-fragment source into a 3-fragment sink with MANAGE_REMOTE at offset 1234.
    const src = [pattern(7, 9), pattern(4096, 10), pattern(1003, 11)];
    const srcAll = concat(src);
    const sinkFrags = [new Uint8Array(3), new Uint8Array(4000), new Uint8Array(2000), new Uint8Array(517)].map((f) => f.fill(FILL));
    const sinkLen = sinkFrags.reduce((n, f) => n + f.byteLength, 0);
    const q = p.b.eventQueue();
    const me = p.b.meAttach(49, ANY, MBITS, 0n);
    p.b.mdAttach(me, { start: sinkFrags, threshold: 1, options: MdOption.OP_PUT | MdOption.MANAGE_REMOTE, handler: q.handler });
    const OFF = 1234;
    const r = await within(
      p.a.putAsync({ target: p.bTarget, portal: 49, matchBits: MBITS, data: src, offset: OFF }),
      ctx.waitMs,
      'PUT',
    );
    t.equal(r.mlength, srcAll.byteLength, 'ACK: everything deposited');
    const ev = await q.next(ctx.waitMs);
    t.equal(ev.type, EventKind.PUT);
    t.equal(ev.offset, OFF, 'at the remote offset');
    t.equal(ev.mlength, srcAll.byteLength);
    const got = concat(sinkFrags);
    const want = new Uint8Array(sinkLen).fill(FILL);
    want.set(srcAll, OFF);
    sameBytes(t, got, want, 'sink fragments: payload at the offset, the rest untouched');

    // GET: b serves 3 fragments; a's sink is 4 fragments, larger than the data.
    const served = [pattern(1, 12), pattern(5000, 13), pattern(2222, 14)];
    const servedAll = concat(served);
    const sme = p.b.meAttach(50, ANY, 0n, 0n);
    p.b.mdAttach(sme, { start: served, threshold: LNET_MD_THRESH_INF, options: MdOption.OP_GET | MdOption.TRUNCATE | MdOption.MANAGE_REMOTE });
    const getFrags = [new Uint8Array(2), new Uint8Array(3000), new Uint8Array(4096), new Uint8Array(1000)].map((f) => f.fill(FILL));
    const gq = p.a.eventQueue();
    const md = p.a.mdBind({ start: getFrags, threshold: 2, handler: gq.handler }, Unlink.UNLINK);
    p.a.get(undefined, md, p.a.parseTarget(p.bTarget), 50, 0n, 0);
    const evs = [await gq.next(ctx.waitMs), await gq.next(ctx.waitMs)];
    const reply = evs.find((e) => e.type === EventKind.REPLY);
    t.same(evs.map((e) => EventKind[e.type]).sort(), ['REPLY', 'SEND'], 'SEND and REPLY');
    t.equal(reply?.status, 0);
    t.equal(reply?.mlength, servedAll.byteLength, 'REPLY mlength: all the served bytes');
    const gotGet = concat(getFrags);
    const wantGet = new Uint8Array(gotGet.byteLength).fill(FILL);
    wantGet.set(servedAll, 0);
    sameBytes(t, gotGet, wantGet, 'GET sink fragments: data, then untouched');

    // A GET at a remote offset inside the served fragments.
    const r3 = await within(
      p.a.getAsync({ target: p.bTarget, portal: 50, matchBits: 0n, sink: 3000, offset: 4000 }),
      ctx.waitMs,
      'GET',
    );
    sameBytes(t, r3.data, servedAll.subarray(4000, 7000), 'GET at offset 4000 across a fragment boundary');
  },
};

const bulk: Check = {
  id: 'bulk',
  title: 'bulk: 16 concurrent 1 MiB PUTs with ACK and 8 concurrent 1 MiB GETs, all intact',
  async run(t, p, ctx) {
    const N = 16;
    const l = p.b.listen({ portal: 51, matchBits: 0n, ignoreBits: ALL_BITS, bufferSize: 2 * MiB });
    t.teardown(() => l.close());
    const payloads = Array.from({ length: N }, (_, i) => seqPayload(i, LNET_MTU, 1));
    const served = pattern(LNET_MTU, 15);
    // serveGet's MD would be walked by consecutive GETs (see 'get-repeat'): one serving MD per GET.
    const stops = Array.from({ length: 8 }, (_, i) => p.b.serveGet({ portal: 53, matchBits: BigInt(i), data: served }));
    t.teardown(() => stops.forEach((s) => s()));
    const puts = payloads.map((data, i) => p.a.putAsync({ target: p.bTarget, portal: 51, matchBits: BigInt(i), data }));
    const gets = Array.from({ length: 8 }, (_, i) =>
      p.a.getAsync({ target: p.bTarget, portal: 53, matchBits: BigInt(i), sink: LNET_MTU }),
    );
    const [putRes, getRes] = await within(Promise.all([Promise.all(puts), Promise.all(gets)]), ctx.waitMs * 2, 'bulk transfers');
    t.ok(putRes.every((r) => r.mlength === LNET_MTU), 'every ACK reports 1 MiB');
    let getsOk = 0;
    for (const r of getRes) if (Buffer.from(r.data).equals(served)) getsOk++;
    t.equal(getsOk, 8, 'every GET returned the served MiB');
    // Not in order: PUTs released together after discovery may take CONTROL before BULK_OUT is up
    // (ksocknal_match_tx rates CONTROL as MAY for bulk), so they cross on two connections.
    const seen = new Set<number>();
    for (let i = 0; i < N; i++) {
      const m = await l.next(ctx.waitMs);
      const k = Number(m.matchBits);
      t.ok(k >= 0 && k < N && !seen.has(k), `PUT ${k} arrived once`);
      seen.add(k);
      if (k >= 0 && k < N) sameBytes(t, m.data, payloads[k]!, `PUT ${k} payload`);
    }
    t.equal(seen.size, N, 'all 16 PUTs arrived');
    await assertDrained(t, p.a, p.bTarget, 'a');
    await assertDrained(t, p.b, p.aTarget, 'b');
  },
};

/** Sizes for the many-message checks: small ones (0–300 B) and bulk ones (4 KiB+13, 64 KiB). */
const mixedSize = (i: number): number =>
  i % 50 === 49 ? 64 * KiB : i % 10 === 9 ? 4096 + 13 : i % 3 === 2 ? 0 : 1 + ((i * 37) % 300);

/**
 * LNet orders nothing across size classes: socklnd's typed connections carry messages under
 * min_bulk (1 KiB) on the CONTROL connection and the others on BULK_OUT, so a small PUT may
 * overtake a bulk one sent before it. Within a class (one connection) order is kept, given
 * conns_per_peer 1.
 */
const sizeClass = (n: number): 'small' | 'bulk' => (n < 1024 ? 'small' : 'bulk');

/** Send `n` sequence-tagged PUTs from `from` to `to` (ack on every `ackEvery`-th), all at once. */
function sendStream(
  from: LNet,
  target: string,
  portal: number,
  n: number,
  stream: number,
  ackEvery: number,
): { payloads: Uint8Array[]; done: Promise<unknown[]> } {
  const payloads = Array.from({ length: n }, (_, i) => seqPayload(i, mixedSize(i), stream));
  const done = Promise.all(
    payloads.map((data, i) =>
      from.putAsync({
        target,
        portal,
        matchBits: BigInt(i),
        hdrData: (BigInt(stream) << 32n) | BigInt(i),
        data,
        ack: i % ackEvery === 0,
      }),
    ),
  );
  return { payloads, done };
}

/**
 * Read `payloads.length` messages from `l` and check they are the stream: each exactly once,
 * intact, with its header fields, and in send order within its size class.
 */
async function expectStream(
  t: Test,
  l: Listener,
  payloads: Uint8Array[],
  stream: number,
  waitMs: number,
  what: string,
): Promise<void> {
  const last = { small: -1, bulk: -1 };
  let intact = 0;
  const seen = new Set<number>();
  const problems: string[] = [];
  const note = (p: string): void => void (problems.length < 10 && problems.push(p));
  for (let i = 0; i < payloads.length; i++) {
    const m = await l.next(waitMs);
    const seq = Number(m.matchBits);
    const want = payloads[seq];
    if (!want) {
      note(`unexpected seq ${seq} (message ${i})`);
      continue;
    }
    const cls = sizeClass(want.byteLength);
    if (seen.has(seq)) note(`seq ${seq} duplicated (message ${i})`);
    else if (seq < last[cls]) note(`${cls} seq ${seq} arrived after ${cls} seq ${last[cls]} (message ${i})`);
    if (m.hdrData !== ((BigInt(stream) << 32n) | BigInt(seq))) note(`seq ${seq}: hdr_data ${m.hdrData.toString(16)}`);
    seen.add(seq);
    last[cls] = Math.max(last[cls], seq);
    if (m.rlength === want.byteLength && Buffer.from(m.data).equals(want)) intact++;
    else note(`seq ${seq}: payload differs (${m.data.byteLength} of ${m.rlength} B)`);
  }
  t.ok(
    problems.length === 0 && seen.size === payloads.length,
    `${what}: all ${payloads.length} exactly once, in send order within each size class`,
    { problems, distinct: seen.size },
  );
  t.equal(intact, payloads.length, `${what}: every payload intact`);
}

const ordering: Check = {
  id: 'ordering',
  title: 'ordering: 500 PUTs of mixed sizes from a arrive at b intact, exactly once, in send order within each size class (< 1 KiB, bulk)',
  async run(t, p, ctx) {
    const N = 500;
    const l = p.b.listen({ portal: 54, matchBits: 0n, ignoreBits: ALL_BITS, maxMessage: 64 * KiB });
    t.teardown(() => l.close());
    const s = sendStream(p.a, p.bTarget, 54, N, 1, 7);
    await within(s.done, ctx.waitMs, 'the PUTs');
    await expectStream(t, l, s.payloads, 1, ctx.waitMs, 'b');
    await assertIdle(t, p.a, 'a');
    await assertDrained(t, p.a, p.bTarget, 'a');
    await assertDrained(t, p.b, p.aTarget, 'b');
  },
};

const creditSaturation: Check = {
  id: 'credits',
  title: 'credit saturation (peer_credits 2, credits 4): 300 PUTs queue, none lost, duplicated or reordered (per size class); every credit returns',
  pairOpts: { peerCredits: 2, credits: 4 },
  async run(t, p, ctx) {
    const N = 300;
    const l = p.b.listen({ portal: 55, matchBits: 0n, ignoreBits: ALL_BITS, maxMessage: 64 * KiB });
    t.teardown(() => l.close());
    // Discovered first: a first PUT would wait on the peer for discovery, not on its credits.
    await within(p.a.discover(p.bTarget), ctx.waitMs, 'discovery');
    const s = sendStream(p.a, p.bTarget, 55, N, 2, 3);
    const { lpni, ni } = credits(p.a, p.bTarget);
    t.equal(lpni?.maxTxCredits, 2, 'the factory applied peer_credits 2');
    t.equal(ni?.txQueues.reduce((n, q) => n + q.maxCredits, 0), 4, 'the factory applied credits 4');
    t.ok(lpni && lpni.txQueue.length > 0, `messages wait for peer credits (${lpni?.txQueue.length} queued)`);
    await within(s.done, ctx.waitMs * 2, 'the PUTs');
    t.ok(lpni && lpni.minTxCredits < 0, `peer credits went negative (down to ${lpni?.minTxCredits})`);
    await expectStream(t, l, s.payloads, 2, ctx.waitMs, 'b');
    await assertIdle(t, p.a, 'a');
    await assertDrained(t, p.a, p.bTarget, 'a');
    // b sent the ACKs (every third PUT) under the same limits.
    await assertDrained(t, p.b, p.aTarget, 'b');
    t.same(p.a.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 }, 'a: nothing leaked');
  },
};

const bothWays: Check = {
  id: 'both-ways',
  title: 'traffic both ways at once: 200 PUTs and 10 GETs each way, intact, in order per size class',
  async run(t, p, ctx) {
    const N = 200;
    const la = p.a.listen({ portal: 56, matchBits: 0n, ignoreBits: ALL_BITS, maxMessage: 64 * KiB });
    const lb = p.b.listen({ portal: 56, matchBits: 0n, ignoreBits: ALL_BITS, maxMessage: 64 * KiB });
    t.teardown(() => (la.close(), lb.close()));
    const servedA = pattern(64 * KiB, 16);
    const servedB = pattern(64 * KiB, 17);
    const stops = Array.from({ length: 10 }, (_, i) => [
      p.a.serveGet({ portal: 57, matchBits: BigInt(i), data: servedA }),
      p.b.serveGet({ portal: 57, matchBits: BigInt(i), data: servedB }),
    ]).flat();
    t.teardown(() => stops.forEach((s) => s()));
    const ab = sendStream(p.a, p.bTarget, 56, N, 3, 2);
    const ba = sendStream(p.b, p.aTarget, 56, N, 4, 2);
    const getsA = Array.from({ length: 10 }, (_, i) =>
      p.a.getAsync({ target: p.bTarget, portal: 57, matchBits: BigInt(i), sink: 64 * KiB }),
    );
    const getsB = Array.from({ length: 10 }, (_, i) =>
      p.b.getAsync({ target: p.aTarget, portal: 57, matchBits: BigInt(i), sink: 64 * KiB }),
    );
    const [, , ga, gb] = await within(
      Promise.all([ab.done, ba.done, Promise.all(getsA), Promise.all(getsB)]),
      ctx.waitMs * 2,
      'the exchange',
    );
    t.equal(ga.filter((r) => Buffer.from(r.data).equals(servedB)).length, 10, "a's GETs returned b's data");
    t.equal(gb.filter((r) => Buffer.from(r.data).equals(servedA)).length, 10, "b's GETs returned a's data");
    await expectStream(t, lb, ab.payloads, 3, ctx.waitMs, 'a→b');
    await expectStream(t, la, ba.payloads, 4, ctx.waitMs, 'b→a');
    await assertIdle(t, p.a, 'a');
    await assertIdle(t, p.b, 'b');
    await assertDrained(t, p.a, p.bTarget, 'a');
    await assertDrained(t, p.b, p.aTarget, 'b');
  },
};

/**
 * To the node's own NID: the kernel sends it through the NI's LND to a peer for itself (only
 * 0@lo takes the loopback LND), so an LND must carry a node's traffic to itself.
 */
const self: Check = {
  id: 'self',
  title: "to a's own NID through the LND: ping, PUT 4 KiB and 1 MiB, GET 1 MiB, intact; credits back",
  async run(t, p, ctx) {
    const aNid = nidOf(p.a, p.aTarget);
    const r = await within(p.a.ping(p.aTarget, { timeoutMs: ctx.waitMs }), ctx.waitMs, 'ping of ourselves');
    t.same(r.peerNis.map((x) => formatNid(x.nid)), [formatNid(aNid)], 'our own ping buffer');
    const ni = p.a.nis.find((n) => nidEquals(n.nid, aNid))!;
    t.equal(ni.stats.recv.get, 1, 'the GET came in on our NI');
    t.equal(p.a.core.loNi.stats.recv.get, 0, 'not through the loopback LND');
    const l = p.a.listen({ portal: 40, matchBits: MBITS, maxMessage: LNET_MTU });
    t.teardown(() => l.close());
    for (const size of [4 * KiB, LNET_MTU]) {
      const data = pattern(size, size + 3);
      const res = await within(p.a.putAsync({ target: p.aTarget, portal: 40, matchBits: MBITS, hdrData: HDATA, data }), ctx.waitMs, 'PUT');
      t.equal(res.mlength, size, `PUT ${size}: ACK mlength`);
      const m = await l.next(ctx.waitMs);
      sameBytes(t, m.data, data, `PUT ${size}: payload`);
      t.ok(nidEquals(m.initiator.nid, aNid), 'initiator: our own NID');
      t.equal(m.hdrData, HDATA, 'hdr_data');
    }
    const served = pattern(LNET_MTU, 9);
    const stop = p.a.serveGet({ portal: 41, matchBits: MBITS, data: served });
    t.teardown(stop);
    const g = await within(p.a.getAsync({ target: p.aTarget, portal: 41, matchBits: MBITS, sink: LNET_MTU }), ctx.waitMs, 'GET');
    sameBytes(t, g.data, served, 'GET: REPLY payload');
    await assertIdle(t, p.a, 'a');
    await assertDrained(t, p.a, p.aTarget, 'a');
  },
};

/** PUT with and without ACK and GET towards the dead target: each must fail with an LNetError. */
async function failTowardsDead(t: Test, p: LndPair, ctx: Ctx): Promise<void> {
  const dead = p.deadTarget!;
  const ops: Array<[string, () => Promise<unknown>]> = [
    ['PUT with ACK', () => p.a.putAsync({ target: dead, portal: 63, matchBits: 0, data: pattern(100, 21) })],
    ['PUT without ACK', () => p.a.putAsync({ target: dead, portal: 63, matchBits: 0, data: pattern(5000, 22), ack: false })],
    ['GET', () => p.a.getAsync({ target: dead, portal: 63, matchBits: 0, sink: 100 })],
  ];
  for (const [what, op] of ops) {
    const r = await within(settle(op()), ctx.settleMs, `${what} to ${dead}`);
    t.ok(!r.ok && r.error instanceof LNetError, `${what} to ${dead} fails with an LNetError (${r.ok ? 'it succeeded' : describeError(r.error)})`);
  }
}

const unreachable: Check = {
  id: 'unreachable',
  title: 'unreachable peer: PUT (with and without ACK) and GET to a dead NID fail with an LNetError; credits return; b is still reachable',
  needs: 'deadTarget',
  async run(t, p, ctx) {
    await failTowardsDead(t, p, ctx);
    // Several at once: none hangs, all fail.
    const many = await within(
      Promise.all(Array.from({ length: 20 }, (_, i) => settle(p.a.putAsync({ target: p.deadTarget!, portal: 63, matchBits: 0, data: pattern(i * 100, i), ack: i % 2 === 0 })))),
      ctx.settleMs,
      '20 PUTs to the dead target',
    );
    t.equal(many.filter((r) => !r.ok && r.error instanceof LNetError).length, 20, '20 concurrent PUTs all fail with an LNetError');
    await assertIdle(t, p.a, 'a', { trackers: false });
    await assertDrained(t, p.a, p.deadTarget!, 'a (towards the dead target)');
    const l = p.b.listen({ portal: 63 });
    t.teardown(() => l.close());
    const data = pattern(3000, 23);
    await within(p.a.putAsync({ target: p.bTarget, portal: 63, matchBits: 0, data }), ctx.waitMs, 'PUT to b');
    sameBytes(t, (await l.next(ctx.waitMs)).data, data, 'b still gets PUTs');
  },
};

const unreachableCleanup: Check = {
  id: 'unreachable-cleanup',
  title: 'unreachable peer: failed operations leave no MD, response tracker or message behind',
  needs: 'deadTarget',
  async run(t, p, ctx) {
    await failTowardsDead(t, p, ctx);
    await eventually(() => p.a.core.resourceCounts().mds === 0 && p.a.core.resourceCounts().trackers === 0, 100);
    t.same(p.a.core.resourceCounts(), { mds: 0, mes: 0, active: 0, trackers: 0 }, 'a: nothing left behind');
  },
};

const restart: Check = {
  id: 'restart',
  title: "peer restart: b restarts with the same NID; a's traffic reaches the new b (after bounded retries), both ways",
  needs: 'restartB',
  async run(t, p, ctx) {
    const l1 = p.b.listen({ portal: 58 });
    const first = pattern(2000, 18);
    await within(p.a.putAsync({ target: p.bTarget, portal: 58, matchBits: 0, data: first }), ctx.waitMs, 'PUT to the old b');
    sameBytes(t, (await l1.next(ctx.waitMs)).data, first, 'the old b got the first PUT');
    // b also talks to a, so both sides hold state about the old b.
    const la = p.a.listen({ portal: 58 });
    t.teardown(() => la.close());
    await within(p.b.putAsync({ target: p.aTarget, portal: 58, matchBits: 0, data: first }), ctx.waitMs, 'PUT from the old b');
    await la.next(ctx.waitMs);

    const b2 = await within(p.restartB!(), ctx.waitMs, 'restartB');
    t.ok(b2.nids().some((n) => nidEquals(n, nidOf(p.a, p.bTarget))), 'the new b has the same NID');
    const l2 = b2.listen({ portal: 58 });
    t.teardown(() => l2.close());
    const attemptData = (i: number): Uint8Array => pattern(3000, 100 + i);
    const ok = await untilSuccess(t, ctx.attempts, 'a → new b', (i) =>
      p.a.putAsync({ target: p.bTarget, portal: 58, matchBits: 0, data: attemptData(i), signal: timeoutSignal(ctx.attemptMs) }),
    );
    if (!ok) return;
    t.equal(ok.value.mlength, 3000, 'the new b acknowledged the whole PUT');
    // Earlier attempts may or may not have landed (intact); the successful one must follow them.
    const m = await nextWhere(t, l2, (x) => Buffer.from(x.data).equals(attemptData(ok.attempt)), ok.attempt, ctx.waitMs, 'new b', (x) =>
      Array.from({ length: ok.attempt }, (_, j) => attemptData(j)).some((d) => Buffer.from(x.data).equals(d)),
    );
    t.ok(m, 'the new b received the successful PUT intact');

    // The new b reaches a (a must accept the new incarnation), and steady traffic works both ways.
    const back = await untilSuccess(t, ctx.attempts, 'new b → a', () =>
      b2.putAsync({ target: p.aTarget, portal: 58, matchBits: 0, data: Buffer.from('back'), signal: timeoutSignal(ctx.attemptMs) }),
    );
    t.ok(back, 'the new b reached a');
    const lb = b2.listen({ portal: 59, matchBits: 0n, ignoreBits: ALL_BITS, maxMessage: 64 * KiB });
    const la2 = p.a.listen({ portal: 59, matchBits: 0n, ignoreBits: ALL_BITS, maxMessage: 64 * KiB });
    t.teardown(() => (lb.close(), la2.close()));
    const s1 = sendStream(p.a, p.bTarget, 59, 20, 5, 1);
    const s2 = sendStream(b2, p.aTarget, 59, 20, 6, 1);
    await within(Promise.all([s1.done, s2.done]), ctx.waitMs, 'traffic after the restart');
    await expectStream(t, lb, s1.payloads, 5, ctx.waitMs, 'a → new b');
    await expectStream(t, la2, s2.payloads, 6, ctx.waitMs, 'new b → a');
    const served = pattern(8 * KiB, 19);
    t.teardown(b2.serveGet({ portal: 60, data: served }));
    const g = await within(p.a.getAsync({ target: p.bTarget, portal: 60, matchBits: 0, sink: 8 * KiB }), ctx.waitMs, 'GET');
    sameBytes(t, g.data, served, 'GET from the new b');
    await assertIdle(t, p.a, 'a', { trackers: false });
    await assertDrained(t, p.a, p.bTarget, 'a');
    await assertDrained(t, b2, p.aTarget, 'new b');
  },
};

const breakLinks: Check = {
  id: 'break',
  title: 'connection loss mid-message: 1 MiB PUTs in flight both ways settle (ok or an LNetError), then traffic flows again',
  needs: 'breakLinks',
  async run(t, p, ctx) {
    const lb = p.b.listen({ portal: 61, matchBits: 0n, ignoreBits: ALL_BITS });
    const la = p.a.listen({ portal: 61, matchBits: 0n, ignoreBits: ALL_BITS });
    t.teardown(() => (lb.close(), la.close()));
    // Warm up: connections exist both ways.
    await within(p.a.putAsync({ target: p.bTarget, portal: 61, matchBits: 1000n, data: Buffer.from('warm') }), ctx.waitMs, 'warm-up a → b');
    await within(p.b.putAsync({ target: p.aTarget, portal: 61, matchBits: 1000n, data: Buffer.from('warm') }), ctx.waitMs, 'warm-up b → a');
    await lb.next(ctx.waitMs);
    await la.next(ctx.waitMs);

    // 1 MiB PUTs without ACK settle when the LND completes (or fails) the send, so no
    // transaction timeout is involved: if one does not settle, the LND lost track of it.
    const abData = Array.from({ length: 4 }, (_, i) => seqPayload(i, LNET_MTU, 7));
    const baData = Array.from({ length: 2 }, (_, i) => seqPayload(i, LNET_MTU, 8));
    const hang = new AbortController();
    setMaxListeners(0, hang.signal);
    const inflight = [
      ...abData.map((data, i) => ({ dir: 'a → b', i, p: p.a.putAsync({ target: p.bTarget, portal: 61, matchBits: BigInt(i), data, ack: false, signal: hang.signal }) })),
      ...baData.map((data, i) => ({ dir: 'b → a', i, p: p.b.putAsync({ target: p.aTarget, portal: 61, matchBits: BigInt(i), data, ack: false, signal: hang.signal }) })),
    ];
    await new Promise((r) => setImmediate(r)); // let the LNDs start writing
    await p.breakLinks!();
    const timer = setTimeout(() => hang.abort(), ctx.settleMs);
    const results = await Promise.all(inflight.map((x) => settle(x.p)));
    clearTimeout(timer);
    const hung = hang.signal.aborted;
    results.forEach((r, k) => {
      const { dir, i } = inflight[k]!;
      if (r.ok) t.pass(`${dir} PUT ${i}: completed`);
      else {
        t.ok(r.error instanceof LNetError, `${dir} PUT ${i}: failed with an LNetError (${describeError(r.error)})`);
        t.notOk(hung && r.error instanceof LNetError && r.error.code === 'ECANCELED', `${dir} PUT ${i}: settled by itself within ${ctx.settleMs} ms`);
      }
    });

    // Traffic flows again, both ways (the first attempts may meet a dead connection).
    const marker = (dir: number): Uint8Array => pattern(5000, 200 + dir);
    const ab = await untilSuccess(t, ctx.attempts, 'a → b after the break', () =>
      p.a.putAsync({ target: p.bTarget, portal: 61, matchBits: 2000n, data: marker(0), signal: timeoutSignal(ctx.attemptMs) }),
    );
    const ba = await untilSuccess(t, ctx.attempts, 'b → a after the break', () =>
      p.b.putAsync({ target: p.aTarget, portal: 61, matchBits: 2000n, data: marker(1), signal: timeoutSignal(ctx.attemptMs) }),
    );
    if (!ab || !ba) return;

    // What arrived before the markers is intact and unique: nothing partial or doubled.
    for (const [l, data, who] of [[lb, abData, 'b'], [la, baData, 'a']] as const) {
      const seen = new Set<bigint>();
      for (let k = 0; k <= data.length + ctx.attempts; k++) {
        const m = await l.next(ctx.waitMs);
        if (m.matchBits === 2000n) {
          sameBytes(t, m.data, marker(who === 'b' ? 0 : 1), `${who}: marker intact`);
          break;
        }
        const i = Number(m.matchBits);
        t.notOk(seen.has(m.matchBits), `${who}: PUT ${i} not duplicated`);
        seen.add(m.matchBits);
        t.ok(data[i] && Buffer.from(m.data).equals(data[i]), `${who}: PUT ${i} arrived whole`);
      }
      t.comment(`${who} received ${seen.size} of the ${data.length} PUTs in flight at the break`);
    }

    const lb2 = p.b.listen({ portal: 62, matchBits: 0n, ignoreBits: ALL_BITS, maxMessage: 64 * KiB });
    const la2 = p.a.listen({ portal: 62, matchBits: 0n, ignoreBits: ALL_BITS, maxMessage: 64 * KiB });
    t.teardown(() => (lb2.close(), la2.close()));
    const s1 = sendStream(p.a, p.bTarget, 62, 20, 9, 1);
    const s2 = sendStream(p.b, p.aTarget, 62, 20, 10, 1);
    await within(Promise.all([s1.done, s2.done]), ctx.waitMs, 'traffic after the break');
    await expectStream(t, lb2, s1.payloads, 9, ctx.waitMs, 'a → b after the break');
    await expectStream(t, la2, s2.payloads, 10, ctx.waitMs, 'b → a after the break');
    const big = pattern(LNET_MTU, 20);
    const r = await within(p.a.putAsync({ target: p.bTarget, portal: 61, matchBits: 3000n, data: big }), ctx.waitMs, '1 MiB PUT');
    t.equal(r.mlength, LNET_MTU);
    // Extra copies of the marker (attempts that landed but failed at a) may come first.
    const mb = await nextWhere(t, lb, (x) => x.matchBits === 3000n, ctx.attempts, ctx.waitMs, 'b', (x) => x.matchBits === 2000n);
    if (mb) sameBytes(t, mb.data, big, '1 MiB PUT after the break');
    await assertIdle(t, p.a, 'a', { trackers: false });
    await assertIdle(t, p.b, 'b', { trackers: false });
    await assertDrained(t, p.a, p.bTarget, 'a');
    await assertDrained(t, p.b, p.aTarget, 'b');
  },
};

/** What an event said when it was delivered, to compare with the same object later. */
function eventSnapshot(e: LNetEvent): string {
  return JSON.stringify({
    type: e.type,
    status: e.status,
    matchBits: String(e.matchBits),
    hdrData: String(e.hdrData),
    rlength: e.rlength,
    mlength: e.mlength,
    offset: e.offset,
    ptIndex: e.ptIndex,
    unlinked: e.unlinked,
    initiator: formatNid(e.initiator.nid) + '/' + e.initiator.pid,
    source: formatNid(e.source.nid) + '/' + e.source.pid,
    target: formatNid(e.target.nid) + '/' + e.target.pid,
    mdStart: e.mdStart.map((f) => f.byteLength),
  });
}

const reuse: Check = {
  id: 'reuse',
  title: 'messages and LND objects are reused: 600 mixed PUT/ACK/GET, nothing of one shows in another, kept event copies never change',
  async run(t, p, ctx) {
    // More messages than LNet's reuse delay (128) and its pool, several in flight at once, each
    // with its own bits, hdr_data, offset, length and bytes: a reused message, header, tx or
    // scratch header that kept anything from an earlier one shows as a wrong field or byte.
    const N = 600;
    const REGION = 256;
    const served = pattern(N * REGION, 91);
    const sink = new Uint8Array(N * REGION);
    const bEvents: Array<{ ev: LNetEvent; at: string }> = [];
    const me = p.b.meAttach(47, ANY, 0, ALL_BITS);
    p.b.mdAttach(me, {
      start: sink,
      threshold: LNET_MD_THRESH_INF,
      options: MdOption.OP_PUT | MdOption.OP_GET | MdOption.MANAGE_REMOTE | MdOption.TRUNCATE,
      // A handler's event is valid during the call only (it is the message's own, reset
      // and reused after): what is kept is a copy, checked against the event as delivered.
      handler: (ev) => bEvents.push({ ev: ev.clone(), at: eventSnapshot(ev) }),
    });
    // GETs read `served`: b's MD above takes PUTs into `sink` and GETs from it, so serve GETs on
    // their own portal from a second buffer.
    const bGets: Array<{ ev: LNetEvent; at: string }> = [];
    const stop = p.b.serveGet({ portal: 48, ignoreBits: ALL_BITS, data: served, onGet: (ev) => bGets.push({ ev: ev.clone(), at: eventSnapshot(ev) }) });
    t.teardown(stop);
    const kind = (i: number): 'ack' | 'noack' | 'get' => (['ack', 'noack', 'get'] as const)[i % 3]!;
    const bits = (i: number): bigint => (BigInt(i + 1) << 40n) | BigInt(0x5a000000 + i);
    const hdata = (i: number): bigint => BigInt(i) * 0x10001n + 0xabc00000000n;
    const len = (i: number): number => (i * 37) % (REGION + 1);
    const data = (i: number): Uint8Array => pattern(len(i), 1000 + i);
    const aEvents: Array<{ i: number; evs: Array<{ ev: LNetEvent; at: string }>; got?: Uint8Array }> = [];
    const one = async (i: number): Promise<void> => {
      const rec: (typeof aEvents)[number] = { i, evs: [] };
      aEvents.push(rec);
      const k = kind(i);
      if (k === 'get') {
        const r = await p.a.getAsync({ target: p.bTarget, portal: 48, matchBits: bits(i), offset: i * REGION, sink: len(i) });
        rec.evs.push({ ev: r.replyEvent, at: eventSnapshot(r.replyEvent) });
        rec.got = r.data;
      } else {
        const r = await p.a.putAsync({ target: p.bTarget, portal: 47, matchBits: bits(i), hdrData: hdata(i), offset: i * REGION, data: data(i), ack: k === 'ack' });
        rec.evs.push({ ev: r.sendEvent, at: eventSnapshot(r.sendEvent) });
        if (r.ackEvent) rec.evs.push({ ev: r.ackEvent, at: eventSnapshot(r.ackEvent) });
      }
    };
    const WINDOW = 16;
    for (let i = 0; i < N; i += WINDOW) {
      await within(Promise.all(Array.from({ length: Math.min(WINDOW, N - i) }, (_, j) => one(i + j))), ctx.waitMs, `messages ${i}..`);
    }
    const nGets = Math.floor(N / 3);
    await eventually(() => bEvents.length >= N - nGets && bGets.length >= nGets);
    t.equal(bEvents.length, N - nGets, 'b: one PUT event per PUT');
    t.equal(bGets.length, nGets, 'b: one GET event per GET');
    let bad = 0;
    const fail = (what: string, extra: Record<string, unknown> = {}): void => {
      if (bad++ < 10) t.fail(what, extra);
    };
    // Initiator side: each kept event still describes its own message.
    for (const rec of aEvents) {
      const i = rec.i;
      for (const { ev, at } of rec.evs) {
        if (eventSnapshot(ev) !== at) fail(`a: event of message ${i} changed after delivery`, { then: at, now: eventSnapshot(ev) });
        if (ev.status !== 0) fail(`a: message ${i}: status ${ev.status}`);
        if (ev.type === EventKind.SEND && (ev.matchBits !== bits(i) || ev.hdrData !== hdata(i) || ev.mlength !== len(i)))
          fail(`a: SEND of message ${i} has another message's fields`, { at });
        if (ev.type === EventKind.ACK && (ev.matchBits !== bits(i) || ev.mlength !== len(i))) fail(`a: ACK of message ${i} is wrong`, { at });
        if (ev.type === EventKind.REPLY && ev.mlength !== len(i)) fail(`a: REPLY of message ${i} has mlength ${ev.mlength}`);
      }
      const k = kind(i);
      if (k === 'ack' && !rec.evs.some((e) => e.ev.type === EventKind.ACK)) fail(`a: message ${i} has no ACK`);
      if (k !== 'ack' && rec.evs.some((e) => e.ev.type === EventKind.ACK)) fail(`a: message ${i} (${k}) got an ACK`);
      if (k === 'get') {
        const want = served.subarray(i * REGION, i * REGION + len(i));
        if (!rec.got || !Buffer.from(rec.got).equals(Buffer.from(want))) fail(`a: REPLY bytes of message ${i} are not its own`);
      }
    }
    // Target side: every PUT landed whole at its own offset, every event is its message's.
    const seen = new Set<number>();
    for (const { ev, at } of bEvents) {
      if (eventSnapshot(ev) !== at) fail('b: an event changed after delivery', { then: at, now: eventSnapshot(ev) });
      const i = Number(ev.matchBits >> 40n) - 1;
      if (ev.matchBits !== bits(i) || seen.has(i)) {
        fail(`b: unexpected or repeated match bits ${ev.matchBits}`);
        continue;
      }
      seen.add(i);
      const k = kind(i);
      if (ev.type !== EventKind.PUT || k === 'get') fail(`b: message ${i} (${k}) arrived as ${EventKind[ev.type]}`);
      if (ev.hdrData !== hdata(i) || ev.rlength !== len(i) || ev.mlength !== len(i) || ev.offset !== i * REGION)
        fail(`b: PUT ${i} carries another message's header fields`, { at });
      if (!Buffer.from(sink.subarray(i * REGION, i * REGION + len(i))).equals(Buffer.from(data(i)))) fail(`b: PUT ${i}: payload is not its own`);
    }
    for (const { ev, at } of bGets) {
      if (eventSnapshot(ev) !== at) fail('b: a GET event changed after delivery', { then: at, now: eventSnapshot(ev) });
      const i = Number(ev.matchBits >> 40n) - 1;
      if (kind(i) !== 'get' || ev.matchBits !== bits(i) || ev.mlength !== len(i) || ev.offset !== i * REGION || ev.hdrData !== 0n)
        fail(`b: GET event for ${ev.matchBits} carries another message's fields`, { at });
    }
    t.equal(bad, 0, `no field, byte or kept event of one message showed up in another (${bad} problems)`);
    t.ok(p.a.core.msgPool.reused > 0 && p.b.core.msgPool.reused > 0, `message objects were reused (a ${p.a.core.msgPool.reused}, b ${p.b.core.msgPool.reused})`);
    await assertIdle(t, p.a, 'a');
    await assertIdle(t, p.b, 'b');
    await assertDrained(t, p.a, p.bTarget, 'a');
    await assertDrained(t, p.b, p.aTarget, 'b');
  },
};

const CHECKS: Check[] = [
  ...SIZES.map(([label, id, size]) => putSize(label, id, size)),
  putOverMtu,
  ...SIZES.map(([label, id, size]) => getSize(label, id, size)),
  getOverMtu,
  putAckMlength,
  putNoAck,
  getSinkSmaller,
  getSinkLarger,
  getRepeat,
  kiov,
  bulk,
  ordering,
  creditSaturation,
  bothWays,
  self,
  unreachable,
  unreachableCleanup,
  restart,
  breakLinks,
  reuse,
];

/**
 * Register the compliance checks on `t`, one top-level `t.test` each, every one on a fresh
 * pair from `factory` that is closed in teardown. Checks needing `restartB` / `breakLinks` are
 * reported as skipped when the factory's pairs lack the hook.
 */
export function lndCompliance(t: Test, factory: LndFactory, options: ComplianceOptions = {}): void {
  const ctx: Ctx = {
    factory,
    waitMs: options.waitMs ?? 30_000,
    settleMs: options.settleMs ?? 120_000,
    attempts: options.attempts ?? 10,
    attemptMs: options.attemptMs ?? 10_000,
  };
  for (const check of CHECKS) {
    if (options.only && !options.only.includes(check.id)) continue;
    const skip = options.skip?.[check.id];
    const todo = options.todo?.[check.id] ?? CORE_TODO[check.id];
    const extra = { ...(skip ? { skip } : {}), ...(todo ? { todo } : {}) };
    t.test(`${factory.name} [${check.id}] ${check.title}`, extra, async (t) => {
      const pair = await within(factory.pair(check.pairOpts), ctx.waitMs, `${factory.name}: starting a pair`);
      // Bounded too: a shutdown that hangs fails this check instead of stalling the whole file.
      t.teardown(() => within(pair.close(), ctx.waitMs, `${factory.name}: closing the pair`));
      if (check.needs && !pair[check.needs]) {
        t.plan(0, `${factory.name} pairs have no ${check.needs} hook`);
        return;
      }
      await check.run(t, pair, ctx);
    });
  }
}
