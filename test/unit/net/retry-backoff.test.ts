/**
 * The ADS client's reconnect backoff: bounded by its cap however long the outage, and spread evenly
 * over the window, so that a mesh of proxies that lost the control plane together does not come back
 * in lockstep.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RECONNECT_BACKOFF, RetryBackoff } from '../../../src/net/retry-backoff.js';
import { seededRandom } from '../seeded-random.js';

test('the ceiling doubles from the initial wait up to the cap and stays there', () => {
  const backoff = new RetryBackoff({ initialMs: 250, maxMs: 2000 });
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 100, 10_000].map(n => backoff.ceiling(n)),
    [250, 500, 1000, 2000, 2000, 2000, 2000, 2000],
  );
  assert.deepEqual(DEFAULT_RECONNECT_BACKOFF, { initialMs: 250, maxMs: 2000 });
});

test('every wait is within [0, ceiling), and a reset starts again from the initial ceiling', () => {
  const backoff = new RetryBackoff({ initialMs: 10, maxMs: 300 }, seededRandom(7));
  for (let n = 1; n <= 5000; n++) {
    const wait = backoff.next();
    assert.equal(backoff.attempts, n);
    assert.ok(wait >= 0 && wait < backoff.ceiling(n), `wait ${wait} ms after ${n} failures`);
  }
  backoff.reset();
  assert.equal(backoff.attempts, 0);
  for (let i = 0; i < 100; i++) {
    backoff.reset();
    assert.ok(backoff.next() < 10);
  }
});

test('the extreme random values stay inside the bounds', () => {
  assert.equal(new RetryBackoff({ initialMs: 100, maxMs: 100 }, () => 0).next(), 0);
  assert.equal(new RetryBackoff({ initialMs: 100, maxMs: 100 }, () => 1 - 2 ** -53).next(), 99);
});

test('a policy with no positive initial wait or a cap below it is refused', () => {
  assert.throws(() => new RetryBackoff({ initialMs: 0, maxMs: 10 }), RangeError);
  assert.throws(() => new RetryBackoff({ initialMs: 10, maxMs: 5 }), RangeError);
  assert.throws(() => new RetryBackoff({ initialMs: Number.NaN, maxMs: 5 }), RangeError);
});

test('1,000 proxies that lost the control plane together come back spread over the cap, not in lockstep', () => {
  // Each proxy fails at t = 0 and retries until the control plane returns at t = 60 s; its first
  // attempt after that is when it resyncs. Its lateness is the residual wait of a renewal process
  // whose waits are uniform in [0, cap): density 2(1 − x/cap)/cap on [0, cap), so the CDF is
  // F(x) = 2x/cap − (x/cap)², the same for every proxy and independent between proxies.
  const proxies = 1000;
  const returnAt = 60_000;
  const { maxMs: cap } = DEFAULT_RECONNECT_BACKOFF;
  const random = seededRandom(20240601);
  const lateness: number[] = [];
  for (let p = 0; p < proxies; p++) {
    const backoff = new RetryBackoff(DEFAULT_RECONNECT_BACKOFF, random);
    let t = 0;
    while (t < returnAt) t += backoff.next();
    lateness.push(t - returnAt);
  }
  // Bounded: nobody waits as long as the cap after the control plane is back.
  assert.ok(Math.max(...lateness) < cap, `worst ${Math.max(...lateness)} ms`);

  // Distributed as F: Kolmogorov–Smirnov, critical value at the 99.9% level 1.95/√n.
  lateness.sort((a, b) => a - b);
  const cdf = (x: number): number => 2 * (x / cap) - (x / cap) ** 2;
  let ks = 0;
  lateness.forEach((x, i) => {
    ks = Math.max(ks, Math.abs(cdf(x) - i / proxies), Math.abs(cdf(x) - (i + 1) / proxies));
  });
  assert.ok(ks < 1.95 / Math.sqrt(proxies), `KS distance ${ks.toFixed(4)}`);

  // Not lockstep: the busiest 100 ms window (the first, p = 0.0975) gets Binomial(1000, 0.0975),
  // mean 97.5, sd 9.4; 4.06 sd (99.9% over 20 windows, Bonferroni) puts its bound at 136. Proxies in
  // lockstep would put nearly all 1,000 in one window.
  const windows = 20;
  const counts = new Array<number>(windows).fill(0);
  for (const late of lateness) counts[Math.floor((late / cap) * windows)]!++;
  assert.ok(Math.max(...counts) <= 136, `proxies per 100 ms window: ${counts.join(' ')}`);
});
