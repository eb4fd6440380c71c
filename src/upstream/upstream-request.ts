import type { LocalReplyKind, Message, Mutation } from '../codec/index.js';
import type { UpstreamConnection } from './upstream-connection.js';

/**
 * A request handed to a connection pool, and how the pool reports back. The proxy's ActiveRequest
 * implements it (and so does a mirror copy), so the hot path allocates no callback closures.
 *
 * Exactly one of `onUpstreamResponse` and `onUpstreamFailure` is called, once, unless the request is
 * one-way (neither is called) or the owner cancelled it first (see {@link UpstreamConnection.cancel}).
 */
export interface UpstreamRequest {
  /** The request as decoded downstream; the pool encodes it with its own codec. */
  readonly message: Message;
  /** Headers to write into the request, or undefined. */
  readonly mutation: Mutation | undefined;
  /** Set by the pool: the connection carrying the request while it waits for its response. */
  upstream: UpstreamConnection | undefined;
  /** Set by the pool: the request id used on that connection. */
  upstreamId: number;
  /** The response (or protocol error reply) from the upstream, with its upstream request id. */
  onUpstreamResponse(response: Message): void;
  /**
   * The request failed before a response arrived; `detail` names the cause. `responseStarted` is true
   * when some bytes of a reply may have arrived already (a partial frame was buffered on a connection
   * that carried the request), so the failure must not be retried.
   */
  onUpstreamFailure(kind: LocalReplyKind, detail: string, responseStarted: boolean): void;
}
