import type { ClusterStats } from './cluster-stats.js';
import type { RequestHolder, UpstreamRequest } from './upstream-request.js';

/**
 * A pool's requests waiting for a connection (Envoy's pending requests), in arrival order. While a
 * request waits here, this queue is its holder: a timeout or its client going away takes it out.
 * Counted in the cluster's `rqPendingTotal` and `rqPendingActive`.
 */
export class PendingRequests implements RequestHolder {
  private readonly queue: UpstreamRequest[] = [];

  constructor(private readonly stats: ClusterStats) {}

  /** Requests waiting now. */
  get length(): number {
    return this.queue.length;
  }

  /** A waiting request has not been sent: no reply can have started. */
  get responseInProgress(): boolean {
    return false;
  }

  /** Appends `request`. */
  push(request: UpstreamRequest): void {
    this.stats.rqPendingTotal++;
    this.stats.rqPendingActive++;
    request.upstream = this;
    this.queue.push(request);
  }

  /** Takes out the request that waited longest, or `undefined`. */
  shift(): UpstreamRequest | undefined {
    const next = this.queue.shift();
    if (next !== undefined) {
      this.stats.rqPendingActive--;
      next.upstream = undefined;
    }
    return next;
  }

  cancel(request: UpstreamRequest): void {
    const i = this.queue.indexOf(request);
    if (i < 0) return;
    this.queue.splice(i, 1);
    this.stats.rqPendingActive--;
    request.upstream = undefined;
  }

  timeOut(request: UpstreamRequest): void {
    // Still waiting: the request never reached the host, which is not at fault.
    this.cancel(request);
  }
}
