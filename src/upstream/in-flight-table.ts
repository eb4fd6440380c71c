/**
 * The requests in flight on one upstream connection, by request id: what a `Map<number, T>` does, on
 * two arrays that are only replaced when they grow.
 *
 * Why not a Map: a Map whose entries are added and deleted all the time (one of each per request)
 * rebuilds its hash table again and again. Once a full GC has run under that churn, most of what the
 * proxy allocated afterwards survived young-generation collections until the next full GC, which
 * then came every few hundred milliseconds, and the proxy fell to half its throughput (the slow mode
 * in bench/README.md). `bench/map-churn-gc.ts` shows it with a Map alone, and not with this table.
 * The likely path: V8 leaves each table it replaces pointing at its successor (for iterators still
 * running over it), so an old-generation table keeps every later one, and the requests in them,
 * alive until the next full GC.
 *
 * Open addressing with linear probing, at most half full. A deletion shifts the entries after it back
 * into the hole, so there are no tombstones and nothing to rebuild. Only an entry that is not in its
 * home slot can have probed past the hole, so while there is none (a connection's own ids count up
 * and each lands in its home slot) a deletion shifts nothing and does not walk the run of entries
 * after the hole: with many consecutive ids in flight, answered oldest first, that walk would pass
 * over all the others for each response.
 */
export class InFlightTable<T> {
  private keys: Float64Array;
  /** `undefined` marks an empty slot (values are objects). */
  private slots: (T | undefined)[];
  private mask: number;
  private count = 0;
  /** Entries not in their home slot. */
  private displaced = 0;

  /** @param capacity initial slots, a power of two */
  constructor(capacity = 16) {
    if (!(capacity >= 2 && (capacity & (capacity - 1)) === 0)) {
      throw new RangeError(`an in-flight table's capacity is a power of two, not ${capacity}`);
    }
    this.keys = new Float64Array(capacity);
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  get(key: number): T | undefined {
    const at = this.find(key);
    return at < 0 ? undefined : this.slots[at];
  }

  has(key: number): boolean {
    return this.find(key) >= 0;
  }

  /** Adds `value` under `key`, or replaces the value there. */
  set(key: number, value: T): void {
    const at = this.find(key);
    if (at >= 0) {
      this.slots[at] = value;
      return;
    }
    if (2 * (this.count + 1) > this.slots.length) this.grow();
    this.insert(key, value);
    this.count++;
  }

  /** Removes `key`; false if it was not there. */
  delete(key: number): boolean {
    let hole = this.find(key);
    if (hole < 0) return false;
    const mask = this.mask;
    const keys = this.keys;
    const slots = this.slots;
    if (this.home(keys[hole]!) !== hole) this.displaced--;
    // Each entry of the run after the hole moves into it unless its own slot lies after the hole;
    // once no entry is displaced, none can.
    for (let at = (hole + 1) & mask; slots[at] !== undefined && this.displaced > 0; at = (at + 1) & mask) {
      const home = this.home(keys[at]!);
      if (((at - home) & mask) >= ((at - hole) & mask)) {
        // It was displaced (it sat past its home); in the hole it may be home.
        if (home === hole) this.displaced--;
        keys[hole] = keys[at]!;
        slots[hole] = slots[at];
        hole = at;
      }
    }
    slots[hole] = undefined;
    this.count--;
    return true;
  }

  /** The values, in no particular order (a new array). */
  values(): T[] {
    const out: T[] = [];
    for (const value of this.slots) if (value !== undefined) out.push(value);
    return out;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.count = 0;
    this.displaced = 0;
  }

  private home(key: number): number {
    // Ids are integers, mostly consecutive: their low bits spread them over the slots.
    return (key | 0) & this.mask;
  }

  private find(key: number): number {
    const mask = this.mask;
    const slots = this.slots;
    for (let at = this.home(key); slots[at] !== undefined; at = (at + 1) & mask) {
      if (this.keys[at] === key) return at;
    }
    return -1;
  }

  private insert(key: number, value: T): void {
    const mask = this.mask;
    const home = this.home(key);
    let at = home;
    while (this.slots[at] !== undefined) at = (at + 1) & mask;
    this.keys[at] = key;
    this.slots[at] = value;
    if (at !== home) this.displaced++;
  }

  private grow(): void {
    const keys = this.keys;
    const slots = this.slots;
    const capacity = 2 * slots.length;
    this.keys = new Float64Array(capacity);
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.displaced = 0;
    for (let i = 0; i < slots.length; i++) {
      const value = slots[i];
      if (value !== undefined) this.insert(keys[i]!, value);
    }
    // The old array may sit in the old generation: it must not keep these requests alive after them.
    slots.fill(undefined);
  }
}
