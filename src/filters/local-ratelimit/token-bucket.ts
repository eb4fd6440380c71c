/**
 * A token bucket that refills lazily: instead of a timer per bucket, the tokens owed since the last
 * refill are computed when a token is taken. The bucket starts full; every `fillIntervalMs` it gains
 * `tokensPerFill` tokens, never exceeding `maxTokens` (metaprotocol.md §4.4).
 */
export class TokenBucket {
  private tokens: number;
  private lastFill: number;

  constructor(
    private readonly maxTokens: number,
    private readonly tokensPerFill: number,
    private readonly fillIntervalMs: number,
    now: number,
  ) {
    this.tokens = maxTokens;
    this.lastFill = now;
  }

  /** Takes one token at time `now` (ms); false when the bucket is empty. */
  tryTake(now: number): boolean {
    this.refill(now);
    if (this.tokens <= 0) return false;
    this.tokens -= 1;
    return true;
  }

  /** Tokens left at time `now`, after refilling. */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  private refill(now: number): void {
    const fills = Math.floor((now - this.lastFill) / this.fillIntervalMs);
    if (fills <= 0) return;
    // Advance by whole intervals so partial intervals are not lost between calls.
    this.lastFill += fills * this.fillIntervalMs;
    this.tokens = Math.min(this.maxTokens, this.tokens + fills * this.tokensPerFill);
  }
}
