/**
 * What happened to one request, from decode to its end: the common record behind `aeraki tap` (and
 * the place access logs and metrics read from). Built only when someone observes the listener, so an
 * unobserved request pays nothing for it.
 */
import type { LocalReplyKind, RequestId, ResponseStatus } from '../codec/index.js';
import type { ActiveRequest } from './active-request.js';

/** How a request ended. */
export type RequestOutcome =
  /** The upstream's reply went back to the client. */
  | 'response'
  /** The proxy answered itself (no route, timeout, rate limited, …): see `localReply`. */
  | 'local-reply'
  /** A one-way request was forwarded; nothing comes back. */
  | 'oneway'
  /** The client went away (or sent bad bytes) before the request was answered. */
  | 'abandoned';

export interface RequestRecord {
  /** ISO 8601 time the request was decoded. */
  readonly startTime: string;
  readonly durationMs: number;
  readonly listener: string;
  readonly protocol: string;
  /** The client's request id; see {@link jsonRequestId}. */
  readonly requestId: number | string;
  /** `Service/method` or the codec's operation name; empty if the codec has none. */
  readonly operation: string;
  /** The request's attributes as the codec decoded them (before mutations). */
  readonly request: Readonly<Record<string, string>>;
  readonly requestBytes: number;
  /** The route that matched, the cluster and the endpoint the request went to ('' when none). */
  readonly route: string;
  readonly cluster: string;
  readonly upstreamHost: string;
  readonly outcome: RequestOutcome;
  /** For `response`: whether the reply reports success, its attributes and size. */
  readonly responseStatus?: ResponseStatus;
  readonly response?: Readonly<Record<string, string>>;
  readonly responseBytes?: number;
  /** For `local-reply`: why, and the message the client got. */
  readonly localReply?: { readonly kind: LocalReplyKind; readonly message: string };
}

/** The record of a request that has just finished. */
export function recordOf(request: ActiveRequest, now: number): RequestRecord {
  const message = request.request;
  const response = request.response;
  const kind = request.localReplyKind;
  const base = {
    startTime: new Date(request.startTime).toISOString(),
    durationMs: now - request.startTime,
    listener: request.listenerName,
    protocol: request.protocol,
    requestId: jsonRequestId(message.requestId),
    operation: message.operation,
    request: message.metadata.toJSON(),
    requestBytes: message.bytes.length,
    route: request.route?.name ?? '',
    cluster: request.clusterName,
    upstreamHost: request.upstreamHost,
  };
  if (kind !== undefined) {
    return { ...base, outcome: 'local-reply', localReply: { kind, message: request.localReplyMessage } };
  }
  if (response !== undefined) {
    return {
      ...base,
      outcome: 'response',
      responseStatus: response.status,
      response: response.metadata.toJSON(),
      responseBytes: response.bytes.length,
    };
  }
  return { ...base, outcome: message.type === 'oneway' ? 'oneway' : 'abandoned' };
}

/**
 * A request id as JSON carries it: a number, or for a bigint id (beyond 2^53 − 1 either side of 0)
 * the string of its digits, which JSON readers would otherwise round.
 */
export function jsonRequestId(id: RequestId): number | string {
  return typeof id === 'number' ? id : id.toString();
}
