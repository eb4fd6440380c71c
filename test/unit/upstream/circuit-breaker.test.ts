/**
 * Circuit-breaker accounting through a real cluster, its pools and loopback connections to a toy
 * server: what is refused, what waits, and what every gauge and counter says afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ByteQueue, type LocalReplyKind, type Message } from '../../../src/codec/index.js';
import { Cluster } from '../../../src/upstream/cluster.js';
import type { Host } from '../../../src/upstream/host.js';
import type { RequestHolder, UpstreamRequest } from '../../../src/upstream/upstream-request.js';
import type { CircuitBreakerLimits, ClusterResource } from '../../../src/xds/resources.js';
import { encodeToy, toyCodecFactory } from '../proxy/toy-codec.js';
import { cluster as clusterResource } from '../resource-fixtures.js';
import { ToyServer } from '../proxy/toy-peers.js';
import type { UpstreamCodec } from '../../../src/upstream/upstream-codec.js';

/** One object for every request, as a listener's state holds it: the pools are keyed by it. */
const TOY_CODEC: UpstreamCodec = { factory: toyCodecFactory, config: undefined };

const UNLIMITED = 4_294_967_295;

/** A request as the proxy hands it to a pool: counted on its host, released when it ends. */
class TestRequest implements UpstreamRequest {
  readonly message: Message;
  readonly mutation = undefined;
  upstream: RequestHolder | undefined = undefined;
  upstreamId = 0;
  result: 'response' | LocalReplyKind | undefined;
  detail = '';
  readonly done: Promise<void>;
  private resolve!: () => void;

  constructor(
    id: number,
    readonly host: Host,
  ) {
    const queue = new ByteQueue();
    queue.push(encodeToy({ type: 'request', id, payload: `r${id}` }));
    this.message = toyCodecFactory.create('downstream').decode(queue)!;
    this.done = new Promise(resolve => (this.resolve = resolve));
  }

  onUpstreamResponse(): void {
    this.end('response', '');
  }

  onUpstreamFailure(kind: LocalReplyKind, detail: string): void {
    this.end(kind, detail);
  }

  private end(result: TestRequest['result'], detail: string): void {
    this.host.activeRequests--;
    this.result = result;
    this.detail = detail;
    this.resolve();
  }
}

function clusterWith(
  ports: number[],
  limits: Partial<CircuitBreakerLimits>,
  overrides: Partial<ClusterResource> = {},
): Cluster {
  return new Cluster(
    clusterResource('cb', {
      circuitBreakers: {
        maxConnections: UNLIMITED,
        maxPendingRequests: UNLIMITED,
        maxRequests: UNLIMITED,
        ...limits,
      },
      ...overrides,
    }),
    ports.map(port => ({ address: '127.0.0.1', port, labels: {}, weight: 1 })),
  );
}

/** Sends `n` requests as the proxy does: host chosen, counted, handed to its pool. */
function burst(cluster: Cluster, n: number, multiplexed: boolean, firstId = 1): TestRequest[] {
  const requests: TestRequest[] = [];
  for (let i = 0; i < n; i++) {
    const host = cluster.chooseHost(undefined)!;
    const request = new TestRequest(firstId + i, host);
    host.activeRequests++;
    requests.push(request);
    cluster.pool(host, TOY_CODEC, multiplexed).send(request);
  }
  return requests;
}

function count(requests: readonly TestRequest[], result: TestRequest['result']): number {
  return requests.filter(r => r.result === result).length;
}

describe('circuit breakers', () => {
  const slow = new ToyServer('slow', { delayMs: 150 });
  const slow2 = new ToyServer('slow2', { delayMs: 150 });
  const silent = new ToyServer('silent', { silent: true });
  let slowPort = 0;
  let slow2Port = 0;
  let silentPort = 0;
  const clusters: Cluster[] = [];

  before(async () => {
    [slowPort, slow2Port, silentPort] = await Promise.all([slow.start(), slow2.start(), silent.start()]);
  });

  after(async () => {
    for (const c of clusters) c.drain();
    await Promise.all([slow.stop(), slow2.stop(), silent.stop()]);
  });

  test('max connections 1 and max pending 1: one sent, one waits, eight refused at once', async () => {
    const cluster = clusterWith([slowPort], { maxConnections: 1, maxPendingRequests: 1 });
    clusters.push(cluster);
    const requests = burst(cluster, 10, false);
    assert.equal(count(requests, 'over-limit'), 8, 'refused synchronously');
    assert.match(requests[9]!.detail, /circuit breaker open: .*\(max_connections, max_pending_requests\)/);
    const s = cluster.stats;
    assert.equal(s.rqPendingOverflow, 8);
    assert.equal(s.rqPendingTotal, 1);
    assert.equal(s.rqPendingActive, 1);
    assert.equal(s.cxOverflow, 9, 'every request after the first found the connection limit reached');
    assert.equal(s.rqActive, 2, 'the one sent and the one waiting');
    assert.equal(s.rqOverflow, 0);
    await Promise.all(requests.map(r => r.done));
    assert.equal(count(requests, 'response'), 2);
    assert.equal(s.rqPendingActive, 0);
    assert.equal(s.rqActive, 0);
    assert.equal(s.cxTotal, 1, 'the waiting request reused the one connection');
  });

  test('max requests 3 on a multiplexed pool: three in flight, seven refused', async () => {
    const cluster = clusterWith([silentPort], { maxRequests: 3 });
    clusters.push(cluster);
    const requests = burst(cluster, 10, true);
    assert.equal(count(requests, 'over-limit'), 7);
    assert.match(requests[3]!.detail, /3 requests already in flight \(max_requests\)/);
    assert.equal(cluster.stats.rqOverflow, 7);
    assert.equal(cluster.stats.rqActive, 3);
    // A finished request frees its slot.
    const first = requests[0]!;
    first.upstream!.cancel(first);
    first.onUpstreamFailure('timeout', 'test gave up');
    const more = burst(cluster, 2, true, 100);
    assert.equal(count(more, 'over-limit'), 1);
    assert.equal(cluster.stats.rqOverflow, 8);
  });

  test('a waiting request that times out leaves the queue and is never sent', async () => {
    const cluster = clusterWith([slowPort], { maxConnections: 1, maxPendingRequests: 5 });
    clusters.push(cluster);
    const before = slow.received.length;
    const [sent, waiting] = burst(cluster, 2, false, 500);
    assert.equal(cluster.stats.rqPendingActive, 1);
    waiting!.upstream!.timeOut(waiting!);
    waiting!.onUpstreamFailure('timeout', 'deadline');
    assert.equal(cluster.stats.rqPendingActive, 0);
    assert.equal(waiting!.upstream, undefined);
    await sent!.done;
    await new Promise(resolve => setTimeout(resolve, 50));
    assert.equal(slow.received.length - before, 1, 'only the first request reached the server');
    assert.equal(cluster.stats.rqActive, 0);
  });

  test('max connections is cluster-wide, but a host with no connection may always open one', async () => {
    const cluster = clusterWith([slowPort, slow2Port], { maxConnections: 1, maxPendingRequests: 0 });
    clusters.push(cluster);
    // Round robin: requests 1 and 3 go to the first host, 2 and 4 to the second.
    const requests = burst(cluster, 4, false, 900);
    assert.equal(cluster.stats.cxActive, 2, 'each host opened its first connection');
    assert.equal(count(requests, 'over-limit'), 2, 'no second connection and no waiting allowed');
    assert.equal(cluster.stats.rqPendingOverflow, 2);
    await Promise.all(requests.map(r => r.done));
    assert.equal(count(requests, 'response'), 2);
  });

  test('max requests per connection: an exclusive connection is replaced after its last request', async () => {
    const cluster = clusterWith([slowPort], {}, { circuitBreakers: undefined, maxRequestsPerConnection: 2 });
    clusters.push(cluster);
    for (let i = 0; i < 5; i++) await burst(cluster, 1, false, 2000 + i)[0]!.done;
    assert.equal(cluster.stats.cxTotal, 3, 'five calls one after another: 2 + 2 + 1');
  });

  test('max requests per connection: a multiplexed connection is retired and closes when drained', async () => {
    const cluster = clusterWith([slowPort], {}, { circuitBreakers: undefined, maxRequestsPerConnection: 3 });
    clusters.push(cluster);
    const requests = burst(cluster, 7, true, 3000);
    assert.equal(cluster.stats.cxTotal, 3, 'seven calls at once: 3 + 3 + 1');
    await Promise.all(requests.map(r => r.done));
    assert.equal(count(requests, 'response'), 7);
    await new Promise(resolve => setTimeout(resolve, 50));
    assert.equal(cluster.stats.cxActive, 1, 'the two retired connections closed');
  });

  test('without circuit breakers nothing is refused', async () => {
    const cluster = clusterWith([slowPort], {}, { circuitBreakers: undefined });
    clusters.push(cluster);
    const requests = burst(cluster, 20, false, 1000);
    await Promise.all(requests.map(r => r.done));
    assert.equal(count(requests, 'response'), 20);
    assert.equal(cluster.stats.cxTotal, 20);
  });
});
