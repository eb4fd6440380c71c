/**
 * A fixed-bucket histogram for the request path: observing is a short scan and three additions, no
 * allocation. Prometheus's cumulative `le` buckets are computed only when scraped.
 */
export class FixedHistogram {
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  /** @param bounds upper bounds, ascending */
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** Cumulative counts per bound, then +Inf, as Prometheus exposes them. */
  cumulative(): number[] {
    const out: number[] = [];
    let running = 0;
    for (const c of this.counts) out.push((running += c));
    return out;
  }
}

/** Istio's buckets for `istio_request_duration_milliseconds`. */
export const DURATION_BUCKETS_MS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

/** Istio's buckets for `istio_request_bytes` and `istio_response_bytes`: 1 to 10^8, ×10. */
export const SIZE_BUCKETS_BYTES: readonly number[] = [
  1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
];
