import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FaultSampler } from '../../../../src/filters/fault/fault-sampler.js';
import { seededRandom } from '../../seeded-random.js';

describe('FaultSampler', () => {
  test('0% never and 100% always selects', () => {
    const never = new FaultSampler(0);
    const always = new FaultSampler(100);
    for (let i = 0; i < 100; i++) {
      assert.equal(never.sample(), false);
      assert.equal(always.sample(), true);
    }
  });

  test('50% over 400 requests stays within the binomial 99.9% bound', () => {
    // n = 400, p = 0.5: sd = sqrt(n p (1-p)) = 10; two-sided 99.9% z = 3.29 -> 200 ± 33.
    const n = 400;
    const bound = Math.ceil(3.29 * Math.sqrt(n * 0.5 * 0.5));
    for (const seed of [1, 2, 3, 42]) {
      const sampler = new FaultSampler(50, seededRandom(seed));
      let hits = 0;
      for (let i = 0; i < n; i++) if (sampler.sample()) hits++;
      assert.ok(Math.abs(hits - n / 2) <= bound, `seed ${seed}: ${hits} hits outside 200±${bound}`);
    }
  });
});
