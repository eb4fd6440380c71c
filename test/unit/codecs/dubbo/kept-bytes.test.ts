import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeptBytes } from '../../../../src/codecs/dubbo/kept-bytes.js';

test('kept bytes equal exactly the same bytes at any offset, whatever their length', () => {
  for (let length = 1; length <= 11; length++) {
    const source = Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 37 + 200) & 0xff));
    const kept = new KeptBytes(64);
    kept.keep(source, 3, 3 + length);
    assert.equal(kept.length, length);
    const elsewhere = Buffer.concat([Buffer.alloc(9), source.subarray(3, 3 + length), Buffer.alloc(4)]);
    assert.equal(kept.equals(elsewhere, 9), true, `length ${length}`);
    assert.equal(kept.equals(source, 3), true);
    // Any one byte changed, in a four-byte word or in the tail, is a difference.
    for (let i = 0; i < length; i++) {
      const changed = Buffer.from(elsewhere);
      changed[9 + i]! ^= 0x80;
      assert.equal(kept.equals(changed, 9), false, `length ${length}, byte ${i}`);
    }
  }
});

test('bytes longer than the most kept are not kept; a longer keep grows the copy', () => {
  const kept = new KeptBytes(100);
  const source = Buffer.alloc(300, 7);
  kept.keep(source, 0, 101);
  assert.equal(kept.length, 0);
  kept.keep(source, 0, 10);
  kept.keep(Buffer.alloc(100, 9), 0, 100);
  assert.equal(kept.length, 100);
  assert.equal(kept.equals(Buffer.alloc(100, 9), 0), true);
  assert.equal(kept.equals(Buffer.alloc(100, 7), 0), false);
});
