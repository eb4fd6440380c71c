import type { LocalReplyKind, Message, Mutation } from '../codec/index.js';

/**
 * Where a request waits: in a pool's queue for a connection, or on a connection for its response.
 * The request's owner uses it to stop waiting.
 */
export interface RequestHolder {
  /** Forgets `request` (its owner gave up); a late response is then dropped. */
  cancel(request: UpstreamRequest): void;
  /** Like `cancel`, for a request whose deadline passed: a sent one counts against its host's health. */
  timeOut(request: UpstreamRequest): void;
  /** Whether part of a reply has arrived (so a retry could repeat work the server has done). */
  readonly responseInProgress: boolean;
  /**
   * The request's client stops (true) or resumes (false) taking replies: a connection that carries
   * only this request stops reading until then (Envoy's `readDisable`); shared ones and queues carry
   * on, so that one slow client never stalls the others.
   */
  readDisable?(disable: boolean): void;
}

/**
 * A request handed to a connection pool, and how the pool reports back. The proxy's ActiveRequest
 * implements it (and so does a mirror copy), so the hot path allocates no callback closures.
 *
 * Exactly one of `onUpstreamResponse` and `onUpstreamFailure` is called, once, unless the request is
 * one-way (neither is called) or the owner cancelled it first (see {@link RequestHolder.cancel}).
 */
export interface UpstreamRequest {
  /** The request as decoded downstream; the pool encodes it with its own codec. */
  readonly message: Message;
  /** Headers to write into the request, or undefined. */
  readonly mutation: Mutation | undefined;
  /** Set by the pool: the queue or connection holding the request while it waits. */
  upstream: RequestHolder | undefined;
  /**
   * Set by the pool: the key of the request on that connection: the id it carries there (allocated
   * by a multiplexed connection, the client's own on an exclusive one), or a stand-in key on an
   * exclusive connection when the client's id is a bigint.
   */
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
