import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { CoalescingWriter } from '../../../src/net/coalescing-writer.js';

test('pieces of a turn leave in order, small ones copied into one write, large ones as they are', async () => {
  const received: Buffer[] = [];
  const server = net.createServer(socket => socket.on('data', (chunk: Buffer) => received.push(chunk)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  let writes = 0;
  const write = socket.write.bind(socket);
  socket.write = ((...args: Parameters<typeof socket.write>) => {
    writes++;
    return write(...args);
  }) as typeof socket.write;
  const writer = new CoalescingWriter(socket);
  const expected: Buffer[] = [];
  const piece = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);
  for (let turn = 0; turn < 3; turn++) {
    for (let i = 0; i < 100; i++) {
      const small = piece(10 + i, i);
      expected.push(small);
      writer.write(small);
    }
    const large = piece(10_000, 7);
    expected.push(large);
    writer.write(large);
    const source = Buffer.from('xxhelloxx');
    writer.writeRange(source, 2, 7);
    expected.push(Buffer.from('hello'));
    await new Promise(resolve => setImmediate(resolve));
  }
  assert.ok(writes <= 9, `${writes} socket writes for 3 turns`);
  const total = expected.reduce((n, b) => n + b.length, 0);
  while (received.reduce((n, b) => n + b.length, 0) < total)
    await new Promise(resolve => setTimeout(resolve, 5));
  assert.deepEqual(Buffer.concat(received), Buffer.concat(expected));
  socket.destroy();
  server.close();
});

test('bytes queued while the peer does not read stay intact until it reads again', async () => {
  let serverSide: net.Socket | undefined;
  const received: Buffer[] = [];
  const server = net.createServer(socket => {
    serverSide = socket;
    socket.pause();
    socket.on('data', (chunk: Buffer) => received.push(chunk));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    const writer = new CoalescingWriter(socket);
    const expected: Buffer[] = [];
    // Turns of small pieces until the kernel's buffers are full and Node holds some, then a few more.
    let extraTurns = 20;
    for (let turn = 0; extraTurns > 0; turn++) {
      assert.ok(turn < 100_000, 'the kernel never pushed back');
      for (let i = 0; i < 50; i++) {
        const piece = Buffer.alloc(200 + (i % 7), (turn * 50 + i) % 251);
        expected.push(piece);
        writer.write(piece);
      }
      await new Promise(resolve => setImmediate(resolve));
      if (socket.writableLength > 0) extraTurns--;
    }
    serverSide!.resume();
    const total = expected.reduce((n, b) => n + b.length, 0);
    while (received.reduce((n, b) => n + b.length, 0) < total)
      await new Promise(resolve => setTimeout(resolve, 5));
    assert.deepEqual(Buffer.concat(received), Buffer.concat(expected));
  } finally {
    socket.destroy();
    serverSide?.destroy();
    server.close();
  }
});

test('runs of adjacent ranges of one buffer leave whole and in order among other pieces', async () => {
  const server = net.createServer();
  const received: Buffer[] = [];
  server.on('connection', socket => socket.on('data', (chunk: Buffer) => received.push(chunk)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  const writer = new CoalescingWriter(socket);
  const a = Buffer.from('0123456789abcdefghij');
  const b = Buffer.from('KLMNOP');
  // A pipeline read in one chunk: each command's range follows the previous one.
  const big = Buffer.alloc(3 * 4096, 1);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  writer.writeRange(a, 0, 5);
  writer.writeRange(a, 5, 10);
  writer.writeRange(b, 0, 3);
  writer.writeRange(a, 10, 12); // continues a, but b came between: a new run
  writer.writeRange(a, 12, 20);
  writer.writeRange(b, 4, 6); // not adjacent to b's last range
  for (let p = 0; p < big.length; p += 1024) writer.writeRange(big, p, p + 1024); // a run past the copy limit
  writer.write(b);
  const expected = Buffer.concat([
    a.subarray(0, 10),
    b.subarray(0, 3),
    a.subarray(10, 20),
    b.subarray(4, 6),
    big,
    b,
  ]);
  await new Promise(resolve => setImmediate(resolve));
  while (received.reduce((n, c) => n + c.length, 0) < expected.length)
    await new Promise(resolve => setTimeout(resolve, 5));
  assert.deepEqual(Buffer.concat(received), expected);
  socket.destroy();
  server.close();
});

test('turns larger than a chunk reuse the chunk while the kernel takes every write', async () => {
  const server = net.createServer();
  const received: Buffer[] = [];
  server.on('connection', socket => socket.on('data', (chunk: Buffer) => received.push(chunk)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  // Which memory each write came from, and how often Node kept some of a write (the writer may then
  // not reuse that chunk).
  const chunks = new Set<ArrayBufferLike>();
  let backlogged = 0;
  const write = socket.write.bind(socket);
  socket.write = ((...args: Parameters<typeof socket.write>) => {
    chunks.add((args[0] as Buffer).buffer);
    const result = write(...args);
    if (socket.writableLength > 0) backlogged++;
    return result;
  }) as typeof socket.write;
  const writer = new CoalescingWriter(socket);
  const expected: Buffer[] = [];
  const turns = 20;
  for (let turn = 0; turn < turns; turn++) {
    // 96 KiB a turn in pieces of 1,536 bytes: more than the largest chunk (64 KiB).
    for (let i = 0; i < 64; i++) {
      const piece = Buffer.alloc(1536, (turn * 64 + i) % 251);
      expected.push(piece);
      writer.write(piece);
    }
    await new Promise(resolve => setImmediate(resolve));
    const total = expected.reduce((n, b) => n + b.length, 0);
    while (received.reduce((n, b) => n + b.length, 0) < total)
      await new Promise(resolve => setTimeout(resolve, 1));
  }
  assert.deepEqual(Buffer.concat(received), Buffer.concat(expected));
  // The chunk grows 16 -> 32 -> 64 KiB once; after that a new one only when Node kept bytes of the last.
  assert.ok(
    chunks.size <= 3 + backlogged,
    `${chunks.size} chunks for ${turns} turns of 96 KiB, ${backlogged} writes not taken at once`,
  );
  assert.ok(backlogged < turns / 2, `${backlogged} of the writes were not taken at once`);
  socket.destroy();
  server.close();
});
