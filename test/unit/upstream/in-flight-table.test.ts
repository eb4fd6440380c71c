import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InFlightTable } from '../../../src/upstream/in-flight-table.js';
import { seededRandom } from '../seeded-random.js';

test('behaves as a Map<number, T> under random sets, deletes and lookups (ids that collide and wrap)', () => {
  for (const seed of [1, 2, 3]) {
    const random = seededRandom(seed);
    const table = new InFlightTable<{ id: number }>(2);
    const oracle = new Map<number, { id: number }>();
    // A small key space of mixed ids (negative, large, consecutive) forces collisions and long runs.
    const keys = [0, 1, 2, 3, 16, 32, 33, -1, -16, 2 ** 31, 2 ** 32 + 1, 2 ** 53 - 1, 7, 23, 39, 55];
    for (let step = 0; step < 20_000; step++) {
      const key = keys[Math.floor(random() * keys.length)]!;
      const op = random();
      if (op < 0.45) {
        const value = { id: step };
        table.set(key, value);
        oracle.set(key, value);
      } else if (op < 0.9) {
        assert.equal(table.delete(key), oracle.delete(key), `seed ${seed} step ${step}: delete ${key}`);
      } else if (op < 0.995) {
        assert.equal(table.get(key), oracle.get(key), `seed ${seed} step ${step}: get ${key}`);
        assert.equal(table.has(key), oracle.has(key));
      } else {
        table.clear();
        oracle.clear();
      }
      assert.equal(table.size, oracle.size);
    }
    const values = table.values().map(v => v.id);
    assert.deepEqual(
      values.sort((a, b) => a - b),
      [...oracle.values()].map(v => v.id).sort((a, b) => a - b),
    );
    for (const key of keys) assert.equal(table.get(key), oracle.get(key));
  }
});

test('grows past its first capacity and keeps every entry', () => {
  const table = new InFlightTable<string>(2);
  for (let id = 1; id <= 1000; id++) table.set(id, `r${id}`);
  assert.equal(table.size, 1000);
  for (let id = 1; id <= 1000; id += 2) assert.ok(table.delete(id));
  for (let id = 1; id <= 1000; id++) assert.equal(table.get(id), id % 2 === 0 ? `r${id}` : undefined);
  assert.equal(table.delete(1), false);
});

test('the capacity must be a power of two', () => {
  assert.throws(() => new InFlightTable(12), RangeError);
  assert.throws(() => new InFlightTable(1), RangeError);
});

test('a connection pipelining consecutive ids, answered mostly oldest first, finds every request', () => {
  const random = seededRandom(7);
  const table = new InFlightTable<{ id: number }>();
  const oracle = new Map<number, { id: number }>();
  let next = 1;
  // Some requests stay long (a slow call) while ids move on past the table's size: they collide.
  for (let step = 0; step < 50_000; step++) {
    if (oracle.size < 256 || random() < 0.5) {
      const value = { id: next };
      table.set(next, value);
      oracle.set(next, value);
      next++;
    } else {
      const keys = [...oracle.keys()];
      const key = random() < 0.9 ? keys[0]! : keys[Math.floor(random() * keys.length)]!;
      assert.equal(table.delete(key), true, `step ${step}: delete ${key}`);
      oracle.delete(key);
    }
    if (step % 97 === 0) {
      for (const [key, value] of oracle) assert.equal(table.get(key), value, `step ${step}: get ${key}`);
    }
    assert.equal(table.size, oracle.size);
  }
});
