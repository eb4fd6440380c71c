/**
 * The upstream clusters Redis listeners use, by name, kept in step with the proxy's clusters: each
 * is a {@link ProxyModeCluster} or a {@link ClusterModeCluster} as its Redis options say, made when a
 * listener first needs it and updated in place (connections kept) when its config changes.
 */
import type { Logger } from 'pino';
import type { ClusterManager } from '../../upstream/cluster-manager.js';
import { ClusterModeCluster } from './cluster-mode.js';
import { ProxyModeCluster, type ClusterUsage, type RedisUpstreamCluster } from './upstream-cluster.js';

export class RedisUpstreams {
  private readonly clusters = new Map<string, RedisUpstreamCluster>();
  private usage = new Map<string, ClusterUsage>();
  /** Bumped whenever a cluster is made, replaced or removed: routes re-resolve their clusters then. */
  generation = 0;

  constructor(
    private readonly clusterManager: ClusterManager,
    private readonly logger: Logger,
  ) {}

  /** The cluster named `name`, or `undefined` when the proxy has no such cluster. */
  get(name: string): RedisUpstreamCluster | undefined {
    const existing = this.clusters.get(name);
    if (existing !== undefined) return existing;
    const cluster = this.clusterManager.get(name);
    if (cluster === undefined) return undefined;
    const options = cluster.settings.redis;
    const made =
      options?.mode === 'cluster'
        ? new ClusterModeCluster(name, cluster, options, this.logger)
        : new ProxyModeCluster(name, cluster, options, this.logger);
    made.update(cluster, options, this.usage.get(name));
    this.clusters.set(name, made);
    this.generation++;
    return made;
  }

  /** Every cluster made so far. */
  all(): IterableIterator<RedisUpstreamCluster> {
    return this.clusters.values();
  }

  /**
   * Brings the clusters in line with the proxy's (after it applied a snapshot) and with how the
   * listeners use them now.
   */
  apply(usage: ReadonlyMap<string, ClusterUsage>): void {
    this.usage = new Map(usage);
    for (const [name, redis] of this.clusters) {
      const cluster = this.clusterManager.get(name);
      const options = cluster?.settings.redis;
      if (cluster === undefined || (options?.mode ?? 'proxy') !== redis.mode) {
        redis.close();
        this.clusters.delete(name);
        this.generation++;
        continue;
      }
      redis.update(cluster, options, this.usage.get(name));
    }
  }

  close(): void {
    for (const redis of this.clusters.values()) redis.close();
    this.clusters.clear();
    this.generation++;
  }
}
