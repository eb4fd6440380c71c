/**
 * Reads and writes the top-level fields of protobuf messages by hand, for the few hot paths that only
 * need to find fields (interning request names, a benchmark's lean ADS reader) or splice encoded
 * resources into a response (the control plane's DiscoveryResponses).
 *
 * Wire grammar:
 *
 * ```
 * message = *field
 * field   = tag payload              tag = varint (number << 3 | wire type)
 * payload = varint                   wire type 0
 *         | 8 bytes                  wire type 1
 *         | varint length · bytes    wire type 2 (strings, bytes, messages, packed)
 *         | 4 bytes                  wire type 5
 * varint  = 7 bits a byte, low first, high bit set on every byte but the last
 * ```
 *
 * Groups (wire types 3 and 4) are not supported.
 */

/** The varint at `offset`: its value and the offset after it. Throws on truncated input. */
export function readVarint(buf: Uint8Array, offset: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = buf[offset++];
    if (byte === undefined) throw new Error('truncated varint');
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, offset];
    scale *= 128;
  }
}

/**
 * Where the field whose payload starts at `afterTag` (just after its tag) ends, or -1 for a wire type
 * this reader does not support. May lie past the end of `buf` for truncated input; callers check it.
 * Allocates nothing, so it can walk long repeated fields.
 */
export function fieldEnd(buf: Uint8Array, wireType: number, afterTag: number): number {
  switch (wireType) {
    case 0:
      return readVarint(buf, afterTag)[1];
    case 1:
      return afterTag + 8;
    case 5:
      return afterTag + 4;
    case 2: {
      const [length, from] = readVarint(buf, afterTag);
      return from + length;
    }
    default:
      return -1;
  }
}

/** Bytes of `value` as a varint. */
export function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/** Writes `value` as a varint at `offset`; returns the offset after it. */
export function writeVarint(out: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[offset++] = value;
  return offset;
}

/** A length-delimited field: tag, length, bytes. */
export function lengthDelimited(field: number, payload: Uint8Array): Buffer {
  const tag = (field << 3) | 2;
  const out = Buffer.allocUnsafe(varintLength(tag) + varintLength(payload.length) + payload.length);
  let offset = writeVarint(out, 0, tag);
  offset = writeVarint(out, offset, payload.length);
  out.set(payload, offset);
  return out;
}

/** A string field; nothing at all for '' (proto3 leaves defaults out). */
export function stringField(field: number, value: string): Buffer {
  return value === '' ? Buffer.alloc(0) : lengthDelimited(field, Buffer.from(value, 'utf8'));
}
