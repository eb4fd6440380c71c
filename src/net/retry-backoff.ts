/**
 * How long to wait before retrying something that failed (the ADS client's connection, a listener's
 * bind): capped exponential backoff with full jitter. After the n-th consecutive failure the wait is
 * uniform in [0, min(max, initial·2ⁿ⁻¹)).
 *
 * For the ADS client, why full jitter rather than gRPC's connection backoff (±20% around initial·1.6ⁿ, up to 120 s):
 * every proxy of a mesh loses its control plane at the same moment, and with ±20% they come back in
 * waves that stay close together, while a uniform wait spreads them evenly over the whole window. And
 * the cap is small (2 s by default) because a proxy must resync within a few seconds of the control
 * plane's return, however long it was away: the wait never grows with the length of the outage once
 * it has reached the cap, and a connection attempt to a stopped control plane costs one refused TCP
 * handshake.
 */

/** The backoff's two parameters, in milliseconds. */
export interface BackoffPolicy {
  /** The ceiling after the first failure; it doubles with each further failure. */
  readonly initialMs: number;
  /** The ceiling never exceeds this, however many failures. */
  readonly maxMs: number;
}

/** The ADS client's default: waits up to 250 ms, 500 ms, 1 s, then up to 2 s each time. */
export const DEFAULT_RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 2000 };

/** Consecutive failures and the wait before the next attempt. */
export class RetryBackoff {
  private failures = 0;

  /**
   * @param random uniform in [0, 1), replaceable for tests
   */
  constructor(
    readonly policy: BackoffPolicy = DEFAULT_RECONNECT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {
    if (!(policy.initialMs > 0) || !(policy.maxMs >= policy.initialMs)) {
      throw new RangeError(
        `backoff needs 0 < initial ≤ max, got initial ${policy.initialMs} ms and max ${policy.maxMs} ms`,
      );
    }
  }

  /** Consecutive failures since the last {@link reset}. */
  get attempts(): number {
    return this.failures;
  }

  /** The upper bound of the next wait, after `failures` consecutive failures (≥ 1). */
  ceiling(failures: number): number {
    // 2^(failures-1) overflows nothing below the cap: stop doubling once the cap is reached.
    let ceiling = this.policy.initialMs;
    for (let i = 1; i < failures && ceiling < this.policy.maxMs; i++) ceiling *= 2;
    return Math.min(ceiling, this.policy.maxMs);
  }

  /** Records one more failure and returns how long to wait before the next attempt, in ms. */
  next(): number {
    this.failures++;
    return Math.floor(this.random() * this.ceiling(this.failures));
  }

  /** After a successful connection: the next failure starts from the initial ceiling again. */
  reset(): void {
    this.failures = 0;
  }
}
