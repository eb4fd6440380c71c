import type { Logger } from 'pino';
import type { CodecFactory, CodecRegistry } from '../codec/index.js';
import { prepareCodecs } from '../codecs/lazy-codec-factory.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import {
  isDecoderFilter,
  isEncoderFilter,
  type DecoderFilter,
  type EncoderFilter,
  type Filter,
} from '../filters/filter.js';
import { FilterRegistry } from '../filters/filter-registry.js';
import type { TokenBucketStoreFactory } from '../filters/local-ratelimit/token-bucket-store.js';
import { RouteTable } from '../filters/router/route-table.js';
import { RouterFilter } from '../filters/router/router-filter.js';
import { ListenerSet, type ListenerAddress, type ListenerRejection } from '../net/listener-set.js';
import type { BackoffPolicy } from '../net/retry-backoff.js';
import type { RedisCommandObserver } from '../redis/listener/redis-listener.js';
import { RedisProxy } from '../redis/redis-proxy.js';
import { ClusterManager } from '../upstream/cluster-manager.js';
import { UpstreamCodecs } from '../upstream/upstream-codec.js';
import { filterChainOf } from '../xds/listener-filters.js';
import type { ListenerResource, ProxySnapshot } from '../xds/resources.js';
import {
  META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER,
  META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER,
} from '../xds/type-urls.js';
import { DeadlineTimer } from '../net/deadline-timer.js';
import { Listener } from './listener.js';
import { ListenerFilters } from './listener-filters.js';
import { ListenerRateLimits } from './listener-rate-limits.js';
import type { ListenerState } from './listener-state.js';
import { OverloadManager } from './overload/overload-manager.js';
import { DEFAULT_PROXY_LIMITS, type ProxyLimits } from './proxy-limits.js';
import { RequestTelemetry } from './telemetry/request-telemetry.js';

/** How long a removed listener lets its connections finish their requests. */
const LISTENER_DRAIN_MS = 5000;

/**
 * How often connections are checked for their idle and incomplete-frame timeouts: a tenth of the
 * shortest, between 50 ms and 1 s (so a timeout fires up to that much late).
 */
function sweepIntervalMs(limits: ProxyLimits): number {
  const timeouts = [limits.idleTimeoutMs, limits.incompleteFrameTimeoutMs].filter(t => t > 0);
  const shortest = timeouts.length === 0 ? Infinity : Math.min(...timeouts);
  return Math.min(1000, Math.max(50, Math.floor(shortest / 10)));
}

/** A listener whose address is busy binds again after up to 500 ms, 1 s, 2 s, then up to 5 s each time. */
export const DEFAULT_BIND_RETRY: BackoffPolicy = { initialMs: 500, maxMs: 5000 };

export type { ListenerRejection } from '../net/listener-set.js';

/** What {@link Proxy.apply} could not apply. */
export interface ApplyResult {
  /** Listeners of the snapshot that do not run as given, by name. */
  readonly rejected: readonly ListenerRejection[];
}

/** Counters of listener updates (Envoy's `listener_manager.*`). */
export class ListenerManagerStats {
  /** Listener versions that could not be built or bound (each failed bind retry counts too). */
  listenerCreateFailure = 0;
  /** Listener versions built and bound. */
  listenerCreateSuccess = 0;
}

export interface ProxyOptions {
  /** How a listener whose bind failed is retried; default {@link DEFAULT_BIND_RETRY}. */
  readonly bindRetry?: BackoffPolicy;
  /** Buffer limits, timeouts and overload thresholds for the whole proxy; default {@link DEFAULT_PROXY_LIMITS}. */
  readonly limits?: ProxyLimits;
  /**
   * A full garbage collection (node's `gc`, when exposed), for the overload manager to give back the
   * memory of released buffers, and run when the first snapshot is applied.
   */
  readonly collectGarbage?: () => void;
  /**
   * The filters listeners may configure in `meta_protocol_filters`; default the built-in ones
   * (`--plugin` adds to them).
   */
  readonly filterRegistry?: FilterRegistry;
  /** Receives every command the Redis listeners finish (their access log); absent = none. */
  readonly redisAccessLog?: RedisCommandObserver;
  /**
   * Where the local rate limits keep their token buckets, per listener and config (`scope`);
   * default this process. A worker process keeps them in its primary, one set for the whole proxy.
   */
  readonly tokenBuckets?: (scope: string) => TokenBucketStoreFactory;
}

/**
 * The data plane: listeners, clusters and route tables, updated from snapshots. Existing connections
 * survive an update and requests in flight finish on the route they started with. One listener that
 * cannot be built (unknown codec, route table that does not compile) or bound (address in use) is
 * rejected alone: the version of it that ran before (if any) keeps serving, everything else is
 * applied, and a busy address is bound as soon as it is free.
 */
export class Proxy {
  readonly listenerManager = new ListenerManagerStats();
  readonly clusters: ClusterManager;
  /** Sheds load when heap or buffered bytes run high; holds the proxy's limits. */
  readonly overload: OverloadManager;
  /** The Redis listeners (Envoy redis_proxy) and their upstreams. */
  readonly redis: RedisProxy;
  /** One per codec and codec config: listeners with equal settings share upstream pools. */
  private readonly upstreamCodecs = new UpstreamCodecs();
  private readonly listenerSet: ListenerSet<ListenerResource, Listener>;
  /** The listeners bound, by name (the set's own map). */
  private readonly listeners: ReadonlyMap<string, Listener>;
  private readonly routeTables = new Map<string, RouteTable>();
  private readonly deadlines = new DeadlineTimer();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly router: RouterFilter;
  private readonly rateLimits: ListenerRateLimits;
  private readonly configuredFilters: ListenerFilters;
  private snapshot: ProxySnapshot | undefined;
  /** The collection to run when the first snapshot is applied (see apply); undefined from then on. */
  private collectAfterFirstSnapshot: (() => void) | undefined;

  /**
   * @param filters filters every listener runs before the router, in order (decoders in this order,
   *   encoders in reverse).
   * @param telemetry request metrics and access log for every listener
   */
  constructor(
    private readonly codecs: CodecRegistry,
    private readonly logger: Logger,
    private readonly filters: readonly Filter[] = [],
    readonly telemetry: RequestTelemetry = new RequestTelemetry(),
    options: ProxyOptions = {},
  ) {
    const bindRetry = options.bindRetry ?? DEFAULT_BIND_RETRY;
    const stats = this.listenerManager;
    this.listenerSet = new ListenerSet({
      bindRetry,
      drainMs: LISTENER_DRAIN_MS,
      logger,
      noun: 'listener',
      counters: {
        onCreated: () => stats.listenerCreateSuccess++,
        onFailed: () => stats.listenerCreateFailure++,
      },
    });
    this.listeners = this.listenerSet.listeners;
    const limits = options.limits ?? DEFAULT_PROXY_LIMITS;
    this.clusters = new ClusterManager(limits.connectionBufferBytes);
    this.redis = new RedisProxy(this.clusters, logger, {
      bindRetry,
      ...(options.redisAccessLog === undefined ? {} : { accessLog: options.redisAccessLog }),
    });
    this.router = new RouterFilter(this.clusters);
    this.rateLimits = new ListenerRateLimits(this.clusters, options.tokenBuckets);
    this.configuredFilters = new ListenerFilters(options.filterRegistry ?? new FilterRegistry(), logger);
    this.overload = new OverloadManager(
      limits,
      () => {
        let bytes = 0;
        for (const listener of this.listeners.values()) bytes += listener.queuedBytes;
        return bytes;
      },
      logger,
      options.collectGarbage,
    );
    this.overload.start();
    this.collectAfterFirstSnapshot = options.collectGarbage;
    this.sweepTimer = setInterval(sweepConnections, sweepIntervalMs(limits), this.listeners);
    this.sweepTimer.unref();
  }

  /** The proxy's limits. */
  get limits(): ProxyLimits {
    return this.overload.limits;
  }

  /** The snapshot in force, if any. */
  get current(): ProxySnapshot | undefined {
    return this.snapshot;
  }

  /** Listeners by name. */
  get listenerMap(): ReadonlyMap<string, Listener> {
    return this.listeners;
  }

  /**
   * Awaited before each retry of a failed bind, of this proxy's listeners and its Redis listeners
   * (see {@link ListenerSet.bindRetryGate}); a proxy with workers sets it.
   */
  set bindRetryGate(gate: ((listener: ListenerAddress) => Promise<void>) | undefined) {
    this.listenerSet.bindRetryGate = gate;
    this.redis.bindRetryGate = gate;
  }

  /** The route table named `name` in force now. */
  routeTable(name: string): RouteTable | undefined {
    return this.routeTables.get(name);
  }

  /** Listeners of the snapshot in force that do not run as given, by name. */
  rejectedListeners(): ListenerRejection[] {
    return [...this.listenerSet.rejected(), ...this.redis.rejected()];
  }

  /**
   * Makes the proxy run `snapshot`, as much of it as it can: a listener that cannot be built or bound
   * is left out (its previous version, if any, keeps serving) and named in the result; a busy
   * address is retried in the background. Resolves once every new listener bound or failed to.
   */
  async apply(snapshot: ProxySnapshot): Promise<ApplyResult> {
    // Codecs loaded on first use must be loaded before any listener is built with them (without
    // a wait when there are none to load, so the rest runs as before in the caller's turn).
    const loading = prepareCodecs(this.codecs, snapshot.listeners);
    if (loading !== undefined) await loading;
    // Each route table on its own: one that does not compile keeps its previous version (if any),
    // which the listeners already running on it keep using.
    const tables = new Map<string, RouteTable>();
    const tableErrors = new Map<string, unknown>();
    for (const resource of snapshot.routes) {
      try {
        tables.set(resource.name, new RouteTable(resource));
      } catch (err) {
        tableErrors.set(resource.name, err);
        const previous = this.routeTables.get(resource.name);
        if (previous !== undefined) tables.set(resource.name, previous);
      }
    }

    this.clusters.apply(snapshot.clusters, snapshot.endpoints);
    this.routeTables.clear();
    for (const [name, table] of tables) this.routeTables.set(name, table);

    const wanted = new Map(snapshot.listeners.map(l => [l.name, l]));
    this.listenerSet.retain(wanted);

    const binding: Promise<void>[] = [];
    for (const [name, resource] of wanted) {
      let existing = this.listeners.get(name);
      let state: ListenerState;
      try {
        const tableError = tableErrors.get(resource.routeConfigName);
        if (tableError !== undefined) {
          throw new AerakiError(
            ErrorCodes.CONFIG_INVALID,
            `route table '${resource.routeConfigName}' cannot be compiled: ${messageOf(tableError)}`,
            { cause: tableError },
          );
        }
        state = this.stateFor(resource);
      } catch (err) {
        this.listenerSet.cancelBind(name);
        this.listenerSet.reject(resource, err, existing !== undefined);
        continue;
      }
      if (existing !== undefined && sameSocket(existing.state.resource, resource)) {
        existing.update(state);
        this.listenerSet.accepted(name);
        continue;
      }
      const pending = this.listenerSet.pending(name);
      if (pending !== undefined && sameSocket(pending.state.resource, resource)) {
        // Still waiting for the same address: it binds with this state when it can.
        pending.update(state);
        continue;
      }
      this.listenerSet.cancelBind(name);
      if (existing !== undefined && sameAddress(existing.state.resource, resource)) {
        // Same address, another codec: the old listener must give up the socket first.
        this.listenerSet.remove(name);
        void existing.drain(LISTENER_DRAIN_MS);
        existing = undefined;
      }
      binding.push(
        this.listenerSet.bind(
          name,
          new Listener(state, this.deadlines, this.logger, this.telemetry, this.overload),
          existing,
        ),
      );
    }
    this.rateLimits.retain(snapshot.listeners);
    this.configuredFilters.retain(snapshot.listeners);
    this.snapshot = snapshot;
    binding.push(this.redis.apply(snapshot.redisListeners ?? []));
    await Promise.all(binding);
    // Full collections once the proxy is configured: V8 then sets the old generation's next limit
    // from what is live (without it, the start-up limit let the objects that load promotes pile up
    // to twice the live heap before the first full collection: a Redis proxy at -P 1 peaked at
    // 105-109 instead of 74-79 MiB), and the garbage of start-up and of this config goes with them.
    // Two: after the first, the pages it left sparse stay resident; the second moves what lives on
    // them and gives them back (2-3 MiB of an idle proxy's 12 MiB of old generation).
    const collect = this.collectAfterFirstSnapshot;
    this.collectAfterFirstSnapshot = undefined;
    collect?.();
    collect?.();
    return { rejected: this.rejectedListeners() };
  }

  /** Stops every listener (letting requests in flight finish) and closes upstream connections. */
  async close(graceMs = LISTENER_DRAIN_MS): Promise<void> {
    await Promise.all([this.listenerSet.close(graceMs), this.redis.close(graceMs)]);
    clearInterval(this.sweepTimer);
    this.overload.stop();
    this.clusters.drainAll();
    this.rateLimits.close();
    this.configuredFilters.close();
    this.deadlines.stop();
    await this.telemetry.close();
  }

  /**
   * Filters in order: the proxy-wide ones, the listener's chain (its rate limits and the registry's
   * filters, in configured order), the router. Decoders in that order, encoders in reverse.
   */
  private stateFor(resource: ListenerResource): ListenerState {
    // The codec first: a listener rejected for it must not leave filters behind.
    const codecFactory = this.codecs.require(resource.codec);
    checkCodecConfig(resource, codecFactory);
    const chain = filterChainOf(resource);
    for (const entry of chain) {
      const missing =
        (entry.name === META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER && resource.localRateLimit === undefined) ||
        (entry.name === META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER && resource.globalRateLimit === undefined);
      if (missing) {
        throw new AerakiError(
          ErrorCodes.CONFIG_INVALID,
          `listener '${resource.name}': filter '${entry.name}' is listed without its config`,
        );
      }
    }
    // Made (or kept) before the rate limits: an unknown filter or a refused config rejects the
    // listener here, and its previous version keeps its own filters.
    const configured = this.configuredFilters.filtersFor(
      resource,
      chain.filter(f => !isRateLimit(f.name)),
    );
    const rateLimits = this.rateLimits.filtersFor(resource);
    const decoders: DecoderFilter[] = this.filters.filter(isDecoderFilter);
    const encoders: EncoderFilter[] = this.filters.filter(isEncoderFilter);
    let next = 0;
    for (const entry of chain) {
      if (isRateLimit(entry.name)) {
        decoders.push(rateLimits.find(f => f.name === entry.name)!);
        continue;
      }
      const created = configured[next++]!;
      if (created.decoder !== undefined) decoders.push(created.decoder);
      if (created.encoder !== undefined) encoders.push(created.encoder);
    }
    decoders.push(this.router);
    return {
      resource,
      codecFactory,
      upstreamCodec: this.upstreamCodecs.get(codecFactory, resource.codecConfig),
      decoders,
      encoders: encoders.reverse(),
      routeTable: this.routeTables.get(resource.routeConfigName),
    };
  }
}

function isRateLimit(name: string): boolean {
  return name === META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER || name === META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER;
}

/**
 * Makes one codec with the listener's codecConfig, so that settings the codec rejects reject the
 * listener here rather than fail every connection it accepts.
 */
function checkCodecConfig(listener: ListenerResource, factory: CodecFactory): void {
  if (listener.codecConfig === undefined) return;
  try {
    factory.create('downstream', listener.codecConfig);
  } catch (err) {
    throw new AerakiError(
      ErrorCodes.CONFIG_INVALID,
      `listener '${listener.name}': codec config rejected: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** Whether two listener resources can share one bound socket. */
function sameSocket(a: ListenerResource, b: ListenerResource): boolean {
  return sameAddress(a, b) && a.codec === b.codec;
}

function sameAddress(a: ListenerResource, b: ListenerResource): boolean {
  return a.address === b.address && a.port === b.port;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sweepConnections(listeners: ReadonlyMap<string, Listener>): void {
  const now = Date.now();
  for (const listener of listeners.values()) listener.sweepConnections(now);
}
