/**
 * Where a local rate limit keeps its token buckets. The filter only asks "take one token from bucket
 * i"; the store decides where the count lives.
 *
 * A proxy of one process holds the buckets in memory ({@link InProcessTokenBuckets}): the answer is
 * immediate. A proxy with worker processes enforces one limit per proxy: its workers' stores ask the
 * primary, which holds every bucket, and the answer comes later (see proxy/workers/). Asking per
 * request rather than leasing tokens to workers keeps the limit exact: a lease parked in one worker
 * would turn away requests that another worker's share could have served.
 */
import { TokenBucket } from './token-bucket.js';

/** Bucket parameters as in metaprotocol.md §4.4. */
export interface TokenBucketConfig {
  readonly maxTokens: number;
  readonly tokensPerFill: number;
  readonly fillIntervalMs: number;
}

/** Receives the answer to a take that a {@link TokenBucketStore} could not decide at once. */
export interface TokenWaiter {
  /** `context` is what was passed to {@link TokenBucketStore.tryTake}. */
  tokenDecided(context: unknown, granted: boolean): void;
}

/** A set of token buckets addressed by index. */
export interface TokenBucketStore {
  /**
   * Takes one token from bucket `index` at time `now` (ms): true when taken, false when the bucket
   * is empty, undefined when the answer comes later, through `waiter.tokenDecided(context, …)`.
   */
  tryTake(index: number, now: number, waiter?: TokenWaiter, context?: unknown): boolean | undefined;
}

/** Makes the store for one filter config: `buckets[i]` is bucket `i`, all full at `now`. */
export type TokenBucketStoreFactory = (
  buckets: readonly TokenBucketConfig[],
  now: number,
) => TokenBucketStore;

/** Buckets in this process's memory. */
export class InProcessTokenBuckets implements TokenBucketStore {
  private readonly buckets: readonly TokenBucket[];

  constructor(configs: readonly TokenBucketConfig[], now: number) {
    this.buckets = configs.map(c => new TokenBucket(c.maxTokens, c.tokensPerFill, c.fillIntervalMs, now));
  }

  tryTake(index: number, now: number): boolean {
    return this.buckets[index]?.tryTake(now) ?? true;
  }
}

export const inProcessTokenBuckets: TokenBucketStoreFactory = (buckets, now) =>
  new InProcessTokenBuckets(buckets, now);
