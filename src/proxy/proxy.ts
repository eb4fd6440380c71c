import type { Logger } from 'pino';
import type { CodecRegistry } from '../codec/index.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import {
  isDecoderFilter,
  isEncoderFilter,
  type DecoderFilter,
  type EncoderFilter,
  type Filter,
} from '../filters/filter.js';
import { RouteTable } from '../filters/router/route-table.js';
import { RouterFilter } from '../filters/router/router-filter.js';
import { ClusterManager } from '../upstream/cluster-manager.js';
import { UpstreamCodecs } from '../upstream/upstream-codec.js';
import type { ListenerResource, ProxySnapshot } from '../xds/resources.js';
import { DeadlineTimer } from './deadline-timer.js';
import { Listener } from './listener.js';
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

/**
 * The data plane: listeners, clusters and route tables, updated from snapshots. An update is applied
 * as a whole or not at all: route tables and codecs are checked before anything changes, existing
 * connections survive, and requests in flight finish on the route they started with.
 */
export class Proxy {
  readonly clusters: ClusterManager;
  /** Sheds load when heap or buffered bytes run high; holds the proxy's limits. */
  readonly overload: OverloadManager;
  /** One per codec and codec config: listeners with equal settings share upstream pools. */
  private readonly upstreamCodecs = new UpstreamCodecs();
  private readonly listeners = new Map<string, Listener>();
  private readonly routeTables = new Map<string, RouteTable>();
  private readonly deadlines = new DeadlineTimer();
  private readonly router: RouterFilter;
  private readonly rateLimits: ListenerRateLimits;
  private readonly sweepTimer: NodeJS.Timeout;
  private snapshot: ProxySnapshot | undefined;

  /**
   * @param filters filters every listener runs before the router, in order (decoders in this order,
   *   encoders in reverse).
   * @param telemetry request metrics and access log for every listener
   * @param limits buffer limits, timeouts and overload thresholds for the whole proxy
   * @param collectGarbage a full garbage collection (node's `gc`, when exposed), for the overload
   *   manager to give back the memory of released buffers
   */
  constructor(
    private readonly codecs: CodecRegistry,
    private readonly logger: Logger,
    private readonly filters: readonly Filter[] = [],
    readonly telemetry: RequestTelemetry = new RequestTelemetry(),
    limits: ProxyLimits = DEFAULT_PROXY_LIMITS,
    collectGarbage?: () => void,
  ) {
    this.clusters = new ClusterManager(limits.connectionBufferBytes);
    this.router = new RouterFilter(this.clusters);
    this.rateLimits = new ListenerRateLimits(this.clusters);
    this.overload = new OverloadManager(
      limits,
      () => {
        let bytes = 0;
        for (const listener of this.listeners.values()) bytes += listener.queuedBytes;
        return bytes;
      },
      logger,
      collectGarbage,
    );
    this.overload.start();
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

  /** The route table named `name` in force now. */
  routeTable(name: string): RouteTable | undefined {
    return this.routeTables.get(name);
  }

  /**
   * Makes the proxy run `snapshot`. Rejects (and changes nothing) if a listener names an unknown
   * codec or a route cannot be compiled; rejects after applying if a new listener cannot bind.
   */
  async apply(snapshot: ProxySnapshot): Promise<void> {
    // Validate everything first so that a bad snapshot leaves the running one untouched.
    const tables = new Map<string, RouteTable>();
    for (const resource of snapshot.routes) {
      try {
        tables.set(resource.name, new RouteTable(resource));
      } catch (err) {
        throw new AerakiError(
          ErrorCodes.CONFIG_INVALID,
          `route table '${resource.name}' cannot be compiled`,
          {
            cause: err,
          },
        );
      }
    }
    for (const l of snapshot.listeners) this.codecs.require(l.codec);

    this.clusters.apply(snapshot.clusters, snapshot.endpoints);
    this.routeTables.clear();
    for (const [name, table] of tables) this.routeTables.set(name, table);

    const wanted = new Map(snapshot.listeners.map(l => [l.name, l]));
    const binding: Promise<void>[] = [];
    for (const [name, resource] of wanted) {
      const state = this.stateFor(resource);
      const existing = this.listeners.get(name);
      if (existing !== undefined && sameSocket(existing.state.resource, resource)) {
        existing.update(state);
        continue;
      }
      if (existing !== undefined) void existing.drain(LISTENER_DRAIN_MS);
      const listener = new Listener(state, this.deadlines, this.logger, this.telemetry, this.overload);
      this.listeners.set(name, listener);
      binding.push(
        listener.listen().catch((err: unknown) => {
          this.listeners.delete(name);
          throw err;
        }),
      );
    }
    for (const [name, listener] of this.listeners) {
      if (wanted.has(name)) continue;
      this.listeners.delete(name);
      void listener.drain(LISTENER_DRAIN_MS);
    }
    this.rateLimits.retain(snapshot.listeners);
    this.snapshot = snapshot;
    await Promise.all(binding);
  }

  /** Stops every listener (letting requests in flight finish) and closes upstream connections. */
  async close(graceMs = LISTENER_DRAIN_MS): Promise<void> {
    const listeners = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(listeners.map(l => l.drain(graceMs)));
    clearInterval(this.sweepTimer);
    this.overload.stop();
    this.clusters.drainAll();
    this.rateLimits.close();
    this.deadlines.stop();
    await this.telemetry.close();
  }

  /** Filters in order: the proxy-wide ones, the listener's rate limits (local, global), the router. */
  private stateFor(resource: ListenerResource): ListenerState {
    const decoders: DecoderFilter[] = [
      ...this.filters.filter(isDecoderFilter),
      ...this.rateLimits.filtersFor(resource),
      this.router,
    ];
    const encoders: EncoderFilter[] = this.filters.filter(isEncoderFilter).reverse();
    const codecFactory = this.codecs.require(resource.codec);
    return {
      resource,
      codecFactory,
      upstreamCodec: this.upstreamCodecs.get(codecFactory, resource.codecConfig),
      decoders,
      encoders,
      routeTable: this.routeTables.get(resource.routeConfigName),
    };
  }
}

function sweepConnections(listeners: ReadonlyMap<string, Listener>): void {
  const now = Date.now();
  for (const listener of listeners.values()) listener.sweepConnections(now);
}

/** Whether two listener resources can share one bound socket. */
function sameSocket(a: ListenerResource, b: ListenerResource): boolean {
  return a.address === b.address && a.port === b.port && a.codec === b.codec;
}
