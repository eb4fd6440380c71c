/**
 * What the proxy records about every finished request: Istio's request metrics (on by default) and
 * the access log (off unless configured). One call per request from the connection manager.
 */
import { readTime } from '../../net/read-clock.js';
import type { ActiveRequest } from '../active-request.js';
import { AccessLog, type AccessLogOptions, type AccessLogStats } from './access-log.js';
import { AttributeRedaction, DEFAULT_REDACTION, type RedactionSpec } from './attribute-redaction.js';
import { RequestMetrics, type RequestMetricsOptions } from './request-metrics.js';
import type { RequestTracer, TracingOptions } from './request-tracer.js';

export interface TelemetryOptions {
  /** Istio request metrics; on unless `false`. */
  readonly metrics?: false | RequestMetricsOptions;
  /** The access log; off when absent. */
  readonly accessLog?: AccessLogOptions;
  /** Tracing; off when absent. */
  readonly tracing?: TracingOptions;
  /**
   * Which attribute values taps and the access log show as `[REDACTED]`; default
   * {@link DEFAULT_REDACTION}. The access log's own `redaction`, when given, wins for the log.
   */
  readonly redaction?: RedactionSpec;
}

export class RequestTelemetry {
  /** Undefined when metrics are off. */
  readonly metrics: RequestMetrics | undefined;
  private readonly accessLog: AccessLog | undefined;
  private readonly tracer: RequestTracer | undefined;
  /** What observers of requests (taps, the access log) must not see. */
  readonly redaction: AttributeRedaction;

  /**
   * The telemetry `options` ask for. OpenTelemetry is loaded only when tracing is configured: a proxy
   * without tracing never holds its SDK and exporter in memory.
   */
  static async create(options: TelemetryOptions = {}): Promise<RequestTelemetry> {
    const tracing = options.tracing;
    if (tracing === undefined) return new RequestTelemetry(options);
    const { RequestTracer } = await import('./request-tracer.js');
    return new RequestTelemetry(options, new RequestTracer(tracing));
  }

  /**
   * @param options metrics, access log and redaction; `tracing` takes effect through {@link create}
   *   only, which loads the tracer
   * @param tracer the request tracer, when tracing is on
   */
  constructor(options: Omit<TelemetryOptions, 'tracing'> = {}, tracer?: RequestTracer) {
    const redaction = options.redaction ?? DEFAULT_REDACTION;
    this.redaction = new AttributeRedaction(redaction);
    this.metrics = options.metrics === false ? undefined : new RequestMetrics(options.metrics);
    this.accessLog =
      options.accessLog === undefined ? undefined : new AccessLog({ redaction, ...options.accessLog });
    this.tracer = tracer;
  }

  /** Called once a request is decoded, before its filters run. */
  onRequestStarted(request: ActiveRequest): void {
    this.tracer?.start(request);
  }

  onRequestFinished(request: ActiveRequest): void {
    const metrics = this.metrics;
    const accessLog = this.accessLog;
    if (metrics === undefined && accessLog === undefined && request.span === undefined) return;
    const now = readTime();
    metrics?.record(request, now);
    accessLog?.write(request, now);
    if (request.span !== undefined) this.tracer?.finish(request, now);
  }

  /** What the access log lost; undefined when there is none. */
  accessLogStats(): AccessLogStats | undefined {
    return this.accessLog?.stats();
  }

  /** Flushes and closes the access log and exports the spans still buffered. */
  async close(): Promise<void> {
    await this.accessLog?.close();
    await this.tracer?.close();
  }
}
