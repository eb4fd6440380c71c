/**
 * A Redis Cluster (Aeraki's RedisDestination `mode: CLUSTER`, Envoy's `envoy.clusters.redis`): the
 * proxy learns which node serves each of the 16384 slots by asking a node (`CLUSTER SHARDS`, or
 * `CLUSTER SLOTS` from servers before Redis 7), from the configured seeds first and the known masters
 * later. It asks again every `refreshRateMs`, after `redirectRefreshThreshold` redirections and after
 * `failureRefreshThreshold` connection failures (each at most once per `redirectRefreshIntervalMs`).
 * A MOVED also moves its slot at once, so the commands that follow go straight to the new owner.
 *
 * Commands that arrive before the first topology wait for it; if no seed answers, they fail with
 * `ERR no upstream host` and the cause. Reads go to replicas as the listener's read policy says.
 */
import type { Logger } from 'pino';
import { readTime } from '../../net/read-clock.js';
import type { Cluster } from '../../upstream/cluster.js';
import type { RedisClusterOptions, RedisReadPolicy } from '../../xds/redis-resources.js';
import { hashTagRange, keySlot, SLOT_COUNT } from '../key-hash.js';
import { encodeCommand } from '../resp/resp-encode.js';
import { decodeReply, RespError, asText, type RespValue } from '../resp/resp-value.js';
import { FLAG_READ, FLAG_REDIRECT } from './pending-queue.js';
import type { RedisNode } from './redis-node.js';
import type { ReplyTarget } from './reply-target.js';
import {
  NO_UPSTREAM_HOST,
  RedisUpstreamCluster,
  type ClusterUsage,
  type KeyPlacement,
  type SendOptions,
} from './upstream-cluster.js';

interface Shard {
  readonly master: RedisNode;
  readonly replicas: readonly RedisNode[];
}

/** A node of a topology reply. */
interface NodeInfo {
  readonly address: string;
  readonly port: number;
  readonly master: boolean;
  readonly failed: boolean;
}

/** A topology: slot ranges and the nodes serving them. */
interface TopologyShard {
  readonly ranges: readonly (readonly [number, number])[];
  readonly master: NodeInfo;
  readonly replicas: readonly NodeInfo[];
}

/** Commands waiting for the first topology. */
interface Waiting {
  readonly raw: Buffer;
  readonly slot: number;
  readonly target: ReplyTarget;
  readonly index: number;
  readonly protocol: 2 | 3;
  readonly read: boolean;
  readonly options: SendOptions;
  readonly command: string;
}

/** Most commands held while the first topology is being learnt. */
const MAX_WAITING = 100_000;

const CLUSTER_SHARDS = encodeCommand(['CLUSTER', 'SHARDS']);
const CLUSTER_SLOTS = encodeCommand(['CLUSTER', 'SLOTS']);

export class ClusterModeCluster extends RedisUpstreamCluster {
  readonly mode = 'cluster';
  private slots = new Int32Array(SLOT_COUNT).fill(-1);
  private shards: Shard[] = [];
  private ready = false;
  private waiting: Waiting[] = [];
  private discovery: Discovery | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshRateMs = 0;
  private lastRefreshAt = 0;
  private redirectsSinceRefresh = 0;
  private failuresSinceRefresh = 0;
  private closedFlag = false;
  /** Why the last topology request failed; empty after a success. */
  lastDiscoveryError = '';
  /** When the topology was last learnt (ms), 0 before. */
  learntAt = 0;

  constructor(name: string, cluster: Cluster, options: RedisClusterOptions | undefined, logger: Logger) {
    super(name, cluster, options, logger);
    this.scheduleRefreshes();
    this.refresh();
  }

  override update(
    cluster: Cluster,
    options: RedisClusterOptions | undefined,
    usage: ClusterUsage | undefined,
  ): void {
    super.update(cluster, options, usage);
    this.scheduleRefreshes();
  }

  override close(): void {
    this.closedFlag = true;
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    this.failWaiting(`${NO_UPSTREAM_HOST}: cluster ${this.name} was removed`);
    super.close();
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
    read: boolean,
    options: SendOptions,
    command: string,
  ): void {
    const slot = keySlot(raw, keyStart, keyEnd);
    this.sendToSlot(raw, rawStart, rawEnd, slot, target, index, protocol, read, options, command);
  }

  /** Sends the command `raw[rawStart, rawEnd)`, whose keys all hash to `slot`. */
  sendToSlot(
    raw: Buffer,
    rawStart: number,
    rawEnd: number,
    slot: number,
    target: ReplyTarget,
    index: number,
    protocol: 2 | 3,
    read: boolean,
    options: SendOptions,
    command: string,
  ): void {
    if (!this.ready) {
      if (this.waiting.length >= MAX_WAITING) {
        target.onFailure(`${NO_UPSTREAM_HOST}: the topology of cluster ${this.name} is not known yet`, index);
        return;
      }
      // The bytes are never written to again: a view can wait.
      const view = raw.subarray(rawStart, rawEnd);
      this.waiting.push({ raw: view, slot, target, index, protocol, read, options, command });
      this.refresh();
      return;
    }
    const node = this.pick(slot, read, options.readPolicy);
    if (node === undefined) {
      target.onFailure(`${NO_UPSTREAM_HOST}: no node of cluster ${this.name} serves slot ${slot}`, index);
      return;
    }
    const flags = (options.redirect ? FLAG_REDIRECT : 0) | (read ? FLAG_READ : 0);
    const stats = this.statsFor(command, options);
    node.send(protocol, raw, rawStart, rawEnd, target, index, flags, 0, options.opTimeoutMs, stats);
  }

  explainKey(key: Buffer, _hashtagging: boolean, read: boolean, readPolicy: RedisReadPolicy): KeyPlacement {
    const slot = keySlot(key, 0, key.length);
    const range = new Int32Array(2);
    hashTagRange(key, 0, key.length, range);
    const hashTag = range[1]! - range[0]! < key.length ? key.toString('utf8', range[0], range[1]) : undefined;
    const tag = hashTag === undefined ? {} : { hashTag };
    if (!this.ready) {
      return {
        mode: 'cluster',
        slot,
        ...tag,
        problem: `the topology of cluster ${this.name} is not known yet${this.lastDiscoveryError === '' ? '' : `: ${this.lastDiscoveryError}`}`,
      };
    }
    const shard = this.shards[this.slots[slot]!];
    if (shard === undefined) return { mode: 'cluster', slot, ...tag, problem: `no node serves slot ${slot}` };
    const node = this.pick(slot, read, readPolicy);
    return {
      mode: 'cluster',
      slot,
      ...tag,
      ...(node === undefined
        ? { problem: `no node of the shard is usable for ${readPolicy}` }
        : { node: node.key }),
      master: shard.master.key,
      replicas: shard.replicas.map(r => r.key),
    };
  }

  /** The topology known, for the admin API. */
  topology(): { ranges: [number, number][]; master: string; replicas: string[] }[] {
    const ranges = new Map<number, [number, number][]>();
    let start = 0;
    for (let slot = 1; slot <= SLOT_COUNT; slot++) {
      if (slot < SLOT_COUNT && this.slots[slot] === this.slots[start]) continue;
      const shard = this.slots[start]!;
      if (shard >= 0) {
        const list = ranges.get(shard) ?? [];
        list.push([start, slot - 1]);
        ranges.set(shard, list);
      }
      start = slot;
    }
    return this.shards.map((s, i) => ({
      ranges: ranges.get(i) ?? [],
      master: s.master.key,
      replicas: s.replicas.map(r => r.key),
    }));
  }

  /** Asks for the topology now, unless a request is under way. */
  refresh(): void {
    if (this.discovery !== undefined || this.closedFlag) return;
    this.lastRefreshAt = readTime();
    this.redirectsSinceRefresh = 0;
    this.failuresSinceRefresh = 0;
    this.redisStats.topologyRefresh++;
    const known = this.shards.map(s => s.master).filter(n => n.available);
    const seeds = (this.options?.seeds ?? this.cluster.hosts).map(s => this.node(s.address, s.port));
    const candidates = [...new Set([...shuffle(known), ...shuffle(seeds)])];
    this.discovery = new Discovery(this, candidates);
    this.discovery.next();
  }

  /** @internal The topology request under way ended. */
  discoveryDone(topology: TopologyShard[] | undefined, error: string): void {
    this.discovery = undefined;
    if (this.closedFlag) return;
    if (topology === undefined) {
      this.redisStats.topologyRefreshFailure++;
      this.lastDiscoveryError = error;
      this.logger.warn({ cluster: this.name, error }, 'redis cluster topology request failed');
      if (!this.ready)
        this.failWaiting(`${NO_UPSTREAM_HOST}: cannot learn the topology of cluster ${this.name}: ${error}`);
      return;
    }
    this.lastDiscoveryError = '';
    this.learntAt = readTime();
    this.applyTopology(topology);
    if (!this.ready) {
      this.ready = true;
      const waiting = this.waiting;
      this.waiting = [];
      for (const w of waiting)
        this.sendToSlot(
          w.raw,
          0,
          w.raw.length,
          w.slot,
          w.target,
          w.index,
          w.protocol,
          w.read,
          w.options,
          w.command,
        );
    }
  }

  protected override onMoved(slot: number, node: RedisNode): void {
    if (slot >= 0 && slot < SLOT_COUNT) {
      let shard = this.shards.findIndex(s => s.master === node);
      if (shard < 0) {
        shard = this.shards.length;
        this.shards.push({ master: node, replicas: [] });
      }
      this.slots[slot] = shard;
    }
    const threshold = this.options?.redirectRefreshThreshold ?? 5;
    if (threshold > 0 && ++this.redirectsSinceRefresh >= threshold) this.refreshIfDue();
  }

  override onNodeFailure(node: RedisNode, reason: string): void {
    super.onNodeFailure(node, reason);
    const threshold = this.options?.failureRefreshThreshold ?? 0;
    if (threshold > 0 && ++this.failuresSinceRefresh >= threshold) this.refreshIfDue();
  }

  private refreshIfDue(): void {
    const interval = this.options?.redirectRefreshIntervalMs ?? 5000;
    if (readTime() - this.lastRefreshAt >= interval) this.refresh();
  }

  private scheduleRefreshes(): void {
    const rate = this.options?.refreshRateMs ?? 5000;
    if (rate === this.refreshRateMs && this.refreshTimer !== undefined) return;
    if (this.refreshTimer !== undefined) clearInterval(this.refreshTimer);
    this.refreshRateMs = rate;
    this.refreshTimer = setInterval(() => this.refresh(), rate);
    this.refreshTimer.unref();
  }

  private failWaiting(message: string): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.target.onFailure(message, w.index);
  }

  private applyTopology(topology: TopologyShard[]): void {
    const slots = new Int32Array(SLOT_COUNT).fill(-1);
    const shards: Shard[] = [];
    const keep = new Set<string>();
    for (const t of topology) {
      const master = this.node(t.master.address, t.master.port);
      master.unknown = false;
      master.setReportedFailed(t.master.failed);
      keep.add(master.key);
      const replicas = t.replicas.map(r => {
        const node = this.node(r.address, r.port);
        node.unknown = false;
        node.setReportedFailed(r.failed);
        keep.add(node.key);
        return node;
      });
      const index = shards.length;
      shards.push({ master, replicas });
      for (const [from, to] of t.ranges) for (let s = from; s <= to && s < SLOT_COUNT; s++) slots[s] = index;
    }
    this.slots = slots;
    this.shards = shards;
    this.retainNodes(keep);
  }

  private pick(slot: number, read: boolean, policy: RedisReadPolicy): RedisNode | undefined {
    const shard = this.shards[this.slots[slot]!];
    if (shard === undefined) return undefined;
    const master = shard.master;
    if (!read || policy === 'MASTER') return master;
    const replicas = shard.replicas;
    switch (policy) {
      case 'PREFER_MASTER':
        return master.available ? master : (randomAvailable(replicas) ?? master);
      case 'REPLICA':
        return randomAvailable(replicas) ?? randomOf(replicas);
      case 'PREFER_REPLICA':
        return randomAvailable(replicas) ?? master;
      case 'ANY':
        return randomAvailable([master, ...replicas]) ?? master;
    }
  }
}

/** One topology request: each candidate node in turn until one answers. */
class Discovery implements ReplyTarget {
  private at = -1;
  private errors: string[] = [];
  private usedSlots = false;

  constructor(
    private readonly owner: ClusterModeCluster,
    private readonly candidates: readonly RedisNode[],
  ) {}

  next(): void {
    this.at++;
    this.usedSlots = false;
    const node = this.candidates[this.at];
    if (node === undefined) {
      this.owner.discoveryDone(undefined, this.errors.join('; ') || 'no seed endpoint');
      return;
    }
    this.ask(node, CLUSTER_SHARDS);
  }

  private ask(node: RedisNode, command: Buffer): void {
    node.send(2, command, 0, command.length, this, this.at, 0, 0, this.timeoutMs(), undefined);
  }

  private timeoutMs(): number {
    return this.owner.redisOptions?.refreshTimeoutMs ?? 3000;
  }

  onReply(buf: Buffer, start: number, end: number, index: number): void {
    if (index !== this.at) return;
    const node = this.candidates[index]!;
    let value: RespValue;
    try {
      value = decodeReply(buf.subarray(start, end));
    } catch (err) {
      this.fail(node, `${node.key}: ${(err as Error).message}`);
      return;
    }
    if (value instanceof RespError) {
      // Before Redis 7 there is no CLUSTER SHARDS; CLUSTER SLOTS says the same.
      if (!this.usedSlots && /unknown|subcommand/i.test(value.message)) {
        this.usedSlots = true;
        this.ask(node, CLUSTER_SLOTS);
        return;
      }
      this.fail(node, `${node.key} answered ${value.message}`);
      return;
    }
    const topology = this.usedSlots ? parseClusterSlots(value, node) : parseClusterShards(value, node);
    if (topology === undefined || topology.length === 0) {
      this.fail(node, `${node.key} reported no slots`);
      return;
    }
    this.owner.discoveryDone(topology, '');
  }

  onFailure(message: string, index: number): void {
    if (index !== this.at) return;
    this.fail(this.candidates[index]!, message.replace(/^ERR upstream failure: /, ''));
  }

  private fail(_node: RedisNode, error: string): void {
    this.errors.push(error);
    this.next();
  }
}

function fields(value: RespValue | undefined): Map<string, RespValue> {
  const out = new Map<string, RespValue>();
  if (value instanceof Map) {
    for (const [k, v] of value) out.set(asText(k) ?? '', v);
  } else if (Array.isArray(value)) {
    for (let i = 0; i + 1 < value.length; i += 2) out.set(asText(value[i]) ?? '', value[i + 1]!);
  }
  return out;
}

function numberOf(value: RespValue | undefined): number {
  return typeof value === 'number' ? value : Number(asText(value));
}

/** A node's address: its endpoint or IP, or the asked node's own when it reports none (`""`, `?`). */
function addressOf(text: string | undefined, asked: RedisNode): string {
  return text === undefined || text === '' || text === '?' ? asked.address : text;
}

/** `CLUSTER SHARDS` (Redis 7): per shard its slot ranges and nodes with role and health. */
export function parseClusterShards(value: RespValue, asked: RedisNode): TopologyShard[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const shards: TopologyShard[] = [];
  for (const entry of value) {
    const shard = fields(entry);
    const slotList = shard.get('slots');
    const ranges: [number, number][] = [];
    if (Array.isArray(slotList)) {
      for (let i = 0; i + 1 < slotList.length; i += 2)
        ranges.push([numberOf(slotList[i]), numberOf(slotList[i + 1])]);
    }
    const nodes: NodeInfo[] = [];
    const nodeList = shard.get('nodes');
    for (const n of Array.isArray(nodeList) ? nodeList : []) {
      const node = fields(n);
      const endpoint = asText(node.get('endpoint'));
      const ip = asText(node.get('ip'));
      nodes.push({
        address: addressOf(
          endpoint === undefined || endpoint === '' || endpoint === '?' ? ip : endpoint,
          asked,
        ),
        port: numberOf(node.get('port') ?? node.get('tls-port')),
        master: asText(node.get('role')) === 'master',
        failed: asText(node.get('health')) === 'fail',
      });
    }
    const master = nodes.find(n => n.master);
    if (master === undefined || ranges.length === 0) continue;
    shards.push({ ranges, master, replicas: nodes.filter(n => !n.master) });
  }
  return shards;
}

/** `CLUSTER SLOTS`: per slot range its master then its replicas, each `[ip, port, id, …]`. */
export function parseClusterSlots(value: RespValue, asked: RedisNode): TopologyShard[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const byMaster = new Map<string, { ranges: [number, number][]; master: NodeInfo; replicas: NodeInfo[] }>();
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length < 3) continue;
    const from = numberOf(entry[0]);
    const to = numberOf(entry[1]);
    const nodes = entry.slice(2).map(n => {
      const parts = Array.isArray(n) ? n : [];
      return {
        address: addressOf(asText(parts[0]), asked),
        port: numberOf(parts[1]),
        master: false,
        failed: false,
      };
    });
    const [master, ...replicas] = nodes;
    if (master === undefined) continue;
    const key = `${master.address}:${master.port}`;
    const shard = byMaster.get(key) ?? { ranges: [], master: { ...master, master: true }, replicas };
    shard.ranges.push([from, to]);
    byMaster.set(key, shard);
  }
  return [...byMaster.values()];
}

function randomOf<T>(items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(Math.random() * items.length)];
}

function randomAvailable(nodes: readonly RedisNode[]): RedisNode | undefined {
  let count = 0;
  for (const n of nodes) if (n.available) count++;
  if (count === 0) return undefined;
  let pick = Math.floor(Math.random() * count);
  for (const n of nodes) if (n.available && pick-- === 0) return n;
  return undefined;
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
