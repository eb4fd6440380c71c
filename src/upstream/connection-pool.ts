import type { UpstreamRequest } from './upstream-request.js';

/**
 * Connections to one host for one protocol. Two kinds exist:
 * - multiplexed: a few long-lived connections shared by every downstream connection, requests told
 *   apart by request id (rewritten per upstream connection so that clients never collide);
 * - exclusive: one request in flight per connection, idle connections reused.
 */
export interface ConnectionPool {
  /** Sends `request` on a pooled connection; failures come back through the request's callbacks. */
  send(request: UpstreamRequest): void;
  /** Stops taking requests; connections close once their in-flight requests finish. */
  drain(): void;
  /** Connections open or opening. */
  readonly size: number;
}
