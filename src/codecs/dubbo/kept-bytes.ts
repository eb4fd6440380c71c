/**
 * A copy of some bytes a codec read before (the fields before a request's arguments, an attachments
 * map), to tell whether a later message carries the same bytes without reading them again.
 */
const EMPTY = new Uint8Array(0);
/** The least memory kept once anything is. */
const MIN_BYTES = 64;

export class KeptBytes {
  /** Grown as needed (a codec that never keeps anything holds nothing). */
  private bytes = EMPTY;
  /** The same memory, read four bytes at a time (big-endian, as they are assembled from the source). */
  private words = new DataView(EMPTY.buffer);
  /** 0 when nothing is kept. */
  length = 0;

  /** @param maxLength the most bytes kept */
  constructor(readonly maxLength: number) {}

  /** Keeps `source[start, end)`, or nothing when it is longer than {@link maxLength}. */
  keep(source: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (length > this.maxLength) {
      this.length = 0;
      return;
    }
    if (length > this.bytes.length) {
      this.bytes = new Uint8Array(Math.min(this.maxLength, Math.max(MIN_BYTES, 2 * length)));
      this.words = new DataView(this.bytes.buffer);
    }
    const bytes = this.bytes;
    for (let i = 0; i < length; i++) bytes[i] = source[start + i]!;
    this.length = length;
  }

  /**
   * Whether `source` holds the kept bytes at `at` (the caller checked that they lie within it).
   * Compares four bytes at a time: a quarter of the branches of a byte loop, and no view object or
   * call into C++ as Buffer#compare makes.
   */
  equals(source: Uint8Array, at: number): boolean {
    const length = this.length;
    const words = this.words;
    let i = 0;
    for (; i + 4 <= length; i += 4) {
      const p = at + i;
      const word = (source[p]! << 24) | (source[p + 1]! << 16) | (source[p + 2]! << 8) | source[p + 3]!;
      if (word !== words.getInt32(i)) return false;
    }
    const bytes = this.bytes;
    for (; i < length; i++) if (source[at + i] !== bytes[i]) return false;
    return true;
  }
}
