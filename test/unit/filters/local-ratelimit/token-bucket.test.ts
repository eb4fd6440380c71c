import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from '../../../../src/filters/local-ratelimit/token-bucket.js';

describe('TokenBucket', () => {
  test('starts full and refuses once empty', () => {
    const bucket = new TokenBucket(2, 2, 60_000, 0);
    assert.equal(bucket.tryTake(0), true);
    assert.equal(bucket.tryTake(1), true);
    assert.equal(bucket.tryTake(2), false);
  });

  test('refills lazily per whole interval, capped at max', () => {
    const bucket = new TokenBucket(5, 2, 1000, 0);
    for (let i = 0; i < 5; i++) assert.equal(bucket.tryTake(0), true);
    assert.equal(bucket.tryTake(999), false);
    assert.equal(bucket.available(1000), 2);
    assert.equal(bucket.available(1500), 2);
    assert.equal(bucket.available(10_000), 5);
  });

  test('partial intervals carry over between calls', () => {
    const bucket = new TokenBucket(1, 1, 1000, 0);
    assert.equal(bucket.tryTake(0), true);
    assert.equal(bucket.tryTake(600), false);
    assert.equal(bucket.tryTake(1000), true);
  });
});
