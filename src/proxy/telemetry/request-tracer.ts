/**
 * One OpenTelemetry span per request, and W3C trace context carried through the protocol's own
 * headers (THeader info headers, Dubbo attachments, …: whatever the codec writes mutations into).
 *
 * - The parent is the `traceparent` (and `tracestate`) attribute the client sent, if any. A sampled
 *   parent is always followed; requests without one are sampled at the configured percentage.
 * - The upstream request gets a `traceparent` naming the proxy's span, so the server's span is its
 *   child. Without tracing (or with a request neither sampled nor carrying context) the proxy adds
 *   nothing: the client's own headers pass through untouched, as every header does.
 * - At 0 % sampling a request without trace context costs one attribute lookup.
 * - Spans go to an OTLP/HTTP endpoint (an OpenTelemetry Collector, Jaeger, Tempo, …) in batches.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { Metadata } from '../../codec/index.js';
import type { ActiveRequest } from '../active-request.js';
import { responseFlags } from './istio-labels.js';

export interface TracingOptions {
  /** Share of requests without a sampled parent that are traced, 0–100 (Istio's default is 1). */
  readonly samplingPercent: number;
  /** OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`; spans are dropped without one. */
  readonly otlpEndpoint?: string;
  /** `service.name` of the proxy's spans (default `aeraki-proxy`). */
  readonly serviceName?: string;
}

const TRACEPARENT = 'traceparent';

const metadataGetter: TextMapGetter<Metadata> = {
  keys: metadata => [...metadata.entries()].map(([k]) => k),
  get: (metadata, key) => metadata.get(key.toLowerCase()),
};

const requestHeaderSetter: TextMapSetter<ActiveRequest> = {
  set: (request, key, value) => request.addRequestHeader(key, value),
};

export class RequestTracer {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly propagator = new W3CTraceContextPropagator();
  private readonly ratio: number;

  /** @param exporter where spans go; by default OTLP/HTTP when `otlpEndpoint` is set, else nowhere */
  constructor(options: TracingOptions, exporter?: SpanExporter) {
    this.ratio = Math.min(100, Math.max(0, options.samplingPercent)) / 100;
    const sink =
      exporter ??
      (options.otlpEndpoint === undefined ? undefined : new OTLPTraceExporter({ url: options.otlpEndpoint }));
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'aeraki-proxy' }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(this.ratio) }),
      spanProcessors: sink === undefined ? [] : [new BatchSpanProcessor(sink, { scheduledDelayMillis: 500 })],
    });
    this.tracer = this.provider.getTracer('aeraki');
  }

  /** Starts the request's span (if it is traced) and writes its context into the upstream request. */
  start(request: ActiveRequest): void {
    const metadata = request.request.metadata;
    const hasParent = metadata.has(TRACEPARENT);
    if (!hasParent && this.ratio === 0) return;
    const parent: Context = hasParent
      ? this.propagator.extract(ROOT_CONTEXT, metadata, metadataGetter)
      : ROOT_CONTEXT;
    const method = metadata.get('method') ?? '';
    const service = metadata.get('interface') ?? metadata.get('service') ?? '';
    const span = this.tracer.startSpan(
      request.request.operation !== ''
        ? request.request.operation
        : method !== ''
          ? method
          : request.protocol,
      {
        kind: SpanKind.CLIENT,
        startTime: request.startTime,
        attributes: {
          'rpc.system': request.protocol,
          'rpc.method': method,
          'rpc.service': service,
          'aeraki.listener': request.listenerName,
        },
      },
      parent,
    );
    request.span = span;
    if (!span.isRecording() && !hasParent) return;
    this.propagator.inject(trace.setSpan(parent, span), request, requestHeaderSetter);
  }

  /** Ends the request's span with where it went and how it ended. */
  finish(request: ActiveRequest, now: number): void {
    const span = request.span;
    if (span === undefined || !span.isRecording()) return;
    const kind = request.localReplyKind;
    setIfNotEmpty(span, 'aeraki.route', request.route?.name ?? '');
    setIfNotEmpty(span, 'aeraki.upstream_cluster', request.clusterName);
    const host = request.upstreamHost;
    if (host !== '') {
      const colon = host.lastIndexOf(':');
      span.setAttribute('server.address', host.slice(0, colon));
      span.setAttribute('server.port', Number(host.slice(colon + 1)));
    }
    span.setAttribute('aeraki.response_flags', responseFlags(kind, request));
    span.setAttribute('aeraki.request_bytes', request.request.bytes.length);
    span.setAttribute('aeraki.response_bytes', request.responseBytes);
    if (kind !== undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: `${kind}: ${request.localReplyMessage}` });
    } else if (request.response?.status === 'error') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the upstream replied with an error' });
    }
    span.end(now);
  }

  /** Exports the spans buffered so far. */
  async flush(): Promise<void> {
    await this.provider.forceFlush();
  }

  /** Exports the spans still buffered and stops. */
  async close(): Promise<void> {
    await this.provider.shutdown();
  }
}

function setIfNotEmpty(span: Span, key: string, value: string): void {
  if (value !== '') span.setAttribute(key, value);
}
