import {
  ENVOY_DEFAULT_BUFFER_LIMIT_BYTES,
  type ClusterResource,
  type EndpointResource,
} from '../xds/resources.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { ClusterPeers } from './cluster-peers.js';
import { ClusterStats } from './cluster-stats.js';
import type { ConnectionPool } from './connection-pool.js';
import { ExclusivePool } from './exclusive-pool.js';
import { HostSet } from './host-set.js';
import { Host, drainHostPools } from './host.js';
import { createLoadBalancer, type LoadBalancer } from './load-balancer.js';
import { MultiplexedPool } from './multiplexed-pool.js';
import { OutlierDetector, type HealthListener } from './outlier-detector.js';
import { RetryBudget } from './retry-budget.js';
import type { UpstreamCodec } from './upstream-codec.js';

/**
 * An upstream cluster: its hosts, its load balancer, its circuit breakers and outlier detection, and
 * a connection pool per host and protocol. Settings and endpoints can be replaced while requests are
 * in flight: hosts that stay keep their pools, connections and outlier state.
 */
export class Cluster implements HealthListener {
  readonly name: string;
  readonly stats = new ClusterStats();
  /** Bounds the retries in flight to this cluster's endpoints. */
  readonly retryBudget = new RetryBudget();
  readonly breaker: CircuitBreaker;
  private resource: ClusterResource;
  private hostSet: HostSet;
  private balancer: LoadBalancer;
  private detector: OutlierDetector | undefined;
  private peers: ClusterPeers | undefined;

  /**
   * @param defaultBufferLimitBytes unsent bytes an upstream connection may hold when the resource sets
   *   no `perConnectionBufferLimitBytes`
   */
  constructor(
    resource: ClusterResource,
    endpoints: readonly EndpointResource[],
    private readonly defaultBufferLimitBytes = ENVOY_DEFAULT_BUFFER_LIMIT_BYTES,
  ) {
    this.name = resource.name;
    this.resource = resource;
    this.breaker = new CircuitBreaker(resource.circuitBreakers, this.stats);
    this.hostSet = new HostSet([]);
    this.balancer = createLoadBalancer(resource.lbPolicy, this.hostSet);
    this.configureOutlierDetection();
    this.setEndpoints(endpoints);
  }

  get settings(): ClusterResource {
    return this.resource;
  }

  get hosts(): readonly Host[] {
    return this.hostSet.all;
  }

  /** Whether too few hosts are healthy, so ejected ones are used too. */
  get panic(): boolean {
    return this.hostSet.panic;
  }

  /**
   * Shares this cluster's limits and ejections with the other workers of the proxy (see
   * {@link ClusterPeers}); `undefined` = this process is the whole proxy.
   */
  setPeers(peers: ClusterPeers | undefined): void {
    this.peers = peers;
    this.breaker.share = peers?.breakerShare(this.name, this.stats);
    if (this.detector !== undefined) this.detector.onEjected = this.ejectionListener();
  }

  /** Host outlier detection ejected in another worker of the proxy; see {@link OutlierDetector.ejectedElsewhere}. */
  hostEjectedElsewhere(host: string, untilMs: number, multiplier: number): void {
    this.detector?.ejectedElsewhere(host, untilMs, multiplier);
  }

  /** Applies new settings. Pools keep their connections; new connections use the new settings. */
  update(resource: ClusterResource, endpoints: readonly EndpointResource[]): void {
    const poolSettingsChanged =
      resource.connectTimeoutMs !== this.resource.connectTimeoutMs ||
      resource.idleTimeoutMs !== this.resource.idleTimeoutMs ||
      resource.maxConnectionsPerEndpoint !== this.resource.maxConnectionsPerEndpoint ||
      resource.multiplexedConnections !== this.resource.multiplexedConnections ||
      resource.heartbeatIntervalMs !== this.resource.heartbeatIntervalMs ||
      resource.maxRequestsPerConnection !== this.resource.maxRequestsPerConnection ||
      resource.perConnectionBufferLimitBytes !== this.resource.perConnectionBufferLimitBytes;
    this.resource = resource;
    this.breaker.setLimits(resource.circuitBreakers);
    if (poolSettingsChanged) for (const host of this.hostSet.all) drainHostPools(host);
    this.configureOutlierDetection();
    this.setEndpoints(endpoints);
  }

  /** A host for one request, or `undefined` when the cluster has no usable one. */
  chooseHost(hashKey: number | undefined): Host | undefined {
    return this.balancer.choose(hashKey);
  }

  /** The pool for `host` speaking `codec`; multiplexed when asked and the codec has request ids. */
  pool(host: Host, codec: UpstreamCodec, multiplexing: boolean): ConnectionPool {
    const multiplexed = multiplexing && codec.factory.capabilities.requestIds;
    const pools = multiplexed ? host.multiplexedPools : host.exclusivePools;
    let pool = pools.get(codec);
    if (pool === undefined) {
      const { connectTimeoutMs, idleTimeoutMs, heartbeatIntervalMs } = this.resource;
      const maxRequestsPerConnection = this.resource.maxRequestsPerConnection ?? 0;
      pool = multiplexed
        ? new MultiplexedPool(
            host,
            codec,
            {
              connections: this.resource.multiplexedConnections,
              connectTimeoutMs,
              idleTimeoutMs,
              heartbeatIntervalMs,
              maxRequestsPerConnection,
              bufferLimitBytes: this.resource.perConnectionBufferLimitBytes ?? this.defaultBufferLimitBytes,
            },
            this.stats,
            this.breaker,
          )
        : new ExclusivePool(
            host,
            codec,
            {
              maxConnections: this.resource.maxConnectionsPerEndpoint,
              connectTimeoutMs,
              idleTimeoutMs,
              heartbeatIntervalMs,
              maxRequestsPerConnection,
            },
            this.stats,
            this.breaker,
          );
      pools.set(codec, pool);
    }
    return pool;
  }

  /** Stops using every pool; connections close when their requests finish. */
  drain(): void {
    this.detector?.stop();
    for (const host of this.hostSet.all) drainHostPools(host);
  }

  /** @internal Outlier detection ejected or took back a host. */
  onHostHealthChanged(): void {
    this.hostSet.refresh();
    this.balancer.onHealthChanged?.();
  }

  private configureOutlierDetection(): void {
    const settings = this.resource.outlierDetection;
    if (settings === undefined) {
      this.detector?.detach();
      this.detector = undefined;
      this.hostSet.setPanicThreshold(0);
      this.balancer.onHealthChanged?.();
      return;
    }
    if (this.detector === undefined) {
      this.detector = new OutlierDetector(settings, this.stats, this);
      this.detector.onEjected = this.ejectionListener();
      this.detector.start();
    } else {
      this.detector.update(settings);
    }
  }

  private ejectionListener(): OutlierDetector['onEjected'] {
    const peers = this.peers;
    if (peers === undefined) return undefined;
    const name = this.name;
    return (host, untilMs, multiplier) => peers.hostEjected(name, host.key, untilMs, multiplier);
  }

  private setEndpoints(endpoints: readonly EndpointResource[]): void {
    const old = new Map(this.hostSet.all.map(h => [h.key, h]));
    const next: Host[] = [];
    for (const endpoint of endpoints) {
      const key = `${endpoint.address}:${endpoint.port}`;
      const existing = old.get(key);
      if (
        existing !== undefined &&
        sameLabels(existing, endpoint) &&
        existing.weight === (endpoint.weight || 1)
      ) {
        next.push(existing);
        old.delete(key);
      } else {
        next.push(new Host(endpoint, this.stats));
      }
    }
    this.detector?.setHosts(next);
    this.hostSet = new HostSet(next, this.resource.outlierDetection?.minHealthPercent ?? 0);
    this.balancer = createLoadBalancer(this.resource.lbPolicy, this.hostSet);
    for (const host of old.values()) {
      host.detector = undefined;
      drainHostPools(host);
    }
  }
}

function sameLabels(host: Host, endpoint: EndpointResource): boolean {
  const a = Object.entries(host.labels);
  const b = endpoint.labels;
  return a.length === Object.keys(b).length && a.every(([k, v]) => b[k] === v);
}
