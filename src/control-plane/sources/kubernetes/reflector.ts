/**
 * Keeps a local copy of one kind's objects in step with the API server, the way client-go's reflector
 * does, following the API concepts of list and watch:
 *
 * - **list** in pages (`limit` + `continue`), with no `resourceVersion` (a consistent read); a page
 *   whose continue token expired (410) restarts the list whole, without paging.
 * - **watch** from the list's `resourceVersion` with `allowWatchBookmarks=true` and a server-side
 *   `timeoutSeconds` drawn from [5, 10) minutes; every event and bookmark advances the version the
 *   next watch resumes from, so a closed watch (timeout, API server restart, network) resumes
 *   without a list and without missing an event.
 * - **410 Gone** (the version was compacted, as an ERROR event in the stream or as the watch's HTTP
 *   status) makes the next round list again; the store is replaced and the difference becomes the
 *   changes. client-node 1.4's Watch may report the stream's end before its last line (the ERROR
 *   event), so a watch that ends at once without events twice in a row is treated as expired too.
 * - failures back off (capped, full jitter); a kind the server does not serve (its CRD is not
 *   installed: 404) counts as empty and is looked for again with the same backoff.
 *
 * The store keeps what was last seen: while the API server is away, it (and the config built on it)
 * stays as it was.
 */
import type { Logger } from 'pino';
import { RetryBackoff, type BackoffPolicy } from '../../../net/retry-backoff.js';
import {
  KubeApiError,
  objectKey,
  type KubeClient,
  type KubeList,
  type KubeObject,
  type WatchEvent,
} from './kube-client.js';
import { collectionPath, type WatchedKind } from './kinds.js';

/** Page size of lists, as client-go's default. */
export const DEFAULT_PAGE_SIZE = 500;

/** Backoff of failed lists and watches: from up to 250 ms, doubling to at most 5 s. */
export const DEFAULT_REFLECTOR_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 5000 };

/** client-go's watch timeouts: a random duration in [5, 10) minutes, so watches do not end together. */
const MIN_WATCH_TIMEOUT_S = 300;

/** A watch that ends sooner than this without an event is suspect (see the file comment). */
const QUICK_END_MS = 1000;

export interface ReflectorOptions {
  readonly client: KubeClient;
  readonly kind: WatchedKind;
  readonly logger: Logger;
  /** Only this namespace (default: all). */
  readonly namespace?: string;
  /** e.g. `metadata.name=foo`. */
  readonly fieldSelector?: string;
  readonly pageSize?: number;
  readonly backoff?: BackoffPolicy;
  /** Called after each change to the store (an event, or a list that changed something). */
  readonly onChange: () => void;
  /** Called whenever the connection state changes (synced, failing, recovered). */
  readonly onState?: () => void;
  /** Random source for jitter and watch timeouts (tests). */
  readonly random?: () => number;
}

/** How a reflector is doing, for the admin API and `aeraki status`. */
export interface ReflectorState {
  readonly kind: string;
  /** The version read (`group/version`); absent until discovery answered. */
  readonly apiVersion?: string;
  /** True once the first list completed (a kind that is not served counts as listed, empty). */
  readonly synced: boolean;
  /** False when the API server does not serve the kind (its CRD is not installed). */
  readonly served: boolean;
  readonly objects: number;
  /** The resourceVersion the next watch resumes from. */
  readonly resourceVersion: string;
  readonly lists: number;
  readonly watches: number;
  /** Lists caused by 410 Gone. */
  readonly expired: number;
  /** The last failure, until the next success. */
  readonly lastError?: string;
}

/** One kind's list + watch loop and its store. */
export class Reflector {
  /** Objects by `namespace/name` (or `name`). */
  readonly store = new Map<string, KubeObject>();
  private resourceVersion = '';
  private version: string | undefined;
  private needList = true;
  private stopped = false;
  private synced = false;
  private served = true;
  private lists = 0;
  private watches = 0;
  private expired = 0;
  private quickEnds = 0;
  private lastError: string | undefined;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private readonly backoff: RetryBackoff;
  private readonly random: () => number;
  private readonly syncWaiters: Array<() => void> = [];
  private loop: Promise<void> | undefined;

  constructor(private readonly options: ReflectorOptions) {
    this.random = options.random ?? Math.random;
    this.backoff = new RetryBackoff(options.backoff ?? DEFAULT_REFLECTOR_BACKOFF, this.random);
  }

  get kind(): WatchedKind {
    return this.options.kind;
  }

  /** Starts the loop; resolves at once. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves once the first list is done (immediately if it is). */
  whenSynced(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise(resolve => this.syncWaiters.push(resolve));
  }

  /** Stops watching; the store keeps its objects. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  state(): ReflectorState {
    return {
      kind: this.options.kind.kind,
      ...(this.version === undefined ? {} : { apiVersion: this.apiVersion(this.version) }),
      synced: this.synced,
      served: this.served,
      objects: this.store.size,
      resourceVersion: this.resourceVersion,
      lists: this.lists,
      watches: this.watches,
      expired: this.expired,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  private apiVersion(version: string): string {
    const group = this.options.kind.group;
    return group === '' ? version : `${group}/${version}`;
  }

  private path(version: string): string {
    return collectionPath(this.options.kind, version, this.options.namespace);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.needList) await this.list();
        if (this.stopped) break;
        if (!this.served) {
          // Not installed: look again later (the CRD may be applied after the control plane starts).
          await this.sleep(this.backoff.next());
          continue;
        }
        await this.watchOnce();
      } catch (err) {
        if (this.stopped) break;
        this.failed(err);
        await this.sleep(this.backoff.next());
      }
    }
  }

  private failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.lastError !== message) {
      this.options.logger.warn(
        { kind: this.options.kind.kind, err: message },
        `Kubernetes ${this.options.kind.kind}: ${message}; retrying (the last objects read stay in use)`,
      );
    }
    this.lastError = message;
    this.options.onState?.();
  }

  private recovered(): void {
    if (this.lastError !== undefined) {
      this.options.logger.info(
        { kind: this.options.kind.kind },
        `Kubernetes ${this.options.kind.kind}: reconnected`,
      );
      this.lastError = undefined;
      this.options.onState?.();
    }
  }

  /** The first of the kind's versions that the server serves, or undefined when none is. */
  private async discoverVersion(): Promise<string | undefined> {
    const kind = this.options.kind;
    if (kind.group === '') return kind.versions[0];
    let group: { versions?: Array<{ version?: string }> };
    try {
      group = await this.options.client.request('GET', `/apis/${kind.group}`);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
    const served = new Set((group.versions ?? []).map(v => v.version));
    return kind.versions.find(v => served.has(v));
  }

  /** Lists every object (in pages) and replaces the store with them. */
  private async list(): Promise<void> {
    const version = this.version ?? (await this.discoverVersion());
    if (version === undefined) {
      this.markServed(false);
      return;
    }
    let items: KubeObject[];
    let resourceVersion: string;
    try {
      ({ items, resourceVersion } = await this.listAll(version, this.options.pageSize ?? DEFAULT_PAGE_SIZE));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 410) {
        // The continue token outlived the version it pins: list again, whole.
        ({ items, resourceVersion } = await this.listAll(version, 0));
      } else if (err instanceof KubeApiError && err.status === 404) {
        this.version = undefined;
        this.markServed(false);
        return;
      } else throw err;
    }
    this.version = version;
    this.lists++;
    this.resourceVersion = resourceVersion;
    this.needList = false;
    this.quickEnds = 0;
    const changed = this.replace(items);
    this.served = true;
    this.recovered();
    this.markSynced();
    if (changed) this.options.onChange();
  }

  /** A kind the server does not serve holds nothing. */
  private markServed(served: boolean): void {
    if (this.served !== served) {
      this.served = served;
      if (!served)
        this.options.logger.warn(
          { kind: this.options.kind.kind },
          `Kubernetes ${this.options.kind.kind}: not served by the API server (is its CRD installed?); treated as empty and looked for again`,
        );
    }
    this.needList = true;
    const hadObjects = this.store.size > 0;
    this.store.clear();
    this.recovered();
    this.markSynced();
    if (hadObjects) this.options.onChange();
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
    this.options.onState?.();
  }

  private async listAll(
    version: string,
    limit: number,
  ): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const items: KubeObject[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.options.client.request<KubeList>('GET', this.path(version), {
        query: {
          ...(limit > 0 ? { limit } : {}),
          ...(token === undefined ? {} : { continue: token }),
          ...(this.options.fieldSelector === undefined ? {} : { fieldSelector: this.options.fieldSelector }),
        },
      });
      for (const item of page.items ?? []) items.push(item);
      resourceVersion = page.metadata?.resourceVersion ?? '';
      token = page.metadata?.continue || undefined;
    } while (token !== undefined && !this.stopped);
    return { items, resourceVersion };
  }

  /** Replaces the store's content; true when anything changed. */
  private replace(items: readonly KubeObject[]): boolean {
    let changed = false;
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const old = this.store.get(key);
      if (old?.metadata?.resourceVersion !== item.metadata?.resourceVersion || old === undefined) {
        this.store.set(key, item);
        changed = true;
      }
    }
    for (const key of [...this.store.keys()]) {
      if (!seen.has(key)) {
        this.store.delete(key);
        changed = true;
      }
    }
    return changed;
  }

  /** One watch, from the current resourceVersion until the stream ends. */
  private async watchOnce(): Promise<void> {
    const version = this.version;
    if (version === undefined) {
      this.needList = true;
      return;
    }
    const started = Date.now();
    let events = 0;
    let failure: unknown;
    let gone = false;
    await new Promise<void>((resolve, reject) => {
      let current: AbortController | undefined;
      let ended = false;
      const onEvent = (event: WatchEvent): void => {
        if (ended || this.stopped) return;
        events++;
        if (event.type === 'ERROR') {
          if (event.object.code === 410) gone = true;
          else
            failure = new KubeApiError(
              `watch: ${event.object.message ?? 'error'}`,
              event.object.code ?? 0,
              event.object.reason ?? '',
            );
          return;
        }
        this.apply(event);
      };
      const onDone = (err: unknown): void => {
        if (ended) return;
        // The Watch may report the end before its last lines are handed over; let them land first.
        setImmediate(() => {
          ended = true;
          if (this.abort === current) this.abort = undefined;
          if (err !== null && err !== undefined && !this.stopped) {
            const status = (err as { statusCode?: number }).statusCode;
            if (status === 410) gone = true;
            else failure = err;
          }
          resolve();
        });
      };
      const timeoutSeconds = MIN_WATCH_TIMEOUT_S + Math.floor(this.random() * MIN_WATCH_TIMEOUT_S);
      this.options.client
        .watch(
          this.path(version),
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds,
            ...(this.options.fieldSelector === undefined
              ? {}
              : { fieldSelector: this.options.fieldSelector }),
          },
          onEvent,
          onDone,
        )
        .then(controller => {
          current = controller;
          if (ended) return;
          this.abort = controller;
          if (this.stopped) controller.abort();
        }, reject);
    });
    this.watches++;
    if (gone) {
      this.expired++;
      this.needList = true;
      this.options.logger.info(
        { kind: this.options.kind.kind, resourceVersion: this.resourceVersion },
        `Kubernetes ${this.options.kind.kind}: watch expired (410 Gone); listing again`,
      );
      return;
    }
    if (failure !== undefined) {
      const status = (failure as { statusCode?: number; status?: number }).statusCode;
      if (status === 404) {
        this.version = undefined;
        this.markServed(false);
        return;
      }
      throw failure instanceof Error ? failure : new Error(String(failure));
    }
    if (events === 0 && Date.now() - started < QUICK_END_MS && !this.stopped) {
      // An immediate end with nothing said: the stream's ERROR line may have been lost (see above).
      if (++this.quickEnds >= 2) this.needList = true;
      await this.sleep(this.backoff.next());
      return;
    }
    this.quickEnds = 0;
    this.backoff.reset();
    this.recovered();
  }

  private apply(event: WatchEvent): void {
    const object = event.object;
    const resourceVersion = object.metadata?.resourceVersion;
    if (resourceVersion !== undefined && resourceVersion !== '') this.resourceVersion = resourceVersion;
    if (event.type === 'BOOKMARK') return;
    const key = objectKey(object);
    if (event.type === 'DELETED') {
      if (this.store.delete(key)) this.options.onChange();
      return;
    }
    this.store.set(key, object);
    this.options.onChange();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise(resolve => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
