/**
 * Writes the few Hessian 2.0 values the codec produces itself: strings (attachment keys and values,
 * error messages), small ints (response types) and the frame of an untyped map.
 *
 *   string := 'R' b1 b0 <cesu-8>  string       (non-final chunk of 0x8000 units)
 *           | [x00-x1f] <cesu-8>               (final chunk of 0..31 units)
 *           | [x30-x33] b0 <cesu-8>            (final chunk of 0..1023 units)
 *           | 'S' b1 b0 <cesu-8>               (final chunk of up to 0xffff units)
 *   int    := [x80-xbf]                        (-16..47, the only ints written here)
 *   map    := 'H' (key value)* 'Z'
 *
 * Chunks are cut as Java's Hessian2Output and hessian.js cut them, never between the two halves of a
 * surrogate pair.
 */
import { cesu8Length, writeCesu8 } from './cesu8.js';
import {
  INT_DIRECT_ZERO,
  STRING_DIRECT_MAX_TAG,
  STRING_SHORT_MIN_TAG,
  TAG_STRING_CHUNK,
  TAG_STRING_FINAL,
} from './hessian-tags.js';

/** Code units per non-final string chunk. */
const CHUNK_UNITS = 0x8000;
/** Longest final chunk in the one-byte and two-byte length forms. */
const DIRECT_MAX_UNITS = STRING_DIRECT_MAX_TAG;
const SHORT_MAX_UNITS = 1023;

/** Where the non-final chunk starting at `from` ends. */
function chunkEnd(text: string, from: number): number {
  const end = from + CHUNK_UNITS;
  const last = text.charCodeAt(end - 1);
  return last >= 0xd800 && last <= 0xdbff ? end - 1 : end;
}

/** Bytes the Hessian string `text` takes. */
export function stringSize(text: string): number {
  let size = 0;
  let from = 0;
  while (text.length - from > CHUNK_UNITS) {
    const to = chunkEnd(text, from);
    size += 3 + cesu8Length(text, from, to);
    from = to;
  }
  const left = text.length - from;
  const header = left <= DIRECT_MAX_UNITS ? 1 : left <= SHORT_MAX_UNITS ? 2 : 3;
  return size + header + cesu8Length(text, from, text.length);
}

/** Writes the Hessian string `text` at `at`; returns the offset after it. */
export function writeString(out: Buffer, at: number, text: string): number {
  let offset = at;
  let from = 0;
  while (text.length - from > CHUNK_UNITS) {
    const to = chunkEnd(text, from);
    out[offset] = TAG_STRING_CHUNK;
    out.writeUInt16BE(to - from, offset + 1);
    offset = writeCesu8(out, offset + 3, text, from, to);
    from = to;
  }
  const left = text.length - from;
  if (left <= DIRECT_MAX_UNITS) {
    out[offset++] = left;
  } else if (left <= SHORT_MAX_UNITS) {
    out[offset++] = STRING_SHORT_MIN_TAG + (left >> 8);
    out[offset++] = left & 0xff;
  } else {
    out[offset] = TAG_STRING_FINAL;
    out.writeUInt16BE(left, offset + 1);
    offset += 3;
  }
  return writeCesu8(out, offset, text, from, text.length);
}

/** The one-byte Hessian int for a value in -16..47. */
export function directInt(value: number): number {
  return INT_DIRECT_ZERO + value;
}
