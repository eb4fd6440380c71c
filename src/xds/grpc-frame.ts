/**
 * Messages allocated with their gRPC frame header (a compressed-flag byte, then the length as a
 * big-endian uint32) already in front of them. A gRPC library writing a message copies it into a new
 * buffer behind that header; the ADS server hands such a message over as its frame instead (see
 * server/framed-writes.ts), so a response shared by a thousand streams is never copied per stream.
 */

/** Bytes of the length prefix gRPC puts before every message. */
export const GRPC_FRAME_HEADER_BYTES = 5;

/**
 * A buffer for a message of `size` bytes whose allocation holds the message's frame header just before
 * it. The allocation is its own (not a slice of Node's pool), so nothing else writes into the header.
 */
export function allocFramed(size: number): Buffer {
  const frame = Buffer.allocUnsafeSlow(GRPC_FRAME_HEADER_BYTES + size);
  frame[0] = 0; // not compressed
  frame.writeUInt32BE(size, 1);
  return frame.subarray(GRPC_FRAME_HEADER_BYTES);
}

/** The whole frame (header, then message) of a message made by allocFramed; undefined for any other. */
export function frameOf(message: Uint8Array): Buffer | undefined {
  const arena = message.buffer;
  if (
    message.byteOffset !== GRPC_FRAME_HEADER_BYTES ||
    arena.byteLength !== GRPC_FRAME_HEADER_BYTES + message.length
  )
    return undefined;
  const frame = Buffer.from(arena, 0, arena.byteLength);
  if (frame[0] !== 0 || frame.readUInt32BE(1) !== message.length) return undefined;
  return frame;
}

/** Buffer.concat into an allocFramed message. */
export function concatFramed(parts: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = allocFramed(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
