/**
 * Reads Hessian 2.0 leaf values out of a body without a decoder object per value:
 *
 *   int    := 'I' b3 b2 b1 b0 | [x80-xbf] | [xc0-xcf] b0 | [xd0-xd7] b1 b0
 *   long   := 'L' b7..b0 | x59 b3..b0 | [xd8-xef] | [xf0-xff] b0 | [x38-x3f] b1 b0
 *   double := 'D' b7..b0 | x5b (0.0) | x5c (1.0) | x5d b0 | x5e b1 b0 | x5f b3..b0 (thousandths)
 *   string := 'R' b1 b0 <cesu-8> string          (non-final chunk of b1b0 code units)
 *           | 'S' b1 b0 <cesu-8>                 (final chunk)
 *           | [x00-x1f] <cesu-8>                 (0..31 units)
 *           | [x30-x33] b0 <cesu-8>              (0..1023 units)
 *   binary := 'A' b1 b0 <bytes> binary | 'B' b1 b0 <bytes> | [x20-x2f] <bytes> | [x34-x37] b0 <bytes>
 *
 * Every read is bounded by the end of the body: a value running past it is malformed. A reader may
 * also be given fewer bytes than the body holds (a frame still arriving, or a limit on how far a part
 * of it may reach): a read past those throws a signal that {@link HessianReader.isNeedMore}
 * recognizes, not an error. After each read, {@link HessianReader.next} is the offset just past the
 * value.
 */
import { RecentStrings } from '../../codec/recent-strings.js';
import { malformed } from '../../errors.js';
import { cesu8End, decodeCesu8, type Cesu8Scan } from './cesu8.js';
import {
  BINARY_DIRECT_MAX_TAG,
  BINARY_DIRECT_MIN_TAG,
  BINARY_SHORT_MAX_TAG,
  BINARY_SHORT_MIN_TAG,
  INT_BYTE_MAX_TAG,
  INT_BYTE_MIN_TAG,
  INT_BYTE_ZERO,
  INT_DIRECT_MAX_TAG,
  INT_DIRECT_MIN_TAG,
  INT_DIRECT_ZERO,
  INT_SHORT_MAX_TAG,
  INT_SHORT_MIN_TAG,
  INT_SHORT_ZERO,
  LONG_BYTE_MIN_TAG,
  LONG_BYTE_ZERO,
  LONG_DIRECT_MAX_TAG,
  LONG_DIRECT_MIN_TAG,
  LONG_DIRECT_ZERO,
  LONG_SHORT_MAX_TAG,
  LONG_SHORT_MIN_TAG,
  LONG_SHORT_ZERO,
  STRING_DIRECT_MAX_TAG,
  STRING_SHORT_MAX_TAG,
  STRING_SHORT_MIN_TAG,
  TAG_BINARY_CHUNK,
  TAG_BINARY_FINAL,
  TAG_DOUBLE,
  TAG_DOUBLE_BYTE,
  TAG_DOUBLE_MILL,
  TAG_DOUBLE_ONE,
  TAG_DOUBLE_SHORT,
  TAG_DOUBLE_ZERO,
  TAG_FALSE,
  TAG_INT,
  TAG_LONG,
  TAG_LONG_INT,
  TAG_NULL,
  TAG_STRING_CHUNK,
  TAG_STRING_FINAL,
  TAG_TRUE,
} from './hessian-tags.js';

const EMPTY = Buffer.alloc(0);
/**
 * Strings a reader remembers: a Dubbo request carries a dozen (version, service path, method, types,
 * attachment keys and values), Java names often longer than 32 bytes. 32 of up to 64 bytes, 2 KiB.
 */
const RECENT_SLOTS = 32;
const RECENT_MAX_BYTES = 64;

/**
 * Thrown by a read past {@link HessianReader.end} when that is before the body's end. One object for
 * every reader (no stack is captured per throw); only {@link HessianReader.isNeedMore} looks at it.
 */
const NEED_MORE_BYTES = new Error('hessian reader: more bytes needed');

function hex(tag: number): string {
  return `0x${tag.toString(16).padStart(2, '0')}`;
}

/** A cursor over one Hessian body; reuse it across messages with {@link reset}. */
export class HessianReader implements Cesu8Scan {
  /** The bytes being read (a Dubbo frame, or as much of it as has arrived). */
  bytes: Buffer = EMPTY;
  /** Where the bytes that may be read end: {@link bodyEnd}, or before it (see {@link reset}). */
  end = 0;
  /** Where the body ends: no value may extend past it. */
  bodyEnd = 0;
  /** Offset just past the last value read. */
  next = 0;
  /** Whether the last string chunk scanned was all ASCII. */
  ascii = true;
  /** Made by the first {@link string}: the names of a connection's messages, decoded once. */
  private recent: RecentStrings | undefined = undefined;
  /** Whether the last string or binary chunk read was the final one of its value. */
  chunkFinal = true;
  /** The chunk header last read by {@link chunk}. */
  private chunkData = 0;
  private chunkUnits = 0;

  /**
   * Starts reading `bytes`, whose body ends at `bodyEnd`; reads may reach `end` (default: the body's
   * end). A read past `end` before the body's end throws the signal {@link isNeedMore} recognizes.
   */
  reset(bytes: Buffer, bodyEnd: number, end = bodyEnd): void {
    this.bytes = bytes;
    this.bodyEnd = bodyEnd;
    this.end = end;
    this.next = 0;
  }

  /** Drops the reference to the bytes, so an idle connection does not keep its last frame alive. */
  release(): void {
    this.bytes = EMPTY;
    this.end = 0;
    this.bodyEnd = 0;
  }

  /** Whether `error` is the signal of a read past {@link end} before the body's end. */
  isNeedMore(error: unknown): boolean {
    return error === NEED_MORE_BYTES;
  }

  /** The tag byte at `at`. */
  tag(at: number): number {
    if (at >= this.end) this.pastEnd(at + 1);
    return this.bytes[at]!;
  }

  /** Checks that `length` bytes from `at` lie within the body. */
  need(at: number, length: number): void {
    if (at + length > this.end) this.pastEnd(at + length);
  }

  /** A read that needs the bytes up to `needed`, past {@link end}. */
  private pastEnd(needed: number): never {
    if (this.end < this.bodyEnd && needed <= this.bodyEnd) throw NEED_MORE_BYTES;
    throw malformed('hessian value runs past the end of the body');
  }

  /** The int at `at` (any of its four forms). */
  int(at: number): number {
    const tag = this.tag(at);
    const bytes = this.bytes;
    if (tag >= INT_DIRECT_MIN_TAG && tag <= INT_DIRECT_MAX_TAG) {
      this.next = at + 1;
      return tag - INT_DIRECT_ZERO;
    }
    if (tag >= INT_BYTE_MIN_TAG && tag <= INT_BYTE_MAX_TAG) {
      this.need(at, 2);
      this.next = at + 2;
      return (tag - INT_BYTE_ZERO) * 256 + bytes[at + 1]!;
    }
    if (tag >= INT_SHORT_MIN_TAG && tag <= INT_SHORT_MAX_TAG) {
      this.need(at, 3);
      this.next = at + 3;
      return (tag - INT_SHORT_ZERO) * 65536 + bytes.readUInt16BE(at + 1);
    }
    if (tag === TAG_INT) {
      this.need(at, 5);
      this.next = at + 5;
      return bytes.readInt32BE(at + 1);
    }
    throw malformed(`hessian int expected, found tag ${hex(tag)}`);
  }

  /** The string at `at`; a null reads as ''. */
  string(at: number): string {
    const tag = this.tag(at);
    if (tag === TAG_NULL) {
      this.next = at + 1;
      return '';
    }
    const known = this.recentString(at, tag);
    if (known !== undefined) return known;
    let text = '';
    let offset = at;
    for (;;) {
      const stop = this.chunkEnd(offset);
      const piece = this.ascii
        ? (this.recent ??= new RecentStrings(RECENT_SLOTS, RECENT_MAX_BYTES)).decode(
            this.bytes,
            this.chunkData,
            stop,
          )
        : decodeCesu8(this.bytes, this.chunkData, stop, this.ascii);
      text = text === '' ? piece : text + piece;
      offset = stop;
      if (this.chunkFinal) break;
    }
    this.next = offset;
    return text;
  }

  /**
   * The one-chunk string at `at` (tag `tag`) if the connection decoded the same bytes last, found
   * without scanning them: only ASCII text goes into the recent strings, so bytes equal to a kept
   * string's are its units, valid. `undefined` for anything else (then read as usual).
   */
  private recentString(at: number, tag: number): string | undefined {
    const recent = this.recent;
    if (recent === undefined) return undefined;
    let start: number;
    let stop: number;
    if (tag <= STRING_DIRECT_MAX_TAG) {
      start = at + 1;
      stop = start + tag;
    } else if (tag >= STRING_SHORT_MIN_TAG && tag <= STRING_SHORT_MAX_TAG && at + 1 < this.end) {
      start = at + 2;
      stop = start + (tag - STRING_SHORT_MIN_TAG) * 256 + this.bytes[at + 1]!;
    } else {
      return undefined;
    }
    if (stop > this.end) return undefined;
    const known = recent.find(this.bytes, start, stop);
    if (known === undefined) return undefined;
    this.next = stop;
    this.chunkFinal = true;
    return known;
  }

  /** The offset just past the string at `at` (whose first byte must be a string tag). */
  stringEnd(at: number): number {
    let offset = at;
    for (;;) {
      offset = this.chunkEnd(offset);
      if (this.chunkFinal) return offset;
    }
  }

  /**
   * The offset just past the one string chunk at `at` (any string form); {@link chunkFinal} says
   * whether more chunks follow.
   */
  stringChunkEnd(at: number): number {
    return this.chunkEnd(at);
  }

  /**
   * The offset just past the one binary chunk at `at` (any binary form); {@link chunkFinal} says
   * whether more chunks follow.
   */
  binaryChunkEnd(at: number): number {
    const tag = this.tag(at);
    let length: number;
    let data: number;
    let final = true;
    if (tag >= BINARY_DIRECT_MIN_TAG && tag <= BINARY_DIRECT_MAX_TAG) {
      length = tag - BINARY_DIRECT_MIN_TAG;
      data = at + 1;
    } else if (tag >= BINARY_SHORT_MIN_TAG && tag <= BINARY_SHORT_MAX_TAG) {
      this.need(at, 2);
      length = (tag - BINARY_SHORT_MIN_TAG) * 256 + this.bytes[at + 1]!;
      data = at + 2;
    } else if (tag === TAG_BINARY_CHUNK || tag === TAG_BINARY_FINAL) {
      this.need(at, 3);
      length = this.bytes.readUInt16BE(at + 1);
      data = at + 3;
      final = tag === TAG_BINARY_FINAL;
    } else {
      throw malformed(`hessian binary chunk expected, found tag ${hex(tag)}`);
    }
    this.need(data, length);
    this.chunkFinal = final;
    return data + length;
  }

  /** The offset just past the binary at `at` (whose first byte must be a binary tag). */
  binaryEnd(at: number): number {
    let offset = at;
    for (;;) {
      offset = this.binaryChunkEnd(offset);
      if (this.chunkFinal) return offset;
    }
  }

  /**
   * The value at `at` as text if it is a string, int, long, double or boolean (numbers in JavaScript's
   * notation, longs exactly); `undefined` for anything else (null, dates, binaries, lists, maps,
   * objects, refs), leaving {@link next} unchanged.
   */
  scalarText(at: number): string | undefined {
    const tag = this.tag(at);
    const bytes = this.bytes;
    if (
      tag <= STRING_DIRECT_MAX_TAG ||
      (tag >= STRING_SHORT_MIN_TAG && tag <= STRING_SHORT_MAX_TAG) ||
      tag === TAG_STRING_CHUNK ||
      tag === TAG_STRING_FINAL
    ) {
      return this.string(at);
    }
    if ((tag >= INT_DIRECT_MIN_TAG && tag <= INT_SHORT_MAX_TAG) || tag === TAG_INT) {
      return String(this.int(at));
    }
    if (tag >= LONG_DIRECT_MIN_TAG && tag <= LONG_DIRECT_MAX_TAG) {
      this.next = at + 1;
      return String(tag - LONG_DIRECT_ZERO);
    }
    if (tag >= LONG_BYTE_MIN_TAG) {
      this.need(at, 2);
      this.next = at + 2;
      return String((tag - LONG_BYTE_ZERO) * 256 + bytes[at + 1]!);
    }
    if (tag >= LONG_SHORT_MIN_TAG && tag <= LONG_SHORT_MAX_TAG) {
      this.need(at, 3);
      this.next = at + 3;
      return String((tag - LONG_SHORT_ZERO) * 65536 + bytes.readUInt16BE(at + 1));
    }
    switch (tag) {
      case TAG_LONG_INT:
        this.need(at, 5);
        this.next = at + 5;
        return String(bytes.readInt32BE(at + 1));
      case TAG_LONG:
        this.need(at, 9);
        this.next = at + 9;
        return bytes.readBigInt64BE(at + 1).toString();
      case TAG_DOUBLE:
        this.need(at, 9);
        this.next = at + 9;
        return String(bytes.readDoubleBE(at + 1));
      case TAG_DOUBLE_ZERO:
      case TAG_DOUBLE_ONE:
        this.next = at + 1;
        return tag === TAG_DOUBLE_ZERO ? '0' : '1';
      case TAG_DOUBLE_BYTE:
        this.need(at, 2);
        this.next = at + 2;
        return String(bytes.readInt8(at + 1));
      case TAG_DOUBLE_SHORT:
        this.need(at, 3);
        this.next = at + 3;
        return String(bytes.readInt16BE(at + 1));
      case TAG_DOUBLE_MILL:
        this.need(at, 5);
        this.next = at + 5;
        return String(bytes.readInt32BE(at + 1) * 0.001);
      case TAG_TRUE:
        this.next = at + 1;
        return 'true';
      case TAG_FALSE:
        this.next = at + 1;
        return 'false';
      default:
        return undefined;
    }
  }

  /** Reads the string chunk at `at`: its header into the chunk fields; returns the offset past it. */
  private chunkEnd(at: number): number {
    this.chunk(at);
    const stop = cesu8End(this.bytes, this.chunkData, this.chunkUnits, this.end, this);
    if (stop < 0) this.pastEnd(this.chunkData + this.chunkUnits);
    return stop;
  }

  /** Reads the string chunk header at `at` into the chunk fields. */
  private chunk(at: number): void {
    const tag = this.tag(at);
    if (tag <= STRING_DIRECT_MAX_TAG) {
      this.chunkUnits = tag;
      this.chunkData = at + 1;
      this.chunkFinal = true;
    } else if (tag >= STRING_SHORT_MIN_TAG && tag <= STRING_SHORT_MAX_TAG) {
      this.need(at, 2);
      this.chunkUnits = (tag - STRING_SHORT_MIN_TAG) * 256 + this.bytes[at + 1]!;
      this.chunkData = at + 2;
      this.chunkFinal = true;
    } else if (tag === TAG_STRING_CHUNK || tag === TAG_STRING_FINAL) {
      this.need(at, 3);
      this.chunkUnits = this.bytes.readUInt16BE(at + 1);
      this.chunkData = at + 3;
      this.chunkFinal = tag === TAG_STRING_FINAL;
    } else {
      throw malformed(`hessian string expected, found tag ${hex(tag)}`);
    }
  }
}
