/**
 * Writes each Aeraki object's `status` through the status subresource (the original never did):
 *
 * ```yaml
 * status:
 *   observedGeneration: 3
 *   proxies: 12            # proxies, across replicas, that acknowledged a config holding the generation served
 *   conditions:
 *   - type: Accepted
 *     status: "False"       # "True" when this generation is served
 *     reason: Invalid       # or Accepted
 *     message: "spec.routes[0].route: weights must sum to 100, not 90 (rule weights-sum-100); generation 2 keeps serving"
 *     observedGeneration: 3
 *     lastTransitionTime: "2026-12-07T10:00:00Z"
 * ```
 *
 * Only the leader writes, and only what changed (a merge patch of these fields: anything else in
 * status stays). It writes after each published config (once the proxies had time to acknowledge
 * it) and every few seconds, so that proxy counts follow proxies coming and going.
 */
import type { Logger } from 'pino';
import type { ConfigIssue } from '../../api/index.js';
import type { AdmittedConfig } from '../model/object-admission.js';
import { KubeApiError, type KubeClient, type KubeObject } from '../sources/kubernetes/kube-client.js';
import { AERAKI_KINDS, collectionPath, type AerakiKind } from '../sources/kubernetes/kinds.js';
import { objectUri } from '../sources/kubernetes/kubernetes-source.js';
import type { ReplicaReport } from './replica-reports.js';

/** The condition this writer owns. */
export interface AcceptedCondition {
  readonly type: 'Accepted';
  readonly status: 'True' | 'False';
  readonly reason: 'Accepted' | 'Invalid';
  readonly message: string;
  readonly observedGeneration: number;
  readonly lastTransitionTime: string;
}

export interface ObjectStatus {
  readonly observedGeneration: number;
  readonly proxies: number;
  readonly conditions: readonly AcceptedCondition[];
}

/** Issues named in a message; the rest are counted. */
const MAX_ISSUES_IN_MESSAGE = 3;
/** Published versions remembered, to place replicas' versions in order. */
const MAX_VERSIONS = 1000;

export interface StatusWriterOptions {
  readonly client: KubeClient;
  readonly logger: Logger;
  /** The Aeraki objects as last read. */
  readonly objects: (kind: string) => readonly KubeObject[];
  /** The last admission: what is served and what was refused. */
  readonly admitted: () => AdmittedConfig | undefined;
  /** Every replica's report (this one's included). */
  readonly reports: () => Promise<readonly ReplicaReport[]>;
  /** Wait after a publish before counting proxies (default 1.5 s: pushes and ACKs take about a second). */
  readonly settleMs?: number;
  /** How often to refresh anyway (default 5 s). */
  readonly periodMs?: number;
}

function describeIssues(issues: readonly ConfigIssue[]): string {
  const shown = issues
    .slice(0, MAX_ISSUES_IN_MESSAGE)
    .map(i => `${i.field === '' ? '' : `${i.field}: `}${i.message} (rule ${i.rule})`);
  const more = issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

function generationOf(object: { metadata?: { generation?: unknown } } | undefined): number | undefined {
  const generation = object?.metadata?.generation;
  return typeof generation === 'number' ? generation : undefined;
}

export class StatusWriter {
  private active = false;
  private timer: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private seq = 0;
  /** Publish sequence of each config version. */
  private readonly versionSeq = new Map<string, number>();
  /** Per document: the content served and the first publish that served it. */
  private readonly firstServed = new Map<string, { resourceVersion: string; seq: number }>();
  /** Status writes done (for tests and `/config`). */
  writes = 0;

  constructor(private readonly options: StatusWriterOptions) {}

  /** Called after each publish with the config version served. */
  published(version: string): void {
    const seq = ++this.seq;
    if (!this.versionSeq.has(version)) this.versionSeq.set(version, seq);
    if (this.versionSeq.size > MAX_VERSIONS) {
      const oldest = this.versionSeq.keys().next().value;
      if (oldest !== undefined) this.versionSeq.delete(oldest);
    }
    const served = this.options.admitted()?.served ?? new Map();
    for (const [uri, document] of served) {
      const known = this.firstServed.get(uri);
      if (known?.resourceVersion !== document.resourceVersion)
        this.firstServed.set(uri, { resourceVersion: document.resourceVersion, seq });
    }
    for (const uri of [...this.firstServed.keys()]) if (!served.has(uri)) this.firstServed.delete(uri);
    this.schedule(this.options.settleMs ?? 1500);
  }

  /** Starts (leader) or stops (follower) writing. */
  setActive(active: boolean): void {
    this.active = active;
    clearInterval(this.periodic);
    clearTimeout(this.timer);
    if (!active) return;
    this.periodic = setInterval(() => this.schedule(0), this.options.periodMs ?? 5000);
    this.periodic.unref();
    this.schedule(0);
  }

  stop(): void {
    this.setActive(false);
  }

  private schedule(ms: number): void {
    if (!this.active) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.round(), ms);
    this.timer.unref();
  }

  /** The status `object` should have now; undefined when it is not known to the config. */
  desired(kind: AerakiKind, object: KubeObject, reports: readonly ReplicaReport[]): ObjectStatus | undefined {
    const admitted = this.options.admitted();
    const generation = generationOf(object);
    if (admitted === undefined || generation === undefined) return undefined;
    const uri = objectUri(kind.kind, object);
    const rejected = admitted.rejected.get(uri);
    const served = admitted.served.get(uri);
    if (rejected === undefined && served === undefined) return undefined;
    const first = this.firstServed.get(uri);
    let proxies = 0;
    if (served !== undefined && first !== undefined) {
      for (const report of reports) {
        const seq = report.version === undefined ? undefined : this.versionSeq.get(report.version);
        if (seq !== undefined && seq >= first.seq) proxies += report.proxies;
      }
    }
    const servedGeneration = generationOf(served?.data as KubeObject | undefined);
    const previous = (
      (object['status'] as { conditions?: AcceptedCondition[] } | undefined)?.conditions ?? []
    ).find(c => c.type === 'Accepted');
    const status: AcceptedCondition['status'] = rejected === undefined ? 'True' : 'False';
    const message =
      rejected === undefined
        ? `generation ${generation} is served`
        : `${describeIssues(rejected)}; ${
            served !== undefined && servedGeneration !== generation
              ? `generation ${servedGeneration ?? '?'} keeps serving`
              : 'nothing of it is served'
          }`;
    const condition: AcceptedCondition = {
      type: 'Accepted',
      status,
      reason: rejected === undefined ? 'Accepted' : 'Invalid',
      message,
      observedGeneration: generation,
      lastTransitionTime:
        previous?.status === status
          ? previous.lastTransitionTime
          : new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    return {
      observedGeneration: generation,
      proxies: served === undefined ? 0 : proxies,
      conditions: [condition],
    };
  }

  private async round(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      const reports = await this.options.reports().catch((err: unknown) => {
        this.options.logger.warn({ err: (err as Error).message }, 'could not read the replicas’ reports');
        return [] as ReplicaReport[];
      });
      for (const kind of AERAKI_KINDS) {
        for (const object of this.options.objects(kind.kind)) {
          if (!this.active) return;
          const status = this.desired(kind, object, reports);
          if (status === undefined || sameStatus(object['status'], status)) continue;
          await this.write(kind, object, status);
        }
      }
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.schedule(0);
      }
    }
  }

  private async write(kind: AerakiKind, object: KubeObject, status: ObjectStatus): Promise<void> {
    const meta = object.metadata ?? {};
    const path = `${collectionPath(kind, kind.crdVersion, kind.namespaced ? meta.namespace : undefined)}/${encodeURIComponent(meta.name ?? '')}/status`;
    try {
      await this.options.client.request('PATCH', path, {
        body: { status },
        contentType: 'application/merge-patch+json',
      });
      this.writes++;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return; // deleted meanwhile
      this.options.logger.warn(
        { err: (err as Error).message, object: `${kind.kind} ${meta.namespace ?? ''}/${meta.name ?? ''}` },
        'status write failed',
      );
    }
  }
}

function sameStatus(current: unknown, desired: ObjectStatus): boolean {
  const status = current as Partial<ObjectStatus> | undefined;
  if (status?.observedGeneration !== desired.observedGeneration || status.proxies !== desired.proxies)
    return false;
  const a = status.conditions?.find(c => c.type === 'Accepted');
  const b = desired.conditions[0];
  return (
    a !== undefined &&
    b !== undefined &&
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.observedGeneration === b.observedGeneration
  );
}
