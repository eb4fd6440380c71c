/**
 * Acceptance bounds for a count that should follow Binomial(n, p): the central interval holding at
 * least `confidence` of the probability mass, computed exactly (no normal approximation).
 */
export interface CountBounds {
  readonly low: number;
  readonly high: number;
}

function logChoose(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log(n - k + i) - Math.log(i);
  return sum;
}

/** The smallest `low` and largest `high` with P(X < low) ≤ α/2 and P(X > high) ≤ α/2, α = 1 − confidence. */
export function binomialBounds(n: number, p: number, confidence = 0.999): CountBounds {
  if (!(p > 0 && p < 1)) throw new Error(`p must be in (0, 1), got ${p}`);
  const tail = (1 - confidence) / 2;
  const pmf: number[] = [];
  for (let k = 0; k <= n; k++)
    pmf.push(Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log(1 - p)));
  let low = 0;
  let below = 0;
  while (low < n && below + (pmf[low] ?? 0) <= tail) below += pmf[low++] ?? 0;
  let high = n;
  let above = 0;
  while (high > 0 && above + (pmf[high] ?? 0) <= tail) above += pmf[high--] ?? 0;
  return { low, high };
}
