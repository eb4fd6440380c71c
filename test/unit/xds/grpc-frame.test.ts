import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  allocFramed,
  concatFramed,
  finishDeltaResponse,
  finishResponse,
  frameOf,
} from '../../../src/xds/index.js';

describe('gRPC frames', () => {
  test('a message from allocFramed has its frame header in front, in the same memory', () => {
    const message = allocFramed(300);
    message.fill(9);
    const frame = frameOf(message);
    assert.ok(frame !== undefined);
    assert.equal(frame.length, 305);
    assert.deepEqual([...frame.subarray(0, 5)], [0, 0, 0, 1, 44]);
    assert.equal(frame.buffer, message.buffer);
    assert.ok(frame.subarray(5).equals(message));
  });

  test('any other buffer has no frame', () => {
    assert.equal(frameOf(Buffer.from('abc')), undefined);
    assert.equal(frameOf(Buffer.alloc(100_000)), undefined);
    assert.equal(frameOf(allocFramed(10).subarray(0, 5)), undefined);
    // Five bytes before the message that look like a header are not enough: the allocation is checked.
    const lookalike = Buffer.alloc(20);
    lookalike.writeUInt32BE(5, 1);
    assert.equal(frameOf(lookalike.subarray(5, 10)), undefined);
  });

  test('concatFramed and the finished responses are framed, with the same bytes as a concatenation', () => {
    const parts = [Buffer.from('ab'), Buffer.alloc(0), Buffer.from('cde')];
    const joined = concatFramed(parts);
    assert.ok(joined.equals(Buffer.concat(parts)));
    assert.ok(frameOf(joined) !== undefined);
    const body = Buffer.from([10, 1, 49]);
    assert.ok(frameOf(finishResponse(body, 'n1', 'cp')) !== undefined);
    assert.ok(frameOf(finishDeltaResponse(body, 'n1', 'cp')) !== undefined);
  });
});
