import type { EndpointResource } from '../xds/resources.js';
import { ClusterStats } from './cluster-stats.js';
import type { ConnectionPool } from './connection-pool.js';
import type { OutlierDetector, RequestOutcome } from './outlier-detector.js';
import type { UpstreamCodec } from './upstream-codec.js';

/** One endpoint of a cluster as the load balancer sees it. */
export class Host {
  /** `address:port`, the identity of the endpoint. */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly weight: number;
  /** Whether the host may receive requests; false while outlier detection has it ejected. */
  healthy = true;
  /**
   * This host's pools by codec and settings, one map per pool kind. Keyed by the UpstreamCodec
   * object, so the lookup on every request hashes no string.
   */
  readonly multiplexedPools = new Map<UpstreamCodec, ConnectionPool>();
  readonly exclusivePools = new Map<UpstreamCodec, ConnectionPool>();

  /** The cluster's outlier detector, when it runs one; set by the cluster. */
  detector: OutlierDetector | undefined = undefined;
  /** Failures of any kind in a row (outlier detection). */
  consecutiveErrors = 0;
  /** Connect failures, timeouts and resets in a row (outlier detection). */
  consecutiveGatewayErrors = 0;
  /** When the current ejection ends (ms since the epoch), or 0 when the host is not ejected. */
  ejectedUntil = 0;
  /** Whether this process's detector made the current ejection (not another worker's). */
  ejectedHere = false;
  /** Ejections that still lengthen the next one; one is forgiven per interval spent healthy. */
  ejectionMultiplier = 0;
  /** Ejections of this host since it joined the cluster. */
  ejectionsTotal = 0;

  private active = 0;

  /** `stats` are the owning cluster's: its active-request gauge follows this host's. */
  constructor(
    endpoint: EndpointResource,
    private readonly stats: ClusterStats = new ClusterStats(),
  ) {
    this.address = endpoint.address;
    this.port = endpoint.port;
    this.labels = endpoint.labels;
    this.weight = endpoint.weight > 0 ? endpoint.weight : 1;
    this.key = `${endpoint.address}:${endpoint.port}`;
  }

  /**
   * Requests sent to this host and not finished; least-request balancing reads it. Every change also
   * moves the cluster's `rqActive` gauge (the `max_requests` circuit breaker), so any code path that
   * counts a request on a host counts it on the cluster too.
   */
  get activeRequests(): number {
    return this.active;
  }

  set activeRequests(value: number) {
    this.stats.rqActive += value - this.active;
    this.active = value;
  }

  /** Tells outlier detection how one request to this host ended; a no-op when the cluster runs none. */
  recordOutcome(outcome: RequestOutcome): void {
    const detector = this.detector;
    if (detector !== undefined) detector.record(this, outcome);
  }
}

/** Drains and forgets every pool of `host`. */
export function drainHostPools(host: Host): void {
  for (const pool of host.multiplexedPools.values()) pool.drain();
  for (const pool of host.exclusivePools.values()) pool.drain();
  host.multiplexedPools.clear();
  host.exclusivePools.clear();
}
