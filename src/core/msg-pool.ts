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
 */
export class MsgPool {
  private readonly ring: Array<LNetMsg | undefined> = new Array<LNetMsg | undefined>(CAPACITY).fill(undefined);
  private head = 0;
  private count = 0;
  /** Messages handed out again so far (tests, tools). */
  reused = 0;

  /** A message in the state of `new LNetMsg()`. */
  alloc(): LNetMsg {
    if (this.count <= REUSE_DELAY) return new LNetMsg();
    const m = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (CAPACITY - 1);
    this.count--;
    this.reused++;
    m.finalized = false;
    return m;
  }

  /** Take back a finalized message that nothing refers to any more. */
  free(m: LNetMsg): void {
    if (m.activeList) return; // still linked somewhere: not ours to reuse
    m.reset();
    m.finalized = true;
    if (this.count === CAPACITY) return;
    this.ring[(this.head + this.count) & (CAPACITY - 1)] = m;
    this.count++;
  }

  /** Messages waiting for reuse (tests). */
  get size(): number {
    return this.count;
  }
}
