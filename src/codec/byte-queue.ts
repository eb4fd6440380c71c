import { malformed } from '../errors.js';
import { RecentStrings } from './recent-strings.js';

const EMPTY = Buffer.alloc(0);
/** Names a queue remembers (Thrift method names, THeader keys): 16 of up to 32 bytes, 0.5 KiB. */
const RECENT_SLOTS = 16;
const RECENT_MAX_BYTES = 32;

/**
 * The bytes received on one connection and not yet decoded, kept as the list of chunks the socket
 * delivered. Codecs read it by absolute offset (0 = first undecoded byte) without consuming anything,
 * and consume exactly one whole frame with {@link take} once it is complete.
 *
 * Copy discipline: a frame that lies within one chunk is returned as a view of that chunk (no copy);
 * a frame spread over several chunks is copied exactly once, when it is taken.
 *
 * Offset reads past {@link length} throw a codec error: a codec must check `length` first and return
 * "need more" instead of reading beyond what has arrived.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Read position inside `chunks[0]`. */
  private head = 0;
  private total = 0;
  private removed = 0;
  /** Made by the first {@link string} call: queues that never decode a name do without. */
  private recent: RecentStrings | undefined = undefined;

  /** Number of undecoded bytes. */
  get length(): number {
    return this.total;
  }

  /**
   * Number of chunks holding the undecoded bytes. Each costs memory of its own beside its bytes, so
   * whoever bounds what a queue holds counts them too (a peer sending one byte per packet makes one
   * chunk per byte).
   */
  get chunkCount(): number {
    return this.chunks.length;
  }

  /**
   * Total bytes removed from the front since the queue was created (taken, skipped or cleared). A codec
   * that keeps partial-decode progress between calls compares it to know that offset 0 still names the
   * byte its progress refers to.
   */
  get consumed(): number {
    return this.removed;
  }

  /** Appends a chunk received from the socket. The queue keeps a reference; the caller must not reuse it. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** Drops everything (used when a connection closes or is reset). */
  clear(): void {
    this.removed += this.total;
    this.chunks = [];
    this.head = 0;
    this.total = 0;
  }

  /** The byte at `offset`. */
  u8(offset: number): number {
    const first = this.chunks[0];
    if (first !== undefined) {
      const at = this.head + offset;
      if (at < first.length) return first[at]!;
    }
    return this.slowByte(offset);
  }

  /** Big-endian unsigned 16-bit integer at `offset`. */
  u16(offset: number): number {
    const first = this.chunks[0];
    if (first !== undefined && this.head + offset + 2 <= first.length)
      return first.readUInt16BE(this.head + offset);
    return (this.u8(offset) << 8) | this.u8(offset + 1);
  }

  /** Big-endian signed 16-bit integer at `offset`. */
  i16(offset: number): number {
    const v = this.u16(offset);
    return v & 0x8000 ? v - 0x10000 : v;
  }

  /** Big-endian signed 32-bit integer at `offset`. */
  i32(offset: number): number {
    const first = this.chunks[0];
    if (first !== undefined && this.head + offset + 4 <= first.length)
      return first.readInt32BE(this.head + offset);
    return (
      (this.u8(offset) << 24) | (this.u8(offset + 1) << 16) | (this.u8(offset + 2) << 8) | this.u8(offset + 3)
    );
  }

  /** Big-endian unsigned 32-bit integer at `offset`. */
  u32(offset: number): number {
    return this.i32(offset) >>> 0;
  }

  /**
   * A view of `length` bytes starting at `offset`, for small reads such as names. No copy when the
   * bytes lie in one chunk; otherwise a small copy that the queue does not keep.
   */
  peek(offset: number, length: number): Buffer {
    if (length === 0) return EMPTY;
    if (offset + length > this.total)
      throw malformed(`read of ${length} bytes at ${offset} past ${this.total}`);
    const first = this.chunks[0]!;
    const start = this.head + offset;
    if (start + length <= first.length) return first.subarray(start, start + length);
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = this.u8(offset + i);
    return out;
  }

  /**
   * Latin-1/UTF-8 string of `length` bytes at `offset`. A short one that lies in one chunk comes from
   * the queue's {@link RecentStrings} when the same bytes were decoded before.
   */
  string(offset: number, length: number): string {
    const first = this.chunks[0];
    const start = this.head + offset;
    // Decoding straight from the chunk spares a view object per string (names are read per message).
    if (first !== undefined && offset >= 0 && length >= 0 && start + length <= first.length) {
      return (this.recent ??= new RecentStrings(RECENT_SLOTS, RECENT_MAX_BYTES)).decode(
        first,
        start,
        start + length,
      );
    }
    return this.peek(offset, length).toString('utf8');
  }

  /**
   * Removes the first `length` bytes and returns them. A view when they lie in the first chunk,
   * otherwise one copy into a new buffer.
   */
  take(length: number): Buffer {
    if (length > this.total) throw malformed(`take of ${length} bytes past ${this.total}`);
    if (length === 0) return EMPTY;
    const first = this.chunks[0]!;
    const available = first.length - this.head;
    if (length <= available) {
      const out = first.subarray(this.head, this.head + length);
      this.advance(length);
      return out;
    }
    const out = Buffer.allocUnsafe(length);
    let written = 0;
    while (written < length) {
      const chunk = this.chunks[0]!;
      const n = Math.min(chunk.length - this.head, length - written);
      chunk.copy(out, written, this.head, this.head + n);
      written += n;
      this.advance(n);
    }
    return out;
  }

  /** Discards the first `length` bytes. */
  skip(length: number): void {
    if (length > this.total) throw malformed(`skip of ${length} bytes past ${this.total}`);
    let left = length;
    while (left > 0) {
      const chunk = this.chunks[0]!;
      const n = Math.min(chunk.length - this.head, left);
      this.advance(n);
      left -= n;
    }
  }

  private advance(n: number): void {
    this.head += n;
    this.total -= n;
    this.removed += n;
    const first = this.chunks[0]!;
    if (this.head === first.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  private slowByte(offset: number): number {
    if (offset < 0 || offset >= this.total) throw malformed(`read at ${offset} past ${this.total}`);
    let at = this.head + offset;
    for (const chunk of this.chunks) {
      if (at < chunk.length) return chunk[at]!;
      at -= chunk.length;
    }
    throw malformed(`read at ${offset} past ${this.total}`);
  }
}
