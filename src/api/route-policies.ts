/**
 * Per-route traffic policies of a MetaRouter route, in the spirit of Istio's VirtualService HTTP route:
 * `fault` (delay and abort a share of requests) and `retries` (attempts, per-try timeout, retry
 * conditions). Both are extensions of Aeraki's API: the original commented its `fault` field out and has
 * no retries, so YAML without them stays valid. A route without `retries` gets Istio's default (two
 * retries of connect failures, see filters/router/retry-policy.ts); `attempts: 0` turns retries off.
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';

/**
 * Error kinds an injected abort can answer with. Each maps to one of the proxy's local replies, which
 * every codec turns into its protocol's own error (a Thrift TApplicationException, a Dubbo status).
 */
export const FAULT_ERROR_KINDS = [
  /** No endpoint could take the request (the proxy's "no healthy upstream" reply). */
  'unavailable',
  /** Connecting to the endpoint failed. */
  'connect-failure',
  /** The upstream connection broke before the reply. */
  'reset',
  /** No reply in time. */
  'timeout',
  /** A rate limit or circuit breaker said no. */
  'over-limit',
  /** The request is not acceptable. */
  'bad-request',
  /** Anything else. */
  'internal',
] as const;
export type FaultErrorKind = (typeof FAULT_ERROR_KINDS)[number];

/** Istio's `Percent`: a share of requests, 0–100, fractions allowed. */
export interface Percentage {
  readonly value?: number;
}

export interface FaultDelay {
  /** How long to hold a selected request before routing it, e.g. `"200ms"`. */
  readonly fixedDelay: string;
  /** Share of requests delayed; absent = all of them. */
  readonly percentage?: Percentage;
}

export interface FaultAbort {
  /** Share of requests aborted; absent = all of them. */
  readonly percentage?: Percentage;
  /** The local reply sent instead of forwarding: one of {@link FAULT_ERROR_KINDS}. */
  readonly errorKind: string;
  /** Text of the error reply; absent = one that names the route and the fault. */
  readonly message?: string;
}

/** Faults injected into a route's requests; a delayed request may then also be aborted. */
export interface FaultInjection {
  readonly delay?: FaultDelay;
  readonly abort?: FaultAbort;
}

/**
 * Retry conditions this proxy understands, spelled as Istio's `retryOn` (Envoy `x-envoy-retry-on`).
 * A retry only ever happens while no byte of the reply has come back.
 */
export const RETRY_ON_VALUES = [
  /** The connection to the endpoint could not be opened (the request was never sent). */
  'connect-failure',
  /**
   * The connection closed or broke after the request was sent, or a per-try timeout passed, with no
   * byte of the reply received. The server may have acted on the request: use for idempotent calls.
   */
  'reset',
] as const;
export type RetryOn = (typeof RETRY_ON_VALUES)[number];

/**
 * Istio/Envoy `retryOn` values that need an HTTP status, an HTTP/2 stream or a gRPC status, none of
 * which a MetaProtocol reply has: accepted (Istio YAML stays valid) and ignored, with a warning.
 */
export const RETRY_ON_IGNORED = [
  '5xx',
  'gateway-error',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'reset-before-request',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

/** Retry conditions when `retryOn` is absent: only failures where the request was never sent. */
export const DEFAULT_RETRY_ON = 'connect-failure';

/** Most retries a route may ask for; the retry budget bounds the load they add anyway. */
export const MAX_RETRY_ATTEMPTS = 10;

export interface RetryPolicy {
  /** Retries after the first try (Istio's meaning); 0 = no retry, not even the default ones. */
  readonly attempts: number;
  /** Time allowed to each try, within the route's timeout; absent = only the route timeout. */
  readonly perTryTimeout?: string;
  /** Comma-separated conditions, e.g. `"connect-failure,reset"`; absent = `connect-failure`. */
  readonly retryOn?: string;
}

const percentageSchema = z.strictObject({ value: z.number().optional() });

export const faultInjectionSchema = z.strictObject({
  delay: z.strictObject({ fixedDelay: durationSchema, percentage: percentageSchema.optional() }).optional(),
  abort: z
    .strictObject({
      percentage: percentageSchema.optional(),
      errorKind: z.string(),
      message: z.string().optional(),
    })
    .optional(),
});

export const retryPolicySchema = z.strictObject({
  attempts: z.number().int(),
  perTryTimeout: durationSchema.optional(),
  retryOn: z.string().optional(),
});

/** The tokens of a `retryOn` string, trimmed, empty ones dropped. */
export function retryOnTokens(retryOn: string | undefined): string[] {
  return (retryOn ?? DEFAULT_RETRY_ON)
    .split(',')
    .map(t => t.trim())
    .filter(t => t !== '');
}
