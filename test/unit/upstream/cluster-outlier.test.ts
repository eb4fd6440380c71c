/**
 * How request outcomes reach outlier detection through a real cluster and loopback connections:
 * connect failures and timeouts of sent requests count as gateway errors, replies reset the count,
 * a request that timed out while waiting for a connection does not count, and an ejected host is no
 * longer chosen.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ByteQueue, type LocalReplyKind, type Message } from '../../../src/codec/index.js';
import { Cluster } from '../../../src/upstream/cluster.js';
import type { Host } from '../../../src/upstream/host.js';
import type { RequestHolder, UpstreamRequest } from '../../../src/upstream/upstream-request.js';
import type { ClusterResource, OutlierDetectionSettings } from '../../../src/xds/resources.js';
import { encodeToy, toyCodecFactory } from '../proxy/toy-codec.js';
import { cluster as clusterResource } from '../resource-fixtures.js';
import { ToyServer } from '../proxy/toy-peers.js';
import type { UpstreamCodec } from '../../../src/upstream/upstream-codec.js';

/** One object for every request, as a listener's state holds it: the pools are keyed by it. */
const TOY_CODEC: UpstreamCodec = { factory: toyCodecFactory, config: undefined };

class TestRequest implements UpstreamRequest {
  readonly message: Message;
  readonly mutation = undefined;
  upstream: RequestHolder | undefined = undefined;
  upstreamId = 0;
  result: 'response' | LocalReplyKind | undefined;
  readonly done: Promise<void>;
  private resolve!: () => void;

  constructor(readonly host: Host) {
    const queue = new ByteQueue();
    queue.push(encodeToy({ type: 'request', id: 1, payload: 'x' }));
    this.message = toyCodecFactory.create('downstream').decode(queue)!;
    this.done = new Promise(resolve => (this.resolve = resolve));
  }

  onUpstreamResponse(): void {
    this.end('response');
  }

  onUpstreamFailure(kind: LocalReplyKind): void {
    this.end(kind);
  }

  /** What the proxy does at the request's deadline. */
  expire(): void {
    this.upstream?.timeOut(this);
    this.end('timeout');
  }

  private end(result: TestRequest['result']): void {
    if (this.result !== undefined) return;
    this.host.activeRequests--;
    this.result = result;
    this.resolve();
  }
}

/** A loopback port nothing listens on (it was free a moment ago): connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

const DETECTION: OutlierDetectionSettings = {
  consecutiveErrors: 0,
  consecutiveGatewayErrors: 2,
  intervalMs: 60_000,
  baseEjectionMs: 60_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 50,
  minHealthPercent: 0,
};

function clusterOver(ports: number[], overrides: Partial<ClusterResource> = {}): Cluster {
  return new Cluster(
    clusterResource('od', { outlierDetection: DETECTION, ...overrides }),
    ports.map(port => ({ address: '127.0.0.1', port, labels: {}, weight: 1 })),
  );
}

function send(cluster: Cluster, host: Host, multiplexed = true): TestRequest {
  const request = new TestRequest(host);
  host.activeRequests++;
  cluster.pool(host, TOY_CODEC, multiplexed).send(request);
  return request;
}

describe('outlier detection fed by upstream connections', () => {
  const answering = new ToyServer('ok');
  const silent = new ToyServer('silent', { silent: true });
  let okPort = 0;
  let silentPort = 0;
  let refusedPort = 0;
  const clusters: Cluster[] = [];

  before(async () => {
    [okPort, silentPort, refusedPort] = await Promise.all([answering.start(), silent.start(), closedPort()]);
  });

  after(async () => {
    for (const c of clusters) c.drain();
    await Promise.all([answering.stop(), silent.stop()]);
  });

  test('connect failures eject a host after 2 in a row; then only the other host is chosen', async () => {
    const cluster = clusterOver([refusedPort, okPort]);
    clusters.push(cluster);
    const [dead, ok] = cluster.hosts as [Host, Host];
    const first = send(cluster, dead);
    await first.done;
    assert.equal(first.result, 'connect-failure');
    assert.equal(dead.consecutiveGatewayErrors, 1);
    await send(cluster, dead).done;
    assert.equal(dead.healthy, false);
    assert.equal(cluster.stats.outlierEjectionsConsecutiveGatewayErrors, 1);
    for (let i = 0; i < 6; i++) assert.equal(cluster.chooseHost(undefined), ok);
    const reply = send(cluster, ok);
    await reply.done;
    assert.equal(reply.result, 'response');
    assert.equal(ok.consecutiveGatewayErrors, 0);
  });

  test('a sent request that times out is a gateway error; a reply resets the count', async () => {
    const cluster = clusterOver([silentPort, okPort]);
    clusters.push(cluster);
    const [slow] = cluster.hosts as [Host, Host];
    const request = send(cluster, slow);
    await new Promise(resolve => setTimeout(resolve, 50));
    request.expire();
    assert.equal(slow.consecutiveGatewayErrors, 1);
    assert.equal(slow.healthy, true);
  });

  test('a request that timed out while waiting for a connection does not count', () => {
    const cluster = clusterOver([silentPort], {
      circuitBreakers: { maxConnections: 1, maxPendingRequests: 10, maxRequests: 100 },
    });
    clusters.push(cluster);
    const host = cluster.hosts[0]!;
    send(cluster, host, false);
    const waiting = send(cluster, host, false);
    assert.equal(cluster.stats.rqPendingActive, 1);
    waiting.expire();
    assert.equal(host.consecutiveGatewayErrors, 0);
    assert.equal(cluster.stats.rqPendingActive, 0);
  });

  test('removing outlier detection from a cluster takes its ejected hosts back', async () => {
    const resource = clusterResource('od', { outlierDetection: DETECTION });
    const endpoints = [refusedPort, okPort].map(port => ({
      address: '127.0.0.1',
      port,
      labels: {},
      weight: 1,
    }));
    const cluster = new Cluster(resource, endpoints);
    clusters.push(cluster);
    const dead = cluster.hosts[0]!;
    await send(cluster, dead).done;
    await send(cluster, dead).done;
    assert.equal(dead.healthy, false);
    const { outlierDetection: _, ...without } = resource;
    cluster.update(without, endpoints);
    assert.equal(dead.healthy, true);
    assert.equal(cluster.stats.outlierEjectionsActive, 0);
    const picks = new Set(Array.from({ length: 4 }, () => cluster.chooseHost(undefined)));
    assert.equal(picks.size, 2);
  });
});
