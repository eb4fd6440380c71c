/**
 * Timeouts and retries per route through `aeraki up`, with real Apache Thrift clients and servers:
 * a retry turns a refused connection on the first endpoint into a success (so does Istio's default
 * retry on a route without a policy; with retries off, some calls fail); a retry after the DestinationRule's connect timeout on an endpoint that never accepts;
 * a route timeout on a server that hangs is a timeout error in about that time; a per-try timeout moves
 * a call from a hanging server to a healthy one.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  connectHello,
  createConfigDir,
  destination,
  destinationRule,
  freePort,
  metaRouter,
  startAeraki,
  startBlackhole,
  startHelloServer,
  testAddress,
  thrift,
  thriftServiceEntry,
  versionTag,
  type AerakiProcess,
  type Blackhole,
  type ConfigDir,
  type ConfigDocument,
  type EndpointSpec,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';
import { clusterStats } from './harness/admin-api.js';

const ADDRESS = testAddress(32);
const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };
const CONNECT_TIMEOUT_MS = 300;
const ROUTE_TIMEOUT_MS = 300;
const PER_TRY_TIMEOUT_MS = 200;
const CALLS = 20;

type ServiceName = 'retry-refused' | 'refused' | 'default-refused' | 'retry-blackhole' | 'hang' | 'per-try';

let server: HelloServer | undefined;
let blackhole: Blackhole | undefined;
let hanging: net.Server | undefined;
const hangingSockets = new Set<net.Socket>();
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;
const ports = new Map<ServiceName, number>();

function hostOf(name: ServiceName): string {
  return `${name}.retries.e2e.svc.cluster.local`;
}

/** Istio's name for the cluster of a whole service. */
function clusterOf(name: ServiceName): string {
  return `outbound|${ports.get(name)}||${hostOf(name)}`;
}

/** Accepts connections, reads requests, never answers. */
async function startHangingServer(): Promise<net.Server> {
  const s = net.createServer(socket => {
    hangingSockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => hangingSockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve));
  return s;
}

function portOf(s: net.Server): number {
  return (s.address() as net.AddressInfo).port;
}

before(
  async () => {
    server = await startHelloServer({ tag: versionTag('v1'), stack: STACK });
    blackhole = await startBlackhole();
    hanging = await startHangingServer();
    const refused = await freePort('127.0.0.1');
    const healthy: EndpointSpec = { address: server.host, port: server.port, labels: {} };
    const at = (port: number): EndpointSpec => ({ address: '127.0.0.1', port, labels: {} });
    const docs: ConfigDocument[] = [];
    const service = async (name: ServiceName, endpoints: EndpointSpec[], route?: ConfigDocument) => {
      const port = await freePort(ADDRESS);
      ports.set(name, port);
      const host = hostOf(name);
      docs.push(thriftServiceEntry({ name, host, addresses: [ADDRESS], port, endpoints }));
      if (route !== undefined) {
        docs.push(metaRouter({ name, host, routes: [{ name, ...route, route: [destination(host)] }] }));
      }
    };
    // The first endpoint refuses connections; round robin sends every other call there.
    await service('retry-refused', [at(refused), healthy], {
      retries: { attempts: 1, retryOn: 'connect-failure' },
    });
    await service('refused', [at(refused), healthy], { retries: { attempts: 0 } });
    // No MetaRouter: the default route, with Istio's default retries.
    await service('default-refused', [at(refused), healthy]);
    await service('retry-blackhole', [at(blackhole.port), healthy], {
      retries: { attempts: 1, retryOn: 'connect-failure' },
    });
    docs.push(
      destinationRule({
        name: 'retry-blackhole',
        host: hostOf('retry-blackhole'),
        subsets: {},
        trafficPolicy: { connectionPool: { tcp: { connectTimeout: `${CONNECT_TIMEOUT_MS}ms` } } },
      }),
    );
    await service('hang', [at(portOf(hanging))], { timeout: `${ROUTE_TIMEOUT_MS}ms` });
    await service('per-try', [at(portOf(hanging)), healthy], {
      timeout: '5s',
      retries: { attempts: 1, perTryTimeout: `${PER_TRY_TIMEOUT_MS}ms`, retryOn: 'connect-failure,reset' },
    });
    config = await createConfigDir({ 'retries.yaml': docs });
    aeraki = await startAeraki(config.path, {
      listeners: [...ports.values()].map(port => ({ host: ADDRESS, port })),
    });
  },
  { timeout: 40000 },
);

after(
  async () => {
    await aeraki?.stop();
    await server?.close();
    await blackhole?.close();
    for (const s of hangingSockets) s.destroy();
    await new Promise<void>(resolve => (hanging === undefined ? resolve() : hanging.close(() => resolve())));
    await config?.remove();
  },
  { timeout: 15000 },
);

/** Makes `n` sequential sayHello calls; the results, errors and durations in order. */
async function calls(name: ServiceName, n: number) {
  const hello = await connectHello(ADDRESS, ports.get(name)!, { stack: STACK });
  const results: Array<{ ok: boolean; error?: Error; ms: number }> = [];
  try {
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      try {
        assert.equal(await hello.client.sayHello(`r${i}`), `Hello r${i}, from ${versionTag('v1')}`);
        results.push({ ok: true, ms: performance.now() - started });
      } catch (err) {
        assert.ok(err instanceof thrift.Thrift.TApplicationException, String(err));
        results.push({ ok: false, error: err, ms: performance.now() - started });
      }
    }
    assert.equal(hello.isClosed, false);
  } finally {
    await hello.close();
  }
  return results;
}

describe('retries', () => {
  test(
    'a retry turns a refused connection on the first endpoint into a success',
    { timeout: 20000 },
    async () => {
      const results = await calls('retry-refused', CALLS);
      assert.deepEqual(
        results.filter(r => !r.ok).map(r => r.error?.message),
        [],
      );
      const stats = await clusterStats(aeraki!, clusterOf('retry-refused'));
      assert.ok(stats['rqRetry']! >= CALLS / 2 - 1, `${stats['rqRetry']} retries`);
      assert.equal(stats['rqRetrySuccess'], stats['rqRetry']);
    },
  );

  test(
    'with retries off (attempts: 0), the calls sent to the refusing endpoint fail',
    { timeout: 20000 },
    async () => {
      const results = await calls('refused', CALLS);
      const failed = results.filter(r => !r.ok);
      assert.ok(failed.length > 0 && failed.length < CALLS, `${failed.length} of ${CALLS} failed`);
      for (const r of failed) assert.match(r.error!.message, /ECONNREFUSED/);
    },
  );

  test(
    "without a retry policy, Istio's default retries the refused calls: none fails",
    { timeout: 20000 },
    async () => {
      const results = await calls('default-refused', CALLS);
      assert.deepEqual(
        results.filter(r => !r.ok).map(r => r.error!.message),
        [],
      );
      const stats = await clusterStats(aeraki!, clusterOf('default-refused'));
      assert.ok(stats['rqRetry']! >= CALLS / 2 - 1, `${stats['rqRetry']} retries`);
      assert.equal(stats['rqRetrySuccess'], stats['rqRetry']);
    },
  );

  test(
    'a retry after the connect timeout of an endpoint that never accepts',
    { timeout: 20000 },
    async () => {
      const results = await calls('retry-blackhole', 6);
      assert.ok(results.every(r => r.ok));
      // The calls that went to the blackhole first waited for the DestinationRule's connect timeout.
      const slow = results.filter(r => r.ms >= CONNECT_TIMEOUT_MS - 5);
      assert.ok(slow.length >= 1, results.map(r => r.ms.toFixed(0)).join());
      for (const r of slow) assert.ok(r.ms < CONNECT_TIMEOUT_MS + 2000, `${r.ms.toFixed(0)} ms`);
    },
  );

  test(
    'a per-try timeout moves the call from a hanging server to a healthy one',
    { timeout: 20000 },
    async () => {
      const results = await calls('per-try', 6);
      assert.ok(results.every(r => r.ok));
      const moved = results.filter(r => r.ms >= PER_TRY_TIMEOUT_MS - 5);
      assert.ok(moved.length >= 1, results.map(r => r.ms.toFixed(0)).join());
      for (const r of moved) assert.ok(r.ms < PER_TRY_TIMEOUT_MS + 2000, `${r.ms.toFixed(0)} ms`);
    },
  );
});

describe('timeouts', () => {
  test(
    'a route timeout on a server that hangs: a timeout error in about the timeout',
    { timeout: 20000 },
    async () => {
      const [result] = await calls('hang', 1);
      assert.ok(result !== undefined && !result.ok);
      assert.match(
        result.error!.message,
        new RegExp(`no response from cluster '.*' within ${ROUTE_TIMEOUT_MS} ms`),
      );
      assert.ok(
        result.ms >= ROUTE_TIMEOUT_MS - 5 && result.ms < ROUTE_TIMEOUT_MS + 1500,
        `answered after ${result.ms.toFixed(0)} ms; the route timeout is ${ROUTE_TIMEOUT_MS} ms`,
      );
    },
  );
});
