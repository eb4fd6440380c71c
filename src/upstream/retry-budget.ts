import type { Host } from './host.js';

/** Retries a cluster always allows in flight, however few requests are active (Envoy's default). */
export const MIN_RETRY_CONCURRENCY = 3;

/** Share of a cluster's active requests that may be retries in flight, in percent (Envoy's default). */
export const RETRY_BUDGET_PERCENT = 20;

/**
 * Envoy's retry budget for one cluster: retries in flight stay at or below
 * max(MIN_RETRY_CONCURRENCY, RETRY_BUDGET_PERCENT % of the active requests), so that when a cluster
 * fails wholesale, retries add at most a fifth to its load instead of multiplying it by the attempts.
 */
export class RetryBudget {
  /** Retries sent and not finished. */
  inFlight = 0;

  constructor(
    private readonly minConcurrency = MIN_RETRY_CONCURRENCY,
    private readonly percent = RETRY_BUDGET_PERCENT,
  ) {}

  /** Takes a slot for one retry if the budget allows it with `activeRequests` active; else false. */
  tryAcquire(activeRequests: number): boolean {
    const allowed = Math.max(this.minConcurrency, Math.floor((activeRequests * this.percent) / 100));
    if (this.inFlight >= allowed) return false;
    this.inFlight++;
    return true;
  }

  /** Gives back the slot of a retry that finished (answered, failed, timed out or abandoned). */
  release(): void {
    if (this.inFlight > 0) this.inFlight--;
  }
}

/** Requests in flight to `hosts`; read only when a retry is considered, never per request. */
export function activeRequestsOf(hosts: readonly Host[]): number {
  let sum = 0;
  for (let i = 0; i < hosts.length; i++) sum += hosts[i]!.activeRequests;
  return sum;
}
