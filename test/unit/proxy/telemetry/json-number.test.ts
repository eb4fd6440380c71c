import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_NUMBER_BYTES, writeJsonNumber } from '../../../../src/proxy/telemetry/json-number.js';
import { seededRandom } from '../../seeded-random.js';

function numberBytes(value: number): Buffer {
  const buf = Buffer.alloc(MAX_NUMBER_BYTES);
  return buf.subarray(0, writeJsonNumber(buf, 0, value));
}

test('numbers are written as JSON.stringify writes them; what is not finite as null', () => {
  const next = seededRandom(7);
  const values = [
    0, 1, 9, 10, 99, 100, 4294967295, 4294967296, -1, -0, 0.5, 1e21, 1e-7, -1.7976931348623157e308,
  ];
  for (let i = 0; i < 2000; i++) values.push(Math.floor(next() * 2 ** (1 + Math.floor(next() * 40))));
  for (let i = 0; i < 200; i++) values.push((next() - 0.5) * 10 ** Math.floor(next() * 30));
  for (const value of values) {
    const bytes = numberBytes(value);
    assert.ok(bytes.length <= MAX_NUMBER_BYTES);
    assert.equal(bytes.toString('latin1'), JSON.stringify(value), String(value));
  }
  for (const value of [NaN, Infinity, -Infinity]) assert.equal(numberBytes(value).toString('latin1'), 'null');
});
