/**
 * ScratchReads and adoptAccepted, with real sockets: every byte arrives in order in views that stay
 * intact however long they are kept, slabs grow for a busy connection within their bound, an adopted
 * connection keeps half-close, pause and the server's count of connections, and a connected socket
 * reading into slabs still sees its peer's end.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { adoptAccepted, ScratchReads } from '../../../src/net/scratch-reads.js';

const HOST = '127.0.0.1';

/** A server whose connections read into slabs; `accepted` resolves with the first one. */
async function slabServer(): Promise<{ server: Server; port: number; accepted: Promise<Adopted> }> {
  let resolveAccepted!: (adopted: Adopted) => void;
  const accepted = new Promise<Adopted>(resolve => (resolveAccepted = resolve));
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, socket => {
    const reads = new ScratchReads();
    const chunks: Buffer[] = [];
    reads.onChunk = chunk => chunks.push(chunk);
    resolveAccepted({ socket: adoptAccepted(socket, reads), chunks });
  });
  await new Promise<void>(resolve => server.listen(0, HOST, resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port, accepted };
}

interface Adopted {
  readonly socket: Socket;
  readonly chunks: Buffer[];
}

function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const client = connect({ port, host: HOST }, () => resolve(client));
    client.once('error', reject);
  });
}

function closed(server: Server): Promise<void> {
  return new Promise(resolve => server.close(() => resolve()));
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await sleep(10);
  assert.ok(condition(), 'condition not reached in 5 s');
}

test('every byte arrives in order on its own connection, in chunks that stay intact', async () => {
  const accepted: Adopted[] = [];
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, socket => {
    const reads = new ScratchReads();
    const chunks: Buffer[] = [];
    reads.onChunk = chunk => chunks.push(chunk);
    accepted.push({ socket: adoptAccepted(socket, reads), chunks });
  });
  await new Promise<void>(resolve => server.listen(0, HOST, resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  // Two clients writing at once, in pieces of many sizes (up to more than the scratch buffer holds),
  // so that the two connections' reads take turns in the scratch buffer.
  const clients = [await connected(address.port), await connected(address.port)];
  await until(() => accepted.length === 2);
  const sent: Buffer[][] = [[], []];
  const writing = clients.map(async (client, c) => {
    for (let i = 0; i < 300; i++) {
      const piece = randomBytes(1 + ((i * 7919 + c * 104_729) % 90_000));
      sent[c]!.push(piece);
      if (!client.write(piece)) await new Promise(resolve => client.once('drain', resolve));
      if (i % 50 === 0) await sleep(2);
    }
  });
  await Promise.all(writing);
  const bytes = (list: Buffer[]): number => list.reduce((n, b) => n + b.length, 0);
  // The server side of the first client is the first accepted (the clients connected in turn).
  await until(() => accepted.every((a, c) => bytes(a.chunks) >= bytes(sent[c]!)));
  for (let c = 0; c < 2; c++) {
    // equals, not deepEqual: a diff of megabytes would not help.
    assert.ok(Buffer.concat(accepted[c]!.chunks).equals(Buffer.concat(sent[c]!)), `connection ${c}'s bytes`);
  }
  for (const client of clients) client.destroy();
  for (const a of accepted) a.socket.destroy();
  await closed(server);
});

test("an adopted connection is half-closed by the client's end and can still reply", async () => {
  const { server, port, accepted } = await slabServer();
  const client = await connected(port);
  const { socket, chunks } = await accepted;
  const ended = new Promise(resolve => socket.once('end', resolve));
  client.end('last words');
  await ended;
  assert.equal(Buffer.concat(chunks).toString(), 'last words');
  const reply: Buffer[] = [];
  client.on('data', (chunk: Buffer) => reply.push(chunk));
  const clientClosed = new Promise(resolve => client.once('close', resolve));
  const socketClosed = new Promise(resolve => socket.once('close', resolve));
  socket.end('goodbye');
  await Promise.all([clientClosed, socketClosed]);
  assert.equal(Buffer.concat(reply).toString(), 'goodbye');
  await closed(server);
});

test('the server counts an adopted connection: close() waits for it, getConnections sees it', async () => {
  const { server, port, accepted } = await slabServer();
  const client = await connected(port);
  const { socket } = await accepted;
  const count = await new Promise<number>((resolve, reject) =>
    server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );
  assert.equal(count, 1);
  let serverClosed = false;
  const done = closed(server).then(() => (serverClosed = true));
  await sleep(50);
  assert.equal(serverClosed, false, 'close() waits for the open connection');
  client.destroy();
  socket.destroy();
  await done;
});

test('a paused adopted connection reads nothing until resumed', async () => {
  const { server, port, accepted } = await slabServer();
  const client = await connected(port);
  const { socket, chunks } = await accepted;
  client.write('one');
  await until(() => chunks.length > 0);
  socket.pause();
  client.write('two');
  await sleep(100);
  assert.equal(Buffer.concat(chunks).toString(), 'one');
  socket.resume();
  await until(() => Buffer.concat(chunks).toString() === 'onetwo');
  client.destroy();
  socket.destroy();
  await closed(server);
});

test("a connected socket reading into slabs sees its peer's data and end, then closes", async () => {
  const server = createServer(socket => socket.end('from the server'));
  await new Promise<void>(resolve => server.listen(0, HOST, resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const reads = new ScratchReads();
  const chunks: Buffer[] = [];
  reads.onChunk = chunk => chunks.push(chunk);
  const socket = connect({ port: address.port, host: HOST, onread: reads.onread });
  const events: string[] = [];
  socket.on('end', () => events.push('end'));
  await new Promise(resolve => socket.once('close', resolve));
  assert.deepEqual(events, ['end']);
  assert.equal(Buffer.concat(chunks).toString(), 'from the server');
  await closed(server);
});
