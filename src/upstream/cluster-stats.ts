/** Counters and gauges of one cluster (Envoy `upstream_*` and `outlier_detection.*` stats), read by the admin API. */
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
  /**
   * Connections whose peer said it was going away (a Dubbo provider's read-only event), closed once
   * their requests in flight were answered (`upstream_cx_close_notify`).
   */
  cxCloseNotify = 0;
  /** Times a connection was wanted but `max_connections` was reached (`upstream_cx_overflow`). */
  cxOverflow = 0;
  /** Requests sent upstream (mirrors included). */
  rqTotal = 0;
  /** Requests in flight to the cluster, waiting ones included (`upstream_rq_active`). */
  rqActive = 0;
  /** Requests that got a response. */
  rqCompleted = 0;
  /** Requests failed because the connection closed or failed. */
  rqReset = 0;
  /** Requests refused because `max_requests` were in flight (`upstream_rq_overflow`). */
  rqOverflow = 0;
  /** Requests that had to wait for a connection (`upstream_rq_pending_total`). */
  rqPendingTotal = 0;
  /** Requests waiting for a connection now (`upstream_rq_pending_active`). */
  rqPendingActive = 0;
  /**
   * Requests refused because no connection was free and `max_pending_requests` were already waiting
   * (`upstream_rq_pending_overflow`).
   */
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
  /**
   * Times a connection held its buffer limit of unsent bytes, so that requests waited
   * (`upstream_flow_control_backed_up_total`), and times it sent them all (`…_drained_total`).
   */
  flowControlBackedUp = 0;
  flowControlDrained = 0;
  /**
   * Times an exclusive connection stopped reading because its client did not take replies
   * (`upstream_flow_control_paused_reading_total`), and started again (`…_resumed_reading_total`).
   */
  flowControlPausedReading = 0;
  flowControlResumedReading = 0;
  /** Heartbeats sent on silent connections. */
  heartbeatSent = 0;
  /** Connections closed because the peer stopped answering heartbeats. */
  cxHeartbeatFailure = 0;
  /** Hosts ejected now (`outlier_detection.ejections_active`). */
  outlierEjectionsActive = 0;
  /** Ejections made (`outlier_detection.ejections_enforced_total`). */
  outlierEjectionsTotal = 0;
  /** Ejections for consecutive errors (`ejections_enforced_consecutive_5xx`). */
  outlierEjectionsConsecutiveErrors = 0;
  /** Ejections for consecutive gateway errors (`ejections_enforced_consecutive_gateway_failure`). */
  outlierEjectionsConsecutiveGatewayErrors = 0;
  /** Ejections not made because `max_ejection_percent` was reached (`outlier_detection.ejections_overflow`). */
  outlierEjectionsOverflow = 0;
}
