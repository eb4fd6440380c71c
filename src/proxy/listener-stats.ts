import type { LocalReplyKind } from '../codec/index.js';

/** Counters of one listener (MetaProtocol `meta_protocol.<protocol>.<prefix>.*` stats). */
export class ListenerStats {
  /** Downstream connections accepted. */
  cxTotal = 0;
  /** Downstream connections open now. */
  cxActive = 0;
  /** Connections closed for staying idle. */
  cxIdleTimeout = 0;
  /** Two-way requests decoded. */
  request = 0;
  /** One-way requests decoded (and forwarded). */
  requestOneway = 0;
  /** Heartbeats answered by the proxy. */
  heartbeat = 0;
  /** Requests in flight now. */
  requestActive = 0;
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
  /** Responses dropped because their downstream connection had closed. */
  responseDownstreamGone = 0;
}
