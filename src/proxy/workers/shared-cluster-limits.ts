/**
 * Circuit-breaker limits of a proxy with workers, per proxy as Envoy keeps them per cluster, while
 * each worker decides on its own request path without asking anyone: every limit of every cluster
 * is cut into parts, one per worker, that add up to the limit; a worker admits what its part allows.
 * Parts move between workers through the primary, asynchronously:
 *
 * - a worker that has used up its part of a limit says `short` (once at a time); the primary gives
 *   it what it holds free, or asks the other workers to `release` the part they do not use now and
 *   then gives that; its answer may be 0 (the whole proxy is at the limit);
 * - a worker that holds more than its even part gives back what it does not use once it has not
 *   needed more than its even part for {@link KEEP_MS} (checked every {@link RETURN_MS}), and the
 *   primary gives it to the workers below their even part.
 *
 * A part only grows with what the primary took from another part, and a worker gives back only
 * what it does not use: the workers together never hold more than the limit. See docs/workers.md
 * for what a worker refuses while another holds unused parts, and for how long.
 */
import {
  ENVOY_DEFAULT_CIRCUIT_BREAKERS,
  type CircuitBreakerLimits,
  type ClusterResource,
} from '../../xds/resources.js';
import type { BreakerLimit, BreakerShare } from '../../upstream/circuit-breaker.js';
import type { ClusterPeers } from '../../upstream/cluster-peers.js';
import type { ClusterStats } from '../../upstream/cluster-stats.js';
import type {
  GrantMessage,
  PrimaryMessage,
  ReclaimMessage,
  ReleaseMessage,
  ShareGrant,
  ShortMessage,
  WorkerMessage,
} from './worker-messages.js';

/** How often a worker checks for parts it holds beyond its even part and no longer needs. */
export const RETURN_MS = 100;

/** How long a worker keeps a part beyond its even part after it last needed it. */
export const KEEP_MS = 1000;

/** After the primary answered 0 (the proxy is at the limit), how long a worker waits to ask again. */
export const ASK_AGAIN_MS = 2;

const LIMITS: readonly BreakerLimit[] = ['maxConnections', 'maxPendingRequests', 'maxRequests'];

type Counts = Record<BreakerLimit, number>;

/** Worker `index`'s even part of `limit` among `workers`: the remainder goes to the first ones. */
export function evenPart(limit: number, workers: number, index: number): number {
  return Math.floor(limit / workers) + (index < limit % workers ? 1 : 0);
}

/** One cluster's limits at the primary: what each worker holds and what is free. */
interface ClusterLimits {
  readonly epoch: number;
  readonly limits: CircuitBreakerLimits;
  /** By worker position. */
  readonly held: Counts[];
  readonly free: Counts;
  /** Per limit: workers waiting for an answer to `short`, and workers asked to release. */
  readonly waiting: Record<BreakerLimit, Set<number>>;
  readonly reclaiming: Record<BreakerLimit, Set<number>>;
}

/** Sends a message to the worker at a position (if it is up). */
export type SendToWorker = (index: number, message: PrimaryMessage) => void;

/** The primary's side: the parts of every cluster's limits, by worker position. */
export class PrimaryClusterLimits {
  private readonly clusters = new Map<string, ClusterLimits>();
  /** Worker positions that are up (have said `ready`). */
  private readonly up = new Set<number>();

  constructor(
    private readonly workers: number,
    private readonly send: SendToWorker,
  ) {}

  /**
   * Takes the clusters of snapshot `seq`: a cluster that is new or whose limits changed is cut anew
   * into even parts (parts of the workers that are down go free); others keep their parts.
   */
  plan(clusters: readonly ClusterResource[], seq: number): void {
    const names = new Set<string>();
    for (const resource of clusters) {
      names.add(resource.name);
      const limits = resource.circuitBreakers ?? ENVOY_DEFAULT_CIRCUIT_BREAKERS;
      const known = this.clusters.get(resource.name);
      if (known !== undefined && sameLimits(known.limits, limits)) continue;
      const held: Counts[] = [];
      const free = zero();
      for (let i = 0; i < this.workers; i++) {
        const part = zero();
        for (const limit of LIMITS) {
          const even = evenPart(limits[limit], this.workers, i);
          if (this.up.has(i)) part[limit] = even;
          else free[limit] += even;
        }
        held.push(part);
      }
      this.clusters.set(resource.name, {
        epoch: seq,
        limits,
        held,
        free,
        waiting: { maxConnections: new Set(), maxPendingRequests: new Set(), maxRequests: new Set() },
        reclaiming: { maxConnections: new Set(), maxPendingRequests: new Set(), maxRequests: new Set() },
      });
    }
    for (const name of this.clusters.keys()) if (!names.has(name)) this.clusters.delete(name);
  }

  /** Worker `index`'s parts, for the snapshot it is sent. */
  sharesFor(index: number): Record<string, ShareGrant> {
    const shares: Record<string, ShareGrant> = {};
    for (const [name, cluster] of this.clusters) {
      const part = cluster.held[index]!;
      const even = zero();
      for (const limit of LIMITS) even[limit] = evenPart(cluster.limits[limit], this.workers, index);
      shares[name] = { epoch: cluster.epoch, ...part, even };
    }
    return shares;
  }

  /** Worker `index` is up (a first start or a replacement): it gets its even part from what is free. */
  workerUp(index: number): void {
    this.up.add(index);
    for (const cluster of this.clusters.values()) {
      const part = cluster.held[index]!;
      for (const limit of LIMITS) {
        const give = Math.min(
          cluster.free[limit],
          Math.max(0, evenPart(cluster.limits[limit], this.workers, index) - part[limit]),
        );
        part[limit] += give;
        cluster.free[limit] -= give;
      }
    }
  }

  /** Worker `index` is gone: what it held is free (its requests and connections went with it). */
  workerDown(index: number): void {
    this.up.delete(index);
    for (const [name, cluster] of this.clusters) {
      const part = cluster.held[index]!;
      for (const limit of LIMITS) {
        cluster.free[limit] += part[limit];
        part[limit] = 0;
        cluster.waiting[limit].delete(index);
        cluster.reclaiming[limit].delete(index);
        this.settle(name, cluster, limit);
      }
    }
  }

  /** A message from worker `index` about the limits; false when it is not one. */
  onMessage(index: number, message: WorkerMessage): boolean {
    if (message.type === 'short') this.short(index, message);
    else if (message.type === 'release') this.release(index, message);
    else return false;
    return true;
  }

  private short(index: number, message: ShortMessage): void {
    const cluster = this.clusters.get(message.cluster);
    const limit = message.limit;
    if (cluster === undefined || cluster.epoch !== message.epoch) {
      // Stale: the worker's part was set anew meanwhile. Answered, so it may ask again.
      this.grant(index, message.cluster, message.epoch, limit, 0, true);
      return;
    }
    if (cluster.free[limit] > 0) {
      const count = cluster.free[limit];
      cluster.free[limit] = 0;
      cluster.held[index]![limit] += count;
      this.grant(index, message.cluster, cluster.epoch, limit, count, true);
      return;
    }
    cluster.waiting[limit].add(index);
    if (cluster.reclaiming[limit].size > 0) return;
    for (const other of this.up) {
      if (other === index || cluster.held[other]![limit] === 0) continue;
      cluster.reclaiming[limit].add(other);
      const reclaim: ReclaimMessage = {
        type: 'reclaim',
        cluster: message.cluster,
        epoch: cluster.epoch,
        limit,
      };
      this.send(other, reclaim);
    }
    this.settle(message.cluster, cluster, limit);
  }

  private release(index: number, message: ReleaseMessage): void {
    const cluster = this.clusters.get(message.cluster);
    if (cluster === undefined || cluster.epoch !== message.epoch) return;
    const limit = message.limit;
    const part = cluster.held[index]!;
    const count = Math.min(message.count, part[limit]);
    part[limit] -= count;
    cluster.free[limit] += count;
    cluster.reclaiming[limit].delete(index);
    this.settle(message.cluster, cluster, limit);
  }

  /**
   * Gives out what is free: to the workers waiting, evenly, once every worker asked to release has
   * answered; with no one waiting, to the workers below their even part.
   */
  private settle(name: string, cluster: ClusterLimits, limit: BreakerLimit): void {
    if (cluster.reclaiming[limit].size > 0) return;
    const waiting = [...cluster.waiting[limit]];
    if (waiting.length > 0) {
      cluster.waiting[limit].clear();
      const free = cluster.free[limit];
      waiting.forEach((index, i) => {
        const count = evenPart(free, waiting.length, i);
        cluster.held[index]![limit] += count;
        this.grant(index, name, cluster.epoch, limit, count, true);
      });
      cluster.free[limit] = 0;
      return;
    }
    for (const index of this.up) {
      const free = cluster.free[limit];
      if (free === 0) return;
      const below = evenPart(cluster.limits[limit], this.workers, index) - cluster.held[index]![limit];
      if (below <= 0) continue;
      const count = Math.min(free, below);
      cluster.free[limit] -= count;
      cluster.held[index]![limit] += count;
      this.grant(index, name, cluster.epoch, limit, count, false);
    }
  }

  private grant(
    index: number,
    cluster: string,
    epoch: number,
    limit: BreakerLimit,
    count: number,
    answer: boolean,
  ): void {
    const message: GrantMessage = { type: 'grant', cluster, epoch, limit, count, answer };
    this.send(index, message);
  }
}

/** A worker's part of one cluster's limits. */
class WorkerShare implements BreakerShare {
  readonly limits: Counts;
  /** Its even part: above it, what it does not use goes back. */
  readonly even: Counts;
  /** Limits it asked more of and has no answer for yet. */
  readonly asking = new Set<BreakerLimit>();
  /** Per limit: not before this time (ms) may it ask again, after an answer of 0. */
  readonly quietUntil: Counts = zero();
  /** Per limit: when it last got more or used more than its even part (ms). */
  readonly lastNeeded: Counts = zero();
  stats: ClusterStats | undefined = undefined;

  constructor(
    readonly cluster: string,
    public epoch: number,
    grant: ShareGrant,
    private readonly peers: WorkerClusterPeers,
  ) {
    this.limits = countsOf(grant);
    this.even = countsOf(grant.even);
  }

  short(limit: BreakerLimit): void {
    if (this.asking.has(limit)) return;
    if (this.quietUntil[limit] !== 0 && Date.now() < this.quietUntil[limit]) return;
    this.asking.add(limit);
    this.peers.send({ type: 'short', cluster: this.cluster, epoch: this.epoch, limit });
  }

  /** What of `limit` it uses now (the gauge the breaker compares with its part). */
  used(limit: BreakerLimit): number {
    const stats = this.stats;
    if (stats === undefined) return 0;
    if (limit === 'maxConnections') return stats.cxActive;
    if (limit === 'maxPendingRequests') return stats.rqPendingActive;
    return stats.rqActive;
  }

  /** Gives back the unused part of `limit`, or of it beyond the even part (`aboveEven`). */
  release(limit: BreakerLimit, aboveEven: boolean): void {
    const keep = Math.max(this.used(limit), aboveEven ? this.even[limit] : 0);
    const count = this.limits[limit] - keep;
    if (count <= 0) {
      if (!aboveEven) this.peers.send(this.releaseMessage(limit, 0));
      return;
    }
    this.limits[limit] -= count;
    this.peers.send(this.releaseMessage(limit, count));
  }

  private releaseMessage(limit: BreakerLimit, count: number): ReleaseMessage {
    return { type: 'release', cluster: this.cluster, epoch: this.epoch, limit, count };
  }
}

/** The worker's clusters, as its peers reach them. */
export interface WorkerClusters {
  /** Ejects `host` of cluster `name` as another worker did. */
  hostEjectedElsewhere(name: string, host: string, untilMs: number, multiplier: number): void;
}

/**
 * A worker's side: its part of every cluster's limits (what the breakers compare with), its
 * questions to the primary and its answers, and the ejections it passes on.
 */
export class WorkerClusterPeers implements ClusterPeers {
  private readonly shares = new Map<string, WorkerShare>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly send: (message: WorkerMessage) => void,
    private readonly clusters: WorkerClusters,
  ) {
    this.timer = setInterval(returnUnused, RETURN_MS, this);
    this.timer.unref();
  }

  /** Takes the parts sent with a snapshot, before the snapshot is applied. */
  update(grants: Readonly<Record<string, ShareGrant>>): void {
    for (const [name, grant] of Object.entries(grants)) {
      const share = this.shares.get(name);
      if (share === undefined) {
        this.shares.set(name, new WorkerShare(name, grant.epoch, grant, this));
        continue;
      }
      if (share.epoch === grant.epoch) continue;
      share.epoch = grant.epoch;
      share.asking.clear();
      for (const limit of LIMITS) {
        share.limits[limit] = grant[limit];
        share.even[limit] = grant.even[limit];
        share.quietUntil[limit] = 0;
      }
    }
    for (const name of this.shares.keys()) if (!(name in grants)) this.shares.delete(name);
  }

  breakerShare(cluster: string, stats: ClusterStats): BreakerShare | undefined {
    const share = this.shares.get(cluster);
    if (share !== undefined) share.stats = stats;
    return share;
  }

  hostEjected(cluster: string, host: string, untilMs: number, multiplier: number): void {
    this.send({ type: 'ejected', cluster, host, untilMs, multiplier });
  }

  /** A message from the primary about the limits or ejections; false when it is not one. */
  onMessage(message: PrimaryMessage): boolean {
    switch (message.type) {
      case 'grant': {
        const share = this.shares.get(message.cluster);
        if (share === undefined) return true;
        if (message.answer) share.asking.delete(message.limit);
        if (share.epoch !== message.epoch) return true;
        share.limits[message.limit] += message.count;
        if (message.count > 0) share.lastNeeded[message.limit] = Date.now();
        if (message.answer && message.count === 0)
          share.quietUntil[message.limit] = Date.now() + ASK_AGAIN_MS;
        return true;
      }
      case 'reclaim': {
        const share = this.shares.get(message.cluster);
        if (share === undefined || share.epoch !== message.epoch) {
          this.send({ ...message, type: 'release', count: 0 });
          return true;
        }
        share.release(message.limit, false);
        return true;
      }
      case 'eject':
        this.clusters.hostEjectedElsewhere(
          message.cluster,
          message.host,
          message.untilMs,
          message.multiplier,
        );
        return true;
      default:
        return false;
    }
  }

  /** Stops the timer that gives back unused parts. */
  close(): void {
    clearInterval(this.timer);
  }

  /**
   * @internal Gives back, for every limit, what this worker holds beyond its even part and has not
   * needed for {@link KEEP_MS}.
   */
  returnUnused(): void {
    const now = Date.now();
    for (const share of this.shares.values()) {
      for (const limit of LIMITS) {
        if (share.limits[limit] <= share.even[limit]) continue;
        if (share.used(limit) > share.even[limit]) share.lastNeeded[limit] = now;
        else if (now - share.lastNeeded[limit] >= KEEP_MS) share.release(limit, true);
      }
    }
  }
}

function returnUnused(peers: WorkerClusterPeers): void {
  peers.returnUnused();
}

function zero(): Counts {
  return { maxConnections: 0, maxPendingRequests: 0, maxRequests: 0 };
}

function countsOf(limits: CircuitBreakerLimits): Counts {
  return {
    maxConnections: limits.maxConnections,
    maxPendingRequests: limits.maxPendingRequests,
    maxRequests: limits.maxRequests,
  };
}

function sameLimits(a: CircuitBreakerLimits, b: CircuitBreakerLimits): boolean {
  return LIMITS.every(limit => a[limit] === b[limit]);
}
