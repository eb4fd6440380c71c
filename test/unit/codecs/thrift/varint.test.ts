import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import {
  unzigzag32,
  varint32Size,
  varint32Value,
  varintLength,
  writeVarint32,
  zigzag32,
} from '../../../../src/codecs/thrift/varint.js';
import { CodecError } from '../../../../src/errors.js';

describe('varints', () => {
  test('write, measure and read back any 32-bit value', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0xffffffff }), value => {
        const out = Buffer.alloc(5);
        const end = writeVarint32(out, 0, value);
        assert.equal(end, varint32Size(value));
        const queue = new ByteQueue();
        queue.push(out.subarray(0, end));
        assert.equal(varintLength(queue, 0, end, 5), end);
        assert.equal(varint32Value(queue, 0, end), value >>> 0);
      }),
      { seed: 3 },
    );
  });

  test('known encodings', () => {
    const cases: [number, number[]][] = [
      [0, [0]],
      [127, [0x7f]],
      [128, [0x80, 0x01]],
      [300, [0xac, 0x02]],
      [-1, [0xff, 0xff, 0xff, 0xff, 0x0f]],
    ];
    for (const [value, bytes] of cases) {
      const out = Buffer.alloc(5);
      assert.deepEqual([...out.subarray(0, writeVarint32(out, 0, value))], bytes);
    }
  });

  test('an unfinished varint asks for more; an overlong one is malformed', () => {
    const queue = new ByteQueue();
    queue.push(Buffer.from([0x80, 0x80]));
    assert.equal(varintLength(queue, 0, 2, 5), 0);
    queue.push(Buffer.from([0x80, 0x80, 0x80, 0x80]));
    assert.throws(() => varintLength(queue, 0, 6, 5), CodecError);
  });

  test('zigzag maps small magnitudes to small numbers and back', () => {
    assert.deepEqual([0, -1, 1, -2, 2].map(zigzag32), [0, 1, 2, 3, 4]);
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), value => {
        assert.equal(unzigzag32(zigzag32(value)), value);
      }),
      { seed: 5 },
    );
  });
});
