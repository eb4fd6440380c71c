import {
  ENVOY_DEFAULT_BUFFER_LIMIT_BYTES,
  type ClusterResource,
  type EndpointAssignmentResource,
} from '../xds/resources.js';
import { Cluster } from './cluster.js';
import type { ClusterPeers } from './cluster-peers.js';

/** All clusters of a proxy, by name. Updated as a whole from a snapshot. */
export class ClusterManager {
  private readonly clusters = new Map<string, Cluster>();
  /**
   * The cluster found last and its name: requests in a row mostly go to the same cluster, and a
   * string comparison (the route's own string, as a rule) costs less than a map look-up.
   */
  private lastName: string | undefined = undefined;
  private lastCluster: Cluster | undefined = undefined;
  private peers: ClusterPeers | undefined;

  /** @param defaultBufferLimitBytes see {@link Cluster}: for clusters that set no buffer limit */
  constructor(private readonly defaultBufferLimitBytes = ENVOY_DEFAULT_BUFFER_LIMIT_BYTES) {}

  /** The cluster named `name`, or `undefined`. */
  get(name: string): Cluster | undefined {
    if (name === this.lastName) return this.lastCluster;
    const cluster = this.clusters.get(name);
    this.lastName = name;
    this.lastCluster = cluster;
    return cluster;
  }

  /** Every cluster. */
  all(): IterableIterator<Cluster> {
    return this.clusters.values();
  }

  /**
   * Makes every cluster, present and future, keep per-proxy limits and ejections with the other
   * workers of the proxy (a worker process calls it once, before its first snapshot).
   */
  setPeers(peers: ClusterPeers | undefined): void {
    this.peers = peers;
    for (const cluster of this.clusters.values()) cluster.setPeers(peers);
  }

  /**
   * Makes the cluster set equal to `clusters`: new ones are created, existing ones updated in place
   * (their pools survive), missing ones drained and dropped.
   */
  apply(clusters: readonly ClusterResource[], assignments: readonly EndpointAssignmentResource[]): void {
    this.forgetLast();
    const endpointsByCluster = new Map(assignments.map(a => [a.clusterName, a.endpoints]));
    const wanted = new Set<string>();
    for (const resource of clusters) {
      wanted.add(resource.name);
      const endpoints = endpointsByCluster.get(resource.name) ?? [];
      const existing = this.clusters.get(resource.name);
      if (existing === undefined) {
        const cluster = new Cluster(resource, endpoints, this.defaultBufferLimitBytes);
        if (this.peers !== undefined) cluster.setPeers(this.peers);
        this.clusters.set(resource.name, cluster);
      } else existing.update(resource, endpoints);
    }
    for (const [name, cluster] of this.clusters) {
      if (wanted.has(name)) continue;
      cluster.drain();
      this.clusters.delete(name);
    }
  }

  /** Drains every cluster (shutdown). */
  drainAll(): void {
    this.forgetLast();
    for (const cluster of this.clusters.values()) cluster.drain();
    this.clusters.clear();
  }

  private forgetLast(): void {
    this.lastName = undefined;
    this.lastCluster = undefined;
  }
}
