/** PushThrottle: at most `limit` streams push at once, the others resume in the order they asked. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PushThrottle, type ThrottledStream } from '../../../../src/control-plane/server/push-throttle.js';

function stream(name: string, log: string[]): ThrottledStream {
  return { resume: () => log.push(name) };
}

describe('PushThrottle', () => {
  test('grants up to the limit; a released slot goes to the first waiting stream', () => {
    const log: string[] = [];
    const throttle = new PushThrottle(2);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(n => stream(n, log)) as [
      ThrottledStream,
      ThrottledStream,
      ThrottledStream,
      ThrottledStream,
    ];
    assert.equal(throttle.acquire(a), true);
    assert.equal(throttle.acquire(b), true);
    assert.equal(throttle.acquire(a), true, 'a holder asking again keeps its slot');
    assert.equal(throttle.acquire(c), false);
    assert.equal(throttle.acquire(d), false);
    assert.deepEqual([throttle.inFlight, throttle.queued], [2, 2]);

    throttle.release(d); // d holds no slot: nothing changes, it keeps its place
    assert.deepEqual([throttle.inFlight, throttle.queued], [2, 2]);
    throttle.release(a);
    assert.deepEqual(log, ['c']);
    assert.equal(throttle.acquire(c), true);
    throttle.forget(b); // gone
    assert.deepEqual(log, ['c', 'd']);
    assert.deepEqual([throttle.inFlight, throttle.queued], [2, 0]);
    throttle.release(c);
    throttle.release(d);
    assert.equal(throttle.inFlight, 0);
  });

  test('a waiting stream that goes away gives up its place', () => {
    const log: string[] = [];
    const throttle = new PushThrottle(1);
    const a = stream('a', log);
    const b = stream('b', log);
    const c = stream('c', log);
    throttle.acquire(a);
    throttle.acquire(b);
    throttle.acquire(c);
    throttle.forget(b);
    throttle.release(a);
    assert.deepEqual(log, ['c']);
  });

  test('a slot held longer than the hold limit is taken back', async () => {
    const log: string[] = [];
    const throttle = new PushThrottle(1, 20);
    throttle.acquire(stream('silent', log));
    assert.equal(throttle.acquire(stream('next', log)), false);
    await new Promise(resolve => setTimeout(resolve, 60));
    assert.deepEqual(log, ['next']);
  });
});
