import type { ByteQueue } from './byte-queue.js';
import type { Message, Mutation } from './message.js';
import type { RequestId } from './request-id.js';

/**
 * Why the proxy answers a request itself instead of forwarding the upstream's reply. Each codec maps
 * every kind to its protocol's own error response (see {@link Codec.encodeLocalReply}).
 */
export type LocalReplyKind =
  /** No route of the route table matched the request. */
  | 'no-route'
  /** The route names a cluster the proxy does not know. */
  | 'no-cluster'
  /** The cluster has no endpoint that can take the request. */
  | 'no-healthy-upstream'
  /** Connecting to the chosen endpoint failed (refused, unreachable, connect timeout). */
  | 'connect-failure'
  /** The upstream connection closed or failed before the response arrived. */
  | 'upstream-reset'
  /** No response arrived within the request timeout. */
  | 'timeout'
  /** A rate limit or circuit breaker rejected the request. */
  | 'over-limit'
  /** The request could not be decoded or is not acceptable. */
  | 'bad-request'
  /** The upstream's reply could not be decoded or did not match the request. */
  | 'bad-response'
  /** Anything else; the message says what. */
  | 'internal';

/** A local reply: its kind and a human-readable message naming the cause. */
export interface LocalReply {
  readonly kind: LocalReplyKind;
  readonly message: string;
}

/** What a protocol supports; the proxy adapts its behaviour to these. */
export interface CodecCapabilities {
  /**
   * Messages carry request ids that the codec can read and rewrite ({@link Codec.encode} honours
   * `requestId`). Enables multiplexed upstream pools, where requests from many downstream
   * connections share a few upstream connections.
   */
  readonly requestIds: boolean;
  /** The protocol has heartbeats; the codec decodes them and builds their replies and probes. */
  readonly heartbeats: boolean;
  /** The protocol has streams (several frames per call). */
  readonly streaming: boolean;
  /** The server writes first when a connection opens (e.g. a greeting). */
  readonly serverSpeaksFirst: boolean;
}

/** Options for {@link Codec.encode}. */
export interface EncodeOptions {
  /** Headers to write into the message; absent or empty = none. */
  readonly mutation?: Mutation | undefined;
  /**
   * A new request id to write in place of the message's own; absent = keep it. Either an id that an
   * instance of this codec decoded, or one the proxy allocated for a multiplexed upstream connection
   * (a number from 1 to 2^31 − 1): see request-id.ts.
   */
  readonly requestId?: RequestId | undefined;
}

/**
 * The contract a protocol implements. The proxy creates one codec instance per connection (per side),
 * so an instance may keep state between calls (partial-decode progress, per-connection protocol
 * detection). Instances are used from one event loop only.
 *
 * Rules every codec follows:
 * - `decode` never consumes a partial frame and never reads bytes that have not arrived.
 * - Bad bytes raise a {@link CodecError} (never any other exception).
 * - The payload is passed through: parse what routing needs, skip the rest, never re-serialize it.
 * - `encode` returns bytes for the wire; it may modify `message.bytes` in place (the proxy owns them).
 * - Request ids are numbers, or bigints only beyond 2^53 − 1 either side of 0 (see request-id.ts),
 *   and are written back exactly as given.
 */
export interface Codec {
  /**
   * Looks at the bytes buffered so far. Returns `undefined` when one whole message has not arrived
   * yet (nothing is consumed), or consumes exactly one message from `input` and returns it.
   * The proxy calls it again while it returns messages.
   *
   * @throws CodecError when the bytes cannot be a valid message.
   */
  decode(input: ByteQueue): Message | undefined;

  /**
   * The wire bytes for `message` (decoded by this codec or another instance of it) with the
   * mutation applied and, if given, a new request id. Without options it returns `message.bytes`.
   */
  encode(message: Message, options?: EncodeOptions): Buffer;

  /**
   * The protocol's own error response to `request` (or, when the failure happened before a request
   * could be decoded, to no request in particular), so that the client sees a normal error rather
   * than a hang or a silent close. Returns `undefined` only if the protocol has no way to report an
   * error, or the request is one-way.
   */
  encodeLocalReply(request: Message | undefined, reply: LocalReply): Buffer | undefined;

  /**
   * The reply to a heartbeat decoded by this codec. The proxy answers heartbeats itself and never
   * forwards them. Only called when `capabilities.heartbeats` is true.
   */
  encodeHeartbeatReply?(heartbeat: Message): Buffer;

  /**
   * A heartbeat probe with the given request id, sent by the proxy on idle upstream connections.
   * The id is one the proxy allocated (a number from 1 to 2^31 − 1). Only called when
   * `capabilities.heartbeats` is true.
   */
  encodeHeartbeat?(requestId: number): Buffer;
}

/** Which side of the proxy a codec instance serves. */
export type CodecSide = 'downstream' | 'upstream';

/**
 * A protocol's registration: its name, what it supports, and how to make per-connection instances.
 * Register it with {@link CodecRegistry.register}.
 */
export interface CodecFactory {
  /** Full name, `aeraki.meta_protocol.codec.<protocol>`. */
  readonly name: string;
  /** What the protocol supports. */
  readonly capabilities: CodecCapabilities;
  /**
   * A new codec for one connection. `side` says whether it decodes requests from clients
   * (`downstream`) or responses from servers (`upstream`); `config` is the codec's own settings
   * (from ApplicationProtocol / MetaProtocolProxy codec config), possibly undefined.
   */
  create(side: CodecSide, config?: unknown): Codec;
}
