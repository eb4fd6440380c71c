/**
 * A frame decoded without a copy is a view of the chunk the socket read, and keeps the whole chunk
 * alive as long as it is held: a 50-byte request can hold 64 KiB. Whatever the proxy may hold for long
 * (requests waiting for an upstream, replies waiting for a client that does not read) is first
 * copied out of a chunk much larger than itself, so memory follows the bytes that are counted.
 */

// Imported, not the global: Node's global `Buffer` is a getter, a call on each use on the request path.
import { Buffer } from 'node:buffer';

/** Chunks up to this size are kept whole (Node's own buffer pool slabs are 8 KiB). */
const SMALL_CHUNK = 16 * 1024;
/** A view is copied when its chunk is more than this many times its size. */
const WASTE_RATIO = 8;

/**
 * `bytes` itself, or a copy when it is a small view of a large chunk. The copy has a buffer of its own:
 * a slice of Node's shared pool would keep an 8 KiB slab alive in the same way.
 */
export function compactView(bytes: Buffer): Buffer {
  const chunk = bytes.buffer.byteLength;
  if (chunk <= SMALL_CHUNK || chunk <= bytes.length * WASTE_RATIO) return bytes;
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

/**
 * Whether `chunk`'s memory is small enough that no view of it needs compacting: a connection that
 * checks each chunk it reads (one call into the runtime for `buffer` each) spares its frames the
 * check while it holds only such chunks.
 */
export function isSmallChunk(chunk: Uint8Array): boolean {
  return chunk.buffer.byteLength <= SMALL_CHUNK;
}
