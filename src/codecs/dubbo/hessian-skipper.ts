/**
 * Finds where a Hessian 2.0 value ends without materializing it. Grammar walked (the leaf forms are
 * in hessian-reader.ts):
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
 *   type      := string | int                  (a type name, or a reference to an earlier one)
 *   class-def := 'C' string int string*        (class name, field count, field names)
 *   object    := 'O' int value* | [x60-x6f] value*   (class-def index, then one value per field)
 *   ref       := 'Q' int
 *
 * The only state carried between values is the field count of each class definition, which object
 * instances need; it lives for one Hessian stream (one Dubbo body): call {@link HessianSkipper.reset}
 * per body. The walk is iterative over an explicit stack bounded by the nesting limit, so hostile
 * nesting cannot overflow the call stack, and every step consumes at least one byte, so a walk costs
 * at most one step per byte.
 */
import { malformed } from '../../errors.js';
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

/** Walks Hessian values of the body a {@link HessianReader} is reading. */
export class HessianSkipper {
  /** Field counts of the class definitions seen so far in this body, by index. */
  private readonly classFields: number[] = [];
  private depth = 0;
  private readonly kinds: Uint8Array;
  /** Counted frames: elements left; maps: values read so far (odd = a key is waiting for its value). */
  private readonly counts: Float64Array;

  /** @param maxDepth the nesting limit; deeper lists, maps and objects are rejected as malformed. */
  constructor(
    private readonly reader: HessianReader,
    private readonly maxDepth: number,
  ) {
    this.kinds = new Uint8Array(maxDepth);
    this.counts = new Float64Array(maxDepth);
  }

  /** Forgets the class definitions: the next value starts a new Hessian stream. */
  reset(): void {
    this.classFields.length = 0;
    this.depth = 0;
  }

  /** The offset just past the value starting at `at`. */
  skip(at: number): number {
    const reader = this.reader;
    const bytes = reader.bytes;
    this.depth = 0;
    let offset = this.enter(at);
    while (this.depth > 0) {
      const top = this.depth - 1;
      const kind = this.kinds[top]!;
      if (kind === FRAME_COUNTED) {
        const left = this.counts[top]!;
        if (left === 0) {
          this.depth--;
          continue;
        }
        this.counts[top] = left - 1;
      } else {
        reader.need(offset, 1);
        if (bytes[offset] === TAG_END) {
          if (kind === FRAME_MAP && this.counts[top]! % 2 === 1) {
            throw malformed('hessian map ends between a key and its value');
          }
          offset++;
          this.depth--;
          continue;
        }
        this.counts[top]!++;
      }
      offset = this.enter(offset);
    }
    return offset;
  }

  /**
   * Reads the value at `at`: for a leaf, returns the offset past it; for a container, pushes a frame
   * for its elements and returns the offset of the first one.
   */
  private enter(at: number): number {
    const reader = this.reader;
    let offset = at;
    for (;;) {
      const tag = reader.tag(offset);
      if (
        tag <= STRING_DIRECT_MAX_TAG ||
        (tag >= STRING_SHORT_MIN_TAG && tag <= STRING_SHORT_MAX_TAG) ||
        tag === TAG_STRING_CHUNK ||
        tag === TAG_STRING_FINAL
      ) {
        return reader.stringEnd(offset);
      }
      // x20-x37 less the string tags x30-x33 already taken above.
      if (
        (tag >= BINARY_DIRECT_MIN_TAG && tag <= BINARY_SHORT_MAX_TAG) ||
        tag === TAG_BINARY_CHUNK ||
        tag === TAG_BINARY_FINAL
      ) {
        return reader.binaryEnd(offset);
      }
      if (tag >= INT_DIRECT_MIN_TAG) return this.fixed(offset, numberSize(tag));
      if (tag >= LONG_SHORT_MIN_TAG && tag <= LONG_SHORT_MAX_TAG) return this.fixed(offset, 3);
      if (tag >= OBJECT_DIRECT_MIN_TAG && tag <= OBJECT_DIRECT_MAX_TAG) {
        return this.object(tag - OBJECT_DIRECT_MIN_TAG, offset + 1);
      }
      if (tag >= LIST_DIRECT_MIN_TAG && tag <= LIST_DIRECT_MAX_TAG) {
        const elementsAt = this.typeEnd(offset + 1);
        this.push(FRAME_COUNTED, tag - LIST_DIRECT_MIN_TAG);
        return elementsAt;
      }
      if (tag >= LIST_DIRECT_UNTYPED_MIN_TAG && tag <= LIST_DIRECT_UNTYPED_MAX_TAG) {
        this.push(FRAME_COUNTED, tag - LIST_DIRECT_UNTYPED_MIN_TAG);
        return offset + 1;
      }
      switch (tag) {
        case TAG_NULL:
        case TAG_TRUE:
        case TAG_FALSE:
        case TAG_DOUBLE_ZERO:
        case TAG_DOUBLE_ONE:
          return offset + 1;
        case TAG_DOUBLE_BYTE:
          return this.fixed(offset, 2);
        case TAG_DOUBLE_SHORT:
          return this.fixed(offset, 3);
        case TAG_INT:
        case TAG_LONG_INT:
        case TAG_DATE_MINUTE:
        case TAG_DOUBLE_MILL:
          return this.fixed(offset, 5);
        case TAG_LONG:
        case TAG_DOUBLE:
        case TAG_DATE:
          return this.fixed(offset, 9);
        case TAG_REF:
          reader.int(offset + 1);
          return reader.next;
        case TAG_CLASS_DEF:
          // A class definition is a prefix of the value that follows it.
          offset = this.classDefinition(offset + 1);
          continue;
        case TAG_OBJECT: {
          const index = reader.int(offset + 1);
          return this.object(index, reader.next);
        }
        case TAG_MAP_UNTYPED:
          this.push(FRAME_MAP, 0);
          return offset + 1;
        case TAG_MAP_TYPED: {
          const entriesAt = this.typeEnd(offset + 1);
          this.push(FRAME_MAP, 0);
          return entriesAt;
        }
        case TAG_LIST_VARIABLE: {
          const elementsAt = this.typeEnd(offset + 1);
          this.push(FRAME_OPEN_LIST, 0);
          return elementsAt;
        }
        case TAG_LIST_VARIABLE_UNTYPED:
          this.push(FRAME_OPEN_LIST, 0);
          return offset + 1;
        case TAG_LIST_FIXED: {
          const lengthAt = this.typeEnd(offset + 1);
          const length = reader.int(lengthAt);
          this.push(FRAME_COUNTED, this.checkedCount(length, reader.next));
          return reader.next;
        }
        case TAG_LIST_FIXED_UNTYPED: {
          const length = reader.int(offset + 1);
          this.push(FRAME_COUNTED, this.checkedCount(length, reader.next));
          return reader.next;
        }
        default:
          break;
      }
      break;
    }
    throw malformed(`hessian tag 0x${reader.tag(offset).toString(16).padStart(2, '0')} cannot start a value`);
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
    this.push(FRAME_COUNTED, fields);
    return at;
  }

  /** The offset past the `type` (a type name or a type reference) at `at`. */
  private typeEnd(at: number): number {
    const reader = this.reader;
    const tag = reader.tag(at);
    if (isStringTag(tag)) return reader.stringEnd(at);
    if (isIntTag(tag)) {
      reader.int(at);
      return reader.next;
    }
    throw malformed(`hessian type expected, found tag 0x${tag.toString(16).padStart(2, '0')}`);
  }

  /** Every element takes at least one byte, so a count larger than the bytes left cannot be honest. */
  private checkedCount(count: number, from: number): number {
    if (count < 0 || count > this.reader.end - from) {
      throw malformed(`hessian length ${count} does not fit in the body`);
    }
    return count;
  }

  private push(kind: number, count: number): void {
    if (this.depth === this.maxDepth) throw malformed(`hessian nesting deeper than ${this.maxDepth}`);
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
