import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Metadata } from '../../../../src/codec/index.js';
import type { ActiveRequest } from '../../../../src/proxy/active-request.js';
import { RequestTracer } from '../../../../src/proxy/telemetry/request-tracer.js';

/** The parts of an ActiveRequest the tracer reads and writes. */
function fakeRequest(attributes: Record<string, string>) {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(attributes)) metadata.set(k, v);
  const headers = new Map<string, string>();
  const request = {
    request: { metadata, operation: '', bytes: Buffer.alloc(10) },
    protocol: 'thrift',
    listenerName: '127.0.0.1_9090',
    startTime: Date.now(),
    route: { name: 'r1' },
    clusterName: 'outbound|9090||svc',
    upstreamHost: '127.0.0.1:9191',
    localReplyKind: undefined as string | undefined,
    localReplyMessage: '',
    responseBytes: 20,
    response: undefined,
    span: undefined as unknown,
    addRequestHeader: (k: string, v: string) => headers.set(k, v),
  };
  return { request: request as unknown as ActiveRequest, raw: request, headers };
}

test('100 % sampling: a span per request, its context written into the upstream request', async () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new RequestTracer({ samplingPercent: 100 }, exporter);
  const { request, raw, headers } = fakeRequest({ method: 'sayHello' });
  tracer.start(request);
  raw.localReplyKind = 'timeout';
  raw.localReplyMessage = 'too slow';
  tracer.finish(request, Date.now());
  await tracer.flush();
  const [span] = exporter.getFinishedSpans();
  assert.ok(span !== undefined);
  assert.equal(span.name, 'sayHello');
  assert.equal(span.attributes['aeraki.route'], 'r1');
  assert.equal(span.attributes['aeraki.response_flags'], 'UT');
  assert.equal(span.status.message, 'timeout: too slow');
  assert.equal(
    headers.get('traceparent'),
    `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
  );
});

test('0 % sampling: no span and no header for requests without context; an unsampled parent propagates', async () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new RequestTracer({ samplingPercent: 0 }, exporter);
  const plain = fakeRequest({ method: 'a' });
  tracer.start(plain.request);
  assert.equal(plain.raw.span, undefined);
  assert.equal(plain.headers.size, 0);

  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const child = fakeRequest({ traceparent: `00-${traceId}-00f067aa0ba902b7-00` });
  tracer.start(child.request);
  tracer.finish(child.request, Date.now());
  await tracer.flush();
  assert.equal(exporter.getFinishedSpans().length, 0, 'the parent was not sampled');
  assert.match(child.headers.get('traceparent') ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
});

test('a sampled parent is followed whatever the sampling percentage', async () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new RequestTracer({ samplingPercent: 0 }, exporter);
  const { request } = fakeRequest({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
  tracer.start(request);
  tracer.finish(request, Date.now());
  await tracer.flush();
  const [span] = exporter.getFinishedSpans();
  assert.equal(span?.parentSpanContext?.spanId, '00f067aa0ba902b7');
});
