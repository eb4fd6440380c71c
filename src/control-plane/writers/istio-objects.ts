/**
 * Istio mode's writer: keeps the objects labelled `manager: Aeraki` — EnvoyFilters, gateway
 * VirtualServices (translate/istio/) and the sidecars' bootstrap ConfigMaps
 * (translate/istio/bootstrap-config.ts) — equal to what the served config and the injected
 * namespaces ask for. Only the leader writes.
 *
 * Each reconcile, debounced after the config changes (1 s quiet, 10 s at most, as the original), and
 * again every resync period (namespaces come and go; hand edits are undone):
 *
 * 1. the desired set is computed;
 * 2. the objects labelled `manager: Aeraki` are listed, every namespace, kind by kind;
 * 3. missing ones are created; ones whose content (`spec`, or a ConfigMap's `data`) or labels differ
 *    are replaced with the resourceVersion read, so that a concurrent change fails with 409 Conflict
 *    and the next round retries — nothing is written when nothing changed; ones no longer desired
 *    are deleted. Every write carries `fieldManager=aeraki`.
 *
 * Create, then update with optimistic concurrency, is what the original does (with field manager
 * `Aeraki`). A create that finds an object of the same name without our label (the original's
 * bootstrap ConfigMaps carry none) adopts it: the object is read and replaced with the label added.
 *
 * The original's EnvoyFilters carry the same label and names, so a control plane replacing it adopts
 * them: the first reconcile rewrites those whose content differs (the original's lowerCamelCase
 * values) and deletes the ones nothing asks for any more. A failed round is retried with backoff.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { Debouncer, type DebounceOptions } from '../cache/debouncer.js';
import {
  KubeApiError,
  type KubeClient,
  type KubeList,
  type KubeObject,
} from '../sources/kubernetes/kube-client.js';
import { collectionPath } from '../sources/kubernetes/kinds.js';
import { MANAGER_LABEL } from '../translate/istio/index.js';
import { RetryBackoff } from '../../net/retry-backoff.js';

/** The field manager of every write. */
export const FIELD_MANAGER = 'aeraki';

/** The original's debounce: 1 s quiet, 10 s at most. */
export const ISTIO_WRITE_DEBOUNCE: DebounceOptions = { quietPeriodMs: 1000, maxDelayMs: 10_000 };

/** How often the objects are compared again without a config change. */
export const DEFAULT_RESYNC_MS = 30_000;

/** A kind the writer owns objects of. */
export interface ManagedKind {
  readonly kind: 'EnvoyFilter' | 'VirtualService' | 'ConfigMap';
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** The top-level field that holds what the writer decides (`spec`, or `data` for ConfigMaps). */
  readonly content: 'spec' | 'data';
}

export const MANAGED_KINDS: readonly ManagedKind[] = [
  {
    kind: 'EnvoyFilter',
    group: 'networking.istio.io',
    version: 'v1alpha3',
    plural: 'envoyfilters',
    content: 'spec',
  },
  {
    kind: 'VirtualService',
    group: 'networking.istio.io',
    version: 'v1alpha3',
    plural: 'virtualservices',
    content: 'spec',
  },
  { kind: 'ConfigMap', group: '', version: 'v1', plural: 'configmaps', content: 'data' },
];

const SELECTOR = Object.entries(MANAGER_LABEL)
  .map(([k, v]) => `${k}=${v}`)
  .join(',');

/** An object the writer wants to exist, as it is to be written. */
export interface DesiredObject {
  readonly metadata: {
    readonly namespace: string;
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly spec?: unknown;
  readonly data?: unknown;
}

/** Everything wanted, by kind; undefined while it is not known yet (nothing is written then). */
export type DesiredObjects = Readonly<Record<ManagedKind['kind'], readonly DesiredObject[]>>;

/** What one reconcile did. */
export interface ReconcileResult {
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
  readonly unchanged: number;
  /** Objects that could not be written this round (e.g. their namespace does not exist). */
  readonly failed: number;
}

export interface IstioObjectWriterOptions {
  readonly client: KubeClient;
  readonly logger: Logger;
  /** What should exist now. */
  readonly desired: () => DesiredObjects | undefined;
  readonly debounce?: DebounceOptions;
  /** Compare again this often without a change (default 30 s; 0: never). */
  readonly resyncMs?: number;
}

function keyOf(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

function hasLabels(current: KubeObject, labels: Readonly<Record<string, string>>): boolean {
  const have = current.metadata?.labels ?? {};
  return Object.entries(labels).every(([k, v]) => have[k] === v);
}

export class IstioObjectWriter {
  private active = false;
  private running = false;
  private again = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new RetryBackoff({ initialMs: 500, maxMs: 30_000 });
  private readonly debouncer: Debouncer;
  /** Writes done (creates, updates, deletes), for tests and `/config`. */
  writes = 0;
  /** The last reconcile's outcome. */
  last: ReconcileResult | undefined;
  /** Resolves waiters once the reconcile in progress (or the next one) ends. */
  private settled: (() => void)[] = [];

  constructor(private readonly options: IstioObjectWriterOptions) {
    this.debouncer = new Debouncer(options.debounce ?? ISTIO_WRITE_DEBOUNCE, () => this.run());
  }

  /** Something the desired set depends on changed; the write follows once the changes settle. */
  changed(): void {
    if (this.active) this.debouncer.poke();
  }

  /** Starts (leader) or stops (follower) writing; a new leader reconciles at once. */
  setActive(active: boolean): void {
    this.active = active;
    clearTimeout(this.retryTimer);
    clearInterval(this.resyncTimer);
    this.debouncer.cancel();
    if (!active) return;
    const resync = this.options.resyncMs ?? DEFAULT_RESYNC_MS;
    if (resync > 0) {
      this.resyncTimer = setInterval(() => this.run(), resync);
      this.resyncTimer.unref();
    }
    this.run();
  }

  /** Resolves after the next reconcile ends (for tests). */
  whenSettled(): Promise<void> {
    return new Promise(resolve => this.settled.push(resolve));
  }

  stop(): void {
    this.setActive(false);
  }

  private run(): void {
    if (!this.active) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const desired = this.options.desired();
    if (desired === undefined) return;
    this.debouncer.cancel();
    clearTimeout(this.retryTimer);
    this.running = true;
    this.reconcile(desired).then(
      result => {
        this.last = result;
        if (result.created + result.updated + result.deleted > 0)
          this.options.logger.info({ ...result }, 'Istio objects reconciled');
        this.finish(result.failed > 0);
      },
      (err: unknown) => {
        this.options.logger.warn(
          { err: (err as Error).message },
          'could not reconcile Istio objects; retrying',
        );
        this.finish(true);
      },
    );
  }

  private finish(retry: boolean): void {
    this.running = false;
    if (!retry) this.backoff.reset();
    const waiters = this.settled;
    this.settled = [];
    for (const resolve of waiters) resolve();
    if (!this.active) return;
    if (this.again) {
      this.again = false;
      this.run();
    } else if (retry) {
      this.retryTimer = setTimeout(() => this.run(), this.backoff.next());
      this.retryTimer.unref();
    }
  }

  /** One round: list, then create, update and delete what differs. */
  async reconcile(desired: DesiredObjects): Promise<ReconcileResult> {
    const result = { created: 0, updated: 0, deleted: 0, unchanged: 0, failed: 0 };
    for (const kind of MANAGED_KINDS) {
      const existing = await this.list(kind);
      const wanted = new Map(desired[kind.kind].map(d => [keyOf(d.metadata.namespace, d.metadata.name), d]));
      for (const [key, object] of wanted) {
        if (!this.active) return result;
        try {
          const outcome = await this.converge(kind, existing.get(key), object);
          result[outcome]++;
        } catch (err) {
          result.failed++;
          this.options.logger.warn(
            { err: (err as Error).message, object: key, kind: kind.kind },
            'Istio object not written',
          );
        }
      }
      for (const [key, current] of existing) {
        if (wanted.has(key) || !this.active) continue;
        try {
          await this.options.client.request(
            'DELETE',
            this.objectPath(kind, current.metadata?.namespace, current.metadata?.name),
            {
              // Only the object listed: one changed since (relabelled, say) is left for the next round.
              body: {
                apiVersion: 'v1',
                kind: 'DeleteOptions',
                preconditions: { resourceVersion: current.metadata?.resourceVersion },
              },
            },
          );
          this.writes++;
          result.deleted++;
        } catch (err) {
          if (err instanceof KubeApiError && err.status === 404) continue;
          result.failed++;
          this.options.logger.warn(
            { err: (err as Error).message, object: key, kind: kind.kind },
            'Istio object not deleted',
          );
        }
      }
    }
    return result;
  }

  /** Brings one object to what is desired; says what it did. */
  private async converge(
    kind: ManagedKind,
    current: KubeObject | undefined,
    object: DesiredObject,
  ): Promise<'created' | 'updated' | 'unchanged'> {
    if (current === undefined) {
      try {
        await this.write(kind, 'POST', this.body(kind, object));
        return 'created';
      } catch (err) {
        if (!(err instanceof KubeApiError && err.status === 409)) throw err;
        // There already, without our label: adopt it.
        const found = await this.options.client.request<KubeObject>(
          'GET',
          this.objectPath(kind, object.metadata.namespace, object.metadata.name),
        );
        await this.replace(kind, found, object);
        return 'updated';
      }
    }
    if (
      isDeepStrictEqual(current[kind.content] ?? {}, object[kind.content] ?? {}) &&
      hasLabels(current, object.metadata.labels)
    )
      return 'unchanged';
    await this.replace(kind, current, object);
    return 'updated';
  }

  /** Replaces `current` with `object`, keeping its other labels and annotations. */
  private async replace(kind: ManagedKind, current: KubeObject, object: DesiredObject): Promise<void> {
    const { managedFields: _managed, ...meta } = current.metadata ?? {};
    const metadata = {
      ...meta,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      labels: { ...current.metadata?.labels, ...object.metadata.labels },
    };
    await this.write(kind, 'PUT', { ...this.body(kind, object), metadata });
  }

  private body(kind: ManagedKind, object: DesiredObject): Record<string, unknown> {
    return {
      apiVersion: kind.group === '' ? kind.version : `${kind.group}/${kind.version}`,
      kind: kind.kind,
      metadata: object.metadata,
      [kind.content]: object[kind.content],
    };
  }

  private objectPath(kind: ManagedKind, namespace: string | undefined, name: string | undefined): string {
    return `${collectionPath(kind, kind.version, namespace ?? '')}/${encodeURIComponent(name ?? '')}`;
  }

  private async write(
    kind: ManagedKind,
    method: 'POST' | 'PUT',
    body: Record<string, unknown>,
  ): Promise<void> {
    const { namespace, name } = body['metadata'] as { namespace: string; name: string };
    const path =
      method === 'POST'
        ? collectionPath(kind, kind.version, namespace)
        : this.objectPath(kind, namespace, name);
    await this.options.client.request(method, path, { query: { fieldManager: FIELD_MANAGER }, body });
    this.writes++;
  }

  /** Every object of `kind` labelled ours, by `namespace/name`, page by page. */
  private async list(kind: ManagedKind): Promise<Map<string, KubeObject>> {
    const out = new Map<string, KubeObject>();
    let token: string | undefined;
    do {
      const page = await this.options.client.request<KubeList>('GET', collectionPath(kind, kind.version), {
        query: { labelSelector: SELECTOR, limit: 500, continue: token },
      });
      for (const item of page.items ?? [])
        out.set(keyOf(item.metadata?.namespace, item.metadata?.name), item);
      token = page.metadata?.continue || undefined;
    } while (token !== undefined);
    return out;
  }
}
