/**
 * ActiveRequest look-alikes with the fields telemetry reads, and the access-log entry each should
 * give, built straight from the request: what the record, the worker and the JSON encoder must agree
 * with.
 */
import { Metadata } from '../../../../src/codec/index.js';
import type { ActiveRequest } from '../../../../src/proxy/active-request.js';
import { jsonRequestId } from '../../../../src/proxy/request-record.js';
import {
  isoTime,
  REDACTED,
  responseCode,
  responseCodeDetails,
  type AccessLogEntry,
} from '../../../../src/proxy/telemetry/access-log-entry.js';
import {
  AttributeRedaction,
  DEFAULT_REDACTION,
  withNames,
} from '../../../../src/proxy/telemetry/attribute-redaction.js';
import { responseFlags } from '../../../../src/proxy/telemetry/istio-labels.js';

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
  'success after a fault delay': finishedRequest({
    response: { status: 'ok', metadata: metadata({}), bytes: Buffer.alloc(17) },
    faultDelayed: true,
  }),
  'client gone': finishedRequest({}),
  oneway: finishedRequest({
    request: { type: 'oneway', metadata: metadata({}), operation: '', requestId: 0, bytes: Buffer.alloc(1) },
  }),
  // Dubbo ids are Java longs: beyond 2^53 - 1 they are bigints, below 0 they stay numbers.
  'wide request id': finishedRequest({
    request: { ...finishedRequest({}).request, requestId: 2n ** 63n - 1n },
  }),
  'wide negative request id': finishedRequest({
    request: { ...finishedRequest({}).request, requestId: -(2n ** 63n) },
  }),
  'negative request id': finishedRequest({
    request: { ...finishedRequest({}).request, requestId: -1 },
  }),
  'values that need escaping': finishedRequest({
    request: {
      type: 'request',
      metadata: metadata({
        'we"ird\nkey': 'tab\there \\ back',
        emoji: '😀',
        lone: '\ud800x',
        ctl: '\u0001',
        'x-auth-token': 'SECRET-1',
      }),
      operation: 'ünïcode',
      requestId: 1,
      bytes: Buffer.alloc(1),
    },
  }),
};

/**
 * Attribute names the fixtures' logs must hide: `emoji` named by the log's options, `x-auth-token` by
 * the default name parts.
 */
export const HIDDEN_KEYS: ReadonlySet<string> = new Set(['emoji', 'x-auth-token']);

/** The redaction the fixtures' logs run with: the defaults, plus `emoji` by name. */
export const fixtureRedaction = (): AttributeRedaction =>
  new AttributeRedaction(withNames(DEFAULT_REDACTION, ['Emoji']));

/** The entry of a finished request; `redact` lists lower-case attribute keys to hide. */
export function accessLogEntry(
  request: ActiveRequest,
  now: number,
  redact: ReadonlySet<string>,
): AccessLogEntry {
  const response = request.response;
  const entry: AccessLogEntry = {
    start_time: isoTime(request.startTime),
    duration: now - request.startTime,
    listener: request.listenerName,
    protocol: request.protocol,
    operation: request.request.operation,
    request_id: jsonRequestId(request.request.requestId),
    route_name: request.route?.name ?? '',
    upstream_cluster: request.clusterName,
    upstream_host: request.upstreamHost,
    response_code: responseCode(request),
    response_flags: responseFlags(request.localReplyKind, request),
    response_code_details: responseCodeDetails(request),
    bytes_received: request.request.bytes.length,
    bytes_sent: request.responseBytes,
    downstream_remote_address: request.downstreamRemoteAddress,
    downstream_local_address: request.downstreamLocalAddress,
    request: attributes(request.request.metadata.entries(), redact),
  };
  if (response !== undefined) entry.response = attributes(response.metadata.entries(), redact);
  return entry;
}

function attributes(
  entries: Iterable<[string, string]>,
  redact: ReadonlySet<string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of entries) out[key] = redact.has(key) ? REDACTED : value;
  return out;
}
