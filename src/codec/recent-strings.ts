/**
 * The short strings last decoded on one connection, found again by their bytes. Method names and
 * header keys repeat on nearly every message of a connection; comparing a few bytes with the ones
 * decoded into the same slot before costs less than decoding them again (a call into C++ and a new
 * string each time). For Thrift's two names a request (call and reply), that saved 0.3 of the 4.2 µs
 * of CPU the proxy spent on a request at 32x8 (`npm run bench:features`, `bare`). Every later
 * comparison of the string (route matches, the access log's string ids) is then with the same object.
 *
 * Direct-mapped: {@link RECENT_STRING_SLOTS} entries of up to {@link RECENT_STRING_MAX_BYTES} bytes,
 * chosen by the length and the first and last byte. A string that never repeats (a trace id, a
 * unique header value) only replaces the entry of its slot, at the cost of copying its bytes there.
 */
export const RECENT_STRING_SLOTS = 16;
/** Longer strings are decoded every time (and do not evict a name). */
export const RECENT_STRING_MAX_BYTES = 32;

export class RecentStrings {
  /** Slot i's bytes at i * RECENT_STRING_MAX_BYTES. */
  private readonly bytes = new Uint8Array(RECENT_STRING_SLOTS * RECENT_STRING_MAX_BYTES);
  /** Slot i's length; 0 for an empty slot. */
  private readonly lengths = new Uint8Array(RECENT_STRING_SLOTS);
  private readonly strings = new Array<string>(RECENT_STRING_SLOTS).fill('');

  /** `source[start, end)` as UTF-8; the caller keeps `end - start` within 1 to {@link RECENT_STRING_MAX_BYTES}. */
  decode(source: Buffer, start: number, end: number): string {
    const length = end - start;
    const slot = (length * 7 + source[start]! + source[end - 1]!) & (RECENT_STRING_SLOTS - 1);
    const base = slot * RECENT_STRING_MAX_BYTES;
    const bytes = this.bytes;
    if (this.lengths[slot] === length) {
      let i = 0;
      while (i < length && bytes[base + i] === source[start + i]) i++;
      if (i === length) return this.strings[slot]!;
    }
    const text = source.toString('utf8', start, end);
    for (let i = 0; i < length; i++) bytes[base + i] = source[start + i]!;
    this.lengths[slot] = length;
    this.strings[slot] = text;
    return text;
  }
}
