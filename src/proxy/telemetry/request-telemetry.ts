/**
 * What the proxy records about every finished request: Istio's request metrics (on by default) and
 * the access log (off unless configured). One call per request from the connection manager.
 */
import type { ActiveRequest } from '../active-request.js';
import { AccessLog, type AccessLogOptions } from './access-log.js';
import { RequestMetrics, type RequestMetricsOptions } from './request-metrics.js';

export interface TelemetryOptions {
  /** Istio request metrics; on unless `false`. */
  readonly metrics?: false | RequestMetricsOptions;
  /** The access log; off when absent. */
  readonly accessLog?: AccessLogOptions;
}

export class RequestTelemetry {
  /** Undefined when metrics are off. */
  readonly metrics: RequestMetrics | undefined;
  private readonly accessLog: AccessLog | undefined;

  constructor(options: TelemetryOptions = {}) {
    this.metrics = options.metrics === false ? undefined : new RequestMetrics(options.metrics);
    this.accessLog = options.accessLog === undefined ? undefined : new AccessLog(options.accessLog);
  }

  onRequestFinished(request: ActiveRequest): void {
    const metrics = this.metrics;
    const accessLog = this.accessLog;
    if (metrics === undefined && accessLog === undefined) return;
    const now = Date.now();
    metrics?.record(request, now);
    accessLog?.write(request, now);
  }

  /** Flushes and closes the access log. */
  close(): void {
    this.accessLog?.close();
  }
}
