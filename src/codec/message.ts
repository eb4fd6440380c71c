import type { RequestId } from './request-id.js';

/**
 * What a codec tells the proxy about one decoded message.
 *
 * - `request`: expects exactly one `response` (or `error`) with the same request id.
 * - `oneway`: a request that gets no response; forwarded, never answered.
 * - `response`: the reply to a request.
 * - `error`: a reply that reports a failure in the protocol's own terms (Thrift EXCEPTION,
 *   a Dubbo response with a non-OK status); it completes its request like a response does.
 * - `heartbeat`: a keep-alive probe; the proxy answers it and never forwards it.
 * - `heartbeat-reply`: the answer to a heartbeat the proxy sent upstream; consumed by the proxy.
 * - `goaway`: the peer is going away (Dubbo's READONLY event, what HTTP/2 calls GOAWAY): it takes no
 *   new request on this connection and still answers those it has. On an upstream connection the
 *   proxy then sends nothing new on it, lets the requests in flight finish and closes it; new
 *   requests go to other connections. Never forwarded, never answered. Codecs whose protocol has no
 *   such notice never produce it, and nothing else changes for them.
 */
export type MessageType =
  'request' | 'oneway' | 'response' | 'error' | 'heartbeat' | 'heartbeat-reply' | 'goaway';

/** Every {@link MessageType}, for code that reads them from config or files. */
export const MESSAGE_TYPES: readonly MessageType[] = [
  'request',
  'oneway',
  'response',
  'error',
  'heartbeat',
  'heartbeat-reply',
  'goaway',
];

/** Whether a response reports success. Thrift REPLY and EXCEPTION, Dubbo status 20 or not, … */
export type ResponseStatus = 'ok' | 'error';

/**
 * Attributes a codec found in a message but decodes only when something reads them (see
 * {@link Metadata.defer}): a protocol whose messages carry many headers (Dubbo's attachments) need
 * not turn them all into strings for a proxy that routes on one name.
 */
export interface DeferredAttributes {
  /**
   * Sets the attributes into `metadata`, with {@link Metadata.set}. Called at most once, the first time
   * something reads an attribute the metadata does not hold yet (or lists, counts or deletes them).
   * Must not throw: the codec checks the bytes when it decodes the message, and only turns them into
   * strings here.
   */
  addTo(metadata: Metadata): void;
}

/**
 * String attributes of a message, used for routing, matching, rate limiting and logging.
 * Keys are lower-case: {@link Metadata.set} lower-cases them, so a codec may pass header names as
 * they appear on the wire. One value per key; setting a key again replaces its value.
 */
export class Metadata {
  /**
   * Up to {@link MAX_PAIRS} keys, the keys and values in turn: `[key0, value0, key1, value1, …]`.
   * Most messages have a dozen attributes at most, which a scan finds as fast as a hash lookup; a
   * `Map` allocated and rehashed its table three times on the way to a Dubbo request's dozen, and was
   * most of the garbage a request made. Beyond that (headers are limited in thousands), a `Map`.
   */
  private pairs: string[] | undefined = [];
  private map: Map<string, string> | undefined;
  /** Attributes not decoded yet; they sit under every key set directly (see {@link defer}). */
  private deferred: DeferredAttributes | undefined;

  /**
   * Adds attributes that are decoded only when first needed. They rank below the keys set directly,
   * before or after this call: a key set with {@link set} keeps its value when the deferred ones are
   * added. Reading a key already set directly does not decode them; reading any other key, listing,
   * counting or deleting does, once. The deferred attributes come first in {@link entries}, as if they
   * had been set before the others. A codec calls this at most once per message.
   */
  defer(attributes: DeferredAttributes): void {
    if (this.deferred !== undefined) this.resolve();
    this.deferred = attributes;
  }

  /** Sets `key` (lower-cased) to `value`. */
  set(key: string, value: string): void {
    const lower = key.toLowerCase();
    const pairs = this.pairs;
    if (pairs === undefined) {
      this.map!.set(lower, value);
      return;
    }
    const at = indexOfKey(pairs, lower);
    if (at >= 0) {
      pairs[at + 1] = value;
    } else if (pairs.length < MAX_PAIRS * 2) {
      pairs.push(lower, value);
    } else {
      const map = new Map<string, string>();
      for (let i = 0; i < pairs.length; i += 2) map.set(pairs[i]!, pairs[i + 1]!);
      map.set(lower, value);
      this.map = map;
      this.pairs = undefined;
    }
  }

  /** The value of `key` (give it lower-case), or `undefined`. */
  get(key: string): string | undefined {
    const pairs = this.pairs;
    if (pairs === undefined) {
      const value = this.map!.get(key);
      if (value !== undefined || this.deferred === undefined) return value;
    } else {
      const at = indexOfKey(pairs, key);
      if (at >= 0) return pairs[at + 1];
      if (this.deferred === undefined) return undefined;
    }
    this.resolve();
    return this.get(key);
  }

  /** Whether `key` (lower-case) is present. */
  has(key: string): boolean {
    const pairs = this.pairs;
    const found = pairs === undefined ? this.map!.has(key) : indexOfKey(pairs, key) >= 0;
    if (found || this.deferred === undefined) return found;
    this.resolve();
    return this.has(key);
  }

  /** Removes `key` (lower-case). */
  delete(key: string): void {
    if (this.deferred !== undefined) this.resolve();
    const pairs = this.pairs;
    if (pairs === undefined) {
      this.map!.delete(key);
      return;
    }
    const at = indexOfKey(pairs, key);
    if (at >= 0) pairs.splice(at, 2);
  }

  /** How many attributes there are. */
  get size(): number {
    if (this.deferred !== undefined) this.resolve();
    const pairs = this.pairs;
    return pairs === undefined ? this.map!.size : pairs.length / 2;
  }

  /** The attributes in the order they were first set. */
  *entries(): IterableIterator<[string, string]> {
    if (this.deferred !== undefined) this.resolve();
    const pairs = this.pairs;
    if (pairs === undefined) {
      yield* this.map!.entries();
      return;
    }
    for (let i = 0; i < pairs.length; i += 2) yield [pairs[i]!, pairs[i + 1]!];
  }

  toJSON(): Record<string, string> {
    return Object.fromEntries(this.entries());
  }

  /** Adds the deferred attributes under the keys set directly, keeping those keys' values. */
  private resolve(): void {
    const deferred = this.deferred!;
    this.deferred = undefined;
    const pairs = this.pairs;
    const map = this.map;
    this.pairs = [];
    this.map = undefined;
    try {
      deferred.addTo(this);
    } finally {
      if (pairs !== undefined) {
        for (let i = 0; i < pairs.length; i += 2) this.set(pairs[i]!, pairs[i + 1]!);
      } else {
        for (const [key, value] of map!) this.set(key, value);
      }
    }
  }
}

/** Keys a Metadata scans before it switches to a Map. */
const MAX_PAIRS = 16;

/** The index of `key` in `pairs` (keys at even indexes), or -1. */
function indexOfKey(pairs: readonly string[], key: string): number {
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === key) return i;
  return -1;
}

/**
 * Key/values the proxy asks a codec to write into a message's headers on its way out: Thrift THeader
 * info headers, Dubbo attachments, tRPC trans_info. The codec decides the wire meaning; a codec whose
 * protocol has no headers ignores it. An entry replaces a header of the same name.
 */
export type Mutation = ReadonlyMap<string, string>;

/** One whole decoded message. */
export interface Message {
  /** What kind of message this is. */
  type: MessageType;
  /**
   * The protocol's request id (Thrift seqid, Dubbo request id), used to match responses to requests.
   * 0 for protocols without one. A number, or a bigint for an id beyond 2^53 − 1 either side of 0;
   * see request-id.ts for the rule.
   */
  requestId: RequestId;
  /** Routing attributes; see {@link Metadata}. */
  readonly metadata: Metadata;
  /**
   * The message's original bytes, frame and transport headers included, exactly as received. The
   * proxy forwards these (after {@link Codec.encode}); codecs never re-serialize arguments.
   */
  readonly bytes: Buffer;
  /** For `response` and `error`: whether the reply reports success. */
  status: ResponseStatus;
  /** Tracing and logging name of the operation, e.g. `Service/method`. Empty if unknown. */
  operation: string;
  /**
   * Codec-private facts found while decoding (offsets, transport and protocol kinds) that `encode`
   * and `encodeLocalReply` reuse. The proxy never reads it.
   */
  readonly codecState: unknown;
}

/** Builds a {@link Message}; codecs use this so every message has the same shape (one hidden class). */
export function createMessage(
  type: MessageType,
  requestId: RequestId,
  bytes: Buffer,
  metadata: Metadata,
  codecState: unknown,
  status: ResponseStatus = 'ok',
  operation = '',
): Message {
  return { type, requestId, metadata, bytes, status, operation, codecState };
}
