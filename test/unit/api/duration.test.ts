import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationMs, parseDurationMs } from '../../../src/api/duration.js';

test('parses Go / protobuf-JSON durations to milliseconds', () => {
  assert.equal(parseDurationMs('10s'), 10_000);
  assert.equal(parseDurationMs('100ms'), 100);
  assert.equal(parseDurationMs('1m'), 60_000);
  assert.equal(parseDurationMs('1.5s'), 1500);
  assert.equal(parseDurationMs('0.100s'), 100);
  assert.equal(parseDurationMs('1h30m'), 5_400_000);
  assert.equal(parseDurationMs('250us'), 0.25);
  assert.equal(parseDurationMs('0'), 0);
  assert.equal(parseDurationMs('0s'), 0);
});

test('rejects what is not a duration', () => {
  for (const text of ['', '10', 's', '10 s', '-1s', '1d', '1.s', 'ten seconds', '1s2']) {
    assert.equal(parseDurationMs(text), undefined, text);
  }
});

test('durationMs rounds and falls back when absent', () => {
  assert.equal(durationMs(undefined, 42), 42);
  assert.equal(durationMs('1.5ms', 0), 2);
  assert.equal(durationMs('2s', 0), 2000);
});
