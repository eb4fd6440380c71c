/**
 * Where a local rate limit keeps its token buckets. The filter only asks "take one token from bucket
 * i"; the store decides where the count lives.
 *
 * Today the proxy is one process and {@link InProcessTokenBuckets} holds the buckets in memory, so a
 * limit holds per proxy exactly. A proxy with worker processes must still enforce one limit per proxy;
 * the intended store for that keeps the buckets in the primary and hands each worker small leases of
 * tokens over IPC, refilled ahead of need, so `tryTake` stays synchronous and allocation-free on the
 * request path while the primary never grants more tokens than the bucket holds.
 */
import { TokenBucket } from './token-bucket.js';

/** Bucket parameters as in metaprotocol.md §4.4. */
export interface TokenBucketConfig {
  readonly maxTokens: number;
  readonly tokensPerFill: number;
  readonly fillIntervalMs: number;
}

/** A set of token buckets addressed by index. */
export interface TokenBucketStore {
  /** Takes one token from bucket `index` at time `now` (ms); false when the bucket is empty. */
  tryTake(index: number, now: number): boolean;
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
