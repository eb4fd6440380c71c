import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { CodecRegistry } from '../../../src/codec/index.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import type {
  ClusterResource,
  ListenerResource,
  ProxySnapshot,
  RouteConfigResource,
  RouteResource,
} from '../../../src/xds/resources.js';
import { cluster, route } from '../resource-fixtures.js';
import { toyCodecFactory } from './toy-codec.js';
import { toyListener } from './toy-listener.js';
import { ToyClient, ToyServer } from './toy-peers.js';

const ADDRESS = '127.0.77.1';
const logger = pino({ level: 'silent' });

function listener(overrides: Partial<ListenerResource> = {}): ListenerResource {
  return toyListener(ADDRESS, { idleTimeoutMs: 0, requestTimeoutMs: 2000, ...overrides });
}

function snapshot(
  ports: Record<string, number>,
  routes: RouteResource[],
  opts: { listener?: Partial<ListenerResource>; cluster?: Partial<ClusterResource> } = {},
): ProxySnapshot {
  const table: RouteConfigResource = { name: 'toy_0', routes };
  return {
    version: String(Math.random()),
    listeners: [listener(opts.listener)],
    clusters: Object.keys(ports).map(n => cluster(n, opts.cluster)),
    endpoints: Object.entries(ports).map(([n, port]) => ({
      clusterName: n,
      endpoints: [{ address: '127.0.0.1', port, labels: {}, weight: 1 }],
    })),
    routes: [table],
  };
}

describe('proxy with the toy codec', () => {
  const v1 = new ToyServer('v1');
  const v2 = new ToyServer('v2');
  const mirror = new ToyServer('mirror');
  const silent = new ToyServer('silent', { silent: true });
  const ports: Record<string, number> = {};
  let proxy: Proxy;
  let port: number;

  before(async () => {
    ports['v1'] = await v1.start();
    ports['v2'] = await v2.start();
    ports['mirror'] = await mirror.start();
    ports['silent'] = await silent.start();
    const registry = new CodecRegistry();
    registry.register(toyCodecFactory);
    proxy = new Proxy(registry, logger);
    await proxy.apply(snapshot(ports, [route('all', 'v1')]));
    port = proxy.listenerMap.get(`${ADDRESS}_0`)!.boundPort;
  });

  after(async () => {
    await proxy.close(100);
    await Promise.all([v1.stop(), v2.stop(), mirror.stop(), silent.stop()]);
  });

  test('routes by attribute, first match wins', async () => {
    await proxy.apply(
      snapshot(ports, [
        route('hello', 'v2', { match: [{ name: 'method', kind: 'exact', value: 'sayHello' }] }),
        route('say-prefix', 'v1', { match: [{ name: 'method', kind: 'prefix', value: 'say' }] }),
        route('rest', 'v1'),
      ]),
    );
    const client = await ToyClient.connect(ADDRESS, port);
    assert.equal((await client.call({ id: 1, headers: { method: 'sayHello' } })).headers['server'], 'v2');
    assert.equal((await client.call({ id: 2, headers: { method: 'sayBye' } })).headers['server'], 'v1');
    assert.equal((await client.call({ id: 3, headers: { method: 'other' } })).headers['server'], 'v1');
    client.close();
  });

  test('two clients with the same request ids share one upstream connection without collisions', async () => {
    await proxy.apply(snapshot(ports, [route('all', 'v2')]));
    const before = v2.connections;
    const a = await ToyClient.connect(ADDRESS, port);
    const b = await ToyClient.connect(ADDRESS, port);
    const calls = [];
    for (let id = 1; id <= 50; id++) {
      calls.push(a.call({ id, payload: `a${id}` }), b.call({ id, payload: `b${id}` }));
    }
    const replies = await Promise.all(calls);
    for (let i = 0; i < replies.length; i++) {
      const id = Math.floor(i / 2) + 1;
      assert.equal(replies[i]!.id, id);
      assert.equal(replies[i]!.payload, `v2:${i % 2 === 0 ? 'a' : 'b'}${id}`);
    }
    assert.ok(v2.connections - before <= 1, 'one shared upstream connection');
    const upstreamIds = v2.received.slice(-100).map(f => f.id);
    assert.equal(new Set(upstreamIds).size, 100, 'upstream ids are unique');
    a.close();
    b.close();
  });

  test('exclusive pool: one request per connection, idle connections reused', async () => {
    await proxy.apply(snapshot(ports, [route('all', 'v1')], { listener: { multiplexing: false } }));
    const client = await ToyClient.connect(ADDRESS, port);
    const before = v1.connections;
    await Promise.all([1, 2, 3].map(id => client.call({ id })));
    const opened = v1.connections - before;
    assert.ok(opened >= 1 && opened <= 3);
    for (let id = 10; id < 20; id++) await client.call({ id });
    assert.equal(v1.connections - before, opened, 'sequential calls reuse idle connections');
    client.close();
  });

  test('request and response mutations are written by the codec', async () => {
    await proxy.apply(
      snapshot(ports, [
        route('all', 'v1', {
          requestMutation: [{ key: 'x-added', value: 'req' }],
          responseMutation: [{ key: 'x-reply', value: 'resp' }],
        }),
      ]),
    );
    const client = await ToyClient.connect(ADDRESS, port);
    const reply = await client.call({ id: 7 });
    assert.equal(v1.received.at(-1)!.headers['x-added'], 'req');
    assert.equal(reply.headers['x-reply'], 'resp');
    client.close();
  });

  test('mirror gets a copy, the client only the primary reply', async () => {
    await proxy.apply(
      snapshot(ports, [route('all', 'v1', { mirrors: [{ cluster: 'mirror', percent: 100 }] })]),
    );
    const client = await ToyClient.connect(ADDRESS, port);
    const seen = mirror.received.length;
    for (let id = 1; id <= 5; id++)
      assert.equal((await client.call({ id, payload: 'm' })).headers['server'], 'v1');
    await waitFor(() => mirror.received.length - seen === 5);
    assert.equal(client.replies.size, 5);
    client.close();
  });

  test('no route, unknown cluster and dead endpoint become protocol error replies', async () => {
    await proxy.apply({
      ...snapshot({ ...ports, dead: await deadPort() }, [
        route('only-foo', 'v1', { match: [{ name: 'method', kind: 'exact', value: 'foo' }] }),
        route('ghost', 'nowhere', { match: [{ name: 'method', kind: 'exact', value: 'ghost' }] }),
        route('dead', 'dead', { match: [{ name: 'method', kind: 'exact', value: 'dead' }] }),
      ]),
    });
    const client = await ToyClient.connect(ADDRESS, port);
    const noRoute = await client.call({ id: 1, headers: { method: 'bar' } });
    assert.equal(noRoute.type, 'error');
    assert.equal(noRoute.headers['kind'], 'no-route');
    assert.match(noRoute.payload, /no route matches method 'bar'/);
    const ghost = await client.call({ id: 2, headers: { method: 'ghost' } });
    assert.equal(ghost.headers['kind'], 'no-cluster');
    const dead = await client.call({ id: 3, headers: { method: 'dead' } });
    assert.equal(dead.headers['kind'], 'connect-failure');
    assert.match(dead.payload, /ECONNREFUSED/);
    client.close();
  });

  test('a silent upstream times out with a timeout reply', async () => {
    await proxy.apply(snapshot(ports, [route('all', 'silent', { timeoutMs: 150 })]));
    const client = await ToyClient.connect(ADDRESS, port);
    const started = Date.now();
    const reply = await client.call({ id: 9 });
    const took = Date.now() - started;
    assert.equal(reply.headers['kind'], 'timeout');
    assert.ok(took >= 140 && took < 1500, `took ${took} ms`);
    client.close();
  });

  test('a route change lets in-flight requests finish on the route they started with', async () => {
    const slow = new ToyServer('slow', { delayMs: 200 });
    const slowPort = await slow.start();
    await proxy.apply(snapshot({ ...ports, slow: slowPort }, [route('all', 'slow')]));
    const client = await ToyClient.connect(ADDRESS, port);
    const inFlight = client.call({ id: 1 });
    await waitFor(() => slow.received.length === 1);
    await proxy.apply(snapshot({ ...ports, slow: slowPort }, [route('all', 'v2')]));
    const next = await client.call({ id: 2 });
    assert.equal(next.headers['server'], 'v2');
    assert.equal((await inFlight).headers['server'], 'slow');
    assert.equal(client.closed, false);
    client.close();
    await slow.stop();
  });

  test('oneway requests are forwarded and get no reply', async () => {
    await proxy.apply(snapshot(ports, [route('all', 'v1')]));
    const client = await ToyClient.connect(ADDRESS, port);
    const seen = v1.received.length;
    client.send({ type: 'oneway', id: 5, payload: 'fire' });
    await waitFor(() => v1.received.length > seen);
    assert.equal(v1.received.at(-1)!.type, 'oneway');
    assert.equal(v1.received.at(-1)!.payload, 'fire');
    client.close();
  });

  test('heartbeats are answered by the proxy and not forwarded', async () => {
    const client = await ToyClient.connect(ADDRESS, port);
    const seen = v1.received.length;
    client.send({ type: 'heartbeat', id: 77 });
    await waitFor(() => client.replies.has(77));
    assert.equal(client.replies.get(77)!.type, 'heartbeat-reply');
    assert.equal(v1.received.length, seen);
    client.close();
  });

  test('silent upstream connections get heartbeats; a peer that stops answering is closed', async () => {
    const alive = new ToyServer('alive', { answerHeartbeats: true });
    const dead = new ToyServer('dead', { silent: true });
    const extra = { alive: await alive.start(), dead: await dead.start() };
    await proxy.apply(
      snapshot(
        { ...ports, ...extra },
        [
          route('alive', 'alive', { match: [{ name: 'method', kind: 'exact', value: 'alive' }] }),
          route('dead', 'dead'),
        ],
        { cluster: { heartbeatIntervalMs: 40 } },
      ),
    );
    const client = await ToyClient.connect(ADDRESS, port);
    try {
      await client.call({ id: 1, headers: { method: 'alive' } });
      client.send({ type: 'oneway', id: 2, headers: { method: 'dead' } });
      await waitFor(() => dead.closedByPeer === 1, 3000);
      assert.ok(dead.received.filter(f => f.type === 'heartbeat').length >= 2, 'probed before closing');
      await waitFor(() => alive.received.filter(f => f.type === 'heartbeat').length >= 3, 3000);
      assert.equal(alive.closedByPeer, 0, 'a peer that answers stays connected');
      assert.equal((await client.call({ id: 3, headers: { method: 'alive' } })).headers['server'], 'alive');
      assert.equal(alive.connections, 1);
    } finally {
      client.close();
      await Promise.all([alive.stop(), dead.stop()]);
    }
  });

  test('a removed listener stops accepting and lets requests in flight finish', async () => {
    const slow = new ToyServer('slow-drain', { delayMs: 150 });
    const slowPort = await slow.start();
    const drained = listener({ name: '127.0.77.3_0', address: '127.0.77.3', routeConfigName: 'toy_0' });
    const withBoth = snapshot({ ...ports, slow: slowPort }, [route('all', 'slow')]);
    await proxy.apply({ ...withBoth, listeners: [...withBoth.listeners, drained] });
    const drainedPort = proxy.listenerMap.get('127.0.77.3_0')!.boundPort;
    const client = await ToyClient.connect('127.0.77.3', drainedPort);
    const inFlight = client.call({ id: 1 });
    await waitFor(() => slow.received.length === 1);
    await proxy.apply(withBoth);
    assert.equal((await inFlight).headers['server'], 'slow-drain');
    await client.waitClosed();
    await assert.rejects(ToyClient.connect('127.0.77.3', drainedPort));
    await slow.stop();
  });

  test('bad bytes close that connection with an error reply; others keep working', async () => {
    await proxy.apply(snapshot(ports, [route('all', 'v1')]));
    const good = await ToyClient.connect(ADDRESS, port);
    const bad = await ToyClient.connect(ADDRESS, port);
    bad.socket.write(Buffer.from([0, 0, 0, 8, 99, 0, 0, 0, 1, 0, 0, 0]));
    await bad.waitClosed();
    assert.equal(bad.replies.get(0)?.headers['kind'], 'bad-request');
    assert.equal((await good.call({ id: 1 })).headers['server'], 'v1');
    good.close();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

/** A loopback port with nothing listening. */
async function deadPort(): Promise<number> {
  const server = new ToyServer('tmp');
  const port = await server.start();
  await server.stop();
  return port;
}

describe('proxy start-up', () => {
  test('full collections once the first snapshot is applied, none for later ones', async () => {
    let collections = 0;
    const proxy = new Proxy(new CodecRegistry(), logger, [], undefined, {
      collectGarbage: () => collections++,
    });
    try {
      assert.equal(collections, 0);
      const empty: ProxySnapshot = { version: '1', listeners: [], clusters: [], endpoints: [], routes: [] };
      await proxy.apply(empty);
      assert.equal(collections, 2);
      await proxy.apply({ ...empty, version: '2' });
      assert.equal(collections, 2);
    } finally {
      await proxy.close(0);
    }
  });
});
