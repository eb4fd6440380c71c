/**
 * sendFramesAsIs against the installed grpc-js: a message made by allocFramed is handed to the HTTP/2
 * stream as its own frame (no copy) and arrives intact, and any other message still goes through
 * grpc-js's serialization. If grpc-js changes the internals this relies on, these tests fail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { sendFramesAsIs } from '../../../../src/control-plane/server/framed-writes.js';
import { allocFramed } from '../../../../src/xds/index.js';

const PATH = '/aeraki.test.Echo/Chat';
const identity = (b: Buffer): Buffer => b;

function framed(size: number, fill: number): Buffer {
  const message = allocFramed(size);
  message.fill(fill);
  return message;
}

describe('sendFramesAsIs', () => {
  const server = new grpc.Server();
  let client: grpc.Client;
  let installed: boolean | undefined;
  /** What grpc-js's serialization returned for a framed message: its own allocation or a copy. */
  let sharesMemory: boolean | undefined;

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

  test('framed messages are sent without a copy and arrive whole; others as before', async () => {
    const call = client.makeBidiStreamRequest(PATH, identity, identity);
    const replies: Buffer[] = [];
    const three = new Promise<void>(resolve =>
      call.on('data', (reply: Buffer) => {
        replies.push(reply);
        if (replies.length === 3) resolve();
      }),
    );
    call.write(Buffer.from('go'));
    await three;
    const ended = new Promise(resolve => call.on('status', resolve));
    call.on('error', () => {}); // the status says how it ended
    call.end();
    await ended;
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
