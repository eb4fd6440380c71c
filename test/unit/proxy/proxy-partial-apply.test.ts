/**
 * Proxy.apply with one listener it cannot build or bind beside good ones: the bad one is rejected
 * alone and named (code, reason, whether an older version serves), everything else is applied, and
 * it runs as soon as it can (its address freed, a later update that fixes it).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { CodecRegistry } from '../../../src/codec/index.js';
import { ErrorCodes } from '../../../src/errors.js';
import { Proxy } from '../../../src/proxy/proxy.js';
import type { ListenerResource, ProxySnapshot, RouteResource } from '../../../src/xds/resources.js';
import { cluster, route } from '../resource-fixtures.js';
import { toyCodecFactory } from './toy-codec.js';
import { ToyClient, ToyServer } from './toy-peers.js';

const GOOD = '127.0.78.1';
const OTHER = '127.0.78.2';
const logger = pino({ level: 'silent' });

function listener(name: string, address: string, port: number, overrides: Partial<ListenerResource> = {}) {
  return {
    name,
    address,
    port,
    protocol: 'toy',
    codec: toyCodecFactory.name,
    routeConfigName: `${name}_routes`,
    statPrefix: name,
    idleTimeoutMs: 0,
    requestTimeoutMs: 2000,
    multiplexing: true,
    ...overrides,
  } satisfies ListenerResource;
}

/** Listeners, each with its own route table of `routes` (or everything to v1). */
function snapshot(
  listeners: ListenerResource[],
  ports: Record<string, number>,
  routes: Record<string, RouteResource[]> = {},
): ProxySnapshot {
  return {
    version: String(Math.random()),
    listeners,
    clusters: Object.keys(ports).map(n => cluster(n)),
    endpoints: Object.entries(ports).map(([n, port]) => ({
      clusterName: n,
      endpoints: [{ address: '127.0.0.1', port, labels: {}, weight: 1 }],
    })),
    routes: listeners.map(l => ({
      name: l.routeConfigName,
      routes: routes[l.name] ?? [route('all', 'v1')],
    })),
  };
}

async function serverOf(address: string, port: number): Promise<string | undefined> {
  const client = await ToyClient.connect(address, port);
  try {
    return (await client.call({ id: 1, headers: { method: 'hi' } })).headers['server'];
  } finally {
    client.close();
  }
}

function holdPort(address: string): Promise<Server> {
  const server = createServer();
  return new Promise(resolve => server.listen(0, address, () => resolve(server)));
}

function portOf(server: Server): number {
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return address.port;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('partial application of a snapshot', () => {
  const v1 = new ToyServer('v1');
  const v2 = new ToyServer('v2');
  const ports: Record<string, number> = {};
  let proxy: Proxy;

  before(async () => {
    ports['v1'] = await v1.start();
    ports['v2'] = await v2.start();
    const registry = new CodecRegistry();
    registry.register(toyCodecFactory);
    proxy = new Proxy(registry, logger, [], undefined, { bindRetry: { initialMs: 20, maxMs: 50 } });
  });

  after(async () => {
    await proxy.close(100);
    await Promise.all([v1.stop(), v2.stop()]);
  });

  test('a listener with an unknown codec is rejected alone; a fix later binds it', async () => {
    const held = await holdPort(OTHER);
    const freePort = portOf(held);
    await new Promise(resolve => held.close(resolve));
    const good = listener('good', GOOD, 0);
    const acme = listener('acme', OTHER, freePort, { codec: 'aeraki.meta_protocol.codec.acme' });
    const failuresBefore = proxy.listenerManager.listenerCreateFailure;

    const result = await proxy.apply(snapshot([good, acme], ports));
    assert.deepEqual(
      result.rejected.map(r => [r.name, r.code, r.serving]),
      [['acme', ErrorCodes.CODEC_UNKNOWN, 'none']],
    );
    assert.match(result.rejected[0]!.reason, /no codec named 'aeraki\.meta_protocol\.codec\.acme'/);
    assert.equal(proxy.listenerManager.listenerCreateFailure, failuresBefore + 1);
    assert.deepEqual([...proxy.listenerMap.keys()], ['good']);
    const goodPort = proxy.listenerMap.get('good')!.boundPort;
    assert.equal(await serverOf(GOOD, goodPort), 'v1');

    // A route edit to the good listener takes effect while the bad one stays rejected.
    const edited = await proxy.apply(snapshot([good, acme], ports, { good: [route('all', 'v2')] }));
    assert.deepEqual(
      edited.rejected.map(r => r.name),
      ['acme'],
    );
    assert.equal(result.rejected[0]!.since, edited.rejected[0]!.since, 'rejected since the first time');
    assert.equal(await serverOf(GOOD, goodPort), 'v2');

    // The control plane fixes it: it binds, and nothing is rejected any more.
    const fixed = await proxy.apply(snapshot([good, { ...acme, codec: toyCodecFactory.name }], ports));
    assert.deepEqual(fixed.rejected, []);
    assert.deepEqual(proxy.rejectedListeners(), []);
    assert.equal(await serverOf(OTHER, freePort), 'v1');
    await proxy.apply(snapshot([good], ports));
  });

  test('a busy address rejects its listener alone; it binds once the address is free', async () => {
    const squatter = await holdPort(OTHER);
    const busyPort = portOf(squatter);
    const good = listener('good', GOOD, 0);
    const busy = listener('busy', OTHER, busyPort);
    const result = await proxy.apply(snapshot([good, busy], ports));
    assert.equal(result.rejected.length, 1);
    const rejection = result.rejected[0]!;
    assert.equal(rejection.name, 'busy');
    assert.equal(rejection.code, ErrorCodes.LISTEN_FAILED);
    assert.match(rejection.reason, /EADDRINUSE/);
    assert.equal(rejection.serving, 'none');
    assert.ok(rejection.retryAt !== undefined && Date.parse(rejection.retryAt) <= Date.now() + 50);
    assert.equal(await serverOf(GOOD, proxy.listenerMap.get('good')!.boundPort), 'v1');

    // Still busy: retried, still rejected, failures counted.
    await waitFor(() => (proxy.rejectedListeners()[0]?.bindFailures ?? 0) >= 3, 'bind retries');
    assert.ok(!proxy.listenerMap.has('busy'));

    await new Promise(resolve => squatter.close(resolve));
    await waitFor(() => proxy.listenerMap.has('busy'), 'the bind once the address is free');
    assert.deepEqual(proxy.rejectedListeners(), []);
    assert.equal(await serverOf(OTHER, busyPort), 'v1');
    await proxy.apply(snapshot([good], ports));
    assert.ok(!proxy.listenerMap.has('busy'));
  });

  test('a listener moved to a busy address keeps serving on the old one until the new one binds', async () => {
    const good = listener('good', GOOD, 0);
    const moving = listener('moving', OTHER, 0);
    await proxy.apply(snapshot([good, moving], ports));
    const oldPort = proxy.listenerMap.get('moving')!.boundPort;
    const squatter = await holdPort(GOOD);
    const newPort = portOf(squatter);
    const result = await proxy.apply(snapshot([good, { ...moving, address: GOOD, port: newPort }], ports));
    assert.deepEqual(
      result.rejected.map(r => [r.name, r.code, r.serving]),
      [['moving', ErrorCodes.LISTEN_FAILED, 'previous']],
    );
    assert.equal(await serverOf(OTHER, oldPort), 'v1', 'the previous version still serves');
    await new Promise(resolve => squatter.close(resolve));
    await waitFor(() => proxy.listenerMap.get('moving')?.state.resource.address === GOOD, 'the move');
    assert.equal(await serverOf(GOOD, newPort), 'v1');
    await waitFor(() => proxy.rejectedListeners().length === 0, 'no rejection');
    await proxy.apply(snapshot([good], ports));
  });

  test('a route table that does not compile rejects its listener; the previous routes keep serving', async () => {
    const good = listener('good', GOOD, 0);
    const other = listener('other', OTHER, 0);
    await proxy.apply(snapshot([good, other], ports));
    const otherPort = proxy.listenerMap.get('other')!.boundPort;
    const goodPort = proxy.listenerMap.get('good')!.boundPort;
    const badRoutes = [route('bad', 'v2', { match: [{ name: 'method', kind: 'regex', value: '(a)\\1' }] })];
    const result = await proxy.apply(
      snapshot([good, other], ports, { other: badRoutes, good: [route('all', 'v2')] }),
    );
    assert.deepEqual(
      result.rejected.map(r => [r.name, r.code, r.serving]),
      [['other', ErrorCodes.CONFIG_INVALID, 'previous']],
    );
    assert.match(result.rejected[0]!.reason, /route table 'other_routes' cannot be compiled/);
    assert.equal(await serverOf(OTHER, otherPort), 'v1', 'the rejected listener keeps its old routes');
    assert.equal(await serverOf(GOOD, goodPort), 'v2', 'the other listener got its update');
    assert.equal(proxy.routeTable('other_routes')?.routes[0]?.name, 'all', 'the old table is kept');
    await proxy.apply(snapshot([good], ports));
  });
});
