/** --config-rescan and --config-max-file-size, as `aeraki up`, `control-plane` and `validate` read them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configLimitOptions, configWatchOptions } from '../../../src/cli/config-source-options.js';
import { AerakiError, ErrorCodes } from '../../../src/errors.js';

function usageError(pattern: RegExp): (err: unknown) => boolean {
  return err => err instanceof AerakiError && err.code === ErrorCodes.CLI_USAGE && pattern.test(err.message);
}

test('--config-rescan: a duration, 0 turns it off, the source default when absent', () => {
  assert.deepEqual(configWatchOptions({}), {});
  assert.deepEqual(configWatchOptions({ 'config-rescan': '5s' }), { rescanIntervalMs: 5000 });
  assert.deepEqual(configWatchOptions({ 'config-rescan': '0' }), { rescanIntervalMs: 0 });
  assert.throws(() => configWatchOptions({ 'config-rescan': 'often' }), usageError(/got 'often'/));
  assert.throws(() => configWatchOptions({ 'config-rescan': '10ms' }), usageError(/at least 100ms/));
});

test('--config-max-file-size: a size with a unit', () => {
  assert.deepEqual(configLimitOptions({}), {});
  assert.deepEqual(configLimitOptions({ 'config-max-file-size': '64MiB' }), {
    maxFileBytes: 64 * 1024 * 1024,
  });
  assert.deepEqual(configLimitOptions({ 'config-max-file-size': '100000' }), { maxFileBytes: 100000 });
  assert.throws(() => configLimitOptions({ 'config-max-file-size': 'big' }), usageError(/got 'big'/));
  assert.throws(() => configLimitOptions({ 'config-max-file-size': '0' }), usageError(/got '0'/));
});
