/**
 * releaseDeliveredChunks against the installed grpc-js: a server stream keeps the chunks of a large
 * request it delivered until the next one starts; released, they are gone and the next request still
 * arrives whole. If grpc-js changes the internals this relies on, these tests fail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  heldChunkBytes,
  releaseDeliveredChunks,
} from '../../../../src/control-plane/server/release-request-chunks.js';

const PATH = '/aeraki.test.Echo/Chat';
const identity = (b: Buffer): Buffer => b;

describe('releaseDeliveredChunks', () => {
  const server = new grpc.Server();
  let client: grpc.Client;
  const seen: {
    size: number;
    heldBefore: number | undefined;
    released: boolean;
    heldAfter: number | undefined;
    flagBufferBytes: number;
  }[] = [];

  before(async () => {
    server.addService(
      {
        Chat: {
          path: PATH,
          requestStream: true,
          responseStream: true,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      {
        Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
          call.on('data', (message: Buffer) => {
            const heldBefore = heldChunkBytes(call);
            const released = releaseDeliveredChunks(call);
            const decoder = (call as unknown as { call: { decoder: { readCompressFlag: Buffer } } }).call
              .decoder;
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
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err === null ? resolve(p) : reject(err),
      ),
    );
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client.close();
    server.forceShutdown();
  });

  test('drops the chunks of a delivered request; the next request arrives whole', async () => {
    const call = client.makeBidiStreamRequest(PATH, identity, identity);
    const replies: string[] = [];
    const two = new Promise<void>(resolve =>
      call.on('data', (reply: Buffer) => {
        replies.push(reply.toString());
        if (replies.length === 2) resolve();
      }),
    );
    const big = Buffer.alloc(600_000, 7);
    call.write(big);
    call.write(Buffer.from('small'));
    await two;
    const ended = new Promise(resolve => call.on('status', resolve));
    call.on('error', () => {}); // the status says how it ended
    call.end();
    await ended;
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
