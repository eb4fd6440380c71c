/**
 * DirectWrites with real sockets: a write the kernel takes at once leaves nothing queued; one it
 * cannot take is queued in libuv and counted, the stream's writes then go after it in order, and the
 * count returns to 0 once the peer reads; an ended socket is written through the stream only.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DirectWrites } from '../../../src/net/direct-writes.js';

async function pair(): Promise<{ client: net.Socket; peer: net.Socket; server: net.Server }> {
  let resolvePeer!: (socket: net.Socket) => void;
  const accepted = new Promise<net.Socket>(resolve => (resolvePeer = resolve));
  const server = net.createServer(socket => resolvePeer(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  return { client, peer: await accepted, server };
}

test('a write the kernel takes at once reaches the peer and leaves nothing queued', async () => {
  const { client, peer, server } = await pair();
  const received: Buffer[] = [];
  peer.on('data', (chunk: Buffer) => received.push(chunk));
  const writes = new DirectWrites(client);
  for (let i = 0; i < 3; i++) {
    assert.equal(writes.write(Buffer.from(`message ${i};`)), true);
    assert.equal(writes.queuedBytes, 0);
  }
  while (Buffer.concat(received).length < 30) await sleep(5);
  assert.equal(Buffer.concat(received).toString(), 'message 0;message 1;message 2;');
  client.destroy();
  server.close();
});

test('a write the kernel cannot take is queued and counted; stream writes follow it in order', async () => {
  const { client, peer, server } = await pair();
  peer.pause();
  const writes = new DirectWrites(client);
  const sent: Buffer[] = [];
  let piece = 0;
  // Until the kernel's buffers are full and a direct write is left queued in libuv.
  while (writes.queuedBytes === 0) {
    const bytes = Buffer.alloc(64 * 1024, piece++ % 251);
    assert.equal(writes.write(bytes), true);
    sent.push(bytes);
    assert.ok(piece < 10_000, 'the kernel never pushed back');
  }
  // Not while one is queued: the caller writes through the stream, after it.
  const after = Buffer.from('after the queued write');
  assert.equal(writes.write(after), false);
  client.write(after);
  sent.push(after);
  const received: Buffer[] = [];
  peer.on('data', (chunk: Buffer) => received.push(chunk));
  peer.resume();
  const total = sent.reduce((n, b) => n + b.length, 0);
  while (received.reduce((n, b) => n + b.length, 0) < total) await sleep(5);
  assert.ok(Buffer.concat(received).equals(Buffer.concat(sent)), 'the bytes arrive whole and in order');
  assert.equal(writes.queuedBytes, 0);
  client.destroy();
  server.close();
});

test('an ended socket is not written directly', async () => {
  const { client, peer, server } = await pair();
  peer.resume();
  client.end();
  assert.equal(new DirectWrites(client).write(Buffer.from('late')), false);
  client.destroy();
  server.close();
});
