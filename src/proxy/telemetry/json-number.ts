/**
 * A JSON number written straight into bytes (RFC 8259 §6): what ECMAScript's Number::toString gives
 * for a finite number, `null` otherwise. Callers make room for {@link MAX_NUMBER_BYTES} first.
 */

const ZERO = 0x30;

/** The longest Number::toString output, `-1.7976931348623157e+308`. */
export const MAX_NUMBER_BYTES = 24;

/** Writes `value` as a JSON number at `pos`; returns the position after it. */
export function writeJsonNumber(buf: Uint8Array, pos: number, value: number): number {
  // Durations, sizes and ids are small non-negative integers: digits without a string.
  if (value >= 0 && value <= 0xffffffff && Math.floor(value) === value) {
    let digits = 1;
    for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    let rest = value;
    for (let at = pos + digits - 1; at >= pos; at--) {
      buf[at] = ZERO + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    return pos + digits;
  }
  const text = Number.isFinite(value) ? String(value) : 'null';
  for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
  return pos;
}
