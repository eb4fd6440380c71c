/**
 * The peers the other end-to-end tests rely on, checked without the proxy: the Apache Thrift client
 * and server of every wire stack talk to each other, what they put on the wire is that stack (THeader
 * really is THeader, checked on captured bytes), and the THeader server copes with split frames.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ALL_STACKS,
  connectHello,
  FrameSplitter,
  isHelloError,
  readTHeaderFrame,
  stackLabel,
  startHelloServer,
  THEADER_MAGIC,
  THEADER_PROTOCOL_ID,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

/** A TCP relay that records both directions and delivers client bytes to the server in two pieces per chunk. */
class Tap {
  readonly toServer: Buffer[] = [];
  readonly toClient: Buffer[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(targetPort: number) {
    this.server = net.createServer(client => {
      const upstream = net.connect({ host: '127.0.0.1', port: targetPort, noDelay: true });
      this.sockets.add(client).add(upstream);
      client.pause();
      upstream.once('connect', () => client.resume());
      client.on('data', chunk => {
        this.toServer.push(chunk);
        // Split every chunk so the server sees each frame arrive in (at least) two reads.
        const half = Math.max(1, chunk.length >> 1);
        client.pause();
        upstream.write(chunk.subarray(0, half));
        setTimeout(() => {
          upstream.write(chunk.subarray(half));
          client.resume();
        }, 5);
      });
      upstream.on('data', chunk => {
        this.toClient.push(chunk);
        client.write(chunk);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('error', () => {});
      upstream.on('error', () => {});
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>(resolve => this.server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}

for (const multiplexed of [false, true]) {
  describe(`Apache Thrift client ↔ server, ${multiplexed ? 'multiplexed' : 'plain'}`, () => {
    for (const stack of ALL_STACKS) {
      test(stackLabel(stack), async () => {
        const server = await startHelloServer({ tag: `peer-${stackLabel(stack)}`, stack, multiplexed });
        const hello = await connectHello('127.0.0.1', server.port, { stack, multiplexed });
        try {
          assert.equal(await hello.client.sayHello('ada'), `Hello ada, from peer-${stackLabel(stack)}`);
          assert.equal(await hello.client.add(40, 2), 42);
          const payload = Buffer.alloc(64 * 1024, 7);
          assert.deepEqual(await hello.client.echo(payload), payload);
          await assert.rejects(hello.client.fail('boom'), err => isHelloError(err) && err.code === 42);
          await hello.client.notify('event-1');
          await server.waitForCalls(1, 'notify');
          assert.equal(server.calls.find(c => c.method === 'notify')?.arg, 'event-1');

          const tokens = Array.from({ length: 100 }, (_, i) => `t${i}`);
          const replies = await Promise.all(tokens.map((t, i) => hello.client.slow((i * 7) % 23, t)));
          assert.deepEqual(
            replies,
            tokens.map(t => `${t}@peer-${stackLabel(stack)}`),
          );
          assert.notDeepEqual(server.slowCompletions, tokens, 'replies should complete out of order');
        } finally {
          await hello.close();
          await server.close();
        }
      });
    }
  });
}

describe('what each stack puts on the wire', () => {
  const plain = ALL_STACKS.filter(s => s.transport !== 'header');
  for (const stack of plain) {
    test(stackLabel(stack), async () => {
      const { server, tap, port } = await tapped(stack);
      const hello = await connectHello('127.0.0.1', port, { stack });
      try {
        await hello.client.whoami();
        const bytes = Buffer.concat(tap.toServer);
        const messageStart = stack.transport === 'framed' ? 4 : 0;
        if (stack.transport === 'framed') assert.equal(bytes.readUInt32BE(0), bytes.length - 4);
        assert.equal(bytes[messageStart], stack.protocol === 'binary' ? 0x80 : 0x82);
      } finally {
        await hello.close();
        await tap.close();
        await server.close();
      }
    });
  }
});

describe('THeader', () => {
  for (const protocol of ['binary', 'compact'] as const) {
    const stack: ThriftStack = { protocol, transport: 'header' };
    let server: HelloServer;
    let tap: Tap;
    let port: number;
    before(async () => ({ server, tap, port } = await tapped(stack)));
    after(async () => {
      await tap.close();
      await server.close();
    });

    test(`${protocol}: requests and replies are THeader frames carrying info headers, even split across reads`, async () => {
      const hello = await connectHello('127.0.0.1', port, { stack });
      try {
        const results = await Promise.all(
          ['alice', 'bob', 'carol'].map(user =>
            hello.callWithHeaders({ 'x-user': user }, client => client.headers()),
          ),
        );
        for (const [i, user] of ['alice', 'bob', 'carol'].entries()) {
          assert.deepEqual(results[i]?.value, { 'x-user': user }, 'the server read the request headers');
          assert.deepEqual(
            results[i]?.replyHeaders,
            { 'x-served-by': server.tag },
            'the client read the reply headers',
          );
        }
        for (const [direction, chunks] of [
          ['request', tap.toServer],
          ['reply', tap.toClient],
        ] as const) {
          const frames = new FrameSplitter().push(Buffer.concat(chunks));
          assert.equal(frames.length, 3, `${direction}: three whole frames`);
          for (const frame of frames) {
            assert.equal(frame.readUInt16BE(4), THEADER_MAGIC, `${direction}: THeader magic`);
            const info = readTHeaderFrame(frame);
            assert.equal(info.protocolId, THEADER_PROTOCOL_ID[protocol], `${direction}: sub-protocol`);
            assert.equal(info.name, 'headers');
            assert.equal(frame.readInt32BE(8), info.seqid, `${direction}: THeader seqid = message seqid`);
          }
        }
      } finally {
        await hello.close();
      }
    });
  }

  test('the server reads frames that arrive one byte at a time', async () => {
    const stack: ThriftStack = { protocol: 'binary', transport: 'header' };
    const server = await startHelloServer({ tag: 'bytewise', stack });
    const socket = net.connect({ host: '127.0.0.1', port: server.port, noDelay: true });
    try {
      await new Promise(resolve => socket.once('connect', resolve));
      // A real client's request frame, captured from a client aimed at a recorder.
      const recorder = net.createServer();
      const captured = new Promise<Buffer>(resolve =>
        recorder.once('connection', s => s.once('data', (d: Buffer) => (resolve(d), s.destroy()))),
      );
      await new Promise<void>(resolve => recorder.listen({ host: '127.0.0.1', port: 0 }, resolve));
      const capturer = await connectHello('127.0.0.1', (recorder.address() as net.AddressInfo).port, {
        stack,
      });
      capturer.client.whoami().catch(() => {});
      const frame = await captured;
      await capturer.close();
      recorder.close();

      const splitter = new FrameSplitter();
      const reply = new Promise<Buffer>(resolve =>
        socket.on('data', (d: Buffer) => {
          const [whole] = splitter.push(d);
          if (whole !== undefined) resolve(whole);
        }),
      );
      for (const byte of frame) {
        socket.write(Buffer.of(byte));
        await sleep(1);
      }
      assert.equal(readTHeaderFrame(await reply).name, 'whoami');
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});

async function tapped(stack: ThriftStack): Promise<{ server: HelloServer; tap: Tap; port: number }> {
  const server = await startHelloServer({ tag: `tapped-${stackLabel(stack)}`, stack });
  const tap = new Tap(server.port);
  return { server, tap, port: await tap.listen() };
}
