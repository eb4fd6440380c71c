/**
 * The JSON access-log line of a finished request, written straight into a string: the same object as
 * {@link accessLogEntry} gives, serialised, without building it first. JSON.stringify of a fresh
 * object per request costs more than the rest of the request's work in the proxy; this path does
 * one concatenation and escapes only values that need it.
 */
import type { ActiveRequest } from '../active-request.js';
import { isoTime, REDACTED, responseCode, responseCodeDetails } from './access-log-entry.js';
import { responseFlags } from './istio-labels.js';

/** Characters JSON must escape, plus surrogates (a lone one must become a \u escape). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function str(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

function attributes(entries: IterableIterator<[string, string]>, redact: ReadonlySet<string>): string {
  let out = '{';
  let first = true;
  for (const [key, value] of entries) {
    out += `${first ? '' : ','}${str(key)}:${redact.has(key) ? `"${REDACTED}"` : str(value)}`;
    first = false;
  }
  return out + '}';
}

/**
 * One JSON line (without the newline); `redact` lists lower-case attribute keys to hide. Names that
 * come from validated config or the proxy itself (listener, protocol, cluster, addresses, flags) are
 * written without the escape check; what a client sent (attributes, operation) and messages are
 * checked.
 */
export function accessLogJson(request: ActiveRequest, now: number, redact: ReadonlySet<string>): string {
  const message = request.request;
  const response = request.response;
  const kind = request.localReplyKind;
  const details =
    kind === undefined && response !== undefined && response.status !== 'error'
      ? ''
      : responseCodeDetails(request);
  return (
    `{"start_time":"${isoTime(request.startTime)}","duration":${now - request.startTime}` +
    `,"listener":"${request.listenerName}","protocol":"${request.protocol}"` +
    `,"operation":${str(message.operation)},"request_id":${message.requestId}` +
    `,"route_name":${str(request.route?.name ?? '')},"upstream_cluster":"${request.clusterName}"` +
    `,"upstream_host":"${request.upstreamHost}","response_code":${responseCode(request)}` +
    `,"response_flags":"${responseFlags(kind, request)}"` +
    `,"response_code_details":${details === '' ? '""' : str(details)}` +
    `,"bytes_received":${message.bytes.length},"bytes_sent":${request.responseBytes}` +
    `,"downstream_remote_address":"${request.downstreamRemoteAddress}"` +
    `,"downstream_local_address":"${request.downstreamLocalAddress}"` +
    `,"request":${attributes(message.metadata.entries(), redact)}` +
    (response === undefined ? '}' : `,"response":${attributes(response.metadata.entries(), redact)}}`)
  );
}
