import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteQueue } from '../../../src/codec/byte-queue.js';
import { CodecError } from '../../../src/errors.js';

describe('ByteQueue', () => {
  test('reads by offset across chunks and takes whole frames', () => {
    const queue = new ByteQueue();
    queue.push(Buffer.from([1, 2]));
    queue.push(Buffer.from([3, 4, 5]));
    assert.equal(queue.length, 5);
    assert.equal(queue.u8(2), 3);
    assert.equal(queue.u16(1), 0x0203);
    assert.equal(queue.i32(1), 0x02030405);
    assert.deepEqual([...queue.take(3)], [1, 2, 3]);
    assert.equal(queue.u8(0), 4);
    assert.throws(() => queue.u8(2), CodecError);
  });

  test('a frame inside one chunk is a view, a frame across chunks one copy', () => {
    const first = Buffer.from([1, 2, 3, 4]);
    const second = Buffer.from([5]);
    const queue = new ByteQueue();
    queue.push(first);
    queue.push(second);
    const view = queue.take(2);
    const copy = queue.take(3);
    first.fill(0);
    second.fill(0);
    assert.deepEqual([...view], [0, 0], 'the view shares the chunk memory');
    assert.deepEqual([...copy], [3, 4, 5], 'the copy does not');
  });

  test('consumed counts every byte removed by take, skip and clear', () => {
    const queue = new ByteQueue();
    queue.push(Buffer.from([1, 2, 3, 4, 5, 6]));
    assert.equal(queue.consumed, 0);
    queue.take(2);
    queue.skip(1);
    assert.equal(queue.consumed, 3);
    queue.push(Buffer.from([7]));
    assert.equal(queue.consumed, 3);
    queue.clear();
    assert.equal(queue.consumed, 7);
    assert.equal(queue.length, 0);
  });
});
