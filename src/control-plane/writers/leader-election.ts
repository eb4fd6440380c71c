/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it: every
 * replica tries to hold the Lease; the holder renews it every retry period; another replica takes it
 * over once it has seen the same record, unrenewed, for a whole lease duration (measured on its own
 * clock from when it saw the record change, so the replicas' clocks need not agree). Every write of
 * the Lease carries the resourceVersion it read, so of two replicas that try at once one wins and
 * the other gets 409 Conflict. A leader that cannot renew within the renew deadline stops leading
 * before anyone else can start; a leader that stops releases the Lease so the next one need not
 * wait.
 *
 * Only the leader writes (status now; EnvoyFilters later): every replica serves xDS either way.
 */
import type { Logger } from 'pino';
import { KubeApiError, type KubeClient } from '../sources/kubernetes/kube-client.js';

export interface LeaderElectionOptions {
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly namespace: string;
  readonly name: string;
  /** This replica (its pod name). */
  readonly identity: string;
  /** How long a Lease unrenewed stays held (default 15 s). */
  readonly leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leading (default 2/3 of the lease). */
  readonly renewDeadlineMs?: number;
  /** How often to try to acquire or renew (default 1/7 of the lease, 2 s for 15 s). */
  readonly retryPeriodMs?: number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
}

/** A Lease as the API serves it. */
interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** RFC 3339 with microseconds: the Lease's MicroTime. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** How the election stands, for `/config`. */
export interface LeaderState {
  readonly identity: string;
  readonly lease: string;
  readonly leading: boolean;
  /** The holder last seen (this replica or another); empty when none. */
  readonly holder: string;
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** The record last seen and when (local clock) it was first seen. */
  private observed: { key: string; at: number; holder: string } | undefined;
  private lastRenew = 0;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly options: LeaderElectionOptions) {
    this.leaseMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? Math.round((this.leaseMs * 2) / 3);
    this.retryMs = options.retryPeriodMs ?? Math.max(100, Math.round(this.leaseMs / 7));
  }

  get isLeader(): boolean {
    return this.leading;
  }

  state(): LeaderState {
    return {
      identity: this.options.identity,
      lease: `${this.options.namespace}/${this.options.name}`,
      leading: this.leading,
      holder: this.observed?.holder ?? '',
    };
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops trying; a leader releases the Lease (holder emptied) so another takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.get();
      if (lease?.spec?.holderIdentity === this.options.identity) {
        await this.put({
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: '',
            leaseDurationSeconds: 1,
            renewTime: microTime(Date.now()),
          },
        });
      }
    } catch (err) {
      this.options.logger.warn({ err }, 'could not release the leader Lease; it expires by itself');
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round().finally(() => this.schedule(this.retryMs));
    }, ms);
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    const lease = `${this.options.namespace}/${this.options.name}`;
    if (leading) {
      this.options.logger.info(
        { lease, identity: this.options.identity },
        'leading: this replica writes status',
      );
      this.options.onStartedLeading();
    } else {
      this.options.logger.info({ lease, identity: this.options.identity }, 'stopped leading');
      this.options.onStoppedLeading();
    }
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases`;
  }

  private async get(): Promise<Lease | undefined> {
    try {
      return await this.options.client.request<Lease>(
        'GET',
        `${this.path}/${encodeURIComponent(this.options.name)}`,
        {
          timeoutMs: this.retryMs * 2,
        },
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  private async put(lease: Lease): Promise<void> {
    await this.options.client.request('PUT', `${this.path}/${encodeURIComponent(this.options.name)}`, {
      body: lease,
      timeoutMs: this.retryMs * 2,
    });
  }

  /** One attempt to acquire or renew. */
  private async round(): Promise<void> {
    const now = Date.now();
    const identity = this.options.identity;
    const spec = (acquired: string, transitions: number): NonNullable<Lease['spec']> => ({
      holderIdentity: identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.leaseMs / 1000)),
      acquireTime: acquired,
      renewTime: microTime(now),
      leaseTransitions: transitions,
    });
    try {
      const lease = await this.get();
      if (lease === undefined) {
        await this.options.client.request('POST', this.path, {
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.options.name, namespace: this.options.namespace },
            spec: spec(microTime(now), 0),
          },
          timeoutMs: this.retryMs * 2,
        });
        this.observe(identity, `${identity}@new`, now);
        this.renewed(now);
        return;
      }
      const holder = lease.spec?.holderIdentity ?? '';
      this.observe(holder, `${holder}@${lease.spec?.renewTime ?? ''}`, now);
      const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
      const expired = holder === '' || now >= (this.observed?.at ?? now) + duration;
      if (holder !== identity && !expired) {
        this.setLeading(false);
        return;
      }
      const transitions = (lease.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
      const acquired = holder === identity ? (lease.spec?.acquireTime ?? microTime(now)) : microTime(now);
      await this.put({ ...lease, spec: spec(acquired, transitions) });
      this.renewed(now);
    } catch (err) {
      const conflict = err instanceof KubeApiError && (err.status === 409 || err.reason === 'AlreadyExists');
      if (!conflict)
        this.options.logger.warn({ err: (err as Error).message }, 'leader election: Lease request failed');
      if (this.leading && Date.now() - this.lastRenew > this.renewDeadlineMs) this.setLeading(false);
    }
  }

  private observe(holder: string, key: string, now: number): void {
    if (this.observed?.key !== key) this.observed = { key, at: now, holder };
  }

  private renewed(now: number): void {
    this.lastRenew = now;
    this.observe(this.options.identity, `${this.options.identity}@${microTime(now)}`, now);
    this.setLeading(true);
  }
}
