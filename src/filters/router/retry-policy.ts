import type { LocalReplyKind } from '../../codec/index.js';
import type { RetryPolicyResource } from '../../xds/resources.js';

/**
 * A route's retry policy, ready to answer "may this failed try be retried?". Only failures where no
 * byte of the reply came back qualify: the connection could not be opened (`connect-failure`), or it
 * broke, or the per-try timeout passed, after the request was sent (`reset`, which Envoy also uses for
 * per-try timeouts). Error replies are never retried: the server answered.
 */
export class CompiledRetryPolicy {
  /** Retries after the first try. */
  readonly attempts: number;
  /** Time allowed to each try; 0 = none (only the route timeout). */
  readonly perTryTimeoutMs: number;
  /** Whether each retry needs a slot of the cluster's retry budget. */
  readonly budgeted: boolean;
  private readonly onConnectFailure: boolean;
  private readonly onReset: boolean;

  constructor(resource: RetryPolicyResource, budgeted = true) {
    this.attempts = resource.attempts;
    this.budgeted = budgeted;
    this.perTryTimeoutMs = resource.perTryTimeoutMs ?? 0;
    this.onConnectFailure = resource.retryOn.includes('connect-failure');
    this.onReset = resource.retryOn.includes('reset');
  }

  /**
   * Whether a try that failed with `kind` may be retried (attempts and budget aside).
   * `responseStarted`: part of a reply had arrived, so the server acted and a retry could duplicate it.
   * A per-try timeout is reported as `timeout`.
   */
  retriable(kind: LocalReplyKind, responseStarted: boolean): boolean {
    if (responseStarted) return false;
    switch (kind) {
      case 'connect-failure':
        return this.onConnectFailure;
      case 'upstream-reset':
      case 'timeout':
        return this.onReset;
      default:
        return false;
    }
  }
}

/**
 * The retries of a route that has no retry policy, as Istio gives every route without `retries`:
 * 2 retries, on `connect-failure` (Istio's default also names `refused-stream`, `unavailable`,
 * `cancelled` and 503, which only HTTP/2 and gRPC have), preferring another endpoint. A route sets
 * `attempts: 0` to have none. Only requests that never left the proxy are retried, so the retries
 * add no load to any upstream; they are not held to the retry budget, just as Istio's clusters allow
 * 2^32 − 1 retries in flight unless told otherwise.
 */
export const DEFAULT_RETRY_POLICY = new CompiledRetryPolicy(
  { attempts: 2, retryOn: ['connect-failure'] },
  false,
);
