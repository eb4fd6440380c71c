/**
 * The proxy's bounds under slow and hostile peers, with the toy protocol and small limits: requests in
 * flight per client, replies a client does not read (exclusive and shared upstreams), an upstream that
 * does not read, incomplete frames (timeout and proxy-wide cap), idle connections, and the overload
 * manager's load shedding.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { ByteQueue, CodecRegistry, type CodecFactory } from '../../../src/codec/index.js';
import { dubboCodecFactory } from '../../../src/codecs/dubbo/index.js';
import { thriftCodecFactory } from '../../../src/codecs/thrift/index.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import { DEFAULT_PROXY_LIMITS, type ProxyLimits } from '../../../src/proxy/proxy-limits.js';
import type { ClusterResource, ListenerResource, ProxySnapshot } from '../../../src/xds/resources.js';
import { cluster, route } from '../resource-fixtures.js';
import { toyListener } from './toy-listener.js';
import { decodeToy, encodeToy, toyCodecFactory } from './toy-codec.js';
import { ToyServer } from './toy-peers.js';

const ADDRESS = '127.0.78.1';
const KiB = 1024;
const logger = pino({ level: 'silent' });

/** A raw client: writes frames as given, reads (or not) and decodes replies. */
class RawClient {
  readonly replies: ReturnType<typeof decodeToy>[] = [];
  closed = false;
  private readonly queue = new ByteQueue();
  private readonly codec = toyCodecFactory.create('upstream');

  private constructor(readonly socket: Socket) {
    socket.on('data', chunk => {
      this.queue.push(chunk);
      let message;
      while ((message = this.codec.decode(this.queue)) !== undefined)
        this.replies.push(decodeToy(message.bytes));
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connect({ host: ADDRESS, port });
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  request(id: number, payload = ''): void {
    this.socket.write(encodeToy({ type: 'request', id, payload }));
  }

  async waitReplies(n: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length < n) {
      if (Date.now() > deadline) throw new Error(`${this.replies.length} replies, expected ${n}`);
      await sleep(10);
    }
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await sleep(10);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function snapshot(
  upstreamPort: number,
  opts: { listener?: Partial<ListenerResource>; cluster?: Partial<ClusterResource> } = {},
): ProxySnapshot {
  return {
    version: String(Math.random()),
    listeners: [toyListener(ADDRESS, opts.listener)],
    clusters: [cluster('up', opts.cluster)],
    endpoints: [
      { clusterName: 'up', endpoints: [{ address: '127.0.0.1', port: upstreamPort, labels: {}, weight: 1 }] },
    ],
    routes: [{ name: 'toy_0', routes: [route('all', 'up')] }],
  };
}

const running: { proxy?: Proxy; stops: (() => Promise<void>)[]; clients: RawClient[] } = {
  stops: [],
  clients: [],
};

async function startProxy(
  upstreamPort: number,
  limits: Partial<ProxyLimits>,
  opts: Parameters<typeof snapshot>[1] = {},
): Promise<{ proxy: Proxy; port: number }> {
  const registry = new CodecRegistry();
  registry.register(toyCodecFactory);
  const proxy = new Proxy(registry, logger, [], undefined, {
    limits: { ...DEFAULT_PROXY_LIMITS, ...limits },
  });
  running.proxy = proxy;
  await proxy.apply(snapshot(upstreamPort, opts));
  return { proxy, port: proxy.listenerMap.get(`${ADDRESS}_0`)!.boundPort };
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  running.clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of running.clients.splice(0)) c.close();
  await running.proxy?.close(100);
  running.proxy = undefined;
  for (const stop of running.stops.splice(0)) await stop();
});

after(() => {
  // Every timer the proxies started is unref'd or stopped by close(); nothing else to do.
});

function stats(proxy: Proxy) {
  return proxy.listenerMap.get(`${ADDRESS}_0`)!.stats;
}

describe('flow control', () => {
  test('a client with its maximum of requests in flight is not read until half of them are answered', async () => {
    const silent = new ToyServer('silent', { silent: true });
    const upstreamPort = await silent.start();
    running.stops.push(() => silent.stop());
    const { proxy, port } = await startProxy(
      upstreamPort,
      { maxConcurrentRequests: 4 },
      { listener: { requestTimeoutMs: 400 } },
    );
    const c = await client(port);
    for (let id = 1; id <= 10; id++) c.request(id);
    await until('4 requests upstream', () => silent.received.length === 4);
    await sleep(150);
    assert.equal(silent.received.length, 4, 'the other 6 wait unread');
    assert.equal(stats(proxy).cxReadPaused, 1);
    // The 4 time out; reading resumes and the rest go through, 4 at a time.
    await c.waitReplies(10, 5000);
    assert.ok(c.replies.every(r => r.type === 'error' && r.headers['kind'] === 'timeout'));
    assert.equal(silent.received.length, 10);
    assert.ok(stats(proxy).cxReadResumed >= 2);
  });

  test('a client that writes 1,000 requests at once and half-closes gets every reply (decoded over several turns)', async () => {
    const v1 = new ToyServer('v1');
    const { proxy, port } = await startProxy(await v1.start(), {});
    running.stops.push(() => v1.stop());
    const c = await client(port);
    const frames = [];
    for (let id = 1; id <= 1000; id++) frames.push(encodeToy({ type: 'request', id, payload: `p${id}` }));
    c.socket.end(Buffer.concat(frames));
    await c.waitReplies(1000, 10_000);
    assert.deepEqual(
      c.replies.map(r => r.id).sort((a, b) => a - b),
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
    assert.ok(c.replies.every(r => r.type === 'response'));
    await c.waitClosed(3000);
    assert.equal(stats(proxy).cxReadPaused, 0, 'turns are not backpressure');
  });

  test('an exclusive upstream connection stops being read while its client does not read its replies', async () => {
    const big = new ToyServer('big', { replyPayloadBytes: 900 * KiB });
    const upstreamPort = await big.start();
    running.stops.push(() => big.stop());
    const { proxy, port } = await startProxy(
      upstreamPort,
      { connectionBufferBytes: 64 * KiB, maxConcurrentRequests: 1 },
      { listener: { multiplexing: false } },
    );
    const c = await client(port);
    c.socket.pause();
    const total = 40; // 36 MB of replies: more than the kernel buffers on both sides hold
    for (let id = 1; id <= total; id++) c.request(id);
    const upstream = proxy.clusters.get('up')!;
    await until('an upstream read pause', () => upstream.stats.flowControlPausedReading > 0, 10_000);
    // The request the paused connection carries may still be on its way to the server.
    await sleep(200);
    const answered = big.received.length;
    await sleep(300);
    assert.equal(big.received.length, answered, 'no further request is sent while the client does not read');
    const l = proxy.listenerMap.get(`${ADDRESS}_0`)!;
    assert.ok(l.queuedBytes < 2 * 900 * KiB, `${l.queuedBytes} bytes queued for the client`);
    assert.equal(stats(proxy).cxBufferOverflow, 0);
    assert.equal(c.closed, false);
    c.socket.resume();
    await c.waitReplies(total, 20_000);
    assert.ok(c.replies.every(r => r.type === 'response' && r.payload.length === 900 * KiB));
    assert.ok(upstream.stats.flowControlResumedReading > 0);
  });

  test('on a shared upstream connection, a client that does not read is closed and the others are served', async () => {
    const big = new ToyServer('big', { replyPayloadBytes: 900 * KiB });
    const upstreamPort = await big.start();
    running.stops.push(() => big.stop());
    const { proxy, port } = await startProxy(upstreamPort, {
      connectionBufferBytes: 64 * KiB,
      maxConcurrentRequests: 64,
    });
    const slow = await client(port);
    slow.socket.pause();
    const other = await client(port);
    for (let id = 1; id <= 60; id++) slow.request(id);
    // Its socket is paused, so the client itself learns of the close only once it reads again.
    await until('the slow client closed', () => stats(proxy).cxBufferOverflow === 1, 10_000);
    assert.equal(stats(proxy).cxActive, 1);
    slow.socket.resume();
    await slow.waitClosed(5000);
    for (let id = 1; id <= 5; id++) {
      other.request(id);
      await other.waitReplies(id);
    }
    assert.ok(other.replies.every(r => r.type === 'response'));
    assert.equal(other.closed, false);
    await until('nothing held for the closed client', () => proxy.overload.inFlightRequestBytes < 10 * KiB);
  });

  test('an upstream that does not read: requests wait under max_pending_requests, the rest overflow', async () => {
    const deaf = new ToyServer('deaf', { deaf: true });
    const upstreamPort = await deaf.start();
    running.stops.push(() => deaf.stop());
    const { proxy, port } = await startProxy(
      upstreamPort,
      { maxConcurrentRequests: 4096 },
      {
        listener: { requestTimeoutMs: 1500, perConnectionBufferLimitBytes: 64 * 1024 * KiB },
        cluster: {
          perConnectionBufferLimitBytes: 64 * KiB,
          circuitBreakers: { maxConnections: 1024, maxPendingRequests: 5, maxRequests: 100_000 },
        },
      },
    );
    const c = await client(port);
    const payload = 'p'.repeat(60 * KiB);
    const total = 400; // 24 MB: more than the kernel takes for a peer that does not read
    for (let id = 1; id <= total; id++) c.request(id, payload);
    const upstream = proxy.clusters.get('up')!;
    await until('overflow replies', () => upstream.stats.rqPendingOverflow > 0, 10_000);
    assert.ok(upstream.stats.flowControlBackedUp >= 1);
    assert.ok(upstream.stats.rqPendingActive <= 5);
    await c.waitReplies(total, 10_000);
    const overflow = c.replies.filter(r => r.headers['kind'] === 'over-limit');
    assert.ok(overflow.length > 0);
    assert.match(overflow[0]!.payload, /the upstream is not reading fast enough .*\(max_pending_requests\)/);
    // Every other request timed out, the waiting ones taken out of the queue.
    assert.ok(c.replies.every(r => r.headers['kind'] === 'over-limit' || r.headers['kind'] === 'timeout'));
    assert.equal(upstream.stats.rqPendingActive, 0);
  });
});

describe('incomplete frames and idle connections', () => {
  test('a frame declaring its largest size costs what has arrived of it, not that size up front', () => {
    // A call whose argument is one string filling the frame: well formed as far as it has arrived.
    const framedThrift = Buffer.alloc(100);
    framedThrift.writeUInt32BE(16 * 1024 * 1024 - 4, 0);
    framedThrift.writeUInt32BE(0x80010001, 4); // binary, CALL
    framedThrift.writeUInt32BE(1, 8); // name length
    framedThrift.write('m', 12);
    framedThrift.writeUInt32BE(1, 13); // seqid
    framedThrift[17] = 11; // field type string
    framedThrift.writeUInt16BE(1, 18); // field id
    framedThrift.writeUInt32BE(16 * 1024 * 1024 - 4 - 21 - 1, 20); // to the frame's end, before STOP
    const dubbo = Buffer.alloc(100);
    dubbo.writeUInt16BE(0xdabb, 0);
    dubbo[2] = 0xc2; // request, two-way, Hessian2
    dubbo.writeUInt32BE(8 * 1024 * 1024, 12);
    const cases: [CodecFactory, Buffer][] = [
      [thriftCodecFactory, framedThrift],
      [dubboCodecFactory, dubbo],
    ];
    for (const [factory, start] of cases) {
      const codec = factory.create('downstream');
      const queue = new ByteQueue();
      const before = process.memoryUsage().arrayBuffers;
      // In two chunks, as a frame spread over reads arrives.
      queue.push(Buffer.from(start.subarray(0, 50)));
      assert.equal(codec.decode(queue), undefined, `${factory.name} waits for the rest`);
      queue.push(Buffer.from(start.subarray(50)));
      assert.equal(codec.decode(queue), undefined, `${factory.name} waits for the rest`);
      const grew = process.memoryUsage().arrayBuffers - before;
      assert.ok(grew < 1024 * 1024, `${factory.name}: ${grew} bytes allocated`);
      assert.equal(queue.length, 100);
    }
  });

  test('a frame that gets no byte for the incomplete-frame timeout closes its connection with an error', async () => {
    const v1 = new ToyServer('v1');
    const { proxy, port } = await startProxy(await v1.start(), { incompleteFrameTimeoutMs: 300 });
    running.stops.push(() => v1.stop());
    const stalled = await client(port);
    const trickling = await client(port);
    const frame = encodeToy({ type: 'request', id: 7, payload: 'x'.repeat(1000) });
    stalled.socket.write(frame.subarray(0, 100));
    trickling.socket.write(frame.subarray(0, 100));
    const started = Date.now();
    for (let at = 100; Date.now() - started < 700; at++) {
      trickling.socket.write(frame.subarray(at, at + 1));
      await sleep(50);
    }
    await stalled.waitClosed(2000);
    assert.equal(stalled.replies[0]?.headers['kind'], 'bad-request');
    assert.match(stalled.replies[0]!.payload, /incomplete frame: no bytes of it for 300 ms/);
    assert.equal(trickling.closed, false, 'a frame still arriving is not cut off');
    assert.equal(stats(proxy).cxIncompleteFrameTimeout, 1);
    await until('held bytes released', () => proxy.overload.incompleteFrameBytes < 1100 + 1024 * 20);
  });

  test('incomplete frames across connections are capped: the connection that would pass the cap is closed', async () => {
    const v1 = new ToyServer('v1');
    const { proxy, port } = await startProxy(await v1.start(), { maxIncompleteFrameBytes: 100 * KiB });
    running.stops.push(() => v1.stop());
    const a = await client(port);
    const b = await client(port);
    const frame = encodeToy({ type: 'request', id: 1, payload: 'y'.repeat(90 * KiB) });
    a.socket.write(frame.subarray(0, 60 * KiB));
    await until('a held', () => proxy.overload.incompleteFrameBytes >= 60 * KiB);
    b.socket.write(frame.subarray(0, 60 * KiB));
    await b.waitClosed(2000);
    assert.equal(b.replies[0]?.headers['kind'], 'over-limit');
    assert.equal(a.closed, false);
    assert.equal(stats(proxy).cxIncompleteFrameOverflow, 1);
    // The rest of a's frame arrives: it is served and nothing stays held.
    a.socket.write(frame.subarray(60 * KiB));
    await a.waitReplies(1);
    assert.equal(a.replies[0]?.type, 'response');
    assert.equal(proxy.overload.incompleteFrameBytes, 0);
  });

  test('a connection idle for the idle timeout is closed; one with a request in flight is not', async () => {
    const silent = new ToyServer('silent', { silent: true });
    const { proxy, port } = await startProxy(
      await silent.start(),
      { idleTimeoutMs: 300 },
      { listener: { requestTimeoutMs: 1500 } },
    );
    running.stops.push(() => silent.stop());
    const idle = await client(port);
    const busy = await client(port);
    busy.request(1);
    await idle.waitClosed(2000);
    assert.equal(busy.closed, false);
    assert.equal(stats(proxy).cxIdleTimeout, 1);
    // Once its request has timed out, the busy one goes idle too.
    await busy.waitClosed(4000);
    assert.equal(busy.replies[0]?.headers['kind'], 'timeout');
  });

  test("a listener's own idle timeout (0 = never) replaces the proxy's", async () => {
    const v1 = new ToyServer('v1');
    const { proxy, port } = await startProxy(
      await v1.start(),
      { idleTimeoutMs: 200 },
      { listener: { idleTimeoutMs: 0 } },
    );
    running.stops.push(() => v1.stop());
    const c = await client(port);
    await sleep(700);
    assert.equal(c.closed, false);
    assert.equal(stats(proxy).cxIdleTimeout, 0);
  });
});

describe('overload manager', () => {
  test('past its buffered-bytes limit the proxy refuses new connections and requests, and recovers', async () => {
    const v1 = new ToyServer('v1');
    const { proxy, port } = await startProxy(await v1.start(), { maxBufferedBytes: 64 * KiB });
    running.stops.push(() => v1.stop());
    const holder = await client(port);
    const served = await client(port);
    const frame = encodeToy({ type: 'request', id: 1, payload: 'z'.repeat(100 * KiB) });
    holder.socket.write(frame.subarray(0, 70 * KiB));
    await until('held', () => proxy.overload.incompleteFrameBytes >= 70 * KiB);
    proxy.overload.refresh();
    assert.equal(proxy.overload.acceptingConnections, false);
    assert.equal(proxy.overload.acceptingRequests, false);
    const refused = await client(port);
    await refused.waitClosed(2000);
    served.request(5);
    await served.waitReplies(1);
    assert.equal(served.replies[0]?.headers['kind'], 'over-limit');
    assert.match(served.replies[0]!.payload, /overloaded/);
    assert.equal(stats(proxy).cxOverloaded, 1);
    assert.equal(stats(proxy).requestOverloaded, 1);
    holder.close();
    await until('released', () => proxy.overload.incompleteFrameBytes === 0);
    proxy.overload.refresh();
    assert.equal(proxy.overload.acceptingRequests, true);
    served.request(6);
    await served.waitReplies(2);
    assert.equal(served.replies[1]?.type, 'response');
  });
});
