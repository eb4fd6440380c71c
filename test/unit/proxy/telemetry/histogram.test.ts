import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FixedHistogram } from '../../../../src/proxy/telemetry/histogram.js';

test('values land in the first bucket whose bound is ≥ the value; cumulative counts add up', () => {
  const h = new FixedHistogram([1, 10, 100]);
  for (const v of [0, 1, 2, 10, 11, 1000]) h.observe(v);
  assert.deepEqual([...h.counts], [2, 2, 1, 1]);
  assert.deepEqual(h.cumulative(), [2, 4, 5, 6]);
  assert.equal(h.count, 6);
  assert.equal(h.sum, 1024);
});
