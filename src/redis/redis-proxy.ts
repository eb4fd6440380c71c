/**
 * The Redis proxy's data plane: its listeners (Envoy's redis_proxy semantics) and the upstream
 * clusters they use, updated from each snapshot the proxy applies. It shares the proxy's clusters
 * (endpoints, connect timeouts, stats) and handles listeners as the proxy does its own: existing
 * connections survive an update, a listener whose address is busy is rejected alone and bound again
 * with backoff, and a removed listener lets its clients get the replies they are owed.
 */
import type { Logger } from 'pino';
import { ListenerSet, type ListenerRejection } from '../net/listener-set.js';
import type { BackoffPolicy } from '../net/retry-backoff.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import { redisListenerClusterRefs, type RedisListenerResource } from '../xds/redis-resources.js';
import { RedisListenerState } from './listener/listener-state.js';
import { RedisListener, type RedisCommandObserver } from './listener/redis-listener.js';
import { RedisUpstreams } from './upstream/redis-upstreams.js';
import type { ClusterUsage } from './upstream/upstream-cluster.js';

/** A Redis listener of the config in force that does not run as given (same shape as the proxy's). */
export type RedisListenerRejection = ListenerRejection;

export interface RedisProxyOptions {
  readonly bindRetry: BackoffPolicy;
  /** Receives every finished command (the access log); absent = none. */
  readonly accessLog?: RedisCommandObserver;
}

const DRAIN_MS = 5000;

export class RedisProxy {
  readonly upstreams: RedisUpstreams;
  private readonly listenerSet: ListenerSet<RedisListenerResource, RedisListener>;
  /** Listener versions built and bound, and those that failed to (Envoy's listener_manager counters). */
  readonly counters = { created: 0, failed: 0 };

  constructor(
    clusters: ClusterManager,
    private readonly logger: Logger,
    private readonly options: RedisProxyOptions,
  ) {
    this.upstreams = new RedisUpstreams(clusters, logger);
    const counters = this.counters;
    this.listenerSet = new ListenerSet({
      bindRetry: options.bindRetry,
      drainMs: DRAIN_MS,
      logger,
      noun: 'redis listener',
      counters: { onCreated: () => counters.created++, onFailed: () => counters.failed++ },
    });
  }

  /**
   * Awaited before each retry of a failed bind; a rejection counts as another failed attempt. A
   * proxy with workers sets it so that every worker retries in step (see proxy/workers/bind-probe.ts).
   */
  set bindRetryGate(gate: ((listener: RedisListenerResource) => Promise<void>) | undefined) {
    this.listenerSet.bindRetryGate = gate;
  }

  /** Listeners by name. */
  get listenerMap(): ReadonlyMap<string, RedisListener> {
    return this.listenerSet.listeners;
  }

  rejected(): RedisListenerRejection[] {
    return this.listenerSet.rejected();
  }

  /**
   * Runs `resources` (after the proxy applied the clusters): new listeners bind, changed ones swap
   * their state, missing ones drain. Resolves once every new listener bound or failed to.
   */
  async apply(resources: readonly RedisListenerResource[]): Promise<void> {
    this.upstreams.apply(clusterUsage(resources));
    const wanted = new Map(resources.map(r => [r.name, r]));
    this.listenerSet.retain(wanted);
    const binding: Promise<void>[] = [];
    for (const [name, resource] of wanted) {
      const state = new RedisListenerState(resource);
      const existing = this.listenerSet.listeners.get(name);
      if (existing !== undefined && sameAddress(existing.state.resource, resource)) {
        existing.update(state, this.options.accessLog);
        continue;
      }
      const pending = this.listenerSet.pending(name);
      if (pending !== undefined && sameAddress(pending.state.resource, resource)) {
        pending.update(state, this.options.accessLog);
        continue;
      }
      const listener = new RedisListener(state, this.upstreams, this.logger, this.options.accessLog);
      binding.push(this.listenerSet.bind(name, listener, existing));
    }
    await Promise.all(binding);
  }

  /** Stops every listener (letting clients get their replies) and closes upstream connections. */
  async close(graceMs = DRAIN_MS): Promise<void> {
    await this.listenerSet.close(graceMs);
    this.upstreams.close();
  }
}

function sameAddress(a: RedisListenerResource, b: RedisListenerResource): boolean {
  return a.address === b.address && a.port === b.port;
}

/**
 * How the listeners use each cluster: batching from the first listener (by name) that routes to it,
 * READONLY connections when any reads from replicas, the largest allowance of unknown servers.
 */
function clusterUsage(resources: readonly RedisListenerResource[]): Map<string, ClusterUsage> {
  const usage = new Map<string, ClusterUsage>();
  for (const resource of [...resources].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const s = resource.settings;
    for (const cluster of redisListenerClusterRefs(resource)) {
      const before = usage.get(cluster);
      usage.set(cluster, {
        flushBytes: before?.flushBytes ?? s.maxBufferSizeBeforeFlush,
        flushTimeoutMs: before?.flushTimeoutMs ?? s.bufferFlushTimeoutMs,
        maxUnknownNodes: Math.max(before?.maxUnknownNodes ?? 0, s.maxUpstreamUnknownConnections),
        readOnly: (before?.readOnly ?? false) || s.readPolicy !== 'MASTER',
      });
    }
  }
  return usage;
}
