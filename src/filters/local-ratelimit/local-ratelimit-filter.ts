import type { AttributeMatcher } from '../../xds/resources.js';
import type { CompiledAttributeMatcher } from '../router/attribute-matcher.js';
import { compileAttributeMatcher, matchesAll } from '../router/attribute-matcher.js';
import type { DecoderFilter, FilterStatus, RequestContext } from '../filter.js';
import {
  inProcessTokenBuckets,
  type TokenBucketConfig,
  type TokenBucketStore,
  type TokenBucketStoreFactory,
  type TokenWaiter,
} from './token-bucket-store.js';

export type { TokenBucketConfig } from './token-bucket-store.js';

/** One condition: requests matching every matcher draw from its own bucket. */
export interface RateLimitCondition {
  readonly match: readonly AttributeMatcher[];
  readonly tokenBucket: TokenBucketConfig;
}

/** The listener's local rate limit: ordered conditions, then an optional default bucket. */
export interface LocalRateLimitConfig {
  readonly tokenBucket?: TokenBucketConfig;
  readonly conditions: readonly RateLimitCondition[];
}

/** Counters exposed as stats. */
export interface LocalRateLimitStats {
  ok: number;
  rate_limited: number;
}

/** Index meaning "no bucket: not limited". */
const UNLIMITED = -1;

/**
 * Local rate limiting (metaprotocol.md §4.4): the first matching condition takes a token from its
 * bucket, otherwise the default bucket does; no bucket means no limit. Conditions are compiled once.
 * The buckets live in a {@link TokenBucketStore}: condition `i` uses bucket `i`, the default bucket
 * comes last. One filter instance serves every connection of its listener, so the limit holds per
 * proxy; the proxy keeps the instance across config updates that leave the limit unchanged.
 */
export class LocalRateLimitFilter implements DecoderFilter, TokenWaiter {
  readonly name = 'aeraki.meta_protocol.filters.local_ratelimit';
  readonly stats: LocalRateLimitStats = { ok: 0, rate_limited: 0 };
  private readonly conditions: readonly (readonly CompiledAttributeMatcher[])[];
  private readonly defaultBucket: number;
  private readonly buckets: TokenBucketStore;

  /** @param now when the buckets start full (ms since the epoch). */
  constructor(
    config: LocalRateLimitConfig,
    now: () => number = Date.now,
    store: TokenBucketStoreFactory = inProcessTokenBuckets,
  ) {
    this.conditions = config.conditions.map(c => c.match.map(compileAttributeMatcher));
    const configs = config.conditions.map(c => c.tokenBucket);
    this.defaultBucket = config.tokenBucket === undefined ? UNLIMITED : configs.length;
    if (config.tokenBucket !== undefined) configs.push(config.tokenBucket);
    this.buckets = store(configs, now());
  }

  onRequest(ctx: RequestContext): FilterStatus {
    const bucket = this.bucketFor(ctx);
    // The request's decode time: no clock read of our own (Date.now costs more than the rest here).
    const taken = bucket === UNLIMITED ? true : this.buckets.tryTake(bucket, ctx.startTime, this, ctx);
    if (taken === undefined) return 'stop';
    if (taken) {
      this.stats.ok++;
      return 'continue';
    }
    this.limit(ctx);
    return 'stop';
  }

  /** The answer of a store that holds the buckets elsewhere (a proxy's primary process). */
  tokenDecided(context: unknown, granted: boolean): void {
    const ctx = context as RequestContext;
    if (!granted) return this.limit(ctx);
    this.stats.ok++;
    ctx.continueDecoding();
  }

  private limit(ctx: RequestContext): void {
    this.stats.rate_limited++;
    const method = ctx.request.metadata.get('method') ?? 'request';
    ctx.sendLocalReply('over-limit', `aeraki: local rate limit: ${method} has been rate limited`);
  }

  private bucketFor(ctx: RequestContext): number {
    const metadata = ctx.request.metadata;
    const conditions = this.conditions;
    for (let i = 0; i < conditions.length; i++) {
      if (matchesAll(conditions[i]!, metadata)) return i;
    }
    return this.defaultBucket;
  }
}
