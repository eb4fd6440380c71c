import type { LocalReplyKind } from '../codec/index.js';

/** Counters of one listener (MetaProtocol `meta_protocol.<protocol>.<prefix>.*` stats). */
export class ListenerStats {
  /** Downstream connections accepted. */
  cxTotal = 0;
  /** Downstream connections open now. */
  cxActive = 0;
  /** Connections closed for staying idle. */
  cxIdleTimeout = 0;
  /** Times reading a connection was paused for backpressure (`downstream_flow_control_paused_reading_total`). */
  cxReadPaused = 0;
  /** Times it was resumed (`downstream_flow_control_resumed_reading_total`). */
  cxReadResumed = 0;
  /** Connections closed because replies for a client that did not read passed twice its buffer limit. */
  cxBufferOverflow = 0;
  /** Connections closed because their incomplete frame got no byte for the incomplete-frame timeout. */
  cxIncompleteFrameTimeout = 0;
  /** Connections closed because their incomplete frame would pass the proxy-wide cap. */
  cxIncompleteFrameOverflow = 0;
  /** Connections refused by the overload manager (`downstream_cx_overload_reject`). */
  cxOverloaded = 0;
  /** Two-way requests decoded. */
  request = 0;
  /** One-way requests decoded (and forwarded). */
  requestOneway = 0;
  /** Heartbeats answered by the proxy. */
  heartbeat = 0;
  /** Requests in flight now. */
  requestActive = 0;
  /** Requests answered over-limit by the overload manager (`downstream_rq_overload_close`). */
  requestOverloaded = 0;
  /** Connections closed because their bytes could not be decoded. */
  requestDecodingError = 0;
  /** Responses relayed from upstreams. */
  response = 0;
  /** Of those, replies reporting an error (exceptions, error statuses). */
  responseError = 0;
  /** Local replies sent, by reason. */
  readonly localReply: Record<LocalReplyKind, number> = {
    'no-route': 0,
    'no-cluster': 0,
    'no-healthy-upstream': 0,
    'connect-failure': 0,
    'upstream-reset': 0,
    timeout: 0,
    'over-limit': 0,
    'bad-request': 0,
    'bad-response': 0,
    internal: 0,
  };
  /** Requests delayed by an injected fault. */
  faultDelay = 0;
  /** Requests answered with an injected abort (also counted under their local reply kind). */
  faultAbort = 0;
  /**
   * Requests failed because a filter threw (answered `internal`), by the filter's short name; also
   * errors thrown later by code a filter ran for a request (a timer, a promise).
   */
  readonly filterError: Record<string, number> = {};
  /** Calls into the downstream codec other than decode that threw (encode, encodeLocalReply). */
  codecError = 0;
  /** Responses dropped because their downstream connection had closed. */
  responseDownstreamGone = 0;
}
