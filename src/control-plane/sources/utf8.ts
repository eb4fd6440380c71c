/**
 * Strict UTF-8 decoding for config files: a file that is not UTF-8 is refused, with the offset of
 * its first ill-formed byte sequence, instead of being read with U+FFFD in place of the bad bytes.
 *
 * Well-formed UTF-8 (Unicode 15, table 3-7), by first byte:
 *   00..7F                  one byte
 *   C2..DF  80..BF          two
 *   E0      A0..BF  80..BF  three (no overlong forms)
 *   E1..EC  80..BF  80..BF
 *   ED      80..9F  80..BF  (no surrogates)
 *   EE..EF  80..BF  80..BF
 *   F0      90..BF  80..BF  80..BF  four (no overlong forms)
 *   F1..F3  80..BF  80..BF  80..BF
 *   F4      80..8F  80..BF  80..BF  (nothing above U+10FFFF)
 * A byte order mark at the start is dropped, as YAML allows it.
 */

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Where UTF-8 decoding failed: the byte offset, 1-based line and column, and the bytes there. */
export interface Utf8Error {
  readonly offset: number;
  readonly line: number;
  /** In characters of the line before the bad bytes. */
  readonly column: number;
  /** The ill-formed sequence as hex, e.g. `0xc3 0x28`. */
  readonly bytes: string;
}

/** The text of `bytes`, or where it stops being UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | Utf8Error {
  try {
    return decoder.decode(bytes);
  } catch {
    return utf8ErrorAt(bytes, firstInvalidUtf8(bytes));
  }
}

/** Offset of the first byte of the first ill-formed sequence; `bytes.length` when there is none. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0;
      else if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      else if (b === 0xf4) high = 0x8f;
    } else return i;
    if (i + length > n) return i;
    const second = bytes[i + 1]!;
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) {
      const c = bytes[i + k]!;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += length;
  }
  return n;
}

function utf8ErrorAt(bytes: Uint8Array, offset: number): Utf8Error {
  let lineStart = 0;
  let line = 1;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const before = decoder.decode(bytes.subarray(lineStart, offset));
  const shown = Array.from(
    bytes.subarray(offset, Math.min(offset + 4, bytes.length)),
    b => `0x${b.toString(16).padStart(2, '0')}`,
  );
  return { offset, line, column: before.length + 1, bytes: shown.join(' ') };
}
