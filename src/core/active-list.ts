import type { LNetMsg } from './msg.js';

/**
 * The kernel's active message list (`msg_activelist`): messages committed to the network,
 * linked through the messages themselves so that committing and decommitting a message
 * costs a few pointer writes (no hashing, no allocation). Offers the Set methods LNet and
 * its tools use (add, delete, has, size, iteration).
 */
export class ActiveList implements Iterable<LNetMsg> {
  private head: LNetMsg | undefined;
  private tail: LNetMsg | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(msg: LNetMsg): boolean {
    return msg.activeList === this;
  }

  add(msg: LNetMsg): this {
    if (msg.activeList === this) return this;
    msg.activeList = this;
    msg.activePrev = this.tail;
    msg.activeNext = undefined;
    if (this.tail) this.tail.activeNext = msg;
    else this.head = msg;
    this.tail = msg;
    this.count++;
    return this;
  }

  delete(msg: LNetMsg): boolean {
    if (msg.activeList !== this) return false;
    const { activePrev: prev, activeNext: next } = msg;
    if (prev) prev.activeNext = next;
    else this.head = next;
    if (next) next.activePrev = prev;
    else this.tail = prev;
    msg.activeList = undefined;
    msg.activePrev = msg.activeNext = undefined;
    this.count--;
    return true;
  }

  clear(): void {
    for (const m of this.toArray()) this.delete(m);
  }

  /** The messages in commit order (a snapshot: deleting while iterating is safe). */
  toArray(): LNetMsg[] {
    const out: LNetMsg[] = [];
    for (let m = this.head; m; m = m.activeNext) out.push(m);
    return out;
  }

  values(): IterableIterator<LNetMsg> {
    return this.toArray()[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<LNetMsg> {
    return this.values();
  }
}
