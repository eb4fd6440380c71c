/** --debounce-after / --debounce-max and Istio's PILOT_DEBOUNCE_* variables, down to the ADS server. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { debounceOptions } from '../../../src/cli/debounce-options.js';
import { DEFAULT_DEBOUNCE } from '../../../src/control-plane/cache/index.js';
import { ControlPlane } from '../../../src/control-plane/control-plane.js';
import { AerakiError, ErrorCodes } from '../../../src/errors.js';

function usageError(pattern: RegExp): (err: unknown) => boolean {
  return err => err instanceof AerakiError && err.code === ErrorCodes.CLI_USAGE && pattern.test(err.message);
}

describe('push debounce options', () => {
  test('defaults to 100 ms quiet and 1 s at most', () => {
    assert.deepEqual(debounceOptions({}, {}), DEFAULT_DEBOUNCE);
    assert.deepEqual(DEFAULT_DEBOUNCE, { quietPeriodMs: 100, maxDelayMs: 1000 });
  });

  test('takes durations as Istio writes them; an option wins over the environment', () => {
    assert.deepEqual(debounceOptions({ 'debounce-after': '250ms', 'debounce-max': '1.5s' }, {}), {
      quietPeriodMs: 250,
      maxDelayMs: 1500,
    });
    const env = { PILOT_DEBOUNCE_AFTER: '50ms', PILOT_DEBOUNCE_MAX: '10s' };
    assert.deepEqual(debounceOptions({}, env), { quietPeriodMs: 50, maxDelayMs: 10_000 });
    assert.deepEqual(debounceOptions({ 'debounce-max': '2s' }, env), { quietPeriodMs: 50, maxDelayMs: 2000 });
    assert.deepEqual(debounceOptions({ 'debounce-after': '0' }, {}), { quietPeriodMs: 0, maxDelayMs: 1000 });
  });

  test('a value that is not a duration, or a maximum below the quiet period, is a usage error', () => {
    assert.throws(
      () => debounceOptions({ 'debounce-after': '100' }, {}),
      usageError(/--debounce-after must be a duration .* got '100'/),
    );
    assert.throws(
      () => debounceOptions({}, { PILOT_DEBOUNCE_MAX: 'soon' }),
      usageError(/PILOT_DEBOUNCE_MAX must be a duration .* got 'soon'/),
    );
    assert.throws(
      () => debounceOptions({ 'debounce-after': '2s' }, {}),
      usageError(/maximum \(1000 ms\) must not be shorter than the quiet period \(2000 ms\)/),
    );
  });

  test('the control plane hands the debounce to its ADS server', () => {
    const debounce = { quietPeriodMs: 30, maxDelayMs: 300 };
    const controlPlane = new ControlPlane({
      dir: '/nonexistent',
      logger: pino({ enabled: false }),
      debounce,
    });
    assert.deepEqual(controlPlane.server.cache.debounce, debounce);
    const defaults = new ControlPlane({ dir: '/nonexistent', logger: pino({ enabled: false }) });
    assert.deepEqual(defaults.server.cache.debounce, DEFAULT_DEBOUNCE);
  });
});
