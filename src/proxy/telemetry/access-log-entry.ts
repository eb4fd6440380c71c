/**
 * One access-log entry: the JSON object written per request (keys follow Envoy's access-log command
 * names in snake case, so existing log pipelines recognise them). The request thread records it
 * (access-log-record.ts); the worker reads it back, or renders its JSON (access-log-json.ts).
 */
import type { ActiveRequest } from '../active-request.js';

export interface AccessLogEntry {
  start_time: string;
  /** Milliseconds from decode to the last byte written (or to the request being dropped). */
  duration: number;
  listener: string;
  protocol: string;
  operation: string;
  /** A number, or the digits of an id beyond 2^53 − 1 either side of 0 as a string (jsonRequestId). */
  request_id: number | string;
  route_name: string;
  upstream_cluster: string;
  upstream_host: string;
  /** 0 when the request succeeded, 1 when it failed (Aeraki's MetaProtocol convention). */
  response_code: 0 | 1;
  /** Envoy response flags: NR no route, UF connect failure, UT timeout, RL rate limited, … `-` none. */
  response_flags: string;
  /** Why the proxy answered itself (`<kind>: <message>`), `upstream_error` or '' for an upstream reply. */
  response_code_details: string;
  bytes_received: number;
  bytes_sent: number;
  downstream_remote_address: string;
  downstream_local_address: string;
  /** Request attributes (routing metadata), with redacted keys replaced. */
  request: Record<string, string>;
  /** Response attributes, when the upstream replied. */
  response?: Record<string, string>;
}

export const REDACTED = '[REDACTED]';

/** 0 when the request succeeded (a one-way request handed over counts), 1 when it failed. */
export function responseCode(request: ActiveRequest): 0 | 1 {
  const response = request.response;
  if (request.localReplyKind !== undefined || response?.status === 'error') return 1;
  return response === undefined && request.request.type !== 'oneway' ? 1 : 0;
}

/** Why the request ended as it did: the local reply, an upstream error, a client gone; '' for success. */
export function responseCodeDetails(request: ActiveRequest): string {
  const kind = request.localReplyKind;
  const response = request.response;
  if (kind !== undefined) return `${kind}: ${request.localReplyMessage}`;
  if (response?.status === 'error') return 'upstream_error';
  return response === undefined && request.request.type !== 'oneway' ? 'downstream_closed' : '';
}

let cachedMs = -1;
let cachedIso = '';

/** `ms` as ISO 8601; requests finishing in the same millisecond share one string. */
export function isoTime(ms: number): string {
  if (ms !== cachedMs) {
    cachedMs = ms;
    cachedIso = new Date(ms).toISOString();
  }
  return cachedIso;
}
