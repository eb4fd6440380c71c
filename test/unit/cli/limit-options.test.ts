/** `--connection-buffer-limit` and the other limit flags: sizes, durations, defaults, usage errors. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { limitOptions } from '../../../src/cli/limit-options.js';
import { AerakiError, ErrorCodes } from '../../../src/errors.js';
import { DEFAULT_PROXY_LIMITS } from '../../../src/proxy/proxy-limits.js';

function usageError(pattern: RegExp): (err: unknown) => boolean {
  return err => err instanceof AerakiError && err.code === ErrorCodes.CLI_USAGE && pattern.test(err.message);
}

describe('limit options', () => {
  test("nothing given: Envoy's defaults", () => {
    assert.deepEqual(limitOptions({}), DEFAULT_PROXY_LIMITS);
    assert.equal(DEFAULT_PROXY_LIMITS.connectionBufferBytes, 1024 * 1024);
    assert.equal(DEFAULT_PROXY_LIMITS.idleTimeoutMs, 3_600_000);
  });

  test('every flag sets its limit', () => {
    assert.deepEqual(
      limitOptions({
        'connection-buffer-limit': '64Ki',
        'max-concurrent-requests': '100',
        'idle-timeout': '5m',
        'incomplete-frame-timeout': '0',
        'max-incomplete-frames': '16Mi',
        'overload-buffered': '0',
        'overload-heap': '1Gi',
      }),
      {
        connectionBufferBytes: 65536,
        maxConcurrentRequests: 100,
        idleTimeoutMs: 300_000,
        incompleteFrameTimeoutMs: 0,
        maxIncompleteFrameBytes: 16 * 1024 * 1024,
        maxBufferedBytes: 0,
        maxHeapBytes: 1024 ** 3,
      },
    );
  });

  test('a bad value is a usage error naming the flag and the value', () => {
    assert.throws(
      () => limitOptions({ 'connection-buffer-limit': 'big' }),
      usageError(/--connection-buffer-limit must be a size such as .*, got 'big'/),
    );
    assert.throws(
      () => limitOptions({ 'connection-buffer-limit': '0' }),
      usageError(/--connection-buffer-limit must be at least 1 bytes, got '0'/),
    );
    assert.throws(
      () => limitOptions({ 'max-concurrent-requests': '0' }),
      usageError(/--max-concurrent-requests must be a whole number ≥ 1, got '0'/),
    );
    assert.throws(
      () => limitOptions({ 'idle-timeout': '1 hour' }),
      usageError(/--idle-timeout must be a duration such as 30s, 500ms or 1h, got '1 hour'/),
    );
  });
});
