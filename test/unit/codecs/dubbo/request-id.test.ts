/**
 * The Dubbo request id is a signed 64-bit Java long: every value reads back as the SDK's normal form
 * (a number up to 2^53 - 1 either side of 0, else a bigint) and writes back to the same 8 bytes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isNormalRequestId, normalizeRequestId } from '../../../../src/codec/request-id.js';
import {
  isValidRequestId,
  readRequestId,
  requestIdFromWords,
  writeRequestId,
} from '../../../../src/codecs/dubbo/request-id.js';

/** A header whose id field holds `id` (written by Node, not by the code under test). */
function headerWith(id: bigint): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeBigInt64BE(id, 4);
  return bytes;
}

const SAFE = 2n ** 53n - 1n;
/** Ids at every edge: the fast path's, the safe range's and the long's, and the one from the field. */
const EDGES: readonly bigint[] = [
  0n,
  1n,
  -1n,
  2n ** 31n - 1n,
  -(2n ** 31n),
  2n ** 32n - 1n,
  2n ** 32n,
  -(2n ** 32n),
  -(2n ** 32n) - 1n,
  2n ** 53n - 2n ** 32n,
  -(2n ** 53n) + 2n ** 32n,
  -(2n ** 53n) + 2n ** 32n - 1n,
  SAFE,
  -SAFE,
  SAFE + 1n,
  -SAFE - 1n,
  SAFE + 2n,
  -SAFE - 2n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  0x0ba57dc2b73348adn,
];

describe('dubbo request id', () => {
  test('every edge reads as the normal form and writes back the same bytes', () => {
    for (const id of EDGES) {
      const bytes = headerWith(id);
      const read = readRequestId(bytes);
      const safe = id >= -SAFE && id <= SAFE;
      assert.equal(typeof read, safe ? 'number' : 'bigint', `type of ${id}`);
      assert.equal(BigInt(read), id);
      assert.ok(isNormalRequestId(read));
      assert.ok(isValidRequestId(read));
      const out = Buffer.alloc(16);
      writeRequestId(out, read);
      assert.equal(out.toString('hex'), bytes.toString('hex'), `bytes of ${id}`);
    }
  });

  test('the words of an id give the same id as its bytes', () => {
    for (const id of EDGES) {
      const bytes = headerWith(id);
      assert.equal(requestIdFromWords(bytes.readInt32BE(4), bytes.readUInt32BE(8)), readRequestId(bytes));
    }
  });

  test('any long round-trips (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), id => {
        const read = readRequestId(headerWith(id));
        assert.equal(read, normalizeRequestId(id));
        const out = Buffer.alloc(16);
        writeRequestId(out, read);
        assert.equal(out.readBigInt64BE(4), id);
      }),
      { numRuns: 2000 },
    );
  });

  test('only safe integers and bigints that fit a long can be written', () => {
    for (const id of [
      0,
      -1,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      2n ** 63n - 1n,
      -(2n ** 63n),
    ]) {
      assert.ok(isValidRequestId(id), String(id));
    }
    for (const id of [0.5, NaN, Infinity, 2 ** 53, -(2 ** 53), 2n ** 63n, -(2n ** 63n) - 1n]) {
      assert.equal(isValidRequestId(id), false, String(id));
    }
  });
});
