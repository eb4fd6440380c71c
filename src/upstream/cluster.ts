import type { CodecFactory } from '../codec/index.js';
import type { ClusterResource, EndpointResource } from '../xds/resources.js';
import { ClusterStats } from './cluster-stats.js';
import type { ConnectionPool } from './connection-pool.js';
import { ExclusivePool } from './exclusive-pool.js';
import { Host, drainHostPools } from './host.js';
import { createLoadBalancer, type LoadBalancer } from './load-balancer.js';
import { MultiplexedPool } from './multiplexed-pool.js';
import { RetryBudget } from './retry-budget.js';

/**
 * An upstream cluster: its hosts, its load balancer, and a connection pool per host and protocol.
 * Settings and endpoints can be replaced while requests are in flight: hosts that stay keep their
 * pools and connections.
 */
export class Cluster {
  readonly name: string;
  readonly stats = new ClusterStats();
  /** Bounds the retries in flight to this cluster's endpoints. */
  readonly retryBudget = new RetryBudget();
  private resource: ClusterResource;
  private hostList: Host[] = [];
  private balancer: LoadBalancer;

  constructor(resource: ClusterResource, endpoints: readonly EndpointResource[]) {
    this.name = resource.name;
    this.resource = resource;
    this.balancer = createLoadBalancer(resource.lbPolicy, []);
    this.setEndpoints(endpoints);
  }

  get settings(): ClusterResource {
    return this.resource;
  }

  get hosts(): readonly Host[] {
    return this.hostList;
  }

  /** Applies new settings. Pools keep their connections; new connections use the new settings. */
  update(resource: ClusterResource, endpoints: readonly EndpointResource[]): void {
    const poolSettingsChanged =
      resource.connectTimeoutMs !== this.resource.connectTimeoutMs ||
      resource.idleTimeoutMs !== this.resource.idleTimeoutMs ||
      resource.maxConnectionsPerEndpoint !== this.resource.maxConnectionsPerEndpoint ||
      resource.multiplexedConnections !== this.resource.multiplexedConnections ||
      resource.heartbeatIntervalMs !== this.resource.heartbeatIntervalMs;
    this.resource = resource;
    if (poolSettingsChanged) for (const host of this.hostList) drainHostPools(host);
    this.setEndpoints(endpoints);
  }

  /** A host for one request, or `undefined` when the cluster has none. */
  chooseHost(hashKey: number | undefined): Host | undefined {
    return this.balancer.choose(hashKey);
  }

  /** The pool for `host` speaking `codec`; multiplexed when asked and the codec has request ids. */
  pool(host: Host, codec: CodecFactory, multiplexing: boolean): ConnectionPool {
    const multiplexed = multiplexing && codec.capabilities.requestIds;
    const pools = multiplexed ? host.multiplexedPools : host.exclusivePools;
    let pool = pools.get(codec);
    if (pool === undefined) {
      const { connectTimeoutMs, idleTimeoutMs, heartbeatIntervalMs } = this.resource;
      pool = multiplexed
        ? new MultiplexedPool(
            host,
            codec,
            {
              connections: this.resource.multiplexedConnections,
              connectTimeoutMs,
              idleTimeoutMs,
              heartbeatIntervalMs,
            },
            this.stats,
          )
        : new ExclusivePool(
            host,
            codec,
            {
              maxConnections: this.resource.maxConnectionsPerEndpoint,
              connectTimeoutMs,
              idleTimeoutMs,
              heartbeatIntervalMs,
            },
            this.stats,
          );
      pools.set(codec, pool);
    }
    return pool;
  }

  /** Stops using every pool; connections close when their requests finish. */
  drain(): void {
    for (const host of this.hostList) drainHostPools(host);
  }

  private setEndpoints(endpoints: readonly EndpointResource[]): void {
    const old = new Map(this.hostList.map(h => [h.key, h]));
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
        next.push(new Host(endpoint));
      }
    }
    this.hostList = next;
    this.balancer = createLoadBalancer(this.resource.lbPolicy, next);
    for (const host of old.values()) drainHostPools(host);
  }
}

function sameLabels(host: Host, endpoint: EndpointResource): boolean {
  const a = Object.entries(host.labels);
  const b = endpoint.labels;
  return a.length === Object.keys(b).length && a.every(([k, v]) => b[k] === v);
}
