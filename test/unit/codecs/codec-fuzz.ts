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
        // Codecs may decode attributes when they are first read (Metadata.defer): that never throws.
        assert.doesNotThrow(() => message.metadata.toJSON(), 'reading the attributes throws nothing');
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

/**
 * A mutation of a real message that knows where its content starts: random or chosen bytes put at a
 * place of the content, bytes cut off or added at the end (with the frame's length fixed up or not), a
 * piece of the content copied elsewhere, or a header bit flipped.
 */
export type MessageMutation =
  | { readonly kind: 'flip'; readonly at: number; readonly mask: number }
  | { readonly kind: 'write'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly kind: 'truncate'; readonly count: number; readonly fixLength: boolean }
  | { readonly kind: 'extend'; readonly bytes: readonly number[]; readonly fixLength: boolean }
  | { readonly kind: 'splice'; readonly from: number; readonly length: number; readonly to: number }
  | { readonly kind: 'header'; readonly offset: number; readonly mask: number };

/** Where a message's content lies, and the length field that frames it, if any. */
export interface MessageLayout {
  /** Offset of the content that mutations change (after the framing). */
  readonly start: number;
  /** Offset of a big-endian i32 counting the bytes from `lengthFrom` to the end, if framed. */
  readonly lengthAt?: number;
  readonly lengthFrom?: number;
}

/**
 * Mutations of a protocol's messages: `values` are single bytes that mean something to it (type ids,
 * tags), `encodings` byte runs that do (lengths and counts as it writes them), `headerFlips` bits of its
 * header worth flipping.
 */
export function messageMutationArb(options: {
  readonly values: readonly number[];
  readonly encodings: readonly (readonly number[])[];
  readonly headerFlips?: readonly { readonly offset: number; readonly mask: number }[];
}): fc.Arbitrary<MessageMutation> {
  const kinds: fc.Arbitrary<MessageMutation>[] = [
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
    fc.record({
      kind: fc.constant('write' as const),
      at: fc.nat(),
      bytes: fc.constantFrom(...options.values).map(v => [v]),
    }),
    fc.record({
      kind: fc.constant('write' as const),
      at: fc.nat(),
      bytes: fc.constantFrom(...options.encodings),
    }),
    fc.record({
      kind: fc.constant('truncate' as const),
      count: fc.integer({ min: 1, max: 12 }),
      fixLength: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('extend' as const),
      bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 8 }),
      fixLength: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('splice' as const),
      from: fc.nat(),
      length: fc.integer({ min: 1, max: 16 }),
      to: fc.nat(),
    }),
  ];
  if (options.headerFlips !== undefined && options.headerFlips.length > 0) {
    kinds.push(fc.constantFrom(...options.headerFlips).map(flip => ({ kind: 'header' as const, ...flip })));
  }
  return fc.oneof(...kinds);
}

/** `bytes` with `mutation` applied to the content `layout` locates; the frame length fixed up unless told not to. */
export function mutateMessage(bytes: Buffer, mutation: MessageMutation, layout: MessageLayout): Buffer {
  const start = layout.start;
  const span = Math.max(1, bytes.length - start);
  let out = Buffer.from(bytes);
  let fixLength = true;
  switch (mutation.kind) {
    case 'flip':
      out[start + (mutation.at % span)]! ^= mutation.mask;
      break;
    case 'write': {
      const at = start + (mutation.at % span);
      const tail = out.subarray(Math.min(out.length, at + mutation.bytes.length));
      out = Buffer.concat([out.subarray(0, at), Buffer.from(mutation.bytes), tail]);
      break;
    }
    case 'truncate':
      out = out.subarray(0, Math.max(start, out.length - mutation.count));
      fixLength = mutation.fixLength;
      break;
    case 'extend':
      out = Buffer.concat([out, Buffer.from(mutation.bytes)]);
      fixLength = mutation.fixLength;
      break;
    case 'splice': {
      const from = start + (mutation.from % span);
      const piece = out.subarray(from, Math.min(out.length, from + mutation.length));
      const to = start + (mutation.to % span);
      out = Buffer.concat([out.subarray(0, to), piece, out.subarray(to)]);
      break;
    }
    case 'header':
      if (mutation.offset < out.length) out[mutation.offset]! ^= mutation.mask;
      break;
  }
  const { lengthAt, lengthFrom } = layout;
  if (fixLength && lengthAt !== undefined && lengthFrom !== undefined && out.length >= lengthAt + 4) {
    out.writeInt32BE(out.length - lengthFrom, lengthAt);
  }
  return out;
}
