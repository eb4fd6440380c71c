import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldEnd, readVarint } from '../../../src/xds/protobuf-fields.js';

test('varints: one byte, several bytes, and truncated input', () => {
  assert.deepEqual(readVarint(Uint8Array.of(0x05), 0), [5, 1]);
  assert.deepEqual(readVarint(Uint8Array.of(0x00, 0xac, 0x02), 1), [300, 3]);
  assert.deepEqual(readVarint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f), 0), [2 ** 32 - 1, 5]);
  assert.throws(() => readVarint(Uint8Array.of(0x80), 0), /truncated varint/);
});

test('field ends for each supported wire type; groups are not supported', () => {
  // field 1 varint 300 · field 2 fixed64 · field 3 bytes "abc" · field 4 fixed32
  const buf = Uint8Array.of(
    0x08,
    0xac,
    0x02,
    0x11,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    0x1a,
    3,
    97,
    98,
    99,
    0x25,
    1,
    2,
    3,
    4,
  );
  const ends: [number, number][] = [];
  let offset = 0;
  while (offset < buf.length) {
    const [tag, afterTag] = readVarint(buf, offset);
    offset = fieldEnd(buf, tag & 7, afterTag);
    ends.push([tag >>> 3, offset]);
  }
  assert.deepEqual(ends, [
    [1, 3],
    [2, 12],
    [3, 17],
    [4, 22],
  ]);
  assert.equal(fieldEnd(Uint8Array.of(0x0b), 3, 1), -1);
});
