/**
 * sendFramesAsIs against the installed grpc-js: a message made by allocFramed is handed to the HTTP/2
 * stream as its own frame (no copy) and arrives intact, and any other message still goes through
 * grpc-js's serialization. If grpc-js changes the internals this relies on, these tests fail.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sendFramesAsIs } from '../../../../src/control-plane/server/framed-writes.js';
import { allocFramed } from '../../../../src/xds/index.js';
import { rawChatServer, repliesThenEnd } from './raw-chat-server.js';

function framed(size: number, fill: number): Buffer {
  const message = allocFramed(size);
  message.fill(fill);
  return message;
}

describe('sendFramesAsIs', () => {
  let installed: boolean | undefined;
  /** What grpc-js's serialization returned for a framed message: its own allocation or a copy. */
  let sharesMemory: boolean | undefined;
  const server = rawChatServer(call => {
    installed = sendFramesAsIs(call);
    const inner = (call as unknown as { call: { serializeMessage(m: Buffer): Buffer } }).call;
    const probe = framed(10, 1);
    sharesMemory = inner.serializeMessage(probe).buffer === probe.buffer;
    call.on('data', () => {
      const big = framed(600_000, 7);
      call.write(big);
      call.write(Buffer.from('plain'));
      // A view into a framed message is not one: it is copied as usual.
      call.write(big.subarray(0, 3));
    });
    call.on('end', () => call.end());
  });

  test('framed messages are sent without a copy and arrive whole; others as before', async () => {
    const call = server.open();
    call.write(Buffer.from('go'));
    const replies = await repliesThenEnd(call, 3);
    assert.equal(installed, true);
    assert.equal(sharesMemory, true, 'grpc-js wrote the framed message from its own allocation');
    assert.equal(replies[0]!.length, 600_000);
    assert.ok(replies[0]!.every(b => b === 7));
    assert.equal(replies[1]!.toString(), 'plain');
    assert.deepEqual([...replies[2]!], [7, 7, 7]);
  });

  test('anything that is not a grpc-js server stream is left alone', () => {
    assert.equal(sendFramesAsIs({}), false);
    assert.equal(sendFramesAsIs(null), false);
    assert.equal(sendFramesAsIs({ call: { serializeMessage: 'x' } }), false);
  });
});
