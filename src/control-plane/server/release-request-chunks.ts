/**
 * grpc-js (1.14) keeps, per call, the chunks of the last message it received until the next message
 * begins: its StreamDecoder empties `readPartialMessage` only when it starts reading a new message.
 * An ADS stream sits idle after its proxy's last ACK, and a state-of-the-world ACK repeats every name
 * the proxy subscribes to: at 10,000 services each idle stream would keep its last 0.5–1.5 MB request
 * alive, about 0.45 MB per proxy on average (130 MB for 300 proxies, measured), for nothing.
 *
 * Once a message has been delivered and no new one has begun, those chunks are garbage to grpc-js too
 * (it would drop them itself on the next message). This drops them right away. It reaches into grpc-js
 * internals, so it checks their shape and does nothing when they differ; a unit test fails then, so an
 * upgrade that changes them is noticed.
 */

/** StreamDecoder's state "between messages" (grpc-js ReadState.NO_DATA). */
const NO_DATA = 0;

interface DecoderShape {
  readState: unknown;
  readPartialMessage: unknown;
  /** The flag byte of the last message: a one-byte slice of the chunk it came in. */
  readCompressFlag?: unknown;
}

function decoderOf(call: unknown): DecoderShape | undefined {
  // ServerDuplexStreamImpl.call is the server-side call; without interceptors, grpc-js's
  // BaseServerInterceptingCall, which owns the decoder.
  const inner = (call as { call?: unknown } | null)?.call as { decoder?: unknown } | undefined;
  const decoder = inner?.decoder as Partial<DecoderShape> | undefined;
  if (decoder === undefined || decoder === null || typeof decoder !== 'object') return undefined;
  if (typeof decoder.readState !== 'number' || !Array.isArray(decoder.readPartialMessage)) return undefined;
  return decoder as DecoderShape;
}

/**
 * Drops the chunks grpc-js still holds of the messages `call` (a grpc-js server stream) has delivered.
 * Returns whether the decoder was found in the expected shape (true also when nothing was held).
 */
export function releaseDeliveredChunks(call: unknown): boolean {
  const decoder = decoderOf(call);
  if (decoder === undefined) return false;
  // Mid-message, the chunks are the next message's: leave them.
  if (decoder.readState !== NO_DATA) return true;
  decoder.readPartialMessage = [];
  // A one-byte slice keeps its whole chunk (up to 16 KiB) alive; a copy keeps one byte.
  const flag = decoder.readCompressFlag;
  if (Buffer.isBuffer(flag) && flag.buffer.byteLength > flag.length) {
    const copy = Buffer.allocUnsafeSlow(flag.length); // not a slice of Node's pool either
    flag.copy(copy);
    decoder.readCompressFlag = copy;
  }
  return true;
}

/** Bytes grpc-js holds of messages `call` has received; for tests. */
export function heldChunkBytes(call: unknown): number | undefined {
  const decoder = decoderOf(call);
  if (decoder === undefined) return undefined;
  let bytes = 0;
  for (const chunk of decoder.readPartialMessage as unknown[]) {
    if (chunk instanceof Uint8Array) bytes += chunk.length;
  }
  return bytes;
}
