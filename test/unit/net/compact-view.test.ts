import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compactView } from '../../../src/net/compact-view.js';

describe('compactView', () => {
  test('a small view of a large chunk is copied into a buffer of its own', () => {
    const chunk = Buffer.alloc(65536, 7);
    const view = chunk.subarray(100, 150);
    const copy = compactView(view);
    assert.notEqual(copy, view);
    assert.deepEqual(copy, view);
    assert.equal(copy.buffer.byteLength, 50, 'not a slice of a shared pool either');
  });

  test('a view that is most of its chunk, or of a small chunk, is kept as it is', () => {
    const chunk = Buffer.alloc(65536);
    const most = chunk.subarray(0, 60000);
    assert.equal(compactView(most), most);
    const small = Buffer.alloc(4096).subarray(0, 10);
    assert.equal(compactView(small), small);
  });
});
