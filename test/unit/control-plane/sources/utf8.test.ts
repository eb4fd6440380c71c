/**
 * Strict UTF-8: well-formed text decodes as the platform's fatal TextDecoder does; anything else is
 * refused at the offset, line and column of its first ill-formed sequence.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeUtf8, firstInvalidUtf8 } from '../../../../src/control-plane/sources/utf8.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('firstInvalidUtf8', () => {
  test('each class of ill-formed sequence is found at its first byte', () => {
    const cases: Array<[string, Uint8Array, number]> = [
      ['a lone continuation byte', bytes(0x61, 0x80), 1],
      ['C0/C1: overlong two-byte forms', bytes(0x61, 0xc0, 0xaf), 1],
      ['overlong three-byte form', bytes(0xe0, 0x80, 0xaf), 0],
      ['UTF-16 surrogate', bytes(0x61, 0x62, 0xed, 0xa0, 0x80), 2],
      ['above U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80), 0],
      ['F5 and above', bytes(0xf5, 0x80, 0x80, 0x80), 0],
      ['a continuation missing', bytes(0xc3, 0x28), 0],
      ['truncated at the end', bytes(0x61, 0xe2, 0x82), 1],
      ['Latin-1 é', Buffer.from('caf\xe9', 'latin1'), 3],
    ];
    for (const [what, input, offset] of cases) assert.equal(firstInvalidUtf8(input), offset, what);
  });

  test('agrees with the fatal TextDecoder on any bytes', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), input => {
        let valid = true;
        try {
          decoder.decode(input);
        } catch {
          valid = false;
        }
        assert.equal(firstInvalidUtf8(input) === input.length, valid);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('decodeUtf8', () => {
  test('well-formed text, a byte order mark dropped', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), text => {
        assert.equal(decodeUtf8(Buffer.from(text, 'utf8')), text);
      }),
    );
    assert.equal(decodeUtf8(Buffer.from('\ufeffkind: A\n', 'utf8')), 'kind: A\n');
  });

  test('says where the text stops being UTF-8: offset, line, column and the bytes there', () => {
    const input = Buffer.concat([Buffer.from('kind: A\nmetadata:\n  name: é'), bytes(0xff, 0x41)]);
    assert.deepEqual(decodeUtf8(input), { offset: 28, line: 3, column: 10, bytes: '0xff 0x41' });
  });
});
