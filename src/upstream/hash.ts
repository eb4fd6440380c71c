/**
 * 32-bit FNV-1a over the UTF-16 code units of `s`, followed by a murmur3-style finalizer so that
 * similar keys (`host_1`, `host_2`) spread over the whole ring. Used for consistent hashing of request
 * keys and of ring points; both sides must use this same function.
 */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
