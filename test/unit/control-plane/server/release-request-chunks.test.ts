/**
 * releaseDeliveredChunks against the installed grpc-js: a server stream keeps the chunks of a large
 * request it delivered until the next one starts; released, they are gone and the next request still
 * arrives whole. If grpc-js changes the internals this relies on, these tests fail.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  heldChunkBytes,
  releaseDeliveredChunks,
} from '../../../../src/control-plane/server/release-request-chunks.js';
import { rawChatServer, repliesThenEnd } from './raw-chat-server.js';

describe('releaseDeliveredChunks', () => {
  const seen: {
    size: number;
    heldBefore: number | undefined;
    released: boolean;
    heldAfter: number | undefined;
    flagBufferBytes: number;
  }[] = [];

  const server = rawChatServer(call => {
    call.on('data', (message: Buffer) => {
      const heldBefore = heldChunkBytes(call);
      const released = releaseDeliveredChunks(call);
      const decoder = (call as unknown as { call: { decoder: { readCompressFlag: Buffer } } }).call.decoder;
      seen.push({
        size: message.length,
        heldBefore,
        released,
        heldAfter: heldChunkBytes(call),
        flagBufferBytes: decoder.readCompressFlag.buffer.byteLength,
      });
      call.write(Buffer.from(String(message.length)));
    });
    call.on('end', () => call.end());
  });

  test('drops the chunks of a delivered request; the next request arrives whole', async () => {
    const call = server.open();
    call.write(Buffer.alloc(600_000, 7));
    call.write(Buffer.from('small'));
    const replies = (await repliesThenEnd(call, 2)).map(String);
    assert.deepEqual(replies, ['600000', '5']);
    const first = seen[0]!;
    assert.ok((first.heldBefore ?? 0) >= 600_000, `grpc-js held ${first.heldBefore} bytes of the request`);
    assert.equal(first.released, true);
    assert.equal(first.heldAfter, 0);
    assert.equal(first.flagBufferBytes, 1, 'the flag byte no longer keeps its chunk');
  });

  test('anything that is not a grpc-js server stream is left alone', () => {
    assert.equal(releaseDeliveredChunks({}), false);
    assert.equal(releaseDeliveredChunks(null), false);
    assert.equal(releaseDeliveredChunks({ call: { decoder: { readState: 'x' } } }), false);
    assert.equal(heldChunkBytes({}), undefined);
  });
});
