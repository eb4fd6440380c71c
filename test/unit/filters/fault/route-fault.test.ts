import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RouteFault } from '../../../../src/filters/fault/route-fault.js';
import type { FaultErrorKind } from '../../../../src/xds/resources.js';

/** A random source that plays back `values` in a loop. */
function playback(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe('RouteFault', () => {
  test('a delay applies to the sampled share only, with its duration', () => {
    const fault = new RouteFault(
      'r',
      { delay: { fixedDelayMs: 200, percent: 50 } },
      playback(0.1, 0.7, 0.49, 0.5),
    );
    assert.equal(fault.delayMs, 200);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => fault.shouldDelay()),
      [true, false, true, false],
    );
    assert.equal(fault.shouldAbort(), false, 'no abort configured');
  });

  test('an abort applies to the sampled share only; fractions of a percent work', () => {
    const fault = new RouteFault(
      'r',
      { abort: { errorKind: 'unavailable', percent: 12.5 } },
      playback(0.1249, 0.125, 0.9),
    );
    assert.deepEqual(
      [1, 2, 3].map(() => fault.shouldAbort()),
      [true, false, false],
    );
    assert.equal(fault.shouldDelay(), false, 'no delay configured');
  });

  test('0% never and 100% always apply, without drawing random numbers', () => {
    const noRandom = (): number => assert.fail('no random number needed');
    const never = new RouteFault('r', { abort: { errorKind: 'internal', percent: 0 } }, noRandom);
    const always = new RouteFault(
      'r',
      { delay: { fixedDelayMs: 5, percent: 100 }, abort: { errorKind: 'internal', percent: 100 } },
      noRandom,
    );
    for (let i = 0; i < 10; i++) {
      assert.equal(never.shouldAbort(), false);
      assert.equal(always.shouldDelay(), true);
      assert.equal(always.shouldAbort(), true);
    }
  });

  test('each error kind maps to the local reply every codec knows', () => {
    const expected: Record<FaultErrorKind, string> = {
      unavailable: 'no-healthy-upstream',
      'connect-failure': 'connect-failure',
      reset: 'upstream-reset',
      timeout: 'timeout',
      'over-limit': 'over-limit',
      'bad-request': 'bad-request',
      internal: 'internal',
    };
    for (const [errorKind, kind] of Object.entries(expected)) {
      const fault = new RouteFault('r', { abort: { errorKind: errorKind as FaultErrorKind, percent: 100 } });
      assert.equal(fault.abortKind, kind, errorKind);
    }
  });

  test('the abort message names the route and the fault unless the route gives one', () => {
    const named = new RouteFault('chaos', { abort: { errorKind: 'over-limit', percent: 100 } });
    assert.equal(named.abortMessage, "aeraki: fault injected by route 'chaos': abort (over-limit)");
    const custom = new RouteFault('chaos', {
      abort: { errorKind: 'over-limit', percent: 100, message: 'drill in progress' },
    });
    assert.equal(custom.abortMessage, 'drill in progress');
  });
});
