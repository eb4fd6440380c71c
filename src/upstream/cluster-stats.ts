/** Counters of one cluster (Envoy `upstream_*` stats), read by the admin API. */
export class ClusterStats {
  /** Upstream connections opened. */
  cxTotal = 0;
  /** Upstream connections open now. */
  cxActive = 0;
  /** Connections that failed to open (refused, unreachable). */
  cxConnectFail = 0;
  /** Connections that did not open within the connect timeout. */
  cxConnectTimeout = 0;
  /** Connections closed because they stayed idle. */
  cxIdleTimeout = 0;
  /** Requests sent upstream (mirrors included). */
  rqTotal = 0;
  /** Requests that got a response. */
  rqCompleted = 0;
  /** Requests failed because the connection closed or failed. */
  rqReset = 0;
  /** Requests that waited for a connection beyond the pool limit. */
  rqPendingOverflow = 0;
  /** Responses whose request id matched no waiting request (late, or never sent). */
  rsUnknownId = 0;
  /** Upstream bytes that could not be decoded. */
  rsDecodeError = 0;
  /** Retries sent (each retry of a request counts once). */
  rqRetry = 0;
  /** Requests that succeeded on a retry. */
  rqRetrySuccess = 0;
  /** Retriable failures not retried because the route's attempts were used up. */
  rqRetryExhausted = 0;
  /** Retriable failures not retried because the cluster's retry budget was spent. */
  rqRetryOverflow = 0;
  /** Heartbeats sent on silent connections. */
  heartbeatSent = 0;
  /** Connections closed because the peer stopped answering heartbeats. */
  cxHeartbeatFailure = 0;
}
