/**
 * A grpc-js server with one bidirectional method whose messages are raw bytes, for the tests that
 * check what the ADS server does to grpc-js's own server streams (release-request-chunks,
 * framed-writes). Call it inside `describe`: it adds the suite's hooks.
 */
import { after, before } from 'node:test';
import * as grpc from '@grpc/grpc-js';

const PATH = '/aeraki.test.Echo/Chat';
const identity = (b: Buffer): Buffer => b;

export interface RawChatServer {
  /** Opens a stream to the server. */
  open(): grpc.ClientDuplexStream<Buffer, Buffer>;
}

/** Serves `chat` on 127.0.0.1 for the suite. */
export function rawChatServer(chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => void): RawChatServer {
  const server = new grpc.Server();
  let client: grpc.Client | undefined;

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
      { Chat: chat },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err === null ? resolve(p) : reject(err),
      ),
    );
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    server.forceShutdown();
  });

  return {
    open() {
      if (client === undefined) throw new Error('the chat server starts before the first test');
      return client.makeBidiStreamRequest(PATH, identity, identity);
    },
  };
}

/** Collects the first `count` replies of `call`, then ends it and waits for its status. */
export async function repliesThenEnd(
  call: grpc.ClientDuplexStream<Buffer, Buffer>,
  count: number,
): Promise<Buffer[]> {
  const replies: Buffer[] = [];
  await new Promise<void>(resolve =>
    call.on('data', (reply: Buffer) => {
      replies.push(reply);
      if (replies.length === count) resolve();
    }),
  );
  const ended = new Promise(resolve => call.on('status', resolve));
  call.on('error', () => {}); // the status says how it ended
  call.end();
  await ended;
  return replies;
}
