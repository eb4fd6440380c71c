// Imported, not the global: Node's global `Buffer` is a getter, a call on each use on the request path.
import { Buffer } from 'node:buffer';
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
 * a frame spread over several chunks is copied exactly once: when it is taken, or, if the codec
 * announced it with {@link expectFrame}, a chunk at a time as it arrives.
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
  /**
   * The buffer a frame announced by {@link expectFrame} is gathered into while it arrives; while it
   * is set, `chunks` is just the view of its first `gathered` bytes and `head` is 0.
   */
  private gather: Buffer | undefined = undefined;
  private gathered = 0;
  /** A frame announced while its bytes all lay in one chunk: gathered once another chunk arrives. */
  private expected = 0;
  /**
   * The chunk that served the last read beyond the first one, and the queue offset of its first
   * byte: a walk over a message spread across many chunks finds each byte in constant time instead
   * of counting chunks from the front for every byte.
   */
  private cursorIndex = 0;
  private cursorStart = 0;
  /** Made by the first {@link string} call: queues that never decode a name do without. */
  private recent: RecentStrings | undefined = undefined;
  /**
   * The chunk {@link take} last made a view of, and its memory: a typed array's `buffer` is a call
   * into the runtime, made once per chunk instead of once per frame (as `subarray` would).
   */
  private viewChunk: Buffer | undefined = undefined;
  private viewMemory: ArrayBufferLike | undefined = undefined;

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
    const gather = this.gather;
    if (gather !== undefined) {
      const n = Math.min(chunk.length, gather.length - this.gathered);
      chunk.copy(gather, this.gathered, 0, n);
      this.gathered += n;
      this.total += n;
      this.chunks[0] = gather.subarray(0, this.gathered);
      if (this.gathered === gather.length) this.gather = undefined;
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    this.chunks.push(chunk);
    this.total += chunk.length;
    const expected = this.expected;
    if (expected === 0) return;
    if (expected <= this.total) this.expected = 0;
    else if (this.total * 2 >= expected) {
      this.expected = 0;
      this.startGather(expected);
    }
  }

  /**
   * Announces that the first `length` bytes are one frame that the codec will {@link take} whole once
   * it has arrived. If it spans chunks, the queue gathers it into one buffer of `length` bytes as its
   * chunks arrive, so that reads within it stay as fast as within one chunk, its copy is made a chunk
   * at a time instead of all at once when it is taken, and `take(length)` returns that buffer (as
   * does `peek(0, n)` for its first n bytes, without a copy). Does nothing for a frame that has
   * already arrived; the announcement lapses once anything is removed from the front. The buffer is
   * allocated once the frame spans two chunks and half of it has arrived, so a peer that declares a
   * large frame and sends little of it costs no more than twice what it sent.
   */
  expectFrame(length: number): void {
    if (this.gather !== undefined || length <= this.total) return;
    if (this.chunks.length <= 1 || this.total * 2 < length) {
      this.expected = length;
      return;
    }
    this.startGather(length);
  }

  /** Drops everything (used when a connection closes or is reset). */
  clear(): void {
    this.removed += this.total;
    this.viewChunk = undefined;
    this.viewMemory = undefined;
    this.chunks = [];
    this.head = 0;
    this.total = 0;
    this.gather = undefined;
    this.expected = 0;
    this.cursorIndex = 0;
    this.cursorStart = 0;
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
    const at = this.head + offset;
    if (first !== undefined && offset >= 0 && at + 2 <= first.length)
      return (first[at]! << 8) | first[at + 1]!;
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
    const at = this.head + offset;
    // Byte loads rather than readInt32BE: no call and no argument checks on a read made per message.
    if (first !== undefined && offset >= 0 && at + 4 <= first.length)
      return (first[at]! << 24) | (first[at + 1]! << 16) | (first[at + 2]! << 8) | first[at + 3]!;
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
      if (first !== this.viewChunk) {
        this.viewChunk = first;
        this.viewMemory = first.buffer;
      }
      const out = Buffer.from(this.viewMemory!, first.byteOffset + this.head, length);
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

  /** Copies every queued byte (fewer than `length`) into a new buffer of `length` bytes to fill. */
  private startGather(length: number): void {
    const gather = Buffer.allocUnsafe(length);
    let filled = 0;
    let start = this.head;
    for (const chunk of this.chunks) {
      filled += chunk.copy(gather, filled, start);
      start = 0;
    }
    this.gather = gather;
    this.gathered = filled;
    this.chunks = [gather.subarray(0, filled)];
    this.head = 0;
    this.cursorIndex = 0;
    this.cursorStart = 0;
  }

  private advance(n: number): void {
    this.head += n;
    this.total -= n;
    this.removed += n;
    this.gather = undefined;
    this.expected = 0;
    this.cursorStart -= n;
    const first = this.chunks[0]!;
    if (this.head === first.length) {
      this.chunks.shift();
      this.head = 0;
      // Not kept past the queue: an idle connection holds no chunk.
      if (first === this.viewChunk) {
        this.viewChunk = undefined;
        this.viewMemory = undefined;
      }
      // The remembered chunk moved one place to the front (its offset was adjusted above).
      if (this.cursorIndex > 0) this.cursorIndex--;
      else this.cursorStart = 0;
    }
  }

  private slowByte(offset: number): number {
    if (offset < 0 || offset >= this.total) throw malformed(`read at ${offset} past ${this.total}`);
    const chunks = this.chunks;
    // `start` is the queue offset of chunks[index][0] (negative for the first chunk's read bytes).
    let index = this.cursorIndex;
    let start = this.cursorStart;
    if (index >= chunks.length || offset < start) {
      index = 0;
      start = -this.head;
    }
    for (;;) {
      const chunk = chunks[index]!;
      if (offset < start + chunk.length) {
        this.cursorIndex = index;
        this.cursorStart = start;
        return chunk[offset - start]!;
      }
      start += chunk.length;
      index++;
    }
  }
}
