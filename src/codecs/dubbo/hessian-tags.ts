/**
 * Hessian 2.0 tag bytes (the first byte of every value), as Dubbo's hessian-lite and hessian.js write
 * them. The full grammar is in hessian-skipper.ts.
 */

export const TAG_NULL = 0x4e; // 'N'
export const TAG_TRUE = 0x54; // 'T'
export const TAG_FALSE = 0x46; // 'F'

export const TAG_INT = 0x49; // 'I' b3 b2 b1 b0
export const INT_DIRECT_MIN_TAG = 0x80; // one byte: value = tag - 0x90, -16..47
export const INT_DIRECT_MAX_TAG = 0xbf;
export const INT_DIRECT_ZERO = 0x90;
export const INT_BYTE_MIN_TAG = 0xc0; // two bytes: ((tag - 0xc8) << 8) + b0
export const INT_BYTE_MAX_TAG = 0xcf;
export const INT_BYTE_ZERO = 0xc8;
export const INT_SHORT_MIN_TAG = 0xd0; // three bytes: ((tag - 0xd4) << 16) + (b1 << 8) + b0
export const INT_SHORT_MAX_TAG = 0xd7;
export const INT_SHORT_ZERO = 0xd4;

export const TAG_LONG = 0x4c; // 'L' b7..b0
export const TAG_LONG_INT = 0x59; // b3 b2 b1 b0
export const LONG_DIRECT_MIN_TAG = 0xd8; // one byte: tag - 0xe0, -8..15
export const LONG_DIRECT_MAX_TAG = 0xef;
export const LONG_DIRECT_ZERO = 0xe0;
export const LONG_BYTE_MIN_TAG = 0xf0; // two bytes: ((tag - 0xf8) << 8) + b0
export const LONG_BYTE_ZERO = 0xf8;
export const LONG_SHORT_MIN_TAG = 0x38; // three bytes: ((tag - 0x3c) << 16) + (b1 << 8) + b0
export const LONG_SHORT_MAX_TAG = 0x3f;
export const LONG_SHORT_ZERO = 0x3c;

export const TAG_DOUBLE = 0x44; // 'D' b7..b0
export const TAG_DOUBLE_ZERO = 0x5b;
export const TAG_DOUBLE_ONE = 0x5c;
export const TAG_DOUBLE_BYTE = 0x5d; // b0 (signed)
export const TAG_DOUBLE_SHORT = 0x5e; // b1 b0 (signed)
export const TAG_DOUBLE_MILL = 0x5f; // b3 b2 b1 b0: an int of thousandths

export const TAG_DATE = 0x4a; // 'J' b7..b0: milliseconds
export const TAG_DATE_MINUTE = 0x4b; // 'K' b3..b0: minutes

export const STRING_DIRECT_MAX_TAG = 0x1f; // [x00-x1f]: length 0..31
export const STRING_SHORT_MIN_TAG = 0x30; // [x30-x33] b0: length 0..1023
export const STRING_SHORT_MAX_TAG = 0x33;
export const TAG_STRING_CHUNK = 0x52; // 'R' b1 b0: a non-final chunk
export const TAG_STRING_FINAL = 0x53; // 'S' b1 b0: the final chunk

export const BINARY_DIRECT_MIN_TAG = 0x20; // [x20-x2f]: length 0..15
export const BINARY_DIRECT_MAX_TAG = 0x2f;
export const BINARY_SHORT_MIN_TAG = 0x34; // [x34-x37] b0: length 0..1023
export const BINARY_SHORT_MAX_TAG = 0x37;
export const TAG_BINARY_CHUNK = 0x41; // 'A' b1 b0
export const TAG_BINARY_FINAL = 0x42; // 'B' b1 b0

export const TAG_CLASS_DEF = 0x43; // 'C'
export const TAG_OBJECT = 0x4f; // 'O'
export const OBJECT_DIRECT_MIN_TAG = 0x60; // [x60-x6f]: class 0..15
export const OBJECT_DIRECT_MAX_TAG = 0x6f;
export const TAG_REF = 0x51; // 'Q'

export const TAG_MAP_UNTYPED = 0x48; // 'H'
export const TAG_MAP_TYPED = 0x4d; // 'M'
export const TAG_END = 0x5a; // 'Z'

export const TAG_LIST_VARIABLE = 0x55; // type value* 'Z'
export const TAG_LIST_FIXED = 0x56; // 'V' type int value*
export const TAG_LIST_VARIABLE_UNTYPED = 0x57; // value* 'Z'
export const TAG_LIST_FIXED_UNTYPED = 0x58; // int value*
export const LIST_DIRECT_MIN_TAG = 0x70; // [x70-x77] type value*: 0..7 elements
export const LIST_DIRECT_MAX_TAG = 0x77;
export const LIST_DIRECT_UNTYPED_MIN_TAG = 0x78; // [x78-x7f] value*: 0..7 elements
export const LIST_DIRECT_UNTYPED_MAX_TAG = 0x7f;

/** Whether `tag` starts a string. */
export function isStringTag(tag: number): boolean {
  return (
    tag <= STRING_DIRECT_MAX_TAG ||
    (tag >= STRING_SHORT_MIN_TAG && tag <= STRING_SHORT_MAX_TAG) ||
    tag === TAG_STRING_CHUNK ||
    tag === TAG_STRING_FINAL
  );
}

/** Whether `tag` starts an int. */
export function isIntTag(tag: number): boolean {
  return (tag >= INT_DIRECT_MIN_TAG && tag <= INT_SHORT_MAX_TAG) || tag === TAG_INT;
}
