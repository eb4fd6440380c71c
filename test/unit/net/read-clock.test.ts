import assert from 'node:assert/strict';
import { test } from 'node:test';
import { beginRead, endRead, readTime } from '../../../src/net/read-clock.js';

/** Waits until Date.now() has moved on from `ms`. */
function after(ms: number): void {
  while (Date.now() === ms) {
    // A millisecond at most.
  }
}

test('within a read, one clock reading, taken when first asked for; outside, the clock itself', () => {
  const before = Date.now();
  beginRead();
  try {
    after(before);
    const first = readTime();
    assert.ok(first > before, 'read when first asked for, not when the read began');
    after(first);
    assert.equal(readTime(), first);
    beginRead();
    assert.equal(readTime(), first, 'a nested read keeps the reading');
    endRead();
    assert.equal(readTime(), first);
  } finally {
    endRead();
  }
  const outside = readTime();
  assert.ok(outside > before);
  after(outside);
  assert.ok(readTime() > outside, 'outside a read, every call reads the clock');
  beginRead();
  try {
    assert.ok(readTime() > outside, 'a new read takes a new reading');
  } finally {
    endRead();
  }
});
