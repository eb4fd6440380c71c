/**
 * Finds where a Thrift struct ends without materializing it, for messages on the unframed transport,
 * whose only length is the struct's own. Grammar walked:
 *
 * Binary protocol
 *   struct := { field } 0x00
 *   field  := type:i8 id:i16 value(type)
 *   value  := bool | byte: 1 byte; i16: 2; i32: 4; i64 | double: 8; uuid: 16
 *           | string: length:i32 bytes
 *           | struct
 *           | list | set: element-type:i8 size:i32 { value(element-type) }
 *           | map: key-type:i8 value-type:i8 size:i32 { value(key-type) value(value-type) }
 *
 * Compact protocol
 *   struct := { field } 0x00
 *   field  := (id-delta << 4 | type) [ id:zigzag-varint when id-delta = 0 ] value(type)
 *             (a field of type BOOLEAN_TRUE or BOOLEAN_FALSE has no value bytes)
 *   value  := bool (in a collection) | byte: 1 byte; double: 8; uuid: 16
 *           | i16 | i32 | i64: zigzag varint (at most 3, 5, 10 bytes)
 *           | binary: length:varint bytes
 *           | struct
 *           | list | set: (size << 4 | element-type) [ size:varint when the size nibble is 15 ] { value }
 *           | map: size:varint [ key-type << 4 | value-type when size > 0 ] { key value }
 *
 * The walk is iterative over an explicit stack (bounded by the nesting limit) and resumable: when the
 * bytes run out it stops before the token it could not read whole, keeps its stack, and continues from
 * there when more bytes arrive, so a large message arriving in many chunks is walked once.
 */
import type { ByteQueue } from '../../codec/byte-queue.js';
import { CodecError, ErrorCodes, malformed } from '../../errors.js';
import { varint32Value, varintLength } from './varint.js';
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
  /** Set when a token is read whole; lets the value readers report "need more" without a result object. */
  private end = 0;

  /** @param maxDepth the nesting limit; deeper structs and collections are rejected as malformed. */
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
   * `limit` is the largest offset the message may reach (its size limit): a message that would pass it
   * raises CODEC_TOO_LARGE; bad type ids and nesting deeper than the limit raise CODEC_MALFORMED.
   */
  run(queue: ByteQueue, limit: number): number {
    this.end = limit;
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
    if (header === COMPACT_STOP) {
      this.offset = at + 1;
      this.depth--;
      return true;
    }
    let valueAt = at + 1;
    if (header >> 4 === 0) {
      const idLength = varintLength(queue, valueAt, available, 3);
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
        const size = this.checkedSize(queue.i32(at + 1), at + 5);
        this.push(FRAME_LIST, queue.u8(at), 0, size);
        this.offset = at + 5;
        return true;
      }
      case BINARY_MAP: {
        if (at + 6 > available) return false;
        const size = this.checkedSize(queue.i32(at + 2), at + 6);
        this.push(FRAME_MAP, queue.u8(at), queue.u8(at + 1), size * 2);
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
        const maxBytes = type === COMPACT_I16 ? 3 : type === COMPACT_I32 ? 5 : 10;
        const length = varintLength(queue, at, available, maxBytes);
        if (length === 0) return false;
        this.offset = at + length;
        return true;
      }
      case COMPACT_BINARY: {
        const prefix = varintLength(queue, at, available, 5);
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
          const length = varintLength(queue, next, available, 5);
          if (length === 0) return false;
          size = varint32Value(queue, next, length);
          next += length;
        }
        this.push(FRAME_LIST, header & 0x0f, 0, this.checkedSize(size, next));
        this.offset = next;
        return true;
      }
      case COMPACT_MAP: {
        const length = varintLength(queue, at, available, 5);
        if (length === 0) return false;
        const size = varint32Value(queue, at, length);
        if (size === 0) {
          this.offset = at + length;
          return true;
        }
        const typesAt = at + length;
        if (typesAt >= available) return false;
        const types = queue.u8(typesAt);
        this.push(FRAME_MAP, types >> 4, types & 0x0f, this.checkedSize(size, typesAt + 1) * 2);
        this.offset = typesAt + 1;
        return true;
      }
      default:
        throw malformed(`thrift compact type id ${type} is unknown`);
    }
  }

  /** Moves past a token ending at `next` if it has arrived whole; rejects it early if it is too large. */
  private advanceTo(next: number, available: number): boolean {
    if (next > this.end) throw this.tooLarge();
    if (next > available) return false;
    this.offset = next;
    return true;
  }

  /** Every element takes at least one byte, so a count larger than the room left cannot be honest. */
  private checkedSize(size: number, next: number): number {
    if (size < 0) throw malformed(`thrift collection size ${size} is negative`);
    if (next + size > this.end) throw this.tooLarge();
    return size;
  }

  private push(kind: number, keyType: number, valueType: number, remaining: number): void {
    if (this.depth === this.maxDepth) {
      throw malformed(`thrift struct nesting deeper than ${this.maxDepth}`);
    }
    const at = this.depth++;
    this.kinds[at] = kind;
    this.keyTypes[at] = keyType;
    this.valueTypes[at] = valueType;
    this.remaining[at] = remaining;
  }

  private needMore(available: number): number {
    if (available >= this.end) throw this.tooLarge();
    return NEED_MORE;
  }

  private tooLarge(): CodecError {
    return new CodecError(ErrorCodes.CODEC_TOO_LARGE, `thrift message exceeds the size limit`);
  }
}
