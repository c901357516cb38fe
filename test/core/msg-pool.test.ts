import t from 'tap';
import { AckReq, LNet, Unlink } from '../../src/index.js';
import { MemoryFabric } from '../../lnd/memlnd/index.js';
import type { Lnd, LndCore } from '../../src/core/lnd.js';
import { Errno } from '../../src/errno.js';
import { memNodes } from '../helpers/mem-nodes.js';
import { CookieTable } from '../../src/core/cookie-table.js';
import { EventKind, InsPos, LNET_MD_THRESH_INF, MdOption } from '../../src/core/constants.js';
import { LNET_PID_ANY } from '../../src/nid/process-id.js';
import { LNET_ANY_NID } from '../../src/nid/nid.js';
import { LNetMsgType } from '../../src/wire/lnet-msg-type.js';
import type { LNetEvent } from '../../src/core/event.js';
import { LibMd } from '../../src/core/md.js';
import { MsgPool } from '../../src/core/msg-pool.js';
import { LNetMsg } from '../../src/core/msg.js';
import { eventState } from '../helpers/event-state.js';
import { copyHdr, LNetHdr, resetHdr } from '../../src/wire/lnet-hdr.js';

/** Put something distinctive in every own field of `o` (so a field reset() forgets shows). */
function scribble(o: object): void {
  let n = 1;
  for (const k of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[k];
    (o as Record<string, unknown>)[k] = typeof v === 'boolean' ? !v : typeof v === 'number' ? v + 1000 + n++ : { junk: n++ };
  }
}

t.test('LNetMsg.reset leaves every field as in a new message (the event included; the header left to its next writer)', async (t) => {
  const fresh = new LNetMsg();
  const m = new LNetMsg();
  const hdr = m.hdr;
  const ev = m.ev;
  scribble(m);
  m.hdr = hdr;
  (m as { ev: LNetEvent }).ev = ev;
  scribble(m.hdr);
  // An event that took its fields from the message and an MD (what reset must let go of).
  m.ev.type = EventKind.PUT;
  m.ev.status = -5;
  m.ev.unlinked = true;
  m.ev.setMd(new LibMd(7, { start: new Uint8Array(8), threshold: 1, userPtr: { big: 'buffer' } }, true));
  m.ev.materialize();
  m.reset();
  for (const k of Object.keys(fresh) as Array<keyof LNetMsg>) {
    if (k === 'hdr' || k === 'poolSlot') continue;
    else if (k === 'ev') {
      const e = eventState(m.ev);
      t.same(e.state, eventState(fresh.ev).state, 'ev: as new');
      t.ok(e.owner === m && e.view === m, 'ev: a view of its message');
    }
    else t.same(m[k], fresh[k], `${k}: as new`);
  }
  t.equal(m.hdr, hdr, 'the header object stays the message’s own');
  t.equal(m.ev, ev, 'so does the event');
  t.same(Object.keys(m).sort(), Object.keys(fresh).sort(), 'no field added or lost');
});

t.test('resetHdr and copyHdr cover every header field', async (t) => {
  const h = new LNetHdr();
  scribble(h);
  const c = new LNetHdr();
  copyHdr(c, h);
  for (const k of Object.keys(h) as Array<keyof LNetHdr>) t.equal(c[k], h[k], `copyHdr copies ${k}`);
  resetHdr(h);
  t.same(h, new LNetHdr(), 'resetHdr: as new');
});

t.test('MsgPool: freed messages come back only after the reuse delay, reset, event included', async (t) => {
  const pool = new MsgPool();
  const first = pool.alloc();
  first.len = 77;
  first.finalized = true;
  const ev = first.ev;
  ev.setMd(new LibMd(7, { start: new Uint8Array(8), threshold: 1, userPtr: { big: 'buffer' } }, true));
  ev.materialize();
  pool.free(first);
  t.equal(first.finalized, true, 'a freed message stays finalized (a late finalize is ignored)');
  t.equal(first.len, 0, 'and holds nothing of its last use');
  t.equal(first.ev, ev, 'its event stays its own (valid only during the handler call)');
  const e = eventState(ev);
  t.same(e.state, eventState(new LNetMsg().ev).state, 'reset, holding nothing of its last use either');
  t.ok(e.owner === first && e.view === first, 'a view of its message again');
  t.equal(ev.mdUserPtr, undefined);
  // Not handed out again until 128 more have been freed after it.
  const others: LNetMsg[] = [];
  for (let i = 0; i < 128; i++) {
    const m = pool.alloc();
    t.not(m, first);
    others.push(m);
  }
  for (const m of others) pool.free(m);
  const again = pool.alloc();
  t.equal(again, first, 'reused after the delay');
  t.equal(again.finalized, false);
  t.equal(again.ev, ev, 'with its own event');
  t.equal(pool.reused, 1);
  // A message still on the active list is never taken back.
  const committed = pool.alloc();
  committed.onActiveList = true;
  const before = pool.size;
  pool.free(committed);
  t.equal(pool.size, before, 'a committed message is not pooled');
  t.same(pool.activeMessages(), [committed], 'and is still found as active');
});

t.test('MsgPool: the active messages are found among the live ones; messages let go leave no trace', async (t) => {
  const pool = new MsgPool();
  const inUse: LNetMsg[] = [];
  for (let i = 0; i < 1500; i++) inUse.push(pool.alloc());
  t.equal(pool.liveCount, 1500, 'every message made is known');
  for (const i of [3, 700, 1499]) inUse[i]!.onActiveList = true;
  t.same(pool.activeMessages(), [inUse[3], inUse[700], inUse[1499]], 'the committed ones, in the order made');
  // Free all but the committed ones: 1024 wait for reuse, the rest are left to the GC.
  for (const m of inUse) if (!m.onActiveList) pool.free(m);
  t.equal(pool.size, 1024, 'the ring is full');
  t.equal(pool.liveCount, 1024 + 3, 'those let go are no longer held');
  t.same(new Set(pool.activeMessages()), new Set([inUse[3], inUse[700], inUse[1499]]), 'the committed ones are still found');
  // Decommitted and freed: the ring is full, so they go too.
  for (const i of [3, 700, 1499]) {
    inUse[i]!.onActiveList = false;
    pool.free(inUse[i]!);
  }
  t.equal(pool.liveCount, 1024);
  t.same(pool.activeMessages(), []);
});

t.test('CookieTable behaves as a Map under random churn (sequential cookies, wraparound, growth)', async (t) => {
  const table = new CookieTable<{ c: number }>(16);
  const model = new Map<number, { c: number }>();
  let x = 12345;
  const rnd = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  let next = 1;
  let bad = 0;
  for (let step = 0; step < 50_000; step++) {
    const op = rnd(10);
    if (op < 5) {
      const c = next++;
      table.set(c, { c });
      model.set(c, { c });
    } else if (op < 8 && model.size > 0) {
      // delete something live (oldest or random)
      const keys = [...model.keys()];
      const c = op === 5 ? keys[0]! : keys[rnd(keys.length)]!;
      if (table.delete(c) !== model.delete(c)) bad++;
    } else {
      const c = rnd(next + 5) - 2;
      if (table.get(c)?.c !== model.get(c)?.c || table.has(c) !== model.has(c)) bad++;
      if (table.delete(-1) || table.get(0) !== undefined) bad++;
    }
    if (table.size !== model.size) bad++;
  }
  t.equal(bad, 0, 'every get/has/delete/size agreed with a Map');
  t.same([...table.keys()].sort((a, b) => a - b), [...model.keys()].sort((a, b) => a - b), 'same keys');
  t.same(new Set([...table.values()].map((v) => v.c)), new Set([...model.values()].map((v) => v.c)), 'same values');
  table.set(3, { c: 3 });
  table.set(3, { c: 33 });
  t.equal(table.get(3)?.c, 33, 'set on an existing cookie replaces');
  // Large cookies (past 2^32) still work.
  const big = 2 ** 40 + 5;
  table.set(big, { c: big });
  t.equal(table.get(big)?.c, big);
  t.ok(table.delete(big));
  t.notOk(table.has(big));
});

t.test('CookieTable: colliding cookies (same home slot) survive removals in any order', async (t) => {
  // Capacity 16 (grows at 9 entries): cookies 16 apart share a home slot, so probe runs form,
  // wrap around the end of the table, and removals must repair them.
  const orders = [
    [1, 17, 33, 2, 18, 15, 31, 47],
    [47, 31, 15, 18, 2, 33, 17, 1],
    [17, 2, 47, 1, 31, 18, 15, 33],
  ];
  for (const order of orders) {
    const table = new CookieTable<number>(16);
    const keys = [1, 17, 33, 2, 18, 15, 31, 47];
    for (const k of keys) table.set(k, k * 10);
    const left = new Set(keys);
    for (const k of order) {
      t.ok(table.delete(k), `delete ${k}`);
      left.delete(k);
      for (const r of keys) t.equal(table.get(r), left.has(r) ? r * 10 : undefined, `after deleting ${k}: ${r}`);
    }
    t.equal(table.size, 0);
  }
});

t.test('messages finalized without being committed (sends that fail at once) are not kept', async (t) => {
  const { nodes, close } = await memNodes(1);
  t.teardown(close);
  const a = nodes[0]!;
  const live0 = a.core.msgPool.liveCount;
  let failed = 0;
  const handler = (ev: LNetEvent): void => {
    if (ev.type === EventKind.SEND && ev.status === -Errno.EHOSTUNREACH) failed++;
  };
  const target = a.parseTarget('12345-10.9.9.9@tcp9'); // no NI on tcp9, no route
  for (let i = 0; i < 2000; i++) {
    const md = a.mdBind({ start: new Uint8Array(8), threshold: 1, handler }, Unlink.UNLINK);
    a.put(undefined, md, AckReq.NOACK, target, 4, 0n);
  }
  // (They fail once discovery of the unreachable peer does: wait for that, within bounds.)
  for (let i = 0; i < 200 && failed < 2000; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(failed, 2000, 'every PUT failed with EHOSTUNREACH');
  t.equal(a.core.msgPool.liveCount - live0, 0, 'the pool holds none of them (nor the failed discovery pings)');
  t.equal(a.core.activeCount, 0);
});

t.test('an LND finalizing a message twice while the first finalize still waits in the queue completes it once', async (t) => {
  const fabric = new MemoryFabric();
  let core: LndCore | undefined;
  let doubled = 0;
  const wrap = (inner: Lnd): Lnd => ({
    type: inner.type,
    name: inner.name,
    shutdown: (ni) => inner.shutdown(ni),
    recv: (ni, rxPrivate, msg, delayed, iov, offset, mlen, rlen) => inner.recv(ni, rxPrivate, msg, delayed, iov, offset, mlen, rlen),
    tunableDefaults: () => inner.tunableDefaults?.() ?? {},
    startup(ni, c) {
      core = c;
      return inner.startup(ni, c);
    },
    send(ni, msg) {
      if (msg.type !== LNetMsgType.ACK) return inner.send(ni, msg);
      // Contract broken on purpose: the ACK done at once, twice. LNet sends an ACK while it
      // completes the PUT, so both calls wait in its completion queue.
      doubled++;
      core!.finalize(msg, 0);
      core!.finalize(msg, 0);
      return 0;
    },
  });
  const a = await LNet.start({ nets: [{ net: 'tcp', lnd: fabric.lnd(), nis: [{ nid: '10.0.0.1@tcp' }] }] });
  const b = await LNet.start({ nets: [{ net: 'tcp', lnd: wrap(fabric.lnd()), nis: [{ nid: '10.0.0.2@tcp' }] }] });
  t.teardown(async () => void (await Promise.all([a.shutdown(), b.shutdown()])));
  const sink = b.meAttach(4, { nid: LNET_ANY_NID, pid: LNET_PID_ANY }, 0n, 0n, Unlink.RETAIN, InsPos.AFTER);
  b.mdAttach(sink, { start: new Uint8Array(64), threshold: LNET_MD_THRESH_INF, options: MdOption.OP_PUT | MdOption.MANAGE_REMOTE }, Unlink.RETAIN);
  const target = a.parseTarget('12345-10.0.0.2@tcp');
  a.put(undefined, a.mdBind({ start: new Uint8Array(8), threshold: 2 }, Unlink.UNLINK), AckReq.ACK, target, 4, 0n);
  for (let i = 0; i < 200 && doubled === 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(doubled, 1, 'the ACK was sent');
  const ring = (b.core.msgPool as unknown as { ring: Array<LNetMsg | undefined> }).ring.filter((m) => m !== undefined);
  t.equal(new Set(ring).size, ring.length, 'no message waits for reuse twice (two later messages would share it)');
  t.equal(b.core.activeCount, 0);
});
