import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LocalReplyKind } from '../../../../src/codec/index.js';
import { CompiledRetryPolicy, DEFAULT_RETRY_POLICY } from '../../../../src/filters/router/retry-policy.js';

const ALL_KINDS: LocalReplyKind[] = [
  'no-route',
  'no-cluster',
  'no-healthy-upstream',
  'connect-failure',
  'upstream-reset',
  'timeout',
  'over-limit',
  'bad-request',
  'bad-response',
  'internal',
];

function retriableKinds(policy: CompiledRetryPolicy, responseStarted = false): LocalReplyKind[] {
  return ALL_KINDS.filter(kind => policy.retriable(kind, responseStarted));
}

describe('CompiledRetryPolicy', () => {
  test('connect-failure retries only failures where the request was never sent', () => {
    const policy = new CompiledRetryPolicy({ attempts: 2, retryOn: ['connect-failure'] });
    assert.deepEqual(retriableKinds(policy), ['connect-failure']);
  });

  test('reset retries broken connections and per-try timeouts (reported as timeout)', () => {
    const policy = new CompiledRetryPolicy({ attempts: 2, retryOn: ['reset'] });
    assert.deepEqual(retriableKinds(policy), ['upstream-reset', 'timeout']);
  });

  test('both together; nothing else is ever retried (error replies, bad responses, limits)', () => {
    const policy = new CompiledRetryPolicy({ attempts: 2, retryOn: ['connect-failure', 'reset'] });
    assert.deepEqual(retriableKinds(policy), ['connect-failure', 'upstream-reset', 'timeout']);
  });

  test('no retry once a byte of the reply came back', () => {
    const policy = new CompiledRetryPolicy({ attempts: 2, retryOn: ['connect-failure', 'reset'] });
    assert.deepEqual(retriableKinds(policy, true), []);
  });

  test('no conditions, no retry', () => {
    assert.deepEqual(retriableKinds(new CompiledRetryPolicy({ attempts: 3, retryOn: [] })), []);
  });

  test('attempts and per-try timeout are carried; no per-try timeout is 0', () => {
    const policy = new CompiledRetryPolicy({ attempts: 3, perTryTimeoutMs: 300, retryOn: ['reset'] });
    assert.equal(policy.attempts, 3);
    assert.equal(policy.perTryTimeoutMs, 300);
    assert.equal(new CompiledRetryPolicy({ attempts: 1, retryOn: ['reset'] }).perTryTimeoutMs, 0);
  });

  test("Istio's default: two retries of connect failures, outside the retry budget", () => {
    assert.equal(DEFAULT_RETRY_POLICY.attempts, 2);
    assert.equal(DEFAULT_RETRY_POLICY.perTryTimeoutMs, 0);
    assert.equal(DEFAULT_RETRY_POLICY.budgeted, false);
    assert.deepEqual(retriableKinds(DEFAULT_RETRY_POLICY), ['connect-failure']);
    assert.equal(new CompiledRetryPolicy({ attempts: 2, retryOn: ['connect-failure'] }).budgeted, true);
  });
});
