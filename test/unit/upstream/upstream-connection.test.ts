/**
 * An upstream connection whose peer says it is going away (`goaway`), in both pool kinds, with the
 * toy codec against a toy server: the request in flight is answered, nothing new is sent on that
 * connection, it closes once idle and is counted, and the next request goes on a new connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ByteQueue, type LocalReplyKind, type Message } from '../../../src/codec/index.js';
import { CircuitBreaker } from '../../../src/upstream/circuit-breaker.js';
import { ClusterStats } from '../../../src/upstream/cluster-stats.js';
import type { ConnectionPool } from '../../../src/upstream/connection-pool.js';
import { ExclusivePool } from '../../../src/upstream/exclusive-pool.js';
import { Host } from '../../../src/upstream/host.js';
import { MultiplexedPool } from '../../../src/upstream/multiplexed-pool.js';
import type { RequestHolder, UpstreamRequest } from '../../../src/upstream/upstream-request.js';
import { decodeToy, encodeToy, toyCodecFactory } from '../proxy/toy-codec.js';
import { ToyServer } from '../proxy/toy-peers.js';

/** A request as the proxy hands it to a pool; settles with the reply's payload or the failure's kind. */
class Call implements UpstreamRequest {
  readonly message: Message;
  readonly mutation = undefined;
  upstream: RequestHolder | undefined = undefined;
  upstreamId = 0;
  readonly done: Promise<string>;
  private settle!: (outcome: string) => void;

  constructor(id: number, payload: string) {
    const queue = new ByteQueue();
    queue.push(encodeToy({ type: 'request', id, payload }));
    this.message = toyCodecFactory.create('downstream').decode(queue)!;
    this.done = new Promise(resolve => (this.settle = resolve));
  }

  onUpstreamResponse(response: Message): void {
    this.settle(decodeToy(response.bytes).payload);
  }

  onUpstreamFailure(kind: LocalReplyKind): void {
    this.settle(`failed: ${kind}`);
  }
}

const settings = {
  connectTimeoutMs: 1000,
  idleTimeoutMs: 0,
  heartbeatIntervalMs: 0,
  maxRequestsPerConnection: 0,
  bufferLimitBytes: 0,
};

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise(resolve => setTimeout(resolve, 5));
  assert.ok(condition(), 'condition not met in time');
}

describe('an upstream connection whose peer goes away', () => {
  // Replies to `slow` requests wait, so that one is in flight when the server says it goes away.
  const server = new ToyServer('s', { delayMs: frame => (frame.payload === 'slow' ? 100 : 0) });
  let port = 0;

  before(async () => {
    port = await server.start();
  });

  after(async () => {
    await server.stop();
  });

  const pools: Record<string, (host: Host, stats: ClusterStats) => ConnectionPool> = {
    multiplexed: (host, stats) =>
      new MultiplexedPool(
        host,
        { factory: toyCodecFactory, config: undefined },
        { connections: 1, ...settings },
        stats,
        new CircuitBreaker(undefined, stats),
      ),
    exclusive: (host, stats) =>
      new ExclusivePool(
        host,
        { factory: toyCodecFactory, config: undefined },
        { maxConnections: 0, ...settings },
        stats,
        new CircuitBreaker(undefined, stats),
      ),
  };

  for (const [kind, makePool] of Object.entries(pools)) {
    test(`${kind}: the call in flight is answered, then the connection closes; the next call opens a new one`, async () => {
      const stats = new ClusterStats();
      const host = new Host({ address: '127.0.0.1', port, labels: {}, weight: 1 }, stats);
      const pool = makePool(host, stats);
      const connectionsBefore = server.connections;
      const closedBefore = server.closedByPeer;

      assert.equal(await sendOne(pool, new Call(1, 'warm')), 's:warm');
      const slow = new Call(2, 'slow');
      pool.send(slow);
      await until(() => server.received.some(f => f.payload === 'slow'));
      server.goAway();
      await until(() => stats.cxCloseNotify === 1);
      assert.equal(await slow.done, 's:slow', 'the call in flight is answered');
      await until(() => server.closedByPeer === closedBefore + 1);
      assert.equal(server.connections, connectionsBefore + 1, 'one connection so far');

      assert.equal(await sendOne(pool, new Call(3, 'after')), 's:after');
      assert.equal(server.connections, connectionsBefore + 2, 'the call after went on a new connection');
      assert.equal(stats.rqReset, 0);
      pool.drain();
      await until(() => server.openConnections === 0);
    });

    test(`${kind}: an idle connection closes as soon as its peer says it goes away`, async () => {
      const stats = new ClusterStats();
      const host = new Host({ address: '127.0.0.1', port, labels: {}, weight: 1 }, stats);
      const pool = makePool(host, stats);
      const closedBefore = server.closedByPeer;
      assert.equal(await sendOne(pool, new Call(1, 'warm')), 's:warm');
      server.goAway();
      await until(() => stats.cxCloseNotify === 1);
      await until(() => server.closedByPeer === closedBefore + 1);
      assert.equal(await sendOne(pool, new Call(2, 'after')), 's:after');
      pool.drain();
      await until(() => server.openConnections === 0);
    });
  }
});

async function sendOne(pool: ConnectionPool, call: Call): Promise<string> {
  pool.send(call);
  return call.done;
}
