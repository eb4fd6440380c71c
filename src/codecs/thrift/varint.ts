/**
 * Unsigned LEB128 varints as used by the compact protocol and the THeader header block:
 *
 *   varint := { byte with high bit set } byte with high bit clear     (7 value bits per byte, low first)
 *
 * i32 values are written as their unsigned 32-bit pattern (at most 5 bytes); zigzag is applied by the
 * caller where the grammar asks for it (compact i16/i32/i64 values and field ids).
 */
import type { ByteQueue } from '../../codec/byte-queue.js';
import { malformed } from '../../errors.js';

/**
 * The longest varint accepted for any compact integer, length or size: the Apache readers read every
 * varint as up to 64 bits (10 bytes) and keep the low bits the type needs.
 */
export const MAX_VARINT_BYTES = 10;

/**
 * Number of bytes of the varint at `offset`, or 0 if it does not end before `limit` (more bytes are
 * needed). Throws a codec error if it is longer than `maxBytes`.
 */
export function varintLength(queue: ByteQueue, offset: number, limit: number, maxBytes: number): number {
  for (let i = 0; i < maxBytes; i++) {
    if (offset + i >= limit) return 0;
    if ((queue.u8(offset + i) & 0x80) === 0) return i + 1;
  }
  throw malformed(`varint at ${offset} longer than ${maxBytes} bytes`);
}

/**
 * The unsigned 32-bit value of the varint of `length` bytes (from {@link varintLength}) at `offset`.
 * Bits beyond 32 are dropped, as the Apache libraries do (bytes after the fifth hold none of them).
 */
export function varint32Value(queue: ByteQueue, offset: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length && i < 5; i++) value += (queue.u8(offset + i) & 0x7f) * 2 ** (7 * i);
  return value % 0x1_0000_0000;
}

/** Bytes needed to write `value` (taken as its unsigned 32-bit pattern). */
export function varint32Size(value: number): number {
  let v = value >>> 0;
  let size = 1;
  while (v >= 0x80) {
    v >>>= 7;
    size++;
  }
  return size;
}

/** Writes `value` (its unsigned 32-bit pattern) at `offset` of `out`; returns the offset after it. */
export function writeVarint32(out: Buffer, offset: number, value: number): number {
  let v = value >>> 0;
  let at = offset;
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
}

/** Zigzag-encodes an i32 (compact i16/i32 values). */
export function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

/** Decodes a zigzag-encoded unsigned 32-bit value back to an i32. */
export function unzigzag32(value: number): number {
  return (value >>> 1) ^ -(value & 1);
}
