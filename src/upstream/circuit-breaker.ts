import { ENVOY_DEFAULT_CIRCUIT_BREAKERS, type CircuitBreakerLimits } from '../xds/resources.js';
import type { ClusterStats } from './cluster-stats.js';
import type { UpstreamRequest } from './upstream-request.js';

/** One of a cluster's circuit-breaker limits. */
export type BreakerLimit = keyof CircuitBreakerLimits;

/**
 * The part of a cluster's limits that one worker of a proxy with workers may use, so that the
 * workers together never exceed the cluster's limits (see docs/workers.md). Its owner changes
 * `limits` in place as parts move between workers.
 */
export interface BreakerShare {
  readonly limits: CircuitBreakerLimits;
  /**
   * This worker's part of `limit` is in use, while the cluster's limit is larger: ask for more
   * (asynchronously; the answer changes `limits`). Called on the path that decides, so it must not
   * block and should send at most one question at a time.
   */
  short(limit: BreakerLimit): void;
}

/**
 * A cluster's circuit breakers (Envoy `circuit_breakers.thresholds`): limits on the cluster's
 * connections, on requests waiting for a connection, and on requests in flight. The gauges are the
 * cluster's stats (`cxActive`, `rqPendingActive`, `rqActive`), kept by the pools, connections and
 * hosts; this object only compares them with the limits and counts overflows. A refused request gets
 * an `over-limit` local reply naming the breaker. A cluster that sets no limits gets Envoy's defaults
 * (1024 each). In a worker of a proxy with workers, the comparisons are with the worker's
 * {@link BreakerShare} of each limit; the over-limit replies still name the cluster's limits.
 */
export class CircuitBreaker {
  private limits: CircuitBreakerLimits;
  /** This worker's part of the limits, when the proxy has workers. */
  share: BreakerShare | undefined = undefined;

  constructor(
    limits: CircuitBreakerLimits | undefined,
    private readonly stats: ClusterStats,
  ) {
    this.limits = limits ?? ENVOY_DEFAULT_CIRCUIT_BREAKERS;
  }

  /** The limits in force. */
  get current(): CircuitBreakerLimits {
    return this.limits;
  }

  /** Applies new limits (cluster update); requests already admitted stay. */
  setLimits(limits: CircuitBreakerLimits | undefined): void {
    this.limits = limits ?? ENVOY_DEFAULT_CIRCUIT_BREAKERS;
  }

  /**
   * Whether `request` may go to the cluster under `max_requests`. The request is already counted in
   * the active gauge (its host's count went up), unless it is one-way. When refused, the request has
   * been answered.
   */
  admitRequest(request: UpstreamRequest): boolean {
    const limits = this.limits;
    const oneway = request.message.type === 'oneway';
    const active = this.stats.rqActive + (oneway ? 1 : 0);
    const share = this.share;
    if (share === undefined) {
      if (active <= limits.maxRequests) return true;
    } else {
      const mine = share.limits.maxRequests;
      // The last of this worker's part taken: ask for more before a request has to be refused.
      if (active >= mine && mine < limits.maxRequests) share.short('maxRequests');
      if (active <= mine) return true;
    }
    this.stats.rqOverflow++;
    if (!oneway) {
      request.onUpstreamFailure(
        'over-limit',
        `circuit breaker open: ${limits.maxRequests} requests already in flight (max_requests)`,
        false,
      );
    }
    return false;
  }

  /**
   * Whether a pool may open one more connection under `max_connections`. A pool that has none may
   * always open one, as in Envoy, so that requests never wait on a host with no way to be served;
   * every time the limit is reached counts as a connection overflow.
   */
  mayOpenConnection(poolIsEmpty: boolean): boolean {
    const limits = this.limits;
    const share = this.share;
    if (share === undefined) {
      if (this.stats.cxActive < limits.maxConnections) return true;
    } else {
      const mine = share.limits.maxConnections;
      if (this.stats.cxActive + 1 >= mine && mine < limits.maxConnections) share.short('maxConnections');
      if (this.stats.cxActive < mine) return true;
    }
    this.stats.cxOverflow++;
    return poolIsEmpty;
  }

  /**
   * Whether `request` may wait for a connection under `max_pending_requests`: because no more
   * connections may be opened, or (`notReading`) because the pool's connections hold their buffer
   * limit of unsent bytes. When refused, the request has been answered.
   */
  mayWait(request: UpstreamRequest, notReading = false): boolean {
    const limits = this.limits;
    const share = this.share;
    if (share === undefined) {
      if (this.stats.rqPendingActive < limits.maxPendingRequests) return true;
    } else {
      const mine = share.limits.maxPendingRequests;
      if (this.stats.rqPendingActive + 1 >= mine && mine < limits.maxPendingRequests)
        share.short('maxPendingRequests');
      if (this.stats.rqPendingActive < mine) return true;
    }
    this.stats.rqPendingOverflow++;
    if (request.message.type !== 'oneway') {
      const why = notReading
        ? 'the upstream is not reading fast enough'
        : `${limits.maxConnections} connections busy`;
      const limitsNamed = notReading ? 'max_pending_requests' : 'max_connections, max_pending_requests';
      request.onUpstreamFailure(
        'over-limit',
        `circuit breaker open: ${why} and ${limits.maxPendingRequests} requests already waiting (${limitsNamed})`,
        false,
      );
    }
    return false;
  }
}
