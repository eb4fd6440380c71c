import type { CodecFactory } from '../codec/index.js';
import type { ClusterStats } from './cluster-stats.js';
import type { ConnectionPool } from './connection-pool.js';
import type { Host } from './host.js';
import { UpstreamConnection, type ConnectionOwner } from './upstream-connection.js';
import type { UpstreamRequest } from './upstream-request.js';

/** Settings of an exclusive pool. */
export interface ExclusivePoolOptions {
  /** Most connections open at once; 0 = no limit. Requests beyond it wait for a free connection. */
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
}

/**
 * One request in flight per connection, for protocols without request ids (or when multiplexing is
 * off). Finished connections go back to an idle stack and are reused most-recently-used first.
 */
export class ExclusivePool implements ConnectionPool, ConnectionOwner {
  private readonly all = new Set<UpstreamConnection>();
  private readonly idle: UpstreamConnection[] = [];
  private readonly queue: UpstreamRequest[] = [];
  private draining = false;

  constructor(
    private readonly host: Host,
    private readonly codecFactory: CodecFactory,
    private readonly options: ExclusivePoolOptions,
    private readonly stats: ClusterStats,
  ) {}

  get size(): number {
    return this.all.size;
  }

  send(request: UpstreamRequest): void {
    const connection = this.idle.pop();
    if (connection !== undefined) {
      connection.send(request);
      return;
    }
    if (this.options.maxConnections > 0 && this.all.size >= this.options.maxConnections) {
      this.stats.rqPendingOverflow++;
      this.queue.push(request);
      return;
    }
    this.open().send(request);
  }

  drain(): void {
    this.draining = true;
    for (const c of this.idle.splice(0)) c.close();
  }

  onConnectionIdle(connection: UpstreamConnection): void {
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
    const next = this.queue.shift();
    if (next !== undefined && !this.draining) this.open().send(next);
  }

  private open(): UpstreamConnection {
    const connection = new UpstreamConnection(
      this.host,
      this.codecFactory.create('upstream'),
      {
        connectTimeoutMs: this.options.connectTimeoutMs,
        idleTimeoutMs: this.options.idleTimeoutMs,
        multiplexed: false,
        heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      },
      this,
      this.stats,
    );
    this.all.add(connection);
    return connection;
  }
}
