/**
 * Per-route fault injection, retries and timeouts through a real proxy with the toy codec: what the
 * client sees, what the upstreams receive, and the counters.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { CodecRegistry } from '../../../src/codec/index.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import type { ListenerResource, ProxySnapshot, RouteResource } from '../../../src/xds/resources.js';
import { cluster as clusterResource } from '../resource-fixtures.js';
import { encodeToy, toyCodecFactory } from './toy-codec.js';
import { toyListener } from './toy-listener.js';
import { ToyClient, ToyServer } from './toy-peers.js';

const ADDRESS = '127.0.77.5';
const LISTENER = `${ADDRESS}_0`;
const logger = pino({ level: 'silent' });

function route(target: string, overrides: Partial<RouteResource> = {}): RouteResource {
  return {
    name: 'policy',
    match: [],
    action: { cluster: target },
    hashPolicy: [],
    mirrors: [],
    requestMutation: [],
    responseMutation: [],
    ...overrides,
  };
}

/** One listener routing everything with `only`; clusters by name → endpoint ports, in order. */
function snapshot(
  clusters: Record<string, number[]>,
  only: RouteResource,
  listener: Partial<ListenerResource> = {},
): ProxySnapshot {
  return {
    version: String(Math.random()),
    listeners: [
      toyListener(ADDRESS, { name: LISTENER, idleTimeoutMs: 0, requestTimeoutMs: 3000, ...listener }),
    ],
    clusters: Object.keys(clusters).map(name => clusterResource(name)),
    endpoints: Object.entries(clusters).map(([clusterName, ports]) => ({
      clusterName,
      endpoints: ports.map(port => ({ address: '127.0.0.1', port, labels: {}, weight: 1 })),
    })),
    routes: [{ name: 'toy_0', routes: [only] }],
  };
}

/** A server that reacts to every request by `onRequest` on the raw socket. */
async function rawServer(onData: (socket: Socket) => void): Promise<{ port: number; server: Server }> {
  const server = createServer(socket => {
    socket.on('error', () => {});
    socket.once('data', () => onData(socket));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

async function deadPort(): Promise<number> {
  const { port, server } = await rawServer(() => {});
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

describe('per-route policies with the toy codec', () => {
  const v1 = new ToyServer('v1');
  const silent = new ToyServer('silent', { silent: true });
  const silent2 = new ToyServer('silent2', { silent: true });
  const raw: Server[] = [];
  let proxy: Proxy;
  let port: number;
  let v1Port: number;
  let silentPort: number;
  let silent2Port: number;
  let resetPort: number;
  let partialPort: number;

  before(async () => {
    v1Port = await v1.start();
    silentPort = await silent.start();
    silent2Port = await silent2.start();
    // Closes the connection as soon as a request arrives: a reset before any reply byte.
    const reset = await rawServer(socket => socket.destroy());
    // Sends the first bytes of a reply, then closes: a reset after the reply started.
    const partial = await rawServer(socket => {
      socket.write(encodeToy({ type: 'response', id: 1, payload: 'partial' }).subarray(0, 6));
      setTimeout(() => socket.destroy(), 20);
    });
    raw.push(reset.server, partial.server);
    resetPort = reset.port;
    partialPort = partial.port;
    const registry = new CodecRegistry();
    registry.register(toyCodecFactory);
    proxy = new Proxy(registry, logger);
    await proxy.apply(snapshot({ v1: [v1Port] }, route('v1')));
    port = proxy.listenerMap.get(LISTENER)!.boundPort;
  });

  after(async () => {
    await proxy.close(100);
    await Promise.all([v1.stop(), silent.stop(), silent2.stop()]);
    for (const s of raw) s.close();
  });

  const stats = () => proxy.listenerMap.get(LISTENER)!.stats;
  const clusterStats = (name: string) => proxy.clusters.get(name)!.stats;

  describe('fault injection', () => {
    test('an abort answers with the protocol error of its kind, names the fault, forwards nothing', async () => {
      await proxy.apply(
        snapshot(
          { v1: [v1Port] },
          route('v1', { name: 'chaos', fault: { abort: { errorKind: 'over-limit', percent: 100 } } }),
        ),
      );
      const seen = v1.received.length;
      const aborts = stats().faultAbort;
      const client = await ToyClient.connect(ADDRESS, port);
      const reply = await client.call({ id: 1 });
      assert.equal(reply.type, 'error');
      assert.equal(reply.headers['kind'], 'over-limit');
      assert.equal(reply.payload, "aeraki: fault injected by route 'chaos': abort (over-limit)");
      assert.equal(v1.received.length, seen);
      assert.equal(stats().faultAbort, aborts + 1);
      client.close();
    });

    test('a delay holds the request, then forwards it on the same route', async () => {
      await proxy.apply(
        snapshot({ v1: [v1Port] }, route('v1', { fault: { delay: { fixedDelayMs: 120, percent: 100 } } })),
      );
      const delays = stats().faultDelay;
      const client = await ToyClient.connect(ADDRESS, port);
      const started = Date.now();
      const reply = await client.call({ id: 1 });
      const took = Date.now() - started;
      assert.equal(reply.headers['server'], 'v1');
      assert.ok(took >= 118, `took ${took} ms`);
      assert.equal(stats().faultDelay, delays + 1);
      client.close();
    });

    test('a delayed request can then be aborted; a route change meanwhile does not affect it', async () => {
      await proxy.apply(
        snapshot(
          { v1: [v1Port] },
          route('v1', {
            fault: {
              delay: { fixedDelayMs: 80, percent: 100 },
              abort: { errorKind: 'unavailable', percent: 100 },
            },
          }),
        ),
      );
      const client = await ToyClient.connect(ADDRESS, port);
      const started = Date.now();
      const delays = stats().faultDelay;
      const pending = client.call({ id: 1 });
      await waitFor(() => stats().faultDelay > delays);
      await proxy.apply(snapshot({ v1: [v1Port] }, route('v1')));
      const reply = await pending;
      assert.ok(Date.now() - started >= 78);
      assert.equal(reply.headers['kind'], 'no-healthy-upstream');
      assert.equal(
        (await client.call({ id: 2 })).headers['server'],
        'v1',
        'the next request takes the new route',
      );
      client.close();
    });

    test('a delayed request whose client leaves is never forwarded', async () => {
      await proxy.apply(
        snapshot({ v1: [v1Port] }, route('v1', { fault: { delay: { fixedDelayMs: 60, percent: 100 } } })),
      );
      const seen = v1.received.length;
      const client = await ToyClient.connect(ADDRESS, port);
      const delays = stats().faultDelay;
      client.send({ type: 'request', id: 1 });
      await waitFor(() => stats().faultDelay > delays);
      // A reset, not a half-close: a half-closed client still gets the answers it asked for.
      client.socket.resetAndDestroy();
      await new Promise(resolve => setTimeout(resolve, 120));
      assert.deepEqual(v1.received.slice(seen), []);
    });

    test('heartbeats are answered by the proxy even when every request is aborted', async () => {
      await proxy.apply(
        snapshot(
          { v1: [v1Port] },
          route('v1', { fault: { abort: { errorKind: 'internal', percent: 100 } } }),
        ),
      );
      const aborts = stats().faultAbort;
      const client = await ToyClient.connect(ADDRESS, port);
      client.send({ type: 'heartbeat', id: 41 });
      await waitFor(() => client.replies.has(41));
      assert.equal(client.replies.get(41)!.type, 'heartbeat-reply');
      assert.equal(stats().faultAbort, aborts);
      client.close();
    });

    test('0% faults change nothing', async () => {
      await proxy.apply(
        snapshot(
          { v1: [v1Port] },
          route('v1', {
            fault: {
              delay: { fixedDelayMs: 5000, percent: 0 },
              abort: { errorKind: 'internal', percent: 0 },
            },
          }),
        ),
      );
      const client = await ToyClient.connect(ADDRESS, port);
      for (let id = 1; id <= 20; id++) assert.equal((await client.call({ id })).headers['server'], 'v1');
      client.close();
    });
  });

  describe('timeouts', () => {
    test("a route without a timeout gets the listener's default", async () => {
      await proxy.apply(snapshot({ silent: [silentPort] }, route('silent'), { requestTimeoutMs: 150 }));
      const client = await ToyClient.connect(ADDRESS, port);
      const started = Date.now();
      const reply = await client.call({ id: 1 });
      assert.equal(reply.headers['kind'], 'timeout');
      assert.match(reply.payload, /within 150 ms/);
      assert.ok(Date.now() - started >= 145);
      client.close();
    });

    test("a route's own timeout wins over the listener's default", async () => {
      await proxy.apply(
        snapshot({ silent: [silentPort] }, route('silent', { timeoutMs: 100 }), { requestTimeoutMs: 60000 }),
      );
      const client = await ToyClient.connect(ADDRESS, port);
      const reply = await client.call({ id: 1 });
      assert.equal(reply.headers['kind'], 'timeout');
      assert.match(reply.payload, /within 100 ms/);
      client.close();
    });
  });

  describe('retries', () => {
    for (const multiplexing of [true, false]) {
      test(`a refused connection is retried on the other host (${multiplexing ? 'multiplexed' : 'exclusive'})`, async () => {
        const name = `refused-${multiplexing}`;
        const retryPolicy = { attempts: 1, retryOn: ['connect-failure' as const] };
        await proxy.apply(
          snapshot({ [name]: [await deadPort(), v1Port] }, route(name, { retryPolicy }), { multiplexing }),
        );
        const client = await ToyClient.connect(ADDRESS, port);
        for (let id = 1; id <= 10; id++) assert.equal((await client.call({ id })).headers['server'], 'v1');
        const s = clusterStats(name);
        assert.ok(s.rqRetry >= 1);
        assert.equal(s.rqRetry, s.cxConnectFail, 'every refused try was retried');
        assert.equal(s.rqRetrySuccess, s.rqRetry);
        assert.equal(proxy.clusters.get(name)!.retryBudget.inFlight, 0);
        client.close();
      });
    }

    test("without a retry policy, Istio's default retries refused tries on the other host", async () => {
      await proxy.apply(snapshot({ plain: [await deadPort(), v1Port] }, route('plain')));
      const client = await ToyClient.connect(ADDRESS, port);
      for (let id = 1; id <= 10; id++) assert.equal((await client.call({ id })).headers['server'], 'v1');
      const s = clusterStats('plain');
      assert.ok(s.rqRetry >= 1);
      assert.equal(s.rqRetry, s.cxConnectFail, 'every refused try was retried');
      assert.equal(s.rqRetrySuccess, s.rqRetry);
      client.close();
    });

    test("the default's two retries run out on dead hosts, outside the retry budget", async () => {
      await proxy.apply(snapshot({ dead: [await deadPort(), await deadPort()] }, route('dead')));
      const client = await ToyClient.connect(ADDRESS, port);
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => client.call({ id: i + 1 })));
      assert.ok(replies.every(r => r.headers['kind'] === 'connect-failure'));
      const s = clusterStats('dead');
      assert.equal(s.rqRetry, 40, 'two retries each');
      assert.equal(s.rqRetryOverflow, 0);
      assert.equal(s.rqRetryExhausted, 20);
      assert.equal(proxy.clusters.get('dead')!.retryBudget.inFlight, 0);
      client.close();
    });

    test('attempts: 0 turns retries off: the refused tries fail', async () => {
      await proxy.apply(
        snapshot(
          { off: [await deadPort(), v1Port] },
          route('off', { retryPolicy: { attempts: 0, retryOn: ['connect-failure'] } }),
        ),
      );
      const client = await ToyClient.connect(ADDRESS, port);
      const kinds = [];
      for (let id = 1; id <= 4; id++) kinds.push((await client.call({ id })).headers['kind'] ?? 'ok');
      assert.ok(kinds.includes('connect-failure'), kinds.join());
      assert.equal(clusterStats('off').rqRetry, 0);
      client.close();
    });

    test('a reset before any reply byte is retried under reset, not under connect-failure', async () => {
      await proxy.apply(
        snapshot(
          { reset: [resetPort, v1Port] },
          route('reset', { retryPolicy: { attempts: 1, retryOn: ['reset'] } }),
        ),
      );
      let client = await ToyClient.connect(ADDRESS, port);
      assert.equal((await client.call({ id: 1 })).headers['server'], 'v1');
      client.close();
      await proxy.apply(
        snapshot(
          { reset2: [resetPort, v1Port] },
          route('reset2', { retryPolicy: { attempts: 1, retryOn: ['connect-failure'] } }),
        ),
      );
      client = await ToyClient.connect(ADDRESS, port);
      assert.equal((await client.call({ id: 1 })).headers['kind'], 'upstream-reset');
      client.close();
    });

    test('a reset after part of the reply arrived is never retried', async () => {
      await proxy.apply(
        snapshot(
          { partial: [partialPort, v1Port] },
          route('partial', { retryPolicy: { attempts: 3, retryOn: ['reset'] } }),
          {
            multiplexing: false,
          },
        ),
      );
      const client = await ToyClient.connect(ADDRESS, port);
      assert.equal((await client.call({ id: 1 })).headers['kind'], 'upstream-reset');
      assert.equal(clusterStats('partial').rqRetry, 0);
      client.close();
    });

    test('a per-try timeout moves the request to another host', async () => {
      await proxy.apply(
        snapshot(
          { pertry: [silentPort, v1Port] },
          route('pertry', { retryPolicy: { attempts: 1, perTryTimeoutMs: 100, retryOn: ['reset'] } }),
        ),
      );
      const client = await ToyClient.connect(ADDRESS, port);
      const started = Date.now();
      const reply = await client.call({ id: 1, payload: 'once' });
      assert.equal(reply.headers['server'], 'v1');
      assert.equal(reply.payload, 'v1:once');
      assert.ok(Date.now() - started >= 95);
      client.close();
    });

    test('a per-try timeout that may not be retried is a timeout reply', async () => {
      await proxy.apply(
        snapshot(
          { pertry2: [silentPort, v1Port] },
          route('pertry2', {
            retryPolicy: { attempts: 1, perTryTimeoutMs: 100, retryOn: ['connect-failure'] },
          }),
        ),
      );
      const client = await ToyClient.connect(ADDRESS, port);
      const reply = await client.call({ id: 1 });
      assert.equal(reply.headers['kind'], 'timeout');
      assert.match(reply.payload, /within the per-try timeout of 100 ms/);
      client.close();
    });

    test('the route timeout bounds all tries together', async () => {
      await proxy.apply(
        snapshot(
          { bounded: [silentPort, silent2Port] },
          route('bounded', {
            timeoutMs: 250,
            retryPolicy: { attempts: 10, perTryTimeoutMs: 100, retryOn: ['reset'] },
          }),
        ),
      );
      const client = await ToyClient.connect(ADDRESS, port);
      const started = Date.now();
      const reply = await client.call({ id: 1 });
      const took = Date.now() - started;
      assert.equal(reply.headers['kind'], 'timeout');
      assert.match(reply.payload, /within 250 ms/);
      assert.ok(took >= 240 && took < 2000, `took ${took} ms`);
      assert.ok(clusterStats('bounded').rqRetry <= 3);
      client.close();
    });

    test('attempts run out: the last failure is the reply, and counted', async () => {
      await proxy.apply(
        snapshot(
          { exhausted: [await deadPort(), await deadPort()] },
          route('exhausted', { retryPolicy: { attempts: 2, retryOn: ['connect-failure'] } }),
        ),
      );
      const client = await ToyClient.connect(ADDRESS, port);
      assert.equal((await client.call({ id: 1 })).headers['kind'], 'connect-failure');
      const s = clusterStats('exhausted');
      assert.equal(s.rqRetry, 2);
      assert.equal(s.rqRetryExhausted, 1);
      client.close();
    });

    test('one-way requests are never retried', async () => {
      await proxy.apply(
        snapshot(
          { oneway: [await deadPort(), v1Port] },
          route('oneway', { retryPolicy: { attempts: 3, retryOn: ['connect-failure', 'reset'] } }),
        ),
      );
      const seen = v1.received.length;
      const client = await ToyClient.connect(ADDRESS, port);
      client.send({ type: 'oneway', id: 1 });
      await new Promise(resolve => setTimeout(resolve, 100));
      assert.equal(clusterStats('oneway').rqRetry, 0);
      assert.equal(v1.received.length, seen);
      client.close();
    });

    test('the retry budget stops retries from multiplying load', async () => {
      await proxy.apply(
        snapshot(
          { budget: [await deadPort(), await deadPort()] },
          route('budget', { retryPolicy: { attempts: 1, retryOn: ['connect-failure'] } }),
        ),
      );
      const client = await ToyClient.connect(ADDRESS, port);
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => client.call({ id: i + 1 })));
      assert.ok(replies.every(r => r.headers['kind'] === 'connect-failure'));
      const s = clusterStats('budget');
      assert.equal(s.rqRetry + s.rqRetryOverflow, 20, 'each request was retried or refused a retry');
      assert.ok(s.rqRetryOverflow > 0, 'over budget: not retried, counted');
      assert.ok(s.rqRetry >= 3, 'at least the minimum concurrency of retries');
      assert.equal(proxy.clusters.get('budget')!.retryBudget.inFlight, 0);
      client.close();
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise(resolve => setTimeout(resolve, 2));
  }
}
