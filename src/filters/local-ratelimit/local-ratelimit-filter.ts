import type { AttributeMatcher } from '../../xds/resources.js';
import type { CompiledAttributeMatcher } from '../router/attribute-matcher.js';
import { compileAttributeMatcher } from '../router/attribute-matcher.js';
import type { DecoderFilter, FilterStatus, RequestContext } from '../filter.js';
import { TokenBucket } from './token-bucket.js';

/** Bucket parameters as in metaprotocol.md §4.4. */
export interface TokenBucketConfig {
  readonly maxTokens: number;
  readonly tokensPerFill: number;
  readonly fillIntervalMs: number;
}

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

interface CompiledCondition {
  readonly matchers: readonly CompiledAttributeMatcher[];
  readonly bucket: TokenBucket;
}

function newBucket(config: TokenBucketConfig, now: number): TokenBucket {
  return new TokenBucket(config.maxTokens, config.tokensPerFill, config.fillIntervalMs, now);
}

/**
 * Local (single-process) rate limiting: the first matching condition takes a token from its bucket,
 * otherwise the default bucket does; no bucket means no limit. Conditions are compiled once.
 */
export class LocalRateLimitFilter implements DecoderFilter {
  readonly name = 'aeraki.meta_protocol.filters.local_ratelimit';
  readonly stats: LocalRateLimitStats = { ok: 0, rate_limited: 0 };
  private readonly conditions: readonly CompiledCondition[];
  private readonly defaultBucket: TokenBucket | undefined;

  constructor(config: LocalRateLimitConfig, now: () => number = Date.now) {
    this.now = now;
    const start = now();
    this.conditions = config.conditions.map(condition => ({
      matchers: condition.match.map(compileAttributeMatcher),
      bucket: newBucket(condition.tokenBucket, start),
    }));
    this.defaultBucket = config.tokenBucket ? newBucket(config.tokenBucket, start) : undefined;
  }

  private readonly now: () => number;

  onRequest(ctx: RequestContext): FilterStatus {
    const bucket = this.bucketFor(ctx);
    if (bucket === undefined || bucket.tryTake(this.now())) {
      this.stats.ok++;
      return 'continue';
    }
    this.stats.rate_limited++;
    const method = ctx.request.metadata.get('method') ?? 'request';
    ctx.sendLocalReply('over-limit', `aeraki: local rate limit: ${method} has been rate limited`);
    return 'stop';
  }

  private bucketFor(ctx: RequestContext): TokenBucket | undefined {
    const metadata = ctx.request.metadata;
    for (const condition of this.conditions) {
      if (condition.matchers.every(m => m.test(metadata))) return condition.bucket;
    }
    return this.defaultBucket;
  }
}
