/**
 * The Redis proxy's data plane: its listeners (Envoy's redis_proxy semantics) and the upstream
 * clusters they use, updated from each snapshot the proxy applies. It shares the proxy's clusters
 * (endpoints, connect timeouts, stats) and handles listeners as the proxy does its own: existing
 * connections survive an update, a listener whose address is busy is rejected alone and bound again
 * with backoff, and a removed listener lets its clients get the replies they are owed.
 */
import type { Logger } from 'pino';
import { AerakiError, ErrorCodes, type ErrorCode } from '../errors.js';
import { RetryBackoff, type BackoffPolicy } from '../net/retry-backoff.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import { redisListenerClusterRefs, type RedisListenerResource } from '../xds/redis-resources.js';
import { RedisListenerState } from './listener/listener-state.js';
import { RedisListener, type RedisCommandObserver } from './listener/redis-listener.js';
import { RedisUpstreams } from './upstream/redis-upstreams.js';
import type { ClusterUsage } from './upstream/upstream-cluster.js';

/** A Redis listener of the config in force that does not run as given (same shape as the proxy's). */
export interface RedisListenerRejection {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly code: ErrorCode;
  readonly reason: string;
  readonly since: string;
  readonly serving: 'previous' | 'none';
  readonly retryAt?: string;
  readonly bindFailures?: number;
}

export interface RedisProxyOptions {
  readonly bindRetry: BackoffPolicy;
  /** Receives every finished command (the access log); absent = none. */
  readonly accessLog?: RedisCommandObserver;
}

interface PendingBind {
  readonly listener: RedisListener;
  readonly previous: RedisListener | undefined;
  readonly backoff: RetryBackoff;
  timer: NodeJS.Timeout | undefined;
  retryAt: number;
  cancelled: boolean;
}

const DRAIN_MS = 5000;

export class RedisProxy {
  readonly upstreams: RedisUpstreams;
  private readonly listeners = new Map<string, RedisListener>();
  private readonly rejections = new Map<string, RedisListenerRejection>();
  private readonly pendingBinds = new Map<string, PendingBind>();
  /** Listener versions built and bound, and those that failed to (Envoy's listener_manager counters). */
  readonly counters = { created: 0, failed: 0 };
  /**
   * Awaited before each retry of a failed bind; a rejection counts as another failed attempt. A
   * proxy with workers sets it so that every worker retries in step (see proxy/workers/bind-probe.ts).
   */
  bindRetryGate: ((listener: RedisListenerResource) => Promise<void>) | undefined = undefined;

  constructor(
    clusters: ClusterManager,
    private readonly logger: Logger,
    private readonly options: RedisProxyOptions,
  ) {
    this.upstreams = new RedisUpstreams(clusters, logger);
  }

  /** Listeners by name. */
  get listenerMap(): ReadonlyMap<string, RedisListener> {
    return this.listeners;
  }

  rejected(): RedisListenerRejection[] {
    return [...this.rejections.values()].map(r => {
      const pending = this.pendingBinds.get(r.name);
      return pending === undefined
        ? r
        : { ...r, retryAt: new Date(pending.retryAt).toISOString(), bindFailures: pending.backoff.attempts };
    });
  }

  /**
   * Runs `resources` (after the proxy applied the clusters): new listeners bind, changed ones swap
   * their state, missing ones drain. Resolves once every new listener bound or failed to.
   */
  async apply(resources: readonly RedisListenerResource[]): Promise<void> {
    this.upstreams.apply(clusterUsage(resources));
    const wanted = new Map(resources.map(r => [r.name, r]));
    for (const [name, listener] of this.listeners) {
      if (wanted.has(name)) continue;
      this.listeners.delete(name);
      void listener.drain(DRAIN_MS);
    }
    for (const name of [...this.pendingBinds.keys()]) if (!wanted.has(name)) this.cancelBind(name);
    for (const name of [...this.rejections.keys()]) if (!wanted.has(name)) this.rejections.delete(name);
    const binding: Promise<void>[] = [];
    for (const [name, resource] of wanted) {
      const state = new RedisListenerState(resource);
      const existing = this.listeners.get(name);
      if (existing !== undefined && sameAddress(existing.state.resource, resource)) {
        existing.update(state, this.options.accessLog);
        continue;
      }
      const pending = this.pendingBinds.get(name);
      if (pending !== undefined && sameAddress(pending.listener.state.resource, resource)) {
        pending.listener.update(state, this.options.accessLog);
        continue;
      }
      this.cancelBind(name);
      const listener = new RedisListener(state, this.upstreams, this.logger, this.options.accessLog);
      binding.push(this.bind(name, listener, existing));
    }
    await Promise.all(binding);
  }

  /** Stops every listener (letting clients get their replies) and closes upstream connections. */
  async close(graceMs = DRAIN_MS): Promise<void> {
    for (const name of [...this.pendingBinds.keys()]) this.cancelBind(name);
    this.rejections.clear();
    const listeners = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(listeners.map(l => l.drain(graceMs)));
    this.upstreams.close();
  }

  private async bind(
    name: string,
    listener: RedisListener,
    previous: RedisListener | undefined,
  ): Promise<void> {
    try {
      await listener.listen();
    } catch (err) {
      this.reject(listener.state.resource, err, previous !== undefined);
      const pending: PendingBind = {
        listener,
        previous,
        backoff: new RetryBackoff(this.options.bindRetry),
        timer: undefined,
        retryAt: 0,
        cancelled: false,
      };
      this.pendingBinds.set(name, pending);
      this.scheduleBind(name, pending);
      return;
    }
    this.activate(name, listener, previous);
  }

  private scheduleBind(name: string, pending: PendingBind): void {
    const delay = pending.backoff.next();
    pending.retryAt = Date.now() + delay;
    pending.timer = setTimeout(() => {
      pending.timer = undefined;
      const gate = this.bindRetryGate;
      const listener = pending.listener;
      (gate === undefined
        ? listener.listen()
        : gate(listener.state.resource).then(() => listener.listen())
      ).then(
        () => {
          if (pending.cancelled) {
            void pending.listener.drain(0);
            return;
          }
          this.pendingBinds.delete(name);
          this.activate(name, pending.listener, pending.previous);
          this.logger.info({ listener: name }, 'redis listener bound: its address is free now');
        },
        (err: unknown) => {
          if (pending.cancelled) return;
          this.reject(pending.listener.state.resource, err, pending.previous !== undefined);
          this.scheduleBind(name, pending);
        },
      );
    }, delay);
    pending.timer.unref();
  }

  private activate(name: string, listener: RedisListener, previous: RedisListener | undefined): void {
    this.counters.created++;
    this.listeners.set(name, listener);
    this.rejections.delete(name);
    if (previous !== undefined && previous !== listener) void previous.drain(DRAIN_MS);
  }

  private cancelBind(name: string): void {
    const pending = this.pendingBinds.get(name);
    if (pending === undefined) return;
    this.pendingBinds.delete(name);
    pending.cancelled = true;
    clearTimeout(pending.timer);
  }

  private reject(resource: RedisListenerResource, err: unknown, previousServes: boolean): void {
    this.counters.failed++;
    const reason = err instanceof Error ? err.message : String(err);
    const code = err instanceof AerakiError ? err.code : ErrorCodes.CONFIG_INVALID;
    const earlier = this.rejections.get(resource.name);
    this.rejections.set(resource.name, {
      name: resource.name,
      address: resource.address,
      port: resource.port,
      code,
      reason,
      since: earlier?.reason === reason ? earlier.since : new Date().toISOString(),
      serving: previousServes ? 'previous' : 'none',
    });
    if (earlier?.reason === reason) return;
    this.logger.error(
      { listener: resource.name, address: `${resource.address}:${resource.port}`, code, reason },
      previousServes
        ? 'redis listener update rejected; its previous version keeps serving'
        : 'redis listener rejected; the other listeners are not affected',
    );
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
