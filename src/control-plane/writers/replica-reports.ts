/**
 * How many proxies each replica has in sync, shared through the API so that the leader can count
 * every replica's proxies, not only its own: each replica keeps a Lease of its own
 * (`<prefix>-<identity>`, labelled {@link REPORT_LABEL}) renewed with an annotation saying which
 * config version it serves and how many of its proxies have acknowledged everything sent. Replicas
 * compute the same version from the same config (versions are content hashes), so the leader can
 * tell whether a replica's proxies run a given object's generation. A report that is not renewed
 * within its Lease's duration no longer counts (its replica is gone).
 */
import type { Logger } from 'pino';
import type { XdsServerStatus } from '../server/xds-status.js';
import { KubeApiError, type KubeClient } from '../sources/kubernetes/kube-client.js';
import { microTime } from './leader-election.js';

export const REPORT_LABEL = 'aeraki.io/replica-report';
const REPORT_ANNOTATION = 'aeraki.io/xds';

/** One replica's report. */
export interface ReplicaReport {
  readonly identity: string;
  /** The config version the replica serves; absent before its first. */
  readonly version?: string;
  /** Its connected proxies that acknowledged every response sent. */
  readonly proxies: number;
}

/** Proxies with an open stream whose every resource type is acknowledged (nothing pending, no NACK). */
export function proxiesInSync(status: XdsServerStatus): number {
  let n = 0;
  for (const node of status.nodes) {
    if (node.streams > 0 && node.types.length > 0 && node.types.every(t => t.state === 'acked')) n++;
  }
  return n;
}

export interface ReplicaReporterOptions {
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly namespace: string;
  /** Lease names are `<prefix>-<identity>`. */
  readonly prefix: string;
  readonly identity: string;
  /** What to report now. */
  readonly report: () => Omit<ReplicaReport, 'identity'>;
  /** How often to renew (default 5 s); a report counts for three periods. */
  readonly periodMs?: number;
}

interface ReportLease {
  metadata: { name: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

export class ReplicaReporter {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly periodMs: number;
  private last = '';

  constructor(private readonly options: ReplicaReporterOptions) {
    this.periodMs = options.periodMs ?? 5000;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases`;
  }

  private get name(): string {
    return `${this.options.prefix}-${this.options.identity}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  }

  start(): void {
    const tick = (): void => {
      void this.write().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.periodMs);
      });
    };
    tick();
  }

  /** Writes the report now (also between periods, when the numbers change). */
  async write(): Promise<void> {
    const report = this.options.report();
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        namespace: this.options.namespace,
        labels: { [REPORT_LABEL]: 'true' },
        annotations: { [REPORT_ANNOTATION]: JSON.stringify(report) },
      },
      spec: {
        holderIdentity: this.options.identity,
        leaseDurationSeconds: Math.ceil((this.periodMs * 3) / 1000),
        renewTime: microTime(Date.now()),
      },
    };
    try {
      await this.options.client.request('PUT', `${this.path}/${this.name}`, { body });
      this.last = '';
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) {
        await this.options.client.request('POST', this.path, { body }).catch((e: unknown) => this.failed(e));
        return;
      }
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (message !== this.last)
      this.options.logger.warn({ err: message }, 'could not write the replica report');
    this.last = message;
  }

  /** Stops reporting and deletes the report. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.options.client.request('DELETE', `${this.path}/${this.name}`).catch(() => undefined);
  }

  /** Every replica's current report (those renewed within their duration). */
  static async read(client: KubeClient, namespace: string): Promise<ReplicaReport[]> {
    const list = await client.request<{ items?: ReportLease[] }>(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`,
      { query: { labelSelector: `${REPORT_LABEL}=true` } },
    );
    const now = Date.now();
    const reports: ReplicaReport[] = [];
    for (const lease of list.items ?? []) {
      const renewed = Date.parse(lease.spec?.renewTime ?? '');
      const duration = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
      if (!(now - renewed <= duration)) continue;
      try {
        const parsed = JSON.parse(
          lease.metadata.annotations?.[REPORT_ANNOTATION] ?? '{}',
        ) as Partial<ReplicaReport>;
        reports.push({
          identity: lease.spec?.holderIdentity ?? lease.metadata.name,
          ...(typeof parsed.version === 'string' ? { version: parsed.version } : {}),
          proxies: typeof parsed.proxies === 'number' ? parsed.proxies : 0,
        });
      } catch {
        // A report someone else wrote by hand: not ours to read.
      }
    }
    return reports;
  }
}
