/**
 * One Redis server of a cluster: at most one connection per RESP version its clients speak, opened
 * when a command needs it. After a connection attempt fails, commands fail at once (with the cause)
 * for a short while, doubling while the server stays unreachable (50 ms up to 1 s), instead of each
 * waiting for its own connect attempt: a dead server gives errors, never hangs or reconnect storms.
 */
import { readTime } from '../../net/read-clock.js';
import type { ClusterStats } from '../../upstream/cluster-stats.js';
import { RedisConnection, type ConnectionOwner, type ConnectionSettings } from './redis-connection.js';
import type { ReplyTarget, UpstreamCommandStats } from './reply-target.js';

/** What a node needs from the cluster that owns it. */
export interface NodeOwner {
  readonly stats: ClusterStats | undefined;
  readonly connectionSettings: ConnectionSettings;
  onNodeFailure(node: RedisNode, reason: string): void;
  onHandshakeError(node: RedisNode, command: string, message: string): void;
  redirect: ConnectionOwner['redirect'];
}

const BACKOFF_INITIAL_MS = 50;
const BACKOFF_MAX_MS = 1000;

export class RedisNode implements ConnectionOwner {
  /** `address:port`. */
  readonly key: string;
  /** Known only from a redirection, not from the config or the topology. */
  unknown = false;
  /** The topology reports it failed (Redis Cluster), or it failed to connect lately. */
  private reportedFailed = false;
  private readonly connections: (RedisConnection | undefined)[] = [undefined, undefined];
  private connectFailures = 0;
  private retryAt = 0;
  private lastFailure = '';

  constructor(
    readonly address: string,
    readonly port: number,
    private readonly owner: NodeOwner,
  ) {
    this.key = `${address}:${port}`;
  }

  get stats(): ClusterStats | undefined {
    return this.owner.stats;
  }

  /** Whether commands sent now have a chance: not failing to connect, not reported failed. */
  get available(): boolean {
    return !this.reportedFailed && (this.connectFailures === 0 || readTime() >= this.retryAt);
  }

  /** Marks the node failed or healthy as a topology reports it. */
  setReportedFailed(failed: boolean): void {
    this.reportedFailed = failed;
  }

  /** The last connection failure, for the admin API; empty when none. */
  get failure(): string {
    return this.lastFailure;
  }

  /** Commands in flight on this node's connections. */
  get inFlight(): number {
    let n = 0;
    for (const c of this.connections) if (c !== undefined) n += c.inFlight;
    return n;
  }

  send(
    protocol: 2 | 3,
    raw: Buffer,
    rawStart: number,
    rawEnd: number,
    target: ReplyTarget,
    index: number,
    flags: number,
    hops: number,
    timeoutMs: number,
    stats: UpstreamCommandStats | undefined,
  ): void {
    const connection = this.connection(protocol);
    if (connection === undefined) {
      target.onFailure(`ERR upstream failure: ${this.lastFailure}`, index);
      return;
    }
    connection.send(raw, rawStart, rawEnd, target, index, flags, hops, timeoutMs, stats);
  }

  /** Sends `ASKING` and the command (a redirection by ASK). */
  sendAsking(
    protocol: 2 | 3,
    raw: Buffer,
    rawStart: number,
    rawEnd: number,
    target: ReplyTarget,
    index: number,
    flags: number,
    hops: number,
    timeoutMs: number,
    stats: UpstreamCommandStats | undefined,
  ): void {
    const connection = this.connection(protocol);
    if (connection === undefined) {
      target.onFailure(`ERR upstream failure: ${this.lastFailure}`, index);
      return;
    }
    connection.sendAsking(raw, rawStart, rawEnd, target, index, flags, hops, timeoutMs, stats);
  }

  /** Stops using the connections; they close once their commands are answered. */
  drain(): void {
    for (let i = 0; i < 2; i++) {
      this.connections[i]?.drain();
      this.connections[i] = undefined;
    }
  }

  /** The open connection for `protocol`, opened if needed; undefined while connecting fails. */
  private connection(protocol: 2 | 3): RedisConnection | undefined {
    const slot = protocol - 2;
    const existing = this.connections[slot];
    if (existing !== undefined && !existing.closed) return existing;
    if (this.connectFailures > 0 && readTime() < this.retryAt) return undefined;
    const connection = new RedisConnection(
      this.address,
      this.port,
      protocol,
      this.owner.connectionSettings,
      this,
    );
    this.connections[slot] = connection;
    return connection;
  }

  onConnected(): void {
    this.connectFailures = 0;
  }

  onConnectionClosed(connection: RedisConnection, reason: string, connected: boolean): void {
    const slot = this.connections.indexOf(connection);
    // A drained connection was let go already: its close is no failure.
    if (slot < 0) return;
    this.connections[slot] = undefined;
    this.lastFailure = reason;
    if (!connected) {
      this.connectFailures++;
      this.retryAt =
        readTime() +
        Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.min(this.connectFailures - 1, 10));
    }
    this.owner.onNodeFailure(this, reason);
  }

  onHandshakeError(_connection: RedisConnection, command: string, message: string): void {
    this.owner.onHandshakeError(this, command, message);
  }

  redirect(...args: Parameters<ConnectionOwner['redirect']>): boolean {
    return this.owner.redirect(...args);
  }
}
