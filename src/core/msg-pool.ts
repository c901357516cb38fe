import { LNetMsg } from './msg.js';

/** Most messages kept for reuse; beyond that, freed ones are left to the GC. */
const CAPACITY = 1024;
/**
 * A freed message is handed out again only once this many others have been freed after it,
 * so a stray late reference (an LND finalizing twice) finds it still finalized rather than
 * already reused for another message.
 */
const REUSE_DELAY = 128;

/**
 * Reuse of LNetMsg objects (with their headers and events): every message costs ~800 bytes
 * of young generation otherwise, on both sides, and storing young objects into pooled (old)
 * messages costs a write barrier each. A freed message drops all its references at once
 * (reset, its event too: events are valid only during the handler call) and stays
 * finalized until it is taken again.
 *
 * The pool also knows every message it made and has not let go, in use or waiting: that is
 * where LNet finds the messages still on its active list when it shuts down, so committing
 * and decommitting a message is a flag and a counter (no list to link it into).
 */
export class MsgPool {
  private readonly ring: Array<LNetMsg | undefined> = new Array<LNetMsg | undefined>(CAPACITY).fill(undefined);
  /** Every message made here and not yet left to the GC (each knows its index: poolSlot). */
  private readonly live: LNetMsg[] = [];
  private head = 0;
  private count = 0;
  /** Messages handed out again so far (tests, tools). */
  reused = 0;

  /** A message in the state of `new LNetMsg()` (its header apart: see LNetMsg.hdr). */
  alloc(): LNetMsg {
    if (this.count <= REUSE_DELAY) return this.make();
    const m = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (CAPACITY - 1);
    this.count--;
    this.reused++;
    m.finalized = false;
    return m;
  }

  /** A new message, known to the pool from now on (out of alloc's usual path). */
  private make(): LNetMsg {
    const m = new LNetMsg();
    m.poolSlot = this.live.length;
    this.live.push(m);
    return m;
  }

  /** Take back a finalized message that nothing refers to any more. */
  free(m: LNetMsg): void {
    if (m.onActiveList) return; // still committed: not ours to reuse
    if (m.poolSlot < 0) return; // forgotten or let go: not coming back
    m.reset();
    m.finalized = true;
    if (this.count === CAPACITY) {
      this.forget(m);
      return;
    }
    this.ring[(this.head + this.count) & (CAPACITY - 1)] = m;
    this.count++;
  }

  /**
   * `m` is not coming back (finalized without being committed, or the ring is full): left to
   * the GC, out of the live messages (the last one takes its slot).
   */
  forget(m: LNetMsg): void {
    const i = m.poolSlot;
    if (i < 0 || this.live[i] !== m) return;
    const last = this.live.pop()!;
    if (last !== m) {
      this.live[i] = last;
      last.poolSlot = i;
    }
    m.poolSlot = -1;
  }

  /** The messages on LNet's active list (a snapshot: finalizing them while iterating is safe). */
  activeMessages(): LNetMsg[] {
    return this.live.filter((m) => m.onActiveList);
  }

  /** Messages made here and not let go, in use or waiting (tests). */
  get liveCount(): number {
    return this.live.length;
  }

  /** Messages waiting for reuse (tests). */
  get size(): number {
    return this.count;
  }
}
