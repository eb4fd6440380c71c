/**
 * The character encoding of Hessian strings: each UTF-16 code unit on its own, as 1 to 3 bytes
 * (CESU-8, Java's "modified UTF-8" without the NUL special case); lengths count code units.
 *
 *   unit 0x0000–0x007f  := 0xxxxxxx
 *   unit 0x0080–0x07ff  := 110yyyyy 10xxxxxx
 *   unit 0x0800–0xffff  := 1110zzzz 10yyyyyy 10xxxxxx      (a surrogate pair is two such units)
 *
 * A lead byte of 4-byte UTF-8 (0xf0–0xf7) or a stray continuation byte is rejected, as Java's
 * Hessian2Input does; so is a continuation byte that is not 10xxxxxx, as hessian.js (the Node
 * providers' library) does.
 */
import { malformed } from '../../errors.js';

/** Where {@link cesu8End} says whether the bytes it passed over were all ASCII. */
export interface Cesu8Scan {
  ascii: boolean;
}

/**
 * The offset just past `units` code units starting at `start`, or -1 if they do not end by `end`;
 * sets `scan.ascii` to whether every byte was ASCII (such text decodes without a per-unit loop).
 */
export function cesu8End(bytes: Buffer, start: number, units: number, end: number, scan: Cesu8Scan): number {
  // All ASCII, the common case: then the units are the bytes, and the scan is one load and one
  // comparison per byte. Otherwise the loop below starts over where the first non-ASCII byte is.
  const asciiStop = start + units;
  if (asciiStop <= end) {
    let i = start;
    while (i < asciiStop && bytes[i]! < 0x80) i++;
    if (i === asciiStop) {
      scan.ascii = true;
      return asciiStop;
    }
  }
  let at = start;
  let left = units;
  let ascii = true;
  // Runs of ASCII, the common case, cost one comparison per byte.
  while (left > 0 && at < end) {
    const lead = bytes[at]!;
    if (lead < 0x80) {
      at++;
    } else if ((lead & 0xe0) === 0xc0) {
      continuation(bytes, at + 1, end);
      at += 2;
      ascii = false;
    } else if ((lead & 0xf0) === 0xe0) {
      continuation(bytes, at + 1, end);
      continuation(bytes, at + 2, end);
      at += 3;
      ascii = false;
    } else {
      throw malformed(`hessian string has an invalid character lead byte 0x${lead.toString(16)}`);
    }
    left--;
  }
  if (left > 0 || at > end) return -1;
  scan.ascii = ascii;
  return at;
}

/** Rejects the byte at `at` (if it lies before `end`) unless it is a continuation byte, 10xxxxxx. */
function continuation(bytes: Buffer, at: number, end: number): void {
  if (at < end && (bytes[at]! & 0xc0) !== 0x80) {
    throw malformed(`hessian string has an invalid continuation byte 0x${bytes[at]!.toString(16)}`);
  }
}

/** Most code units handed to String.fromCharCode at once (its arguments live on the stack). */
const DECODE_BATCH = 4096;

/** Decodes the CESU-8 bytes in [start, stop) (already checked by {@link cesu8End}). */
export function decodeCesu8(bytes: Buffer, start: number, stop: number, ascii: boolean): string {
  if (ascii) return bytes.toString('latin1', start, stop);
  const units: number[] = [];
  let text = '';
  let at = start;
  while (at < stop) {
    const lead = bytes[at]!;
    if (lead < 0x80) {
      units.push(lead);
      at++;
    } else if ((lead & 0xe0) === 0xc0) {
      units.push(((lead & 0x1f) << 6) | (bytes[at + 1]! & 0x3f));
      at += 2;
    } else {
      units.push(((lead & 0x0f) << 12) | ((bytes[at + 1]! & 0x3f) << 6) | (bytes[at + 2]! & 0x3f));
      at += 3;
    }
    if (units.length === DECODE_BATCH) {
      text += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return text + String.fromCharCode(...units);
}

/** Bytes `text[from, to)` takes in CESU-8. */
export function cesu8Length(text: string, from = 0, to = text.length): number {
  let length = 0;
  for (let i = from; i < to; i++) {
    const unit = text.charCodeAt(i);
    length += unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
  }
  return length;
}

/** Writes `text[from, to)` in CESU-8 at `at`; returns the offset after it. */
export function writeCesu8(out: Buffer, at: number, text: string, from = 0, to = text.length): number {
  let offset = at;
  for (let i = from; i < to; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) {
      out[offset++] = unit;
    } else if (unit < 0x800) {
      out[offset++] = 0xc0 | (unit >> 6);
      out[offset++] = 0x80 | (unit & 0x3f);
    } else {
      out[offset++] = 0xe0 | (unit >> 12);
      out[offset++] = 0x80 | ((unit >> 6) & 0x3f);
      out[offset++] = 0x80 | (unit & 0x3f);
    }
  }
  return offset;
}
