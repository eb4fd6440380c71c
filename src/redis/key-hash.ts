/**
 * Where a key goes: its hash tag (the part between the first `{` and the next `}`, when not empty,
 * as Redis Cluster defines it), its Redis Cluster slot (CRC16-XMODEM of the tag or key, mod 16384),
 * and a 32-bit hash for consistent hashing over a cluster's endpoints.
 */

/** Redis Cluster's number of hash slots. */
export const SLOT_COUNT = 16384;

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** CRC16-XMODEM (polynomial 0x1021, initial 0) of `buf[start, end)`, as Redis Cluster uses. */
export function crc16(buf: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ buf[i]!) & 0xff]!;
  return crc;
}

/**
 * The part of `key` that decides its slot: what lies between the first `{` and the first `}` after
 * it, when that is not empty; the whole key otherwise. Returned as `[start, end)` in `hashRange`.
 */
export function hashTagRange(buf: Uint8Array, start: number, end: number, range: Int32Array): void {
  range[0] = start;
  range[1] = end;
  for (let open = start; open < end; open++) {
    if (buf[open] !== 123) continue;
    for (let close = open + 1; close < end; close++) {
      if (buf[close] !== 125) continue;
      if (close > open + 1) {
        range[0] = open + 1;
        range[1] = close;
      }
      return;
    }
    return;
  }
}

const scratch = new Int32Array(2);

/** The Redis Cluster slot of the key in `buf[start, end)` (hash tags honoured). */
export function keySlot(buf: Uint8Array, start: number, end: number): number {
  hashTagRange(buf, start, end, scratch);
  return crc16(buf, scratch[0]!, scratch[1]!) & (SLOT_COUNT - 1);
}

/**
 * A 32-bit hash of the key in `buf[start, end)`, of its hash tag only when `hashtagging`: FNV-1a
 * over the bytes and a murmur3-style finalizer, so similar keys spread over the whole hash ring.
 */
export function keyHash(buf: Uint8Array, start: number, end: number, hashtagging: boolean): number {
  let from = start;
  let to = end;
  if (hashtagging) {
    hashTagRange(buf, start, end, scratch);
    from = scratch[0]!;
    to = scratch[1]!;
  }
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    h ^= buf[i]!;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
