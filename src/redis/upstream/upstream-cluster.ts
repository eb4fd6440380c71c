/**
 * An upstream cluster as the Redis proxy uses it: where a key's command goes, and the servers'
 * connections. Two kinds share this base: {@link ProxyModeCluster} (independent servers, keys spread
 * by the cluster's consistent hash, Envoy's default Redis cluster) and the Redis Cluster mode of
 * cluster-mode.ts (slots, discovered topology). Both follow MOVED and ASK redirections for commands
 * whose listener enables them, to any server, known or not (up to `maxUnknownNodes` unknown ones).
 */
import type { Logger } from 'pino';
import type { Cluster } from '../../upstream/cluster.js';
import type { ClusterStats } from '../../upstream/cluster-stats.js';
import type { RedisClusterOptions, RedisReadPolicy } from '../../xds/redis-resources.js';
import { keyHash } from '../key-hash.js';
import { FLAG_REDIRECT } from './pending-queue.js';
import type { ConnectionSettings } from './redis-connection.js';
import { RedisNode, type NodeOwner } from './redis-node.js';
import { UpstreamCommandStats, type ReplyTarget } from './reply-target.js';

/** How a listener's commands are sent: constant for one listener version. */
export interface SendOptions {
  readonly hashtagging: boolean;
  /** Follow MOVED and ASK (Envoy `enable_redirection`). */
  readonly redirect: boolean;
  readonly opTimeoutMs: number;
  readonly readPolicy: RedisReadPolicy;
  /** Count per-command stats on the cluster (Envoy `enable_command_stats`). */
  readonly commandStats: boolean;
}

/** Settings a cluster takes from the listeners that use it. */
export interface ClusterUsage {
  readonly flushBytes: number;
  readonly flushTimeoutMs: number;
  readonly maxUnknownNodes: number;
  readonly readOnly: boolean;
}

/** Redirections followed for one command before its error goes to the client. */
const MAX_REDIRECTS = 3;

export const NO_UPSTREAM_HOST = 'ERR no upstream host';

/** Counters of a Redis upstream cluster, beside the cluster's own. */
export class RedisClusterStats {
  /** MOVED redirections followed. */
  redirectMoved = 0;
  /** ASK redirections followed. */
  redirectAsk = 0;
  /** Redirections given to the client unchanged (unknown servers over the limit, too many hops). */
  redirectFailed = 0;
  /** Topology requests sent (Redis Cluster mode). */
  topologyRefresh = 0;
  /** Topology requests that failed. */
  topologyRefreshFailure = 0;
}

export abstract class RedisUpstreamCluster implements NodeOwner {
  readonly redisStats = new RedisClusterStats();
  /** Per-command stats, when a listener enables them. */
  readonly commandStats = new Map<string, UpstreamCommandStats>();
  connectionSettings: ConnectionSettings;
  protected readonly nodes = new Map<string, RedisNode>();
  private unknownNodes = 0;
  private maxUnknownNodes = 100;
  private warnedHandshake = new Set<string>();

  constructor(
    readonly name: string,
    protected cluster: Cluster,
    protected options: RedisClusterOptions | undefined,
    protected readonly logger: Logger,
  ) {
    this.connectionSettings = this.settingsFor(undefined);
  }

  abstract readonly mode: 'proxy' | 'cluster';

  get stats(): ClusterStats {
    return this.cluster.stats;
  }

  /** The cluster's Redis options, if it has any. */
  get redisOptions(): RedisClusterOptions | undefined {
    return this.options;
  }

  /** The cluster's own settings and endpoints changed, or the listeners' use of it. */
  update(cluster: Cluster, options: RedisClusterOptions | undefined, usage: ClusterUsage | undefined): void {
    const before = this.connectionSettings;
    this.cluster = cluster;
    this.options = options;
    this.maxUnknownNodes = usage?.maxUnknownNodes ?? 100;
    const after = this.settingsFor(usage);
    if (!sameSettings(before, after)) {
      // New connections use the new settings (credentials, batching); the old ones finish their commands.
      for (const node of this.nodes.values()) node.drain();
    }
    this.connectionSettings = after;
  }

  /**
   * Sends the command `raw[rawStart, rawEnd)` whose key lies at `[keyStart, keyEnd)` of `raw`; the
   * reply goes to `target` with `index`. `read`: whether the command only reads (a replica may serve
   * it). The bytes are copied or kept as they are (they are never written to again).
   */
  abstract send(
    raw: Buffer,
    rawStart: number,
    rawEnd: number,
    keyStart: number,
    keyEnd: number,
    target: ReplyTarget,
    index: number,
    protocol: 2 | 3,
    read: boolean,
    options: SendOptions,
    command: string,
  ): void;

  /** Where a key goes, for `aeraki explain`. */
  abstract explainKey(
    key: Buffer,
    hashtagging: boolean,
    read: boolean,
    readPolicy: RedisReadPolicy,
  ): KeyPlacement;

  /** The servers known, for the admin API. */
  nodeList(): {
    address: string;
    inFlight: number;
    available: boolean;
    unknown: boolean;
    failure?: string;
  }[] {
    return [...this.nodes.values()].map(n => ({
      address: n.key,
      inFlight: n.inFlight,
      available: n.available,
      unknown: n.unknown,
      ...(n.failure === '' ? {} : { failure: n.failure }),
    }));
  }

  /** Stops using every connection. */
  close(): void {
    for (const node of this.nodes.values()) node.drain();
    this.nodes.clear();
  }

  /** Per-command stats of `command`, when the listener enables them. */
  protected statsFor(command: string, options: SendOptions): UpstreamCommandStats | undefined {
    if (!options.commandStats) return undefined;
    let stats = this.commandStats.get(command);
    if (stats === undefined) this.commandStats.set(command, (stats = new UpstreamCommandStats()));
    return stats;
  }

  protected node(address: string, port: number): RedisNode {
    const key = `${address}:${port}`;
    let node = this.nodes.get(key);
    if (node === undefined) this.nodes.set(key, (node = new RedisNode(address, port, this)));
    return node;
  }

  /** Forgets nodes not in `keep` (and not known from redirections). */
  protected retainNodes(keep: ReadonlySet<string>): void {
    for (const [key, node] of this.nodes) {
      if (keep.has(key) || node.unknown) continue;
      node.drain();
      this.nodes.delete(key);
    }
  }

  onNodeFailure(node: RedisNode, reason: string): void {
    this.logger.debug({ cluster: this.name, node: node.key, reason }, 'redis upstream connection failed');
  }

  onHandshakeError(node: RedisNode, command: string, message: string): void {
    const key = `${node.key} ${command} ${message}`;
    if (this.warnedHandshake.has(key)) return;
    this.warnedHandshake.add(key);
    this.logger.warn(
      { cluster: this.name, node: node.key, command, error: message },
      command === 'AUTH'
        ? 'redis upstream refused the credentials of its RedisDestination; commands will get its NOAUTH errors'
        : `redis upstream refused ${command}`,
    );
  }

  redirect(
    kind: 'moved' | 'ask',
    slot: number,
    address: string,
    raw: Buffer,
    target: ReplyTarget,
    index: number,
    flags: number,
    hops: number,
    timeoutMs: number,
    stats: UpstreamCommandStats | undefined,
    protocol: 2 | 3,
  ): boolean {
    const parsed = parseAddress(address);
    if (parsed === undefined || hops >= MAX_REDIRECTS) {
      this.redisStats.redirectFailed++;
      return false;
    }
    let node = this.nodes.get(`${parsed.address}:${parsed.port}`);
    if (node === undefined) {
      if (this.unknownNodes >= this.maxUnknownNodes) {
        this.redisStats.redirectFailed++;
        return false;
      }
      node = this.node(parsed.address, parsed.port);
      node.unknown = true;
      this.unknownNodes++;
    }
    if (kind === 'moved') {
      this.redisStats.redirectMoved++;
      this.onMoved(slot, node);
      node.send(protocol, raw, 0, raw.length, target, index, flags, hops + 1, timeoutMs, stats);
    } else {
      this.redisStats.redirectAsk++;
      node.sendAsking(protocol, raw, 0, raw.length, target, index, flags, hops + 1, timeoutMs, stats);
    }
    return true;
  }

  /** A MOVED told where `slot` lives now. */
  protected onMoved(_slot: number, _node: RedisNode): void {}

  private settingsFor(usage: ClusterUsage | undefined): ConnectionSettings {
    return {
      connectTimeoutMs: this.cluster.settings.connectTimeoutMs,
      auth: this.options?.auth,
      readOnly: usage?.readOnly ?? false,
      flushBytes: usage?.flushBytes ?? 0,
      flushTimeoutMs: usage?.flushTimeoutMs ?? 3,
    };
  }
}

function sameSettings(a: ConnectionSettings, b: ConnectionSettings): boolean {
  return (
    a.connectTimeoutMs === b.connectTimeoutMs &&
    a.readOnly === b.readOnly &&
    a.flushBytes === b.flushBytes &&
    a.flushTimeoutMs === b.flushTimeoutMs &&
    a.auth?.username === b.auth?.username &&
    a.auth?.password === b.auth?.password
  );
}

/** `host:port` (IPv6 as `[::1]:6379` or `::1:6379`). */
export function parseAddress(text: string): { address: string; port: number } | undefined {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return undefined;
  let address = text.slice(0, colon);
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535 || address === '') return undefined;
  return { address, port };
}

/** Where a key goes: the endpoint, or the slot and its nodes in Redis Cluster mode. */
export interface KeyPlacement {
  readonly mode: 'proxy' | 'cluster';
  /** The server the command would be sent to now; absent when there is none. */
  readonly node?: string;
  /** Redis Cluster mode: the key's slot and the shard's nodes. */
  readonly slot?: number;
  readonly master?: string;
  readonly replicas?: readonly string[];
  /** The hash tag used, when hashtagging applies and the key has one. */
  readonly hashTag?: string;
  /** Why there is no node. */
  readonly problem?: string;
}

/**
 * Independent Redis servers (Envoy's default for a Redis cluster, and Aeraki's RedisDestination
 * `mode: PROXY`): the key's hash picks a server through the cluster's load balancer (Maglev, as
 * Aeraki configures it), so a key always goes to the same server while the endpoints stay the same.
 */
export class ProxyModeCluster extends RedisUpstreamCluster {
  readonly mode = 'proxy';

  override update(
    cluster: Cluster,
    options: RedisClusterOptions | undefined,
    usage: ClusterUsage | undefined,
  ): void {
    super.update(cluster, options, usage);
    this.retainNodes(new Set(cluster.hosts.map(h => h.key)));
  }

  send(
    raw: Buffer,
    rawStart: number,
    rawEnd: number,
    keyStart: number,
    keyEnd: number,
    target: ReplyTarget,
    index: number,
    protocol: 2 | 3,
    _read: boolean,
    options: SendOptions,
    command: string,
  ): void {
    const host = this.cluster.chooseHost(keyHash(raw, keyStart, keyEnd, options.hashtagging));
    if (host === undefined) {
      target.onFailure(NO_UPSTREAM_HOST, index);
      return;
    }
    const node = this.nodes.get(host.key) ?? this.node(host.address, host.port);
    node.send(
      protocol,
      raw,
      rawStart,
      rawEnd,
      target,
      index,
      options.redirect ? FLAG_REDIRECT : 0,
      0,
      options.opTimeoutMs,
      this.statsFor(command, options),
    );
  }

  explainKey(key: Buffer, hashtagging: boolean): KeyPlacement {
    const host = this.cluster.chooseHost(keyHash(key, 0, key.length, hashtagging));
    return host === undefined
      ? { mode: 'proxy', problem: `cluster ${this.name} has no usable endpoint` }
      : { mode: 'proxy', node: host.key };
  }
}
