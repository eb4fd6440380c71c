/**
 * What the codecs' fuzz tests do to every input: feed it in chunks and put whatever decodes through
 * the proxy's other uses of a codec; only CodecError may come out.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteQueue } from '../../../src/codec/byte-queue.js';
import type { Codec } from '../../../src/codec/index.js';
import { CodecError } from '../../../src/errors.js';

/** Chunk sizes to cut an input into (cycled; empty: the whole input at once). */
export const chunkSizes = fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 });

/**
 * Pushes `bytes` in chunks of `sizes`, decoding after each push; each message is encoded with a new
 * request id and a mutation, and without, and gets a local reply (and a heartbeat reply if it is a
 * heartbeat); at the end, a reply to no request. Returns what was thrown, if anything; fails at once
 * on a message that consumed no bytes.
 */
export function feedCodec(
  codec: Codec,
  bytes: Uint8Array,
  sizes: readonly number[],
  requestId: number,
): unknown {
  const queue = new ByteQueue();
  let at = 0;
  let turn = 0;
  try {
    while (at < bytes.length) {
      const size = Math.max(1, sizes[turn++ % Math.max(1, sizes.length)] ?? bytes.length);
      queue.push(Buffer.from(bytes.subarray(at, at + size)));
      at += size;
      for (;;) {
        const before = queue.length;
        const message = codec.decode(queue);
        if (message === undefined) break;
        assert.ok(queue.length < before, 'a decoded message consumes bytes');
        codec.encode(message, { requestId, mutation: new Map([['k', 'v']]) });
        codec.encode(message, { requestId: 3 });
        codec.encodeLocalReply(message, { kind: 'timeout', message: 'fuzz' });
        if (message.type === 'heartbeat') codec.encodeHeartbeatReply?.(message);
      }
    }
    codec.encodeLocalReply(undefined, { kind: 'bad-request', message: 'fuzz' });
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Passes when nothing or a CodecError was thrown; a failed assertion is rethrown as it is. */
export function onlyCodecErrors(error: unknown): void {
  if (error === undefined) return;
  if (error instanceof assert.AssertionError) throw error;
  assert.ok(CodecError.isCodecError(error), `threw a non-codec error: ${String(error)}`);
}
