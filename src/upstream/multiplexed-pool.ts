import type { CircuitBreaker } from './circuit-breaker.js';
import type { ClusterStats } from './cluster-stats.js';
import type { ConnectionPool } from './connection-pool.js';
import type { Host } from './host.js';
import { PendingRequests } from './pending-requests.js';
import { UpstreamConnection, type ConnectionOwner } from './upstream-connection.js';
import type { UpstreamRequest } from './upstream-request.js';
import type { UpstreamCodec } from './upstream-codec.js';

/** Settings of a multiplexed pool. */
export interface MultiplexedPoolOptions {
  /** Connections to open to the host; requests are spread over them. */
  readonly connections: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** Requests per connection before it is retired (closed once its last reply is in); 0 = no limit. */
  readonly maxRequestsPerConnection: number;
  /** Unsent bytes a connection may hold before requests wait for it; 0 = no limit. */
  readonly bufferLimitBytes: number;
}

/**
 * A handful of connections to one host shared by all downstream connections. Fewer upstream
 * connections mean fewer reads and writes per request than an L4 proxy's one-to-one mapping.
 * Requests wait only when the host does not read: a connection holding its buffer limit of unsent
 * bytes takes no more until it has sent them, and requests queue meanwhile under
 * `max_pending_requests` (beyond it they get the over-limit reply at once). `max_requests` bounds
 * the requests in flight; `max_connections` stops the pool from opening more than its first connection.
 */
export class MultiplexedPool implements ConnectionPool, ConnectionOwner {
  private readonly connections: UpstreamConnection[] = [];
  /** Requests waiting for a connection that is not saturated. */
  private readonly queue: PendingRequests;
  private next = 0;
  private draining = false;
  private flushScheduled = false;

  constructor(
    private readonly host: Host,
    private readonly codec: UpstreamCodec,
    private readonly options: MultiplexedPoolOptions,
    private readonly stats: ClusterStats,
    private readonly breaker: CircuitBreaker,
  ) {
    this.queue = new PendingRequests(stats);
  }

  get size(): number {
    return this.connections.length;
  }

  send(request: UpstreamRequest): void {
    if (!this.breaker.admitRequest(request)) return;
    const connection = this.connection();
    if (this.queue.length === 0 && !connection.saturated) {
      this.sendOn(connection, request);
      return;
    }
    if (!this.breaker.mayWait(request, true)) return;
    this.queue.push(request);
  }

  drain(): void {
    this.draining = true;
    for (const c of [...this.connections]) if (c.load === 0) c.close();
  }

  onConnectionIdle(connection: UpstreamConnection): void {
    if (this.draining || connection.exhausted) connection.close();
  }

  onConnectionClosed(connection: UpstreamConnection): void {
    const i = this.connections.indexOf(connection);
    if (i >= 0) this.connections.splice(i, 1);
    // Queued requests go to a replacement (they were accepted before any drain).
    if (this.queue.length > 0) this.flush();
  }

  onConnectionWritable(): void {
    this.flush();
  }

  /** @internal Sends queued requests while a connection can take them. */
  flush(): void {
    this.flushScheduled = false;
    const limit = this.options.bufferLimitBytes;
    while (this.queue.length > 0) {
      const connection = this.connection();
      if (connection.saturated) return;
      if (limit > 0 && connection.unsentBytes > limit) {
        // The kernel may take it all when this turn's writes go out; find out on the next turn.
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          setImmediate(flushPool, this);
        }
        return;
      }
      this.sendOn(connection, this.queue.shift()!);
    }
  }

  /** The connection for the next request: a new one while the pool may open more, else the next in turn. */
  private connection(): UpstreamConnection {
    const connections = this.connections;
    if (
      connections.length < Math.max(1, this.options.connections) &&
      this.breaker.mayOpenConnection(connections.length === 0)
    ) {
      const connection = new UpstreamConnection(
        this.host,
        this.codec.factory.create('upstream', this.codec.config),
        {
          connectTimeoutMs: this.options.connectTimeoutMs,
          idleTimeoutMs: this.options.idleTimeoutMs,
          multiplexed: true,
          heartbeatIntervalMs: this.options.heartbeatIntervalMs,
          maxRequests: this.options.maxRequestsPerConnection,
          bufferLimitBytes: this.options.bufferLimitBytes,
        },
        this,
        this.stats,
      );
      connections.push(connection);
      return connection;
    }
    return connections[this.next++ % connections.length]!;
  }

  private sendOn(connection: UpstreamConnection, request: UpstreamRequest): void {
    connection.send(request);
    if (connection.exhausted) {
      // Retired: the next request opens a replacement; this one closes when its last reply is in.
      this.connections.splice(this.connections.indexOf(connection), 1);
    }
  }

  onConnectionRetired(connection: UpstreamConnection): void {
    // The next request opens a replacement, as for a connection retired by max_requests.
    this.onConnectionClosed(connection);
  }
}

function flushPool(pool: MultiplexedPool): void {
  pool.flush();
}
