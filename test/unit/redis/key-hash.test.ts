import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyHash, keySlot } from '../../../src/redis/key-hash.js';

function slot(key: string): number {
  const buf = Buffer.from(key);
  return keySlot(buf, 0, buf.length);
}

test("slots are Redis Cluster's (CRC16-XMODEM mod 16384), hash tags honoured", () => {
  // Values from `redis-cli CLUSTER KEYSLOT`.
  assert.equal(slot('foo'), 12182);
  assert.equal(slot('bar'), 5061);
  assert.equal(slot('hello'), 866);
  assert.equal(slot('{user1000}.following'), slot('user1000'));
  assert.equal(slot('{user1000}.followers'), slot('{user1000}.following'));
  // An empty tag and an unclosed brace hash the whole key.
  assert.equal(slot('foo{}{bar}'), slot('foo{}{bar}'));
  assert.notEqual(slot('foo{}{bar}'), slot('bar'));
  assert.equal(slot('foo{{bar}}zap'), slot('{bar'));
  assert.equal(slot('{abc'), slot('{abc'));
});

test('key hashes use the hash tag only with hashtagging', () => {
  const a = Buffer.from('{u1}.a');
  const b = Buffer.from('{u1}.b');
  assert.equal(keyHash(a, 0, a.length, true), keyHash(b, 0, b.length, true));
  assert.notEqual(keyHash(a, 0, a.length, false), keyHash(b, 0, b.length, false));
});
