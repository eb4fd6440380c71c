/**
 * PushThrottle: streams push while the bytes of answers they are owed fit the budget (one at least),
 * the others resume in the order they asked.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PushThrottle, type ThrottledStream } from '../../../../src/control-plane/server/push-throttle.js';

function streams(log: string[], ...names: string[]): ThrottledStream[] {
  return names.map(name => ({ resume: () => log.push(name) }));
}

describe('PushThrottle', () => {
  test('grants while the bytes fit; a released slot goes to those waiting, in order', () => {
    const log: string[] = [];
    const throttle = new PushThrottle(100);
    const [a, b, c, d] = streams(log, 'a', 'b', 'c', 'd') as [
      ThrottledStream,
      ThrottledStream,
      ThrottledStream,
      ThrottledStream,
    ];
    assert.equal(throttle.acquire(a, 60), true);
    assert.equal(throttle.acquire(b, 30), true);
    assert.equal(throttle.acquire(c, 30), false, '120 > 100');
    assert.equal(throttle.acquire(d, 5), false, 'fits, but does not overtake c');
    assert.deepEqual([throttle.inFlight, throttle.inFlightBytes, throttle.queued], [2, 90, 2]);

    throttle.release(d); // d holds no slot: nothing changes, it keeps its place
    assert.deepEqual([throttle.inFlight, throttle.queued], [2, 2]);
    throttle.release(a);
    assert.deepEqual(log, ['c', 'd'], 'both fit once a is done');
    assert.deepEqual([throttle.inFlight, throttle.inFlightBytes, throttle.queued], [3, 65, 0]);
    assert.equal(throttle.acquire(c, 50), true, 'a holder may push more');
    assert.equal(throttle.inFlightBytes, 115);
    for (const s of [b, c, d]) throttle.release(s);
    assert.deepEqual([throttle.inFlight, throttle.inFlightBytes], [0, 0]);
  });

  test('a push larger than the budget goes alone', () => {
    const log: string[] = [];
    const throttle = new PushThrottle(10);
    const [big, small] = streams(log, 'big', 'small') as [ThrottledStream, ThrottledStream];
    assert.equal(throttle.acquire(big, 500), true);
    assert.equal(throttle.acquire(small, 1), false);
    throttle.release(big);
    assert.deepEqual(log, ['small']);
  });

  test('a waiting stream that goes away gives up its place', () => {
    const log: string[] = [];
    const throttle = new PushThrottle(1);
    const [a, b, c] = streams(log, 'a', 'b', 'c') as [ThrottledStream, ThrottledStream, ThrottledStream];
    throttle.acquire(a, 1);
    throttle.acquire(b, 1);
    throttle.acquire(c, 1);
    throttle.forget(b);
    throttle.release(a);
    assert.deepEqual(log, ['c']);
  });

  test('a slot held longer than the hold limit is taken back', async () => {
    const log: string[] = [];
    const throttle = new PushThrottle(1, 20);
    const [silent, next] = streams(log, 'silent', 'next') as [ThrottledStream, ThrottledStream];
    throttle.acquire(silent, 1);
    assert.equal(throttle.acquire(next, 1), false);
    await new Promise(resolve => setTimeout(resolve, 60));
    assert.deepEqual(log, ['next']);
  });
});
