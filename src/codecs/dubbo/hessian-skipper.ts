/**
 * Finds where Hessian 2.0 values end without materializing them, and checks their structure on the
 * way. Grammar walked (the leaf forms are in hessian-reader.ts):
 *
 *   value     := null | boolean | int | long | double | date | string | binary
 *              | list | map | object | ref | class-def value
 *   null      := 'N'
 *   boolean   := 'T' | 'F'
 *   date      := 'J' b7..b0 | 'K' b3..b0
 *   list      := x55 type value* 'Z'          (variable length, typed)
 *              | 'V' type int value*           (fixed length, typed)
 *              | x57 value* 'Z'                (variable length, untyped)
 *              | x58 int value*                (fixed length, untyped)
 *              | [x70-x77] type value*         (0..7 elements, typed)
 *              | [x78-x7f] value*              (0..7 elements, untyped)
 *   map       := 'M' type (value value)* 'Z' | 'H' (value value)* 'Z'
 *   type      := string | int                  (a type name, or the index of an earlier type name)
 *   class-def := 'C' string int string*        (class name, field count, field names)
 *   object    := 'O' int value* | [x60-x6f] value*   (class-def index, then one value per field)
 *   ref       := 'Q' int                       (the index of an earlier list, map or object)
 *
 * Rejected, as Java's Hessian2Input rejects them: a tag that cannot start a value, an object of an
 * undefined class, a type or ref index that names nothing read before, a map ending between a key
 * and its value, lengths and counts that cannot fit in the body, and nesting deeper than the limit.
 *
 * What is carried between values lives for one Hessian stream (one Dubbo body): the field count of
 * each class definition, and how many type names and ref targets were seen. Call
 * {@link HessianSkipper.reset} per body.
 *
 * The walk is iterative over an explicit stack bounded by the nesting limit, so hostile nesting cannot
 * overflow the call stack; every step consumes at least one byte, so a walk costs at most one step per
 * byte. It is resumable ({@link HessianSkipper.start}, {@link HessianSkipper.run}): when the reader's
 * bytes run out before the body's end (the frame has not arrived whole), the walk stops before the
 * token it could not read whole and continues from there when more bytes have arrived. A token is a
 * leaf, a container's header, or one chunk of a chunked string or binary, so a resumed walk reads
 * again at most one chunk (65,535 code units).
 */
import { CodecError, ErrorCodes, malformed } from '../../errors.js';
import type { HessianReader } from './hessian-reader.js';
import {
  BINARY_DIRECT_MIN_TAG,
  BINARY_SHORT_MAX_TAG,
  INT_DIRECT_MIN_TAG,
  INT_SHORT_MAX_TAG,
  LIST_DIRECT_MAX_TAG,
  LIST_DIRECT_MIN_TAG,
  LIST_DIRECT_UNTYPED_MAX_TAG,
  LIST_DIRECT_UNTYPED_MIN_TAG,
  LONG_SHORT_MAX_TAG,
  LONG_SHORT_MIN_TAG,
  OBJECT_DIRECT_MAX_TAG,
  OBJECT_DIRECT_MIN_TAG,
  STRING_DIRECT_MAX_TAG,
  STRING_SHORT_MAX_TAG,
  STRING_SHORT_MIN_TAG,
  TAG_BINARY_CHUNK,
  TAG_BINARY_FINAL,
  TAG_CLASS_DEF,
  TAG_DATE,
  TAG_DATE_MINUTE,
  TAG_DOUBLE,
  TAG_DOUBLE_BYTE,
  TAG_DOUBLE_MILL,
  TAG_DOUBLE_ONE,
  TAG_DOUBLE_SHORT,
  TAG_DOUBLE_ZERO,
  TAG_END,
  TAG_FALSE,
  TAG_INT,
  TAG_LIST_FIXED,
  TAG_LIST_FIXED_UNTYPED,
  TAG_LIST_VARIABLE,
  TAG_LIST_VARIABLE_UNTYPED,
  TAG_LONG,
  TAG_LONG_INT,
  TAG_MAP_TYPED,
  TAG_MAP_UNTYPED,
  TAG_NULL,
  TAG_OBJECT,
  TAG_REF,
  TAG_STRING_CHUNK,
  TAG_STRING_FINAL,
  TAG_TRUE,
  isIntTag,
  isStringTag,
} from './hessian-tags.js';

/** A container whose elements are counted (fixed-length lists, object fields). */
const FRAME_COUNTED = 0;
/** A list that ends with 'Z'. */
const FRAME_OPEN_LIST = 1;
/** A map: keys and values alternate until 'Z', which may only come where a key would. */
const FRAME_MAP = 2;
/** The chunks after a non-final string chunk, up to and including the final one. */
const FRAME_STRING_CHUNKS = 3;
/** The chunks after a non-final binary chunk, up to and including the final one. */
const FRAME_BINARY_CHUNKS = 4;

/** Returned by {@link HessianSkipper.run} when the walk needs bytes that have not arrived. */
export const NEED_MORE = -1;

/** Walks Hessian values of the body a {@link HessianReader} is reading. */
export class HessianSkipper {
  /** Offset of the next token not yet walked. */
  offset = 0;
  /** Field counts of the class definitions seen so far in this body, by index. */
  private readonly classFields: number[] = [];
  /** Type names seen so far in this body: a type given by index must be below. */
  private types = 0;
  /** Lists, maps and objects seen so far in this body: a ref must be below. */
  private refTargets = 0;
  /** Top-level values not yet entered by the walk in progress. */
  private pending = 0;
  private depth = 0;
  private readonly kinds: Uint8Array;
  /** Counted frames: elements left; maps: values read so far (odd = a key is waiting for its value). */
  private readonly counts: Float64Array;
  /** Set by {@link enter}: false when what it read was a class definition, which is not a value. */
  private entered = true;
  /** Set by the chunk readers: whether the chunk read was the final one. */
  private finalChunk = true;
  /** 1 when the token being read named a new type, counted once the token is read whole. */
  private newType = 0;

  /** @param maxDepth the nesting limit; deeper lists, maps and objects raise CODEC_TOO_LARGE. */
  constructor(
    private readonly reader: HessianReader,
    private readonly maxDepth: number,
  ) {
    // One more slot than the limit: the rest of a chunked string or binary sits above its container.
    this.kinds = new Uint8Array(maxDepth + 1);
    this.counts = new Float64Array(maxDepth + 1);
  }

  /** Forgets the class definitions, types and ref targets: the next value starts a new Hessian stream. */
  reset(): void {
    // Setting an array's length is a call into the runtime even when it changes nothing.
    if (this.classFields.length !== 0) this.classFields.length = 0;
    this.types = 0;
    this.refTargets = 0;
    this.depth = 0;
    this.pending = 0;
  }

  /** Counts a container read by someone else (the attachments map) as a ref target. */
  addRefTarget(): void {
    this.refTargets++;
  }

  /**
   * The offset just past the value starting at `at`. A read past the reader's end before the body's
   * end throws the reader's need-more signal (see HessianReader.isNeedMore).
   */
  skip(at: number): number {
    this.start(at, 1);
    return this.walk();
  }

  /** Begins a walk over `count` values, the first starting at `at`. */
  start(at: number, count: number): void {
    this.offset = at;
    this.pending = count;
    this.depth = 0;
  }

  /**
   * Walks as far as the reader's bytes allow. Returns the offset just past the last value, or
   * {@link NEED_MORE} when the reader's bytes ran out before the body's end (see
   * HessianReader.reset); call again once more bytes have arrived, with the reader over them.
   */
  run(): number {
    try {
      return this.walk();
    } catch (error) {
      // Nothing was changed for the token that could not be read whole: it is read again next time.
      if (this.reader.isNeedMore(error)) return NEED_MORE;
      throw error;
    }
  }

  private walk(): number {
    const reader = this.reader;
    for (;;) {
      if (this.depth === 0) {
        if (this.pending === 0) return this.offset;
        this.offset = this.enter(this.offset);
        if (this.entered) this.pending--;
        continue;
      }
      const top = this.depth - 1;
      const kind = this.kinds[top]!;
      if (kind === FRAME_COUNTED) {
        const left = this.counts[top]!;
        if (left === 0) {
          this.depth--;
          continue;
        }
        this.offset = this.enter(this.offset);
        if (this.entered) this.counts[top] = left - 1;
        continue;
      }
      if (kind === FRAME_STRING_CHUNKS || kind === FRAME_BINARY_CHUNKS) {
        this.offset =
          kind === FRAME_STRING_CHUNKS ? this.stringChunk(this.offset) : this.binaryChunk(this.offset);
        if (this.finalChunk) this.depth--;
        continue;
      }
      const offset = this.offset;
      if (reader.tag(offset) === TAG_END) {
        if (kind === FRAME_MAP && this.counts[top]! % 2 === 1) {
          throw malformed('hessian map ends between a key and its value');
        }
        this.offset = offset + 1;
        this.depth--;
        continue;
      }
      this.offset = this.enter(offset);
      if (this.entered) this.counts[top]!++;
    }
  }

  /**
   * Reads the value at `at`: for a leaf, returns the offset past it; for a container (or a chunked
   * string or binary), pushes a frame for its elements (or its other chunks) and returns the offset of
   * the first one; for a class definition, records it, returns the offset of the value it prefixes
   * and clears {@link entered}. Changes nothing before every byte it reads has been checked.
   */
  private enter(at: number): number {
    const reader = this.reader;
    const tag = reader.tag(at);
    this.entered = true;
    this.newType = 0;
    if (
      tag <= STRING_DIRECT_MAX_TAG ||
      (tag >= STRING_SHORT_MIN_TAG && tag <= STRING_SHORT_MAX_TAG) ||
      tag === TAG_STRING_CHUNK ||
      tag === TAG_STRING_FINAL
    ) {
      const next = this.stringChunk(at);
      if (!this.finalChunk) this.push(FRAME_STRING_CHUNKS, 0);
      return next;
    }
    // x20-x37 less the string tags x30-x33 already taken above.
    if (
      (tag >= BINARY_DIRECT_MIN_TAG && tag <= BINARY_SHORT_MAX_TAG) ||
      tag === TAG_BINARY_CHUNK ||
      tag === TAG_BINARY_FINAL
    ) {
      const next = this.binaryChunk(at);
      if (!this.finalChunk) this.push(FRAME_BINARY_CHUNKS, 0);
      return next;
    }
    if (tag >= INT_DIRECT_MIN_TAG) return this.fixed(at, numberSize(tag));
    if (tag >= LONG_SHORT_MIN_TAG && tag <= LONG_SHORT_MAX_TAG) return this.fixed(at, 3);
    if (tag >= OBJECT_DIRECT_MIN_TAG && tag <= OBJECT_DIRECT_MAX_TAG) {
      return this.object(tag - OBJECT_DIRECT_MIN_TAG, at + 1);
    }
    if (tag >= LIST_DIRECT_MIN_TAG && tag <= LIST_DIRECT_MAX_TAG) {
      const elementsAt = this.typeEnd(at + 1);
      this.container(FRAME_COUNTED, tag - LIST_DIRECT_MIN_TAG);
      return elementsAt;
    }
    if (tag >= LIST_DIRECT_UNTYPED_MIN_TAG && tag <= LIST_DIRECT_UNTYPED_MAX_TAG) {
      this.container(FRAME_COUNTED, tag - LIST_DIRECT_UNTYPED_MIN_TAG);
      return at + 1;
    }
    switch (tag) {
      case TAG_NULL:
      case TAG_TRUE:
      case TAG_FALSE:
      case TAG_DOUBLE_ZERO:
      case TAG_DOUBLE_ONE:
        return at + 1;
      case TAG_DOUBLE_BYTE:
        return this.fixed(at, 2);
      case TAG_DOUBLE_SHORT:
        return this.fixed(at, 3);
      case TAG_INT:
      case TAG_LONG_INT:
      case TAG_DATE_MINUTE:
      case TAG_DOUBLE_MILL:
        return this.fixed(at, 5);
      case TAG_LONG:
      case TAG_DOUBLE:
      case TAG_DATE:
        return this.fixed(at, 9);
      case TAG_REF: {
        const index = reader.int(at + 1);
        if (index < 0 || index >= this.refTargets) {
          throw malformed(`hessian ref ${index} names no earlier list, map or object`);
        }
        return reader.next;
      }
      case TAG_CLASS_DEF:
        this.entered = false;
        return this.classDefinition(at + 1);
      case TAG_OBJECT: {
        const index = reader.int(at + 1);
        return this.object(index, reader.next);
      }
      case TAG_MAP_UNTYPED:
        this.container(FRAME_MAP, 0);
        return at + 1;
      case TAG_MAP_TYPED: {
        const entriesAt = this.typeEnd(at + 1);
        this.container(FRAME_MAP, 0);
        return entriesAt;
      }
      case TAG_LIST_VARIABLE: {
        const elementsAt = this.typeEnd(at + 1);
        this.container(FRAME_OPEN_LIST, 0);
        return elementsAt;
      }
      case TAG_LIST_VARIABLE_UNTYPED:
        this.container(FRAME_OPEN_LIST, 0);
        return at + 1;
      case TAG_LIST_FIXED: {
        const lengthAt = this.typeEnd(at + 1);
        const length = reader.int(lengthAt);
        this.container(FRAME_COUNTED, this.checkedCount(length, reader.next));
        return reader.next;
      }
      case TAG_LIST_FIXED_UNTYPED: {
        const length = reader.int(at + 1);
        this.container(FRAME_COUNTED, this.checkedCount(length, reader.next));
        return reader.next;
      }
      default:
        throw malformed(`hessian tag 0x${tag.toString(16).padStart(2, '0')} cannot start a value`);
    }
  }

  /** One chunk of a string at `at`; sets {@link finalChunk}. */
  private stringChunk(at: number): number {
    const reader = this.reader;
    const next = reader.stringChunkEnd(at);
    this.finalChunk = reader.chunkFinal;
    return next;
  }

  /** One chunk of a binary at `at`; sets {@link finalChunk}. */
  private binaryChunk(at: number): number {
    const reader = this.reader;
    const next = reader.binaryChunkEnd(at);
    this.finalChunk = reader.chunkFinal;
    return next;
  }

  /** A fixed-size leaf of `size` bytes at `at`. */
  private fixed(at: number, size: number): number {
    this.reader.need(at, size);
    return at + size;
  }

  /** `'C'` already read: records the class's field count; returns the offset after the definition. */
  private classDefinition(at: number): number {
    const reader = this.reader;
    if (!isStringTag(reader.tag(at))) throw malformed('hessian class definition needs a class name');
    const countAt = reader.stringEnd(at);
    const fields = this.checkedCount(reader.int(countAt), reader.next);
    let offset = reader.next;
    for (let i = 0; i < fields; i++) {
      if (!isStringTag(reader.tag(offset))) throw malformed('hessian class field names must be strings');
      offset = reader.stringEnd(offset);
    }
    this.classFields.push(fields);
    return offset;
  }

  /** An instance of class definition `index`, whose field values start at `at`. */
  private object(index: number, at: number): number {
    const fields = this.classFields[index];
    if (fields === undefined) throw malformed(`hessian object refers to undefined class definition ${index}`);
    this.container(FRAME_COUNTED, fields);
    return at;
  }

  /** The offset past the `type` (a type name, or the index of an earlier one) at `at`. */
  private typeEnd(at: number): number {
    const reader = this.reader;
    const tag = reader.tag(at);
    if (isStringTag(tag)) {
      this.newType = 1;
      return reader.stringEnd(at);
    }
    if (isIntTag(tag)) {
      const index = reader.int(at);
      if (index < 0 || index >= this.types) throw malformed(`hessian type ${index} names no earlier type`);
      return reader.next;
    }
    throw malformed(`hessian type expected, found tag 0x${tag.toString(16).padStart(2, '0')}`);
  }

  /** Every element takes at least one byte, so a count larger than the bytes left cannot be honest. */
  private checkedCount(count: number, from: number): number {
    if (count < 0 || count > this.reader.bodyEnd - from) {
      throw malformed(`hessian length ${count} does not fit in the body`);
    }
    return count;
  }

  /** Enters a list, map or object (the last step of its token): a ref target, a level of nesting. */
  private container(kind: number, count: number): void {
    if (this.depth >= this.maxDepth) {
      throw new CodecError(
        ErrorCodes.CODEC_TOO_LARGE,
        `hessian nesting exceeds the limit of ${this.maxDepth} (maxDepth)`,
      );
    }
    this.types += this.newType;
    this.refTargets++;
    this.push(kind, count);
  }

  private push(kind: number, count: number): void {
    const at = this.depth++;
    this.kinds[at] = kind;
    this.counts[at] = count;
  }
}

/** Size of an int or long in one of its compact forms (tags 0x80–0xff). */
function numberSize(tag: number): number {
  if (tag <= 0xbf) return 1; // int, one byte
  if (tag <= 0xcf) return 2; // int, two bytes
  if (tag <= INT_SHORT_MAX_TAG) return 3; // int, three bytes
  if (tag <= 0xef) return 1; // long, one byte
  return 2; // long, two bytes
}
