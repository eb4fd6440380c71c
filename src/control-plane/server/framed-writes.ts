/**
 * grpc-js (1.14) sends a message by serializing it and copying the result into a new buffer behind the
 * 5-byte gRPC frame header (BaseServerInterceptingCall.serializeMessage). For the ADS server every
 * such copy is garbage once flushed: a full sync of a 10,000-service mesh is 33 MB per proxy, and a
 * thousand proxies syncing put gigabytes of copies through the heap, which V8 collects only after
 * they have piled up (about 100 MB above the retained buffers at 10,000 services, measured).
 *
 * The responses are built with their frame header already in front (allocFramed), so the frame can be
 * handed to the HTTP/2 stream as it is: a response shared by many streams is then written by all of
 * them from one buffer. This reaches into grpc-js internals, so it checks their shape and leaves the
 * call alone when they differ (responses are then copied as before); a unit test fails then, so an
 * upgrade that changes them is noticed.
 */
import { frameOf } from '../../xds/index.js';

type SerializeMessage = (value: unknown) => Buffer;

/**
 * Makes `call` (a grpc-js server stream) send messages made by allocFramed as their frames, without
 * a copy; other messages go through grpc-js's own serialization. Returns whether it could.
 */
export function sendFramesAsIs(call: unknown): boolean {
  // ServerDuplexStreamImpl.call is the server-side call; without interceptors, grpc-js's
  // BaseServerInterceptingCall, which serializes and frames what the stream writes.
  const inner = (call as { call?: unknown } | null)?.call as { serializeMessage?: unknown } | undefined;
  if (inner === undefined || inner === null || typeof inner !== 'object') return false;
  const serialize = inner.serializeMessage;
  if (typeof serialize !== 'function') return false;
  const framed: SerializeMessage = value =>
    (value instanceof Uint8Array ? frameOf(value) : undefined) ??
    (serialize as SerializeMessage).call(inner, value);
  inner.serializeMessage = framed;
  return true;
}
