import type { CircuitBreaker } from './circuit-breaker.js';
import type { ClusterStats } from './cluster-stats.js';
import type { ConnectionPool } from './connection-pool.js';
import type { Host } from './host.js';
import { PendingRequests } from './pending-requests.js';
import { UpstreamConnection, type ConnectionOwner } from './upstream-connection.js';
import type { UpstreamRequest } from './upstream-request.js';
import type { UpstreamCodec } from './upstream-codec.js';

/** Settings of an exclusive pool. */
export interface ExclusivePoolOptions {
  /** Most connections open at once to this host; 0 = no limit. Requests beyond it wait for a free connection. */
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** Requests per connection before it is closed and replaced; 0 = no limit. */
  readonly maxRequestsPerConnection: number;
}

/**
 * One request in flight per connection, for protocols without request ids (or when multiplexing is
 * off). Finished connections go back to an idle stack and are reused most-recently-used first. When
 * no connection may be opened (this host's bound, or the cluster's `max_connections` circuit breaker),
 * requests wait in a queue, itself bounded by the cluster's `max_pending_requests`.
 */
export class ExclusivePool implements ConnectionPool, ConnectionOwner {
  private readonly all = new Set<UpstreamConnection>();
  private readonly idle: UpstreamConnection[] = [];
  private readonly queue: PendingRequests;
  private draining = false;

  constructor(
    private readonly host: Host,
    private readonly codec: UpstreamCodec,
    private readonly options: ExclusivePoolOptions,
    private readonly stats: ClusterStats,
    private readonly breaker: CircuitBreaker,
  ) {
    this.queue = new PendingRequests(stats);
  }

  get size(): number {
    return this.all.size;
  }

  send(request: UpstreamRequest): void {
    if (!this.breaker.admitRequest(request)) return;
    const connection = this.idle.pop();
    if (connection !== undefined) {
      connection.send(request);
      return;
    }
    if (this.mayOpen()) {
      this.open().send(request);
      return;
    }
    if (!this.breaker.mayWait(request)) return;
    this.queue.push(request);
  }

  drain(): void {
    this.draining = true;
    for (const c of this.idle.splice(0)) c.close();
  }

  onConnectionIdle(connection: UpstreamConnection): void {
    if (connection.exhausted) {
      // Waiting requests go to its replacement, opened when it has closed.
      connection.close();
      return;
    }
    const next = this.queue.shift();
    if (next !== undefined) {
      connection.send(next);
      return;
    }
    if (this.draining) connection.close();
    else this.idle.push(connection);
  }

  onConnectionClosed(connection: UpstreamConnection): void {
    this.all.delete(connection);
    const i = this.idle.indexOf(connection);
    if (i >= 0) this.idle.splice(i, 1);
    // Waiting requests are served even while draining: they were accepted before the drain.
    if (this.queue.length > 0 && this.mayOpen()) this.open().send(this.queue.shift()!);
  }

  onConnectionRetired(connection: UpstreamConnection): void {
    // An idle one closes now; one with its request in flight closes once answered (exhausted).
    const i = this.idle.indexOf(connection);
    if (i >= 0) this.idle.splice(i, 1);
  }

  private mayOpen(): boolean {
    const perHost = this.options.maxConnections;
    if (perHost > 0 && this.all.size >= perHost) return false;
    return this.breaker.mayOpenConnection(this.all.size === 0);
  }

  private open(): UpstreamConnection {
    const connection = new UpstreamConnection(
      this.host,
      this.codec.factory.create('upstream', this.codec.config),
      {
        connectTimeoutMs: this.options.connectTimeoutMs,
        idleTimeoutMs: this.options.idleTimeoutMs,
        multiplexed: false,
        heartbeatIntervalMs: this.options.heartbeatIntervalMs,
        maxRequests: this.options.maxRequestsPerConnection,
        // One request at a time: there is nothing to hold back.
        bufferLimitBytes: 0,
      },
      this,
      this.stats,
    );
    this.all.add(connection);
    return connection;
  }
}
