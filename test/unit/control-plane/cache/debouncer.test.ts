/** The debouncer under mocked timers: quiet period, maximum delay, flush and cancel. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { Debouncer } from '../../../../src/control-plane/cache/index.js';

describe('Debouncer', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
  afterEach(() => mock.timers.reset());

  test('fires once, a quiet period after the last change', () => {
    let fired = 0;
    const d = new Debouncer({ quietPeriodMs: 100, maxDelayMs: 1000 }, () => fired++);
    d.poke();
    mock.timers.tick(60);
    d.poke();
    mock.timers.tick(60);
    d.poke();
    mock.timers.tick(99);
    assert.equal(fired, 0);
    mock.timers.tick(1);
    assert.equal(fired, 1);
    assert.equal(d.pending, false);
  });

  test('a steady stream of changes still fires at the maximum delay', () => {
    const times: number[] = [];
    const d = new Debouncer({ quietPeriodMs: 100, maxDelayMs: 300 }, () => times.push(Date.now()));
    for (let t = 0; t < 700; t += 50) {
      d.poke();
      mock.timers.tick(50);
    }
    assert.deepEqual(times, [300, 600]);
  });

  test('flush fires a waiting change now; cancel drops it', () => {
    let fired = 0;
    const d = new Debouncer({ quietPeriodMs: 100, maxDelayMs: 1000 }, () => fired++);
    d.flush();
    assert.equal(fired, 0);
    d.poke();
    d.flush();
    assert.equal(fired, 1);
    d.poke();
    d.cancel();
    mock.timers.tick(2000);
    assert.equal(fired, 1);
  });

  test('a zero quiet period fires at once', () => {
    let fired = 0;
    new Debouncer({ quietPeriodMs: 0, maxDelayMs: 0 }, () => fired++).poke();
    assert.equal(fired, 1);
  });
});
