import type { CircuitBreaker } from './circuit-breaker.js';
import type { ClusterStats } from './cluster-stats.js';
import type { ConnectionPool } from './connection-pool.js';
import type { Host } from './host.js';
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
}

/**
 * A handful of connections to one host shared by all downstream connections. Fewer upstream
 * connections mean fewer reads and writes per request than an L4 proxy's one-to-one mapping.
 * Requests never wait for a connection here, so of the circuit breakers only `max_requests` refuses
 * requests; `max_connections` stops the pool from opening more than its first connection.
 */
export class MultiplexedPool implements ConnectionPool, ConnectionOwner {
  private readonly connections: UpstreamConnection[] = [];
  private next = 0;
  private draining = false;

  constructor(
    private readonly host: Host,
    private readonly codec: UpstreamCodec,
    private readonly options: MultiplexedPoolOptions,
    private readonly stats: ClusterStats,
    private readonly breaker: CircuitBreaker,
  ) {}

  get size(): number {
    return this.connections.length;
  }

  send(request: UpstreamRequest): void {
    if (!this.breaker.admitRequest(request)) return;
    const connections = this.connections;
    let connection: UpstreamConnection;
    if (
      connections.length < Math.max(1, this.options.connections) &&
      this.breaker.mayOpenConnection(connections.length === 0)
    ) {
      connection = new UpstreamConnection(
        this.host,
        this.codec.factory.create('upstream', this.codec.config),
        {
          connectTimeoutMs: this.options.connectTimeoutMs,
          idleTimeoutMs: this.options.idleTimeoutMs,
          multiplexed: true,
          heartbeatIntervalMs: this.options.heartbeatIntervalMs,
          maxRequests: this.options.maxRequestsPerConnection,
        },
        this,
        this.stats,
      );
      connections.push(connection);
    } else {
      connection = connections[this.next++ % connections.length]!;
    }
    connection.send(request);
    if (connection.exhausted) {
      // Retired: the next request opens a replacement; this one closes when its last reply is in.
      connections.splice(connections.indexOf(connection), 1);
    }
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
  }

  onConnectionRetired(connection: UpstreamConnection): void {
    // The next request opens a replacement, as for a connection retired by max_requests.
    this.onConnectionClosed(connection);
  }
}
