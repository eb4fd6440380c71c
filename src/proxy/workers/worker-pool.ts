/**
 * The primary process of a proxy with workers: N worker processes (node:cluster), each a whole
 * data plane serving every listener, fed the same snapshots at the same moment; the primary keeps
 * the one xDS connection, the one admin API and the state that must hold per proxy (the local rate
 * limits' token buckets), and replaces a worker that dies.
 *
 * Listening sockets belong to the primary: cluster's round-robin scheduling accepts each connection
 * there and hands it to the next worker, so connections spread evenly, a worker that dies takes only
 * its own connections with it, and a new worker serves the same sockets at once.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AerakiError, ErrorCodes } from '../../errors.js';
import { RetryBackoff } from '../../net/retry-backoff.js';
import type { ProxySnapshot } from '../../xds/resources.js';
import type { ApplyResult, ListenerRejection } from '../proxy.js';
import { BindProbes } from './bind-probe.js';
import { PrimaryClusterLimits } from './shared-cluster-limits.js';
import { PrimaryTokenBuckets } from './shared-token-buckets.js';
import {
  WORKER_SETTINGS_ENV,
  type AppliedMessage,
  type EjectMessage,
  type PrimaryMessage,
  type WorkerMessage,
} from './worker-messages.js';

/** A worker that lived at least this long before it died is replaced at once; sooner, with backoff. */
const STABLE_MS = 10_000;

/** How long a worker may take to start (load its modules and plugins) before the proxy gives up. */
const START_TIMEOUT_MS = 60_000;

export interface WorkerPoolOptions {
  /** How many workers. */
  readonly count: number;
  /** The module each worker runs (it reads its settings from {@link WORKER_SETTINGS_ENV}). */
  readonly exec: string;
  /** Passed to every worker as JSON, with the worker's index. */
  readonly settings: unknown;
  readonly logger: Logger;
}

/** A worker as `/workers` shows it. */
export interface WorkerInfo {
  readonly index: number;
  readonly pid: number | undefined;
  readonly ready: boolean;
  readonly adminPort?: number;
  readonly restarts: number;
}

/** One worker position: its process changes when it is replaced. */
interface Slot {
  readonly index: number;
  worker: Worker;
  /** Its admin API (loopback), once it is ready. */
  adminPort: number | undefined;
  /** The last snapshot it applied, and what it reported. */
  applied: AppliedMessage | undefined;
  startedAt: number;
  readonly backoff: RetryBackoff;
  /** Workers that replaced a dead one in this position. */
  restarts: number;
}

/** The workers of one proxy, from its primary process. */
export class WorkerPool {
  /** Buckets of the local rate limits, for every worker. */
  readonly tokenBuckets = new PrimaryTokenBuckets();
  /** The workers' parts of the clusters' circuit-breaker limits. */
  readonly clusterLimits: PrimaryClusterLimits;
  /** Whether a worker may retry a failed bind now. */
  private readonly bindProbes = new BindProbes((address, port) => this.served(address, port));
  /** Hosts ejected now, by cluster and host: what a worker that starts must eject too. */
  private readonly ejections = new Map<string, EjectMessage>();
  private readonly slots: Slot[] = [];
  private snapshot: ProxySnapshot | undefined;
  private seq = 0;
  private closing = false;
  private readonly applyWaiters: (() => void)[] = [];
  private readonly readyWaiters: (() => void)[] = [];

  constructor(private readonly options: WorkerPoolOptions) {
    this.clusterLimits = new PrimaryClusterLimits(options.count, (index, message) => {
      const slot = this.slots[index];
      if (slot !== undefined && slot.adminPort !== undefined) send(slot.worker, message);
    });
  }

  /** Starts the workers; resolves once every one is ready to take config. */
  async start(): Promise<void> {
    // Round robin (the default on Linux, said here so that it holds everywhere): a worker that is
    // busy when a burst of connections arrives must not take them all.
    cluster.schedulingPolicy = cluster.SCHED_RR;
    cluster.setupPrimary({ exec: this.options.exec, args: [], serialization: 'advanced' });
    for (let i = 0; i < this.options.count; i++) this.slots.push(this.fork(i));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (this.slots.some(s => s.adminPort === undefined)) {
      if (Date.now() > deadline) {
        throw new AerakiError(
          ErrorCodes.LISTEN_FAILED,
          `the proxy's workers did not start within ${START_TIMEOUT_MS} ms`,
        );
      }
      await new Promise<void>(resolve => {
        this.readyWaiters.push(resolve);
        setTimeout(resolve, 1000).unref();
      });
    }
  }

  /** How many workers the proxy runs. */
  get size(): number {
    return this.slots.length;
  }

  /** The admin API ports of the workers that are up, in worker order. */
  adminPorts(): number[] {
    const ports: number[] = [];
    for (const slot of this.slots) if (slot.adminPort !== undefined) ports.push(slot.adminPort);
    return ports;
  }

  /**
   * Each worker: its process id, whether it is ready, its own admin API's port (loopback; what one
   * worker alone counts) and how often its position was restarted.
   */
  workers(): WorkerInfo[] {
    return this.slots.map(s => ({
      index: s.index,
      pid: s.worker.process.pid,
      ready: s.adminPort !== undefined,
      ...(s.adminPort === undefined ? {} : { adminPort: s.adminPort }),
      restarts: s.restarts,
    }));
  }

  /** The snapshot in force, if any. */
  get current(): ProxySnapshot | undefined {
    return this.snapshot;
  }

  /**
   * Sends `snapshot` to every worker at once and resolves when each has applied it (a worker that
   * dies meanwhile is not waited for: its replacement starts with the snapshot in force).
   */
  async apply(snapshot: ProxySnapshot): Promise<ApplyResult> {
    this.snapshot = snapshot;
    const seq = ++this.seq;
    this.tokenBuckets.retain(snapshot.listeners);
    this.clusterLimits.plan(snapshot.clusters, seq);
    for (const slot of this.slots) if (slot.adminPort !== undefined) this.sendSnapshot(slot);
    while (!this.slots.every(s => (s.applied?.seq ?? 0) >= seq || s.adminPort === undefined)) {
      await new Promise<void>(resolve => this.applyWaiters.push(resolve));
    }
    const failed = this.slots.find(s => s.applied?.seq === seq && s.applied.error !== undefined);
    if (failed?.applied?.error !== undefined) {
      throw new AerakiError(ErrorCodes.CONFIG_INVALID, failed.applied.error);
    }
    return { rejected: this.rejectedListeners() };
  }

  /** Listeners of the snapshot in force that some worker could not build or bind. */
  rejectedListeners(): ListenerRejection[] {
    const byName = new Map<string, ListenerRejection>();
    for (const slot of this.slots) {
      for (const r of slot.applied?.rejected ?? []) if (!byName.has(r.name)) byName.set(r.name, r);
    }
    return [...byName.values()];
  }

  /** Listener names every worker has bound or rejected in the snapshot in force. */
  settledListeners(): Set<string> {
    let settled: Set<string> | undefined;
    for (const slot of this.slots) {
      const names = slot.applied?.seq === this.seq ? slot.applied.settled : [];
      settled = settled === undefined ? new Set(names) : new Set(names.filter(n => settled!.has(n)));
    }
    return settled ?? new Set();
  }

  /** Tells every worker to drain for up to `graceMs` and resolves when all have exited. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const alive = this.slots.filter(s => s.worker.isConnected() || !s.worker.isDead());
    await Promise.all(
      alive.map(
        slot =>
          new Promise<void>(resolve => {
            const worker = slot.worker;
            if (worker.isDead()) return resolve();
            const kill = setTimeout(() => worker.process.kill('SIGKILL'), graceMs + 2000);
            worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            send(worker, { type: 'drain', graceMs });
          }),
      ),
    );
  }

  private fork(index: number, slot?: Slot): Slot {
    const worker = cluster.fork({
      [WORKER_SETTINGS_ENV]: JSON.stringify({ index, settings: this.options.settings }),
    });
    const target: Slot =
      slot ??
      ({
        index,
        worker,
        adminPort: undefined,
        applied: undefined,
        startedAt: Date.now(),
        backoff: new RetryBackoff({ initialMs: 100, maxMs: 5000 }),
        restarts: 0,
      } satisfies Slot);
    target.worker = worker;
    target.adminPort = undefined;
    target.applied = undefined;
    target.startedAt = Date.now();
    worker.on('message', (message: WorkerMessage) => this.onMessage(target, worker, message));
    worker.on('exit', (code, signal) => this.onExit(target, worker, code, signal));
    return target;
  }

  private onMessage(slot: Slot, worker: Worker, message: WorkerMessage): void {
    if (slot.worker !== worker) return;
    switch (message.type) {
      case 'ready':
        slot.adminPort = message.adminPort;
        this.clusterLimits.workerUp(slot.index);
        this.sendSnapshot(slot);
        this.sendEjections(slot);
        for (const resolve of this.readyWaiters.splice(0)) resolve();
        return;
      case 'applied':
        slot.applied = message;
        this.wakeApplyWaiters();
        return;
      case 'take':
        send(worker, this.tokenBuckets.take(message));
        return;
      case 'probe':
        void this.bindProbes.answer(message).then(answer => send(worker, answer));
        return;
      case 'short':
      case 'release':
        this.clusterLimits.onMessage(slot.index, message);
        return;
      case 'ejected': {
        // Every other worker ejects the host too, until the same moment.
        const eject: EjectMessage = { ...message, type: 'eject' };
        this.ejections.set(`${message.cluster}\n${message.host}`, eject);
        for (const other of this.slots) {
          if (other !== slot && other.adminPort !== undefined) send(other.worker, eject);
        }
        return;
      }
      case 'listeners':
        // A listener bound (or failed anew) after the snapshot was applied: /xds says so now.
        if (slot.applied?.seq === message.seq) slot.applied = { ...slot.applied, rejected: message.rejected };
        return;
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    const wasUp = slot.adminPort !== undefined;
    slot.adminPort = undefined;
    if (wasUp) this.clusterLimits.workerDown(slot.index);
    this.wakeApplyWaiters();
    if (this.closing) return;
    const lived = Date.now() - slot.startedAt;
    const delay = lived >= STABLE_MS ? 0 : slot.backoff.next();
    if (lived >= STABLE_MS) slot.backoff.reset();
    this.options.logger.error(
      { worker: slot.index, pid: worker.process.pid, code, signal, restartInMs: delay },
      'proxy worker exited; starting another (the other workers keep serving)',
    );
    setTimeout(() => {
      if (this.closing) return;
      slot.restarts++;
      this.fork(slot.index, slot);
    }, delay).unref();
  }

  /** Whether some worker serves a listener on `address:port` now. */
  private served(address: string, port: number): boolean {
    const snapshot = this.snapshot;
    if (snapshot === undefined) return false;
    const names = new Set<string>();
    for (const l of [...snapshot.listeners, ...(snapshot.redisListeners ?? [])])
      if (l.address === address && l.port === port) names.add(l.name);
    return this.slots.some(slot => {
      const applied = slot.applied;
      if (slot.adminPort === undefined || applied === undefined) return false;
      const rejected = new Set(applied.rejected.map(r => r.name));
      return applied.settled.some(name => names.has(name) && !rejected.has(name));
    });
  }

  /** Sends the snapshot in force, with the worker's parts of the clusters' limits. */
  private sendSnapshot(slot: Slot): void {
    if (this.snapshot === undefined) return;
    send(slot.worker, {
      type: 'apply',
      seq: this.seq,
      snapshot: this.snapshot,
      shares: this.clusterLimits.sharesFor(slot.index),
    });
  }

  /** Tells a worker that starts of the hosts ejected now (the others have them ejected). */
  private sendEjections(slot: Slot): void {
    const now = Date.now();
    for (const [key, eject] of this.ejections) {
      if (eject.untilMs <= now) this.ejections.delete(key);
      else send(slot.worker, eject);
    }
  }

  private wakeApplyWaiters(): void {
    for (const resolve of this.applyWaiters.splice(0)) resolve();
  }
}

function send(worker: Worker, message: PrimaryMessage): void {
  if (!worker.isConnected()) return;
  worker.send(message, (err: Error | null) => {
    // A worker that dies meanwhile is replaced; what it missed, its replacement gets.
    void err;
  });
}
