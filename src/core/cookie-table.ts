/**
 * Live objects by handle cookie (the kernel's lnet_res_container hash of MDs). Cookies are
 * sequential and MDs come and go at message rate, so the table is direct-mapped: cookie c
 * lives in slot c & mask, and the rare cookie whose slot is taken by a long-lived object (the
 * ping target's MD, a listener's) goes to a small overflow Map. Lookups, inserts and removals
 * are then a couple of array accesses and allocate nothing (a Map of that churn rehashes,
 * allocating, every few hundred operations; linear probing would shift whole runs of
 * sequential cookies once one of them is displaced). Offers the Map methods LNet uses.
 */
export class CookieTable<T> {
  /** Cookie in each slot; NaN (equal to nothing) when empty. */
  private ks: number[];
  private vals: Array<T | undefined>;
  private mask: number;
  private count = 0;
  private readonly overflow = new Map<number, T>();

  constructor(capacity = 256) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.ks = new Array<number>(cap).fill(NaN);
    this.vals = new Array<T | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  get(cookie: number): T | undefined {
    const i = cookie & this.mask;
    if (this.ks[i] === cookie) return this.vals[i];
    return this.overflow.size === 0 ? undefined : this.overflow.get(cookie);
  }

  has(cookie: number): boolean {
    return this.get(cookie) !== undefined;
  }

  set(cookie: number, v: T): this {
    const i = cookie & this.mask;
    const ks = this.ks;
    if (ks[i] === cookie) {
      this.vals[i] = v;
      return this;
    }
    if (this.overflow.size > 0 && this.overflow.has(cookie)) {
      this.overflow.set(cookie, v);
      return this;
    }
    this.count++;
    if (this.vals[i] === undefined) {
      ks[i] = cookie;
      this.vals[i] = v;
    } else {
      this.overflow.set(cookie, v);
      // Many collisions: the live span outgrew the table.
      if (this.overflow.size * 8 > this.vals.length) this.grow();
    }
    return this;
  }

  delete(cookie: number): boolean {
    const i = cookie & this.mask;
    if (this.ks[i] === cookie) {
      this.ks[i] = NaN;
      this.vals[i] = undefined;
      this.count--;
      return true;
    }
    if (this.overflow.size === 0 || !this.overflow.delete(cookie)) return false;
    this.count--;
    return true;
  }

  private grow(): void {
    const entries = [...this.entries()];
    const cap = this.vals.length * 2;
    this.ks = new Array<number>(cap).fill(NaN);
    this.vals = new Array<T | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
    this.overflow.clear();
    this.count = 0;
    for (const [k, v] of entries) this.set(k, v);
  }

  private *entries(): Generator<[number, T]> {
    for (let i = 0; i < this.vals.length; i++) if (this.vals[i] !== undefined) yield [this.ks[i]!, this.vals[i]!];
    yield* this.overflow;
  }

  /** Snapshots: changing the table while iterating them is safe. */
  values(): IterableIterator<T> {
    return [...this.entries()].map(([, v]) => v)[Symbol.iterator]();
  }

  keys(): IterableIterator<number> {
    return [...this.entries()].map(([k]) => k)[Symbol.iterator]();
  }
}
