import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
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

describe('ByteQueue reads across many chunks', () => {
  test('every offset reads the same byte as in the whole input, whatever the chunking and reads', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 400 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(3)), { maxLength: 60 }),
        (bytes, sizes, reads) => {
          const queue = new ByteQueue();
          const whole = Buffer.from(bytes);
          for (let at = 0, i = 0; at < whole.length; i++) {
            const size = sizes[i % sizes.length]!;
            queue.push(Buffer.from(whole.subarray(at, at + size)));
            at += size;
          }
          let removed = 0;
          for (const [offset, action] of reads) {
            if (queue.length === 0) break;
            const at = offset % queue.length;
            // Reads in any order (the remembered chunk must not go stale), and removals in between.
            assert.equal(queue.u8(at), whole[removed + at]);
            if (action === 0) {
              const n = 1 + (offset % queue.length);
              queue.skip(n);
              removed += n;
            }
          }
        },
      ),
      { numRuns: 300, seed: 5 },
    );
  });
});

describe('ByteQueue.expectFrame', () => {
  test('gathers a frame as its chunks arrive: one buffer, taken without another copy', () => {
    const frame = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const queue = new ByteQueue();
    queue.push(Buffer.from(frame.subarray(0, 10)));
    queue.expectFrame(100);
    queue.push(Buffer.from(frame.subarray(10, 40)));
    const early = queue.peek(0, 40);
    queue.push(Buffer.from(frame.subarray(40, 100)));
    queue.push(Buffer.from([200, 201]));
    assert.equal(queue.length, 102);
    const taken = queue.take(100);
    assert.ok(taken.equals(frame));
    assert.equal(taken.buffer, early.buffer, 'peek before and take after share the gathered buffer');
    assert.equal(taken.length, 100);
    assert.deepEqual([...queue.take(2)], [200, 201], 'the bytes after the frame stay queued');
  });

  test('a frame already spread over chunks is gathered at once; the next chunk may complete it', () => {
    const queue = new ByteQueue();
    queue.push(Buffer.from([9, 9, 1, 2]));
    queue.skip(2);
    queue.push(Buffer.from([3, 4]));
    queue.expectFrame(8);
    assert.equal(queue.peek(0, 4).length, 4);
    queue.push(Buffer.from([5, 6, 7, 8, 9]));
    assert.deepEqual([...queue.take(8)], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(queue.u8(0), 9);
  });

  test('does nothing for a frame that has arrived, and lapses when bytes are removed', () => {
    const queue = new ByteQueue();
    queue.push(Buffer.from([1, 2, 3]));
    queue.expectFrame(3);
    queue.push(Buffer.from([4]));
    assert.deepEqual([...queue.take(3)], [1, 2, 3]);
    queue.expectFrame(10);
    queue.skip(1);
    queue.push(Buffer.from([5, 6]));
    queue.push(Buffer.from([7]));
    assert.deepEqual([...queue.take(3)], [5, 6, 7]);
    queue.push(Buffer.from([1]));
    queue.expectFrame(4);
    queue.clear();
    queue.push(Buffer.from([8]));
    queue.push(Buffer.from([9]));
    assert.deepEqual([...queue.take(2)], [8, 9]);
  });
});
