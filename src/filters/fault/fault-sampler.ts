/**
 * Decides whether a fault applies to one request. A percentage is Istio-style (0–100, fractions
 * allowed); the random source is injectable so tests can be deterministic.
 */
export class FaultSampler {
  private readonly threshold: number;

  constructor(
    percentage: number,
    private readonly random: () => number = Math.random,
  ) {
    this.threshold = Math.min(100, Math.max(0, percentage)) / 100;
  }

  /** True when this request is selected for the fault. */
  sample(): boolean {
    if (this.threshold <= 0) return false;
    if (this.threshold >= 1) return true;
    return this.random() < this.threshold;
  }
}
