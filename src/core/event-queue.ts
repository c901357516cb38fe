import { LNetError } from '../errors.js';
import type { LNetEvent } from './event.js';

/**
 * An unbounded FIFO of events with an async iterator: pass `queue.handler` as an MD's
 * handler, then `for await (const ev of queue)`. Ends when `close()` is called. It queues
 * copies (as the kernel's event queues copy events): a handler's event is valid only
 * during the call.
 */
export class EventQueue implements AsyncIterable<LNetEvent> {
  private readonly items: LNetEvent[] = [];
  private waiters: Array<(r: IteratorResult<LNetEvent>) => void> = [];
  private closed = false;

  readonly handler = (ev: LNetEvent): void => {
    if (this.closed) return;
    const copy = ev.clone();
    const w = this.waiters.shift();
    if (w) w({ value: copy, done: false });
    else this.items.push(copy);
  };

  get length(): number {
    return this.items.length;
  }

  /** The next event; rejects with ETIMEDOUT after `timeoutMs` if given. */
  next(timeoutMs?: number): Promise<LNetEvent> {
    const ev = this.items.shift();
    if (ev) return Promise.resolve(ev);
    if (this.closed) return Promise.reject(new LNetError('ESHUTDOWN', 'event queue closed'));
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const w = (r: IteratorResult<LNetEvent>): void => {
        if (timer) clearTimeout(timer);
        if (r.done) reject(new LNetError('ESHUTDOWN', 'event queue closed'));
        else resolve(r.value);
      };
      this.waiters.push(w);
      if (timeoutMs !== undefined)
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new LNetError('ETIMEDOUT', `no event within ${timeoutMs} ms`));
        }, timeoutMs);
    });
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<LNetEvent> {
    return {
      next: () => {
        const ev = this.items.shift();
        if (ev) return Promise.resolve({ value: ev, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
