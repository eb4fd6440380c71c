/**
 * Circuit breakers from a DestinationRule's connectionPool, through `aeraki up`, with real Apache
 * Thrift clients and servers: a burst of slow calls beyond the limits gets Thrift's own error reply
 * (a TApplicationException naming the circuit breaker) for exactly the calls over the limits, the
 * others are answered, and the proxy's admin API counts every overflow.
 *
 * One worker: these numbers count upstream connections, and each worker has pools of its own (as each
 * of Envoy's worker threads has), whose first connection to a host is always allowed, so with N
 * workers up to N connections open. The limits of a proxy with workers are in workers.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminCluster,
  connectHello,
  createConfigDir,
  destinationRule,
  freePort,
  staticServiceEntry,
  startAeraki,
  startHelloServer,
  testAddress,
  thrift,
  thriftServiceEntry,
  type AerakiProcess,
  type ConfigDir,
  type HelloConnection,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

const ADDRESS = testAddress(36);
const FRAMED: ThriftStack = { protocol: 'binary', transport: 'framed' };
const SLOW_MS = 800;
const BURST = 10;

/** Thrift without multiplexing: one call per upstream connection, as connection limits assume. */
const EXCLUSIVE_HOST = 'pool-limits.e2e.svc.cluster.local';
/** Thrift with multiplexing (the default): calls share a connection; the request limit applies. */
const MULTIPLEXED_HOST = 'request-limit.e2e.svc.cluster.local';

let server: HelloServer | undefined;
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;
const ports = { exclusive: 0, multiplexed: 0 };
const connections: HelloConnection[] = [];

function clusterName(port: number, host: string): string {
  return `outbound|${port}||${host}`;
}

before(
  async () => {
    server = await startHelloServer({ tag: 'slow-server', stack: FRAMED });
    ports.exclusive = await freePort(ADDRESS);
    ports.multiplexed = await freePort(ADDRESS);
    const endpoints = [{ address: server.host, port: server.port, labels: {} }];
    config = await createConfigDir({
      'limits.yaml': [
        {
          apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
          kind: 'ApplicationProtocol',
          metadata: { name: 'thriftx', namespace: 'default' },
          spec: { protocol: 'thriftx', codec: 'aeraki.meta_protocol.codec.thrift', multiplexing: false },
        },
        staticServiceEntry(
          {
            name: 'pool-limits',
            host: EXCLUSIVE_HOST,
            addresses: [ADDRESS],
            port: ports.exclusive,
            endpoints,
          },
          'tcp-metaprotocol-thriftx-limits',
        ),
        destinationRule({
          name: 'pool-limits',
          host: EXCLUSIVE_HOST,
          subsets: {},
          trafficPolicy: {
            connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1 } },
          },
        }),
        thriftServiceEntry({
          name: 'request-limit',
          host: MULTIPLEXED_HOST,
          addresses: [ADDRESS],
          port: ports.multiplexed,
          endpoints,
        }),
        destinationRule({
          name: 'request-limit',
          host: MULTIPLEXED_HOST,
          subsets: {},
          trafficPolicy: { connectionPool: { http: { http2MaxRequests: 3 } } },
        }),
      ],
    });
    aeraki = await startAeraki(config.path, {
      listeners: [
        { host: ADDRESS, port: ports.exclusive },
        { host: ADDRESS, port: ports.multiplexed },
      ],
      extraArgs: ['--workers', '1'],
    });
  },
  { timeout: 30000 },
);

after(
  async () => {
    await Promise.all(connections.map(c => c.close()));
    await aeraki?.stop();
    await server?.close();
    await config?.remove();
  },
  { timeout: 15000 },
);

/** Opens `n` client connections to the proxy first, so the burst itself is only calls. */
async function clients(port: number, n: number): Promise<HelloConnection[]> {
  const opened = await Promise.all(
    Array.from({ length: n }, () => connectHello(ADDRESS, port, { stack: FRAMED })),
  );
  connections.push(...opened);
  return opened;
}

/** One slow call per connection, all at once; each settles as its result or its error. */
async function burst(conns: readonly HelloConnection[], label: string) {
  return Promise.allSettled(conns.map((c, i) => c.client.slow(SLOW_MS, `${label}-${i}`)));
}

function overflowErrors(results: readonly PromiseSettledResult<string>[]): Error[] {
  return results
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map(r => r.reason as Error);
}

test(
  'maxConnections 1 and http1MaxPendingRequests 1: of 10 slow calls 2 are served and 8 overflow',
  { timeout: 20000 },
  async () => {
    const conns = await clients(ports.exclusive, BURST);
    const results = await burst(conns, 'pool');
    const served = results.filter(r => r.status === 'fulfilled').map(r => r.value);
    assert.equal(served.length, 2, `served: ${JSON.stringify(served)}`);
    const errors = overflowErrors(results);
    assert.equal(errors.length, 8);
    for (const err of errors) {
      assert.ok(err instanceof thrift.Thrift.TApplicationException, String(err));
      assert.equal(err.type, thrift.Thrift.TApplicationExceptionType['INTERNAL_ERROR']);
      assert.match(err.message, /circuit breaker open: .*\(max_connections, max_pending_requests\)/);
      assert.match(
        err.message,
        new RegExp(`cluster '${clusterName(ports.exclusive, EXCLUSIVE_HOST).replace(/\|/g, '\\|')}'`),
      );
    }
    const cluster = await adminCluster(aeraki!, clusterName(ports.exclusive, EXCLUSIVE_HOST));
    assert.deepEqual(cluster.circuitBreakers, {
      maxConnections: 1,
      maxPendingRequests: 1,
      maxRequests: 1024,
    });
    assert.equal(cluster.stats['rqPendingOverflow'], 8);
    assert.equal(cluster.stats['rqPendingTotal'], 1, 'one call waited for the connection');
    assert.equal(cluster.stats['rqOverflow'], 0);
    assert.equal(cluster.stats['cxTotal'], 1, 'never more than one upstream connection');
    assert.equal(cluster.stats['rqActive'], 0);
    assert.equal(cluster.stats['rqPendingActive'], 0);
    // The limits refuse only what is over them: calls one at a time all pass.
    for (const c of conns.slice(0, 3)) assert.match(await c.client.slow(1, 'after'), /^after@slow-server$/);
  },
);

test(
  'http2MaxRequests 3 on a multiplexed upstream: of 10 slow calls 3 are served and 7 overflow',
  { timeout: 20000 },
  async () => {
    const conns = await clients(ports.multiplexed, BURST);
    const results = await burst(conns, 'mux');
    assert.equal(results.filter(r => r.status === 'fulfilled').length, 3);
    const errors = overflowErrors(results);
    assert.equal(errors.length, 7);
    for (const err of errors) {
      assert.ok(err instanceof thrift.Thrift.TApplicationException, String(err));
      assert.match(err.message, /circuit breaker open: 3 requests already in flight \(max_requests\)/);
    }
    const cluster = await adminCluster(aeraki!, clusterName(ports.multiplexed, MULTIPLEXED_HOST));
    assert.equal(cluster.stats['rqOverflow'], 7);
    assert.equal(cluster.stats['rqPendingOverflow'], 0);
    assert.equal(cluster.stats['cxTotal'], 1, 'all calls shared one upstream connection');
    assert.equal(cluster.stats['rqActive'], 0);
  },
);
