/**
 * Live objects by handle cookie (the kernel's lnet_res_container hash of MDs). Cookies are
 * small sequential integers and MDs come and go at message rate, so this is an open-addressing
 * table over plain arrays: lookups, inserts and removals allocate nothing (a Map of that churn
 * rehashes, allocating, every few hundred operations). Offers the Map methods LNet uses.
 */
export class CookieTable<T> {
  private ks: number[];
  private vals: Array<T | undefined>;
  private mask: number;
  private count = 0;
  /**
   * Entries not in their home slot. Sequential cookies rarely collide, and while none is
   * displaced a removal just empties its slot (no probe run to repair).
   */
  private displaced = 0;

  constructor(capacity = 256) {
    let cap = 16;
    while (cap < capacity) cap *= 2;
    this.ks = new Array<number>(cap).fill(0);
    this.vals = new Array<T | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Sequential cookies land in sequential slots. */
  private slot(cookie: number): number {
    return cookie & this.mask;
  }

  private find(cookie: number): number {
    const { ks, vals, mask } = this;
    for (let i = this.slot(cookie); ; i = (i + 1) & mask) {
      if (vals[i] === undefined) return -1;
      if (ks[i] === cookie) return i;
    }
  }

  get(cookie: number): T | undefined {
    const i = this.find(cookie);
    return i < 0 ? undefined : this.vals[i];
  }

  has(cookie: number): boolean {
    return this.find(cookie) >= 0;
  }

  set(cookie: number, v: T): this {
    if ((this.count + 1) * 2 > this.vals.length) this.grow();
    const { ks, vals, mask } = this;
    let i = this.slot(cookie);
    for (; vals[i] !== undefined; i = (i + 1) & mask) {
      if (ks[i] === cookie) {
        vals[i] = v;
        return this;
      }
    }
    ks[i] = cookie;
    vals[i] = v;
    this.count++;
    if (i !== (cookie & mask)) this.displaced++;
    return this;
  }

  delete(cookie: number): boolean {
    let i = this.find(cookie);
    if (i < 0) return false;
    const { ks, vals, mask } = this;
    this.count--;
    if (i !== (cookie & mask)) this.displaced--;
    if (this.displaced === 0) {
      vals[i] = undefined;
      return true;
    }
    // Backward-shift deletion: pull later entries of the probe run into the hole, so lookups
    // never need tombstones.
    for (let j = (i + 1) & mask; vals[j] !== undefined; j = (j + 1) & mask) {
      const home = ks[j]! & mask;
      const movable = i <= j ? home <= i || home > j : home <= i && home > j;
      if (movable) {
        ks[i] = ks[j]!;
        vals[i] = vals[j];
        if (i === home) this.displaced--;
        i = j;
      }
    }
    vals[i] = undefined;
    return true;
  }

  private grow(): void {
    const oldKeys = this.ks;
    const oldVals = this.vals;
    const cap = oldVals.length * 2;
    this.ks = new Array<number>(cap).fill(0);
    this.vals = new Array<T | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
    this.count = 0;
    this.displaced = 0;
    for (let i = 0; i < oldVals.length; i++) if (oldVals[i] !== undefined) this.set(oldKeys[i]!, oldVals[i]!);
  }

  /** Snapshots: changing the table while iterating them is safe. */
  values(): IterableIterator<T> {
    const out: T[] = [];
    for (const v of this.vals) if (v !== undefined) out.push(v);
    return out[Symbol.iterator]();
  }

  keys(): IterableIterator<number> {
    const out: number[] = [];
    for (let i = 0; i < this.vals.length; i++) if (this.vals[i] !== undefined) out.push(this.ks[i]!);
    return out[Symbol.iterator]();
  }
}
