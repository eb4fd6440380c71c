import type { BreakerShare } from './circuit-breaker.js';
import type { ClusterStats } from './cluster-stats.js';

/**
 * How the clusters of one worker of a proxy with workers keep per-proxy semantics with the other
 * workers: each cluster's circuit breakers compare with this worker's share of the limits, and an
 * ejection this worker's outlier detection makes is passed on so that every worker ejects the host.
 * A proxy of one process has none.
 */
export interface ClusterPeers {
  /**
   * This worker's share of cluster `cluster`'s limits, compared with the gauges in `stats` (the
   * cluster's); `undefined` = the whole limits.
   */
  breakerShare(cluster: string, stats: ClusterStats): BreakerShare | undefined;
  /** This worker ejected host `host` (`address:port`) of `cluster` until `untilMs`. */
  hostEjected(cluster: string, host: string, untilMs: number, multiplier: number): void;
}
