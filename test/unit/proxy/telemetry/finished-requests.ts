/** ActiveRequest look-alikes with the fields telemetry reads, for the access-log tests. */
import { Metadata } from '../../../../src/codec/index.js';
import type { ActiveRequest } from '../../../../src/proxy/active-request.js';

export function metadata(values: Record<string, string>): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(values)) m.set(k, v);
  return m;
}

/** The fields of an ActiveRequest the access log reads. */
export function finishedRequest(overrides: Record<string, unknown>): ActiveRequest {
  return {
    request: {
      type: 'request',
      metadata: metadata({ method: 'sayHello' }),
      operation: 'Hello/sayHello',
      requestId: 9,
      bytes: Buffer.alloc(42),
    },
    response: undefined,
    localReplyKind: undefined,
    localReplyMessage: '',
    faultDelayed: false,
    faultAborted: false,
    startTime: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    listenerName: '127.0.0.1_9090',
    protocol: 'thrift',
    route: { name: 'r1' },
    clusterName: 'outbound|9090|v1|svc',
    upstreamHost: '127.0.0.1:9191',
    responseBytes: 17,
    downstreamRemoteAddress: '127.0.0.1:50000',
    downstreamLocalAddress: '127.0.0.1:9090',
    ...overrides,
  } as unknown as ActiveRequest;
}

/** Finished requests of every outcome, and values that need escaping. */
export const finishedRequests: Record<string, ActiveRequest> = {
  success: finishedRequest({
    response: { status: 'ok', metadata: metadata({ 'x-served-by': 'v1' }), bytes: Buffer.alloc(17) },
  }),
  'error reply': finishedRequest({
    response: { status: 'error', metadata: metadata({}), bytes: Buffer.alloc(5) },
  }),
  'local reply': finishedRequest({
    localReplyKind: 'over-limit',
    localReplyMessage: 'limited "now"',
    route: undefined,
    clusterName: '',
  }),
  'fault abort after a delay': finishedRequest({
    localReplyKind: 'no-healthy-upstream',
    faultAborted: true,
    faultDelayed: true,
  }),
  'client gone': finishedRequest({}),
  oneway: finishedRequest({
    request: { type: 'oneway', metadata: metadata({}), operation: '', requestId: 0, bytes: Buffer.alloc(1) },
  }),
  'values that need escaping': finishedRequest({
    request: {
      type: 'request',
      metadata: metadata({ 'we"ird\nkey': 'tab\there \\ back', emoji: '😀', lone: '\ud800x', ctl: '\u0001' }),
      operation: 'ünïcode',
      requestId: 1,
      bytes: Buffer.alloc(1),
    },
  }),
};
