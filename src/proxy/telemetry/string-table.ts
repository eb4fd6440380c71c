/**
 * Ids for the strings of access-log records, on the request thread. A string seen before costs one
 * map lookup; a new one gets the next id and waits in {@link pending} until the batch that first uses
 * it goes to the worker, which appends it to its own table. The table is bounded because what a
 * client sends (operations, attribute values) has no bound: once {@link full}, the owner sends what
 * it has and {@link reset}s, and both sides start over.
 */
/** The most strings (ids 0 to 2^16 - 1). */
export const MAX_STRINGS = 2 ** 16;

export class StringTable {
  private ids = new Map<string, number>();
  /** Strings given ids since the last {@link takePending}, in id order. */
  private pending: string[] = [];
  /** Per field, the last string given an id there, and its id. */
  private readonly lastValues: (string | undefined)[];
  private readonly lastIds: number[];

  /**
   * @param fields how many field hints {@link id} takes (0 to fields - 1)
   * @param maxStrings when the table is {@link full}, 1 to 2^16: what the two tables may hold
   */
  constructor(
    fields: number,
    private readonly maxStrings = MAX_STRINGS,
  ) {
    if (!(maxStrings >= 1 && maxStrings <= MAX_STRINGS)) {
      throw new RangeError(`a string table holds 1 to ${MAX_STRINGS} strings, not ${maxStrings}`);
    }
    this.lastValues = new Array<string | undefined>(fields).fill(undefined);
    this.lastIds = new Array<number>(fields).fill(0);
  }

  /**
   * The id of `value`. `field` names where it goes (a record slot): most fields hold what they held
   * for the previous request, and comparing with that costs less than hashing a freshly decoded
   * string for a map lookup.
   */
  id(value: string, field: number): number {
    if (this.lastValues[field] === value) return this.lastIds[field]!;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(value, id);
      this.pending.push(value);
    }
    this.lastValues[field] = value;
    this.lastIds[field] = id;
    return id;
  }

  /** Whether the table has reached its bound and must be reset before more records use it. */
  get full(): boolean {
    return this.ids.size >= this.maxStrings;
  }

  /** The strings the other side has not been given yet; clears the list. */
  takePending(): string[] {
    const pending = this.pending;
    this.pending = [];
    return pending;
  }

  /** Forgets every id (the caller has sent everything that used them). */
  reset(): void {
    this.ids = new Map();
    this.pending = [];
    this.lastValues.fill(undefined);
  }
}
