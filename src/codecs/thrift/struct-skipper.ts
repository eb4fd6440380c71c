/**
 * Walks a Thrift struct without materializing it: to find where an unframed message ends (its only
 * length is the struct's own), and to check that a request's arguments are well formed before they
 * are forwarded (a framed message's struct must end exactly at the frame's end). Grammar walked:
 *
 * Binary protocol
 *   struct := { field } 0x00
 *   field  := type:i8 id:i16 value(type)
 *   value  := bool | byte: 1 byte; i16: 2; i32: 4; i64 | double: 8; uuid: 16
 *           | string: length:i32 (>= 0) bytes
 *           | struct
 *           | list | set: element-type:i8 size:i32 { value(element-type) }
 *           | map: key-type:i8 value-type:i8 size:i32 { value(key-type) value(value-type) }
 *
 * Compact protocol
 *   struct := { field } stop          (stop: a byte whose type nibble is 0, as the Apache readers take it)
 *   field  := (id-delta << 4 | type) [ id:zigzag-varint when id-delta = 0 ] value(type)
 *             (a field of type BOOLEAN_TRUE or BOOLEAN_FALSE has no value bytes)
 *   value  := bool (in a collection) | byte: 1 byte; double: 8; uuid: 16
 *           | i16 | i32 | i64: zigzag varint (every varint: at most 10 bytes, as the Apache readers take)
 *           | binary: length:varint bytes
 *           | struct
 *           | list | set: (size << 4 | element-type) [ size:varint when the size nibble is 15 ] { value }
 *           | map: size:varint [ key-type << 4 | value-type when size > 0 ] { key value }
 *
 * Rejected: unknown type ids (of fields, and of collection elements, keys and values where the
 * Apache readers reject them), negative lengths, collections whose count cannot fit in the bytes left
 * (each element takes at least its type's smallest encoding), and nesting deeper than the limit.
 *
 * The walk is iterative over an explicit stack (bounded by the nesting limit) and resumable: when the
 * bytes run out it stops before the token it could not read whole, keeps its stack, and continues from
 * there when more bytes arrive, so a large message arriving in many chunks is walked once, a chunk at
 * a time. A token is at most a field header, a collection header or a length prefix: strings are
 * skipped by their length without being read.
 */
import type { ByteQueue } from '../../codec/byte-queue.js';
import { CodecError, ErrorCodes, malformed } from '../../errors.js';
import { MAX_VARINT_BYTES, varint32Value, varintLength } from './varint.js';
import type { ThriftProtocol } from './wire-format.js';
import {
  BINARY_BOOL,
  BINARY_BYTE,
  BINARY_DOUBLE,
  BINARY_I16,
  BINARY_I32,
  BINARY_I64,
  BINARY_LIST,
  BINARY_MAP,
  BINARY_SET,
  BINARY_STOP,
  BINARY_STRING,
  BINARY_STRUCT,
  BINARY_UUID,
  COMPACT_BINARY,
  COMPACT_BOOLEAN_FALSE,
  COMPACT_BOOLEAN_TRUE,
  COMPACT_BYTE,
  COMPACT_DOUBLE,
  COMPACT_I16,
  COMPACT_I32,
  COMPACT_I64,
  COMPACT_LIST,
  COMPACT_MAP,
  COMPACT_SET,
  COMPACT_STOP,
  COMPACT_STRUCT,
  COMPACT_UUID,
} from './wire-constants.js';

const FRAME_STRUCT = 0;
const FRAME_LIST = 1;
const FRAME_MAP = 2;

/** Returned by {@link StructSkipper.run} when more bytes are needed. */
export const NEED_MORE = -1;

/** Size of a fixed-size binary value, 0 for the others. */
function binaryFixedSize(type: number): number {
  switch (type) {
    case BINARY_BOOL:
    case BINARY_BYTE:
      return 1;
    case BINARY_I16:
      return 2;
    case BINARY_I32:
      return 4;
    case BINARY_I64:
    case BINARY_DOUBLE:
      return 8;
    case BINARY_UUID:
      return 16;
    default:
      return 0;
  }
}

/** Fewest bytes a binary value of `type` takes (a string's length, an empty collection's header). */
function binaryMinSize(type: number): number {
  switch (type) {
    case BINARY_STRING:
      return 4;
    case BINARY_STRUCT:
      return 1;
    case BINARY_LIST:
    case BINARY_SET:
      return 5;
    case BINARY_MAP:
      return 6;
    default:
      // Unknown types are rejected when the first element is read; 1 keeps the count check sound.
      return Math.max(1, binaryFixedSize(type));
  }
}

/**
 * Fewest bytes a compact value of `type` takes inside a collection; 0 for a type id the Apache
 * readers reject there (they map element types through a table that knows only STOP to UUID; an
 * element of type STOP is refused when read, so only an empty collection may name it).
 */
function compactMinSize(type: number): number {
  return type <= COMPACT_UUID ? Math.max(1, compactFixedSize(type)) : 0;
}

/** Size of a fixed-size compact value inside a collection, 0 for the others. */
function compactFixedSize(type: number): number {
  switch (type) {
    case COMPACT_BOOLEAN_TRUE:
    case COMPACT_BOOLEAN_FALSE:
    case COMPACT_BYTE:
      return 1;
    case COMPACT_DOUBLE:
      return 8;
    case COMPACT_UUID:
      return 16;
    default:
      return 0;
  }
}

/**
 * A resumable walk over one struct in a {@link ByteQueue}. Start it with {@link start}, then call
 * {@link run} each time more bytes may have arrived until it returns the struct's end offset.
 */
export class StructSkipper {
  /** Offset of the next token not yet walked. */
  offset = 0;
  private compact = false;
  private depth = 0;
  private readonly kinds: Uint8Array;
  /** List and set: the element type; map: the key type. */
  private readonly keyTypes: Uint8Array;
  private readonly valueTypes: Uint8Array;
  /** List and set: elements left; map: keys and values left (2 per entry). */
  private readonly remaining: Float64Array;
  /** The largest offset the walk may reach (the frame's end, or the message size limit). */
  private end = 0;
  /** Whether {@link end} is a frame's end (overrunning it is malformed) or a size limit. */
  private exact = false;

  /** @param maxDepth the nesting limit; deeper structs and collections raise CODEC_TOO_LARGE. */
  constructor(private readonly maxDepth: number) {
    this.kinds = new Uint8Array(maxDepth);
    this.keyTypes = new Uint8Array(maxDepth);
    this.valueTypes = new Uint8Array(maxDepth);
    this.remaining = new Float64Array(maxDepth);
  }

  /** Begins a walk over the struct whose first field header is at `offset`. */
  start(protocol: ThriftProtocol, offset: number): void {
    this.compact = protocol === 'compact';
    this.offset = offset;
    this.depth = 0;
    this.push(FRAME_STRUCT, 0, 0, 0);
  }

  /**
   * Walks as far as the bytes allow. Returns the offset just after the struct, or {@link NEED_MORE}.
   * `limit` is the largest offset the struct may reach: with `exact`, the end of its frame (a struct
   * that would pass it is CODEC_MALFORMED); otherwise the message's size limit (CODEC_TOO_LARGE).
   * Bad type ids and lengths raise CODEC_MALFORMED, nesting deeper than the limit CODEC_TOO_LARGE.
   */
  run(queue: ByteQueue, limit: number, exact = false): number {
    this.end = limit;
    this.exact = exact;
    const available = Math.min(queue.length, limit);
    while (this.depth > 0) {
      const top = this.depth - 1;
      const kind = this.kinds[top]!;
      if (kind === FRAME_STRUCT) {
        if (!this.field(queue, available)) return this.needMore(available);
        continue;
      }
      const left = this.remaining[top]!;
      if (left === 0) {
        this.depth--;
        continue;
      }
      const type = kind === FRAME_LIST || left % 2 === 0 ? this.keyTypes[top]! : this.valueTypes[top]!;
      if (kind === FRAME_LIST) {
        // Runs of fixed-size elements (the bulk of large payloads) are skipped in one step.
        const size = this.compact ? compactFixedSize(type) : binaryFixedSize(type);
        if (size > 0) {
          const whole = Math.min(left, Math.floor((available - this.offset) / size));
          if (whole === 0) return this.needMore(available);
          this.offset += whole * size;
          this.remaining[top] = left - whole;
          continue;
        }
      }
      this.remaining[top] = left - 1;
      const read = this.compact
        ? this.compactValue(queue, type, this.offset, available)
        : this.binaryValue(queue, type, this.offset, available);
      if (!read) {
        this.remaining[top] = left;
        return this.needMore(available);
      }
    }
    return this.offset;
  }

  /** Reads one field header and its value (or enters it), or nothing if they have not arrived. */
  private field(queue: ByteQueue, available: number): boolean {
    const at = this.offset;
    if (at >= available) return false;
    const header = queue.u8(at);
    if (!this.compact) {
      if (header === BINARY_STOP) {
        this.offset = at + 1;
        this.depth--;
        return true;
      }
      if (at + 3 > available) return false;
      return this.binaryValue(queue, header, at + 3, available);
    }
    if ((header & 0x0f) === COMPACT_STOP) {
      this.offset = at + 1;
      this.depth--;
      return true;
    }
    let valueAt = at + 1;
    if (header >> 4 === 0) {
      const idLength = varintLength(queue, valueAt, available, MAX_VARINT_BYTES);
      if (idLength === 0) return false;
      valueAt += idLength;
    }
    const type = header & 0x0f;
    if (type === COMPACT_BOOLEAN_TRUE || type === COMPACT_BOOLEAN_FALSE) {
      this.offset = valueAt;
      return true;
    }
    return this.compactValue(queue, type, valueAt, available);
  }

  /** Reads (or enters) one binary value at `at`; on success moves {@link offset} past what it read. */
  private binaryValue(queue: ByteQueue, type: number, at: number, available: number): boolean {
    const fixed = binaryFixedSize(type);
    if (fixed > 0) return this.advanceTo(at + fixed, available);
    switch (type) {
      case BINARY_STRING: {
        if (at + 4 > available) return false;
        const length = queue.i32(at);
        if (length < 0) throw malformed(`thrift string length ${length} is negative`);
        return this.advanceTo(at + 4 + length, available);
      }
      case BINARY_STRUCT:
        this.push(FRAME_STRUCT, 0, 0, 0);
        this.offset = at;
        return true;
      case BINARY_LIST:
      case BINARY_SET: {
        if (at + 5 > available) return false;
        const elementType = queue.u8(at);
        const size = this.checkedSize(queue.i32(at + 1), at + 5, binaryMinSize(elementType));
        this.push(FRAME_LIST, elementType, 0, size);
        this.offset = at + 5;
        return true;
      }
      case BINARY_MAP: {
        if (at + 6 > available) return false;
        const keyType = queue.u8(at);
        const valueType = queue.u8(at + 1);
        const entrySize = binaryMinSize(keyType) + binaryMinSize(valueType);
        const size = this.checkedSize(queue.i32(at + 2), at + 6, entrySize);
        this.push(FRAME_MAP, keyType, valueType, size * 2);
        this.offset = at + 6;
        return true;
      }
      default:
        throw malformed(`thrift binary type id ${type} is unknown`);
    }
  }

  /** Reads (or enters) one compact value at `at`; on success moves {@link offset} past what it read. */
  private compactValue(queue: ByteQueue, type: number, at: number, available: number): boolean {
    const fixed = compactFixedSize(type);
    if (fixed > 0) return this.advanceTo(at + fixed, available);
    switch (type) {
      case COMPACT_I16:
      case COMPACT_I32:
      case COMPACT_I64: {
        const length = varintLength(queue, at, available, MAX_VARINT_BYTES);
        if (length === 0) return false;
        this.offset = at + length;
        return true;
      }
      case COMPACT_BINARY: {
        const prefix = varintLength(queue, at, available, MAX_VARINT_BYTES);
        if (prefix === 0) return false;
        return this.advanceTo(at + prefix + varint32Value(queue, at, prefix), available);
      }
      case COMPACT_STRUCT:
        this.push(FRAME_STRUCT, 0, 0, 0);
        this.offset = at;
        return true;
      case COMPACT_LIST:
      case COMPACT_SET: {
        if (at >= available) return false;
        const header = queue.u8(at);
        let size = header >> 4;
        let next = at + 1;
        if (size === 15) {
          const length = varintLength(queue, next, available, MAX_VARINT_BYTES);
          if (length === 0) return false;
          size = varint32Value(queue, next, length);
          next += length;
        }
        const elementType = header & 0x0f;
        const elementSize = compactMinSize(elementType);
        if (elementSize === 0) throw malformed(`thrift compact element type id ${elementType} is unknown`);
        this.push(FRAME_LIST, elementType, 0, this.checkedSize(size, next, elementSize));
        this.offset = next;
        return true;
      }
      case COMPACT_MAP: {
        const length = varintLength(queue, at, available, MAX_VARINT_BYTES);
        if (length === 0) return false;
        const size = varint32Value(queue, at, length);
        if (size === 0) {
          this.offset = at + length;
          return true;
        }
        const typesAt = at + length;
        if (typesAt >= available) return false;
        const types = queue.u8(typesAt);
        const keySize = compactMinSize(types >> 4);
        const valueSize = compactMinSize(types & 0x0f);
        if (keySize === 0 || valueSize === 0) {
          throw malformed(
            `thrift compact map key and value type ids ${types >> 4}, ${types & 0x0f} are not both known`,
          );
        }
        const entries = this.checkedSize(size, typesAt + 1, keySize + valueSize);
        this.push(FRAME_MAP, types >> 4, types & 0x0f, entries * 2);
        this.offset = typesAt + 1;
        return true;
      }
      default:
        throw malformed(`thrift compact type id ${type} is unknown`);
    }
  }

  /** Moves past a token ending at `next` if it has arrived whole; rejects it early if it is too large. */
  private advanceTo(next: number, available: number): boolean {
    if (next > this.end) throw this.overrun();
    if (next > available) return false;
    this.offset = next;
    return true;
  }

  /**
   * Every element takes at least `elementSize` bytes, so a count whose elements cannot fit in the
   * room left cannot be honest (and must not make the walk loop for long).
   */
  private checkedSize(size: number, next: number, elementSize: number): number {
    if (size < 0) throw malformed(`thrift collection size ${size} is negative`);
    if (next + size * elementSize > this.end) {
      if (!this.exact) throw this.overrun();
      throw malformed(`thrift collection of ${size} elements does not fit in its frame`);
    }
    return size;
  }

  private push(kind: number, keyType: number, valueType: number, remaining: number): void {
    if (this.depth === this.maxDepth) {
      throw new CodecError(
        ErrorCodes.CODEC_TOO_LARGE,
        `thrift struct nesting exceeds the limit of ${this.maxDepth} (maxDepth)`,
      );
    }
    const at = this.depth++;
    this.kinds[at] = kind;
    this.keyTypes[at] = keyType;
    this.valueTypes[at] = valueType;
    this.remaining[at] = remaining;
  }

  private needMore(available: number): number {
    if (available >= this.end) throw this.overrun();
    return NEED_MORE;
  }

  private overrun(): CodecError {
    if (this.exact) return malformed('thrift struct runs past the end of its frame');
    return new CodecError(
      ErrorCodes.CODEC_TOO_LARGE,
      `thrift message exceeds the limit of ${this.end} bytes (maxFrameSize)`,
    );
  }
}
