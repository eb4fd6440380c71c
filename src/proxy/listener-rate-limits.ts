import type { DecoderFilter } from '../filters/filter.js';
import { GlobalRateLimitFilter } from '../filters/global-ratelimit/global-ratelimit-filter.js';
import { RateLimitServiceChannels } from '../filters/global-ratelimit/rate-limit-service-client.js';
import { LocalRateLimitFilter } from '../filters/local-ratelimit/local-ratelimit-filter.js';
import type { TokenBucketStoreFactory } from '../filters/local-ratelimit/token-bucket-store.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import type { ListenerResource } from '../xds/resources.js';

interface Kept<F> {
  readonly key: string;
  readonly filter: F;
}

interface ListenerFilters {
  local?: Kept<LocalRateLimitFilter>;
  global?: Kept<GlobalRateLimitFilter>;
}

/**
 * The rate-limit filters of every listener, kept across config updates: a listener whose rate-limit
 * config is unchanged keeps its filter objects, hence its token buckets and counters (a route edit
 * must not hand out a fresh bucket), while a changed config gets new, full buckets. The buckets live
 * where `tokenBuckets` puts them: in this process by default; a worker process puts them in its
 * primary, keyed by the listener's name and rate-limit config, so that every worker draws from one
 * bucket (see token-bucket-store.ts).
 */
export class ListenerRateLimits {
  private readonly byListener = new Map<string, ListenerFilters>();
  private readonly channels: RateLimitServiceChannels;

  /**
   * @param tokenBuckets where the buckets of the local rate limit `scope` live (`scope` names the
   *   listener and its rate-limit config); default this process
   */
  constructor(
    clusters: ClusterManager,
    private readonly tokenBuckets?: (scope: string) => TokenBucketStoreFactory,
  ) {
    this.channels = new RateLimitServiceChannels(clusters);
  }

  /** The listener's rate-limit filters in chain order: local, then global. */
  filtersFor(resource: ListenerResource): DecoderFilter[] {
    const kept = this.byListener.get(resource.name) ?? {};
    const next: ListenerFilters = {};
    if (resource.localRateLimit !== undefined) {
      const key = JSON.stringify(resource.localRateLimit);
      next.local =
        kept.local?.key === key
          ? kept.local
          : {
              key,
              filter: new LocalRateLimitFilter(
                resource.localRateLimit,
                Date.now,
                this.tokenBuckets?.(localRateLimitScope(resource.name, key)),
              ),
            };
    }
    if (resource.globalRateLimit !== undefined) {
      const key = JSON.stringify(resource.globalRateLimit);
      next.global =
        kept.global?.key === key
          ? kept.global
          : { key, filter: new GlobalRateLimitFilter(resource.globalRateLimit, this.channels) };
    }
    this.byListener.set(resource.name, next);
    const filters: DecoderFilter[] = [];
    if (next.local !== undefined) filters.push(next.local.filter);
    if (next.global !== undefined) filters.push(next.global.filter);
    return filters;
  }

  /** Forgets listeners not in `listeners` and closes rate-limit channels no listener uses. */
  retain(listeners: readonly ListenerResource[]): void {
    const names = new Set(listeners.map(l => l.name));
    for (const name of this.byListener.keys()) if (!names.has(name)) this.byListener.delete(name);
    const clusters = new Set<string>();
    for (const l of listeners)
      if (l.globalRateLimit !== undefined) clusters.add(l.globalRateLimit.rateLimitCluster);
    this.channels.retain(clusters);
  }

  /** Closes every rate-limit channel. */
  close(): void {
    this.byListener.clear();
    this.channels.close();
  }
}

/** Names the buckets of one listener's local rate limit config, the same in every worker. */
export function localRateLimitScope(listenerName: string, configKey: string): string {
  return `${listenerName}\n${configKey}`;
}
