/**
 * The short strings last decoded on one connection, found again by their bytes. Method names, header
 * keys and (in Dubbo) service names and versions repeat on nearly every message of a connection;
 * comparing a few bytes with the ones decoded into the same slot before costs less than decoding them
 * again (a call into C++ and a new string each time). For Thrift's two names a request (call and
 * reply), that saved 0.3 of the 4.2 µs of CPU the proxy spent on a request at 32x8
 * (`npm run bench:features`, `bare`). Every later comparison of the string (route matches, the
 * access log's string ids) is then with the same object.
 *
 * Direct-mapped: a fixed number of slots of up to {@link maxBytes} bytes each, chosen by the length
 * and the first and last byte. A string that never repeats (a trace id, a unique header value) only
 * replaces the entry of its slot, at the cost of copying its bytes there.
 */
export class RecentStrings {
  /** Slot i's bytes at i * maxBytes. */
  private readonly bytes: Uint8Array;
  /** Slot i's length; 0 for an empty slot. */
  private readonly lengths: Uint8Array;
  private readonly strings: string[];
  private readonly mask: number;

  /**
   * @param slots entries, a power of two
   * @param maxBytes the longest string kept, at most 255
   */
  constructor(
    slots: number,
    readonly maxBytes: number,
  ) {
    if (!(slots > 0 && (slots & (slots - 1)) === 0) || !(maxBytes >= 1 && maxBytes <= 255)) {
      throw new RangeError(`recent strings: ${slots} slots (a power of two) of ${maxBytes} bytes (1 to 255)`);
    }
    this.bytes = new Uint8Array(slots * maxBytes);
    this.lengths = new Uint8Array(slots);
    this.strings = new Array<string>(slots).fill('');
    this.mask = slots - 1;
  }

  /**
   * `source[start, end)` as UTF-8 (which is also its Latin-1 reading when every byte is ASCII). An
   * empty string, or one longer than {@link maxBytes}, is decoded without the slots.
   */
  decode(source: Buffer, start: number, end: number): string {
    const length = end - start;
    if (length <= 0 || length > this.maxBytes) return source.toString('utf8', start, end);
    const known = this.find(source, start, end);
    if (known !== undefined) return known;
    const slot = (length * 7 + source[start]! + source[end - 1]!) & this.mask;
    const base = slot * this.maxBytes;
    const bytes = this.bytes;
    const text = source.toString('utf8', start, end);
    for (let i = 0; i < length; i++) bytes[base + i] = source[start + i]!;
    this.lengths[slot] = length;
    this.strings[slot] = text;
    return text;
  }

  /**
   * The string kept for exactly the bytes `source[start, end)`, or `undefined` (nothing is decoded or
   * kept). A caller that only ever hands {@link decode} bytes it has checked can take a hit as proof
   * that these bytes are valid too.
   */
  find(source: Uint8Array, start: number, end: number): string | undefined {
    const length = end - start;
    if (length <= 0 || length > this.maxBytes) return undefined;
    const slot = (length * 7 + source[start]! + source[end - 1]!) & this.mask;
    if (this.lengths[slot] !== length) return undefined;
    const base = slot * this.maxBytes;
    const bytes = this.bytes;
    let i = 0;
    while (i < length && bytes[base + i] === source[start + i]) i++;
    return i === length ? this.strings[slot] : undefined;
  }
}
