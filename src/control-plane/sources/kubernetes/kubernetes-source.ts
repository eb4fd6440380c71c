/**
 * Config from the Kubernetes API: one {@link Reflector} (list + watch) per kind of the table in
 * kinds.ts, whose objects are handed over as documents, exactly as the file source hands over YAML
 * documents, so that validation and translation do not care where config lives. A document's `file`
 * is a URI, `k8s://<Kind>/<namespace>/<name>` (`k8s://<Kind>/<name>` for cluster-scoped kinds).
 *
 * - Istio and Aeraki objects become documents as they are, without `status` (which the leader
 *   writes: a status write is no config change) and without the fields the API server keeps for
 *   itself (managedFields, kubectl's last-applied annotation).
 * - A Service with a port named for a protocol Aeraki serves becomes a ServiceEntry with its
 *   EndpointSlices' ready addresses (see service-entries.ts), unless a ServiceEntry names its host.
 * - Secrets are read only when config refers to them, each by its own list + watch narrowed to its
 *   name, and handed over as documents of kind Secret.
 * - Namespaces are kept (for scoping), not handed over.
 *
 * While the API server is away, the reflectors keep what they last read and so does the config; when
 * it is back they resume (or list again on 410) and a change arrives as usual.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { BackoffPolicy } from '../../../net/retry-backoff.js';
import type { ConfigSource, SourceDocument, SourceSnapshot, SourceWatch } from '../config-source.js';
import { objectKey, type KubeClient, type KubeObject } from './kube-client.js';
import { WATCHED_KINDS, type AerakiKind, type WatchedKind } from './kinds.js';
import { Reflector, type ReflectorState } from './reflector.js';
import { SERVICE_NAME_LABEL, serviceHost, syntheticServiceEntry } from './service-entries.js';

/** How long the API must be quiet before a change is built: `kubectl apply -f dir` sends a burst. */
export const DEFAULT_KUBERNETES_DEBOUNCE_MS = 50;
/** The longest a change waits while events keep coming. */
export const DEFAULT_KUBERNETES_MAX_DELAY_MS = 250;
/** How long a snapshot waits for Secrets that config just started to refer to. */
const SECRET_SYNC_WAIT_MS = 2000;

export interface KubernetesSourceOptions {
  readonly client: KubeClient;
  readonly logger: Logger;
  /** The cluster's DNS domain, for the hosts of Services (default `cluster.local`). */
  readonly clusterDomain?: string;
  readonly debounceMs?: number;
  readonly maxDelayMs?: number;
  /** List page size (default 500). */
  readonly pageSize?: number;
  readonly backoff?: BackoffPolicy;
  /** The kinds to read (default: all of {@link WATCHED_KINDS}). */
  readonly kinds?: readonly WatchedKind[];
}

/** How the source is doing: `GET /config`'s `kubernetes` field. */
export interface KubernetesSourceState {
  readonly server: string;
  readonly kinds: readonly ReflectorState[];
}

/** A document and the content it was made from (reused while the content is the same). */
interface CachedDocument {
  readonly digest: string;
  readonly document: SourceDocument;
}

const AT_START = { line: 1, column: 1 };

/** `k8s://Kind/ns/name` or `k8s://Kind/name`. */
export function objectUri(kind: string, object: KubeObject): string {
  return `k8s://${kind}/${objectKey(object)}`;
}

/** The object as config: no status, no fields the API server keeps for itself. */
function configData(object: KubeObject, kind: WatchedKind): Record<string, unknown> {
  const { status: _status, ...rest } = object as Record<string, unknown>;
  const meta = { ...(object.metadata ?? {}) } as Record<string, unknown>;
  delete meta['managedFields'];
  delete meta['resourceVersion'];
  const annotations = meta['annotations'] as Record<string, string> | undefined;
  if (annotations?.['kubectl.kubernetes.io/last-applied-configuration'] !== undefined) {
    const { ['kubectl.kubernetes.io/last-applied-configuration']: _applied, ...others } = annotations;
    if (Object.keys(others).length === 0) delete meta['annotations'];
    else meta['annotations'] = others;
  }
  return { ...rest, apiVersion: object.apiVersion, kind: object.kind ?? kind.kind, metadata: meta };
}

function digestOf(data: unknown): string {
  return createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 32);
}

export class KubernetesSource implements ConfigSource {
  private readonly reflectors = new Map<string, Reflector>();
  /** Secret reflectors by `namespace/name`. */
  private readonly secrets = new Map<string, Reflector>();
  private readonly documents = new Map<string, CachedDocument>();
  private readonly listeners = new Set<(snapshot: SourceSnapshot) => void>();
  private lastVersion: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private firstPending = 0;
  private started = false;
  private closed = false;
  private readonly clusterDomain: string;

  constructor(private readonly options: KubernetesSourceOptions) {
    this.clusterDomain = options.clusterDomain ?? 'cluster.local';
    for (const kind of options.kinds ?? WATCHED_KINDS) {
      if (kind.role === 'referenced-secret') continue;
      this.reflectors.set(kind.kind, this.reflector(kind));
    }
  }

  private reflector(kind: WatchedKind, namespace?: string, name?: string): Reflector {
    return new Reflector({
      client: this.options.client,
      kind,
      logger: this.options.logger,
      ...(namespace === undefined ? {} : { namespace }),
      ...(name === undefined ? {} : { fieldSelector: `metadata.name=${name}` }),
      ...(this.options.pageSize === undefined ? {} : { pageSize: this.options.pageSize }),
      ...(this.options.backoff === undefined ? {} : { backoff: this.options.backoff }),
      onChange: () => this.changed(),
    });
  }

  /** Starts every reflector and resolves when each has listed once. */
  private async startAll(): Promise<void> {
    if (!this.started) {
      this.started = true;
      for (const reflector of this.reflectors.values()) reflector.start();
    }
    await Promise.all([...this.reflectors.values()].map(r => r.whenSynced()));
  }

  async list(): Promise<SourceSnapshot> {
    await this.startAll();
    await this.syncSecrets();
    const snapshot = this.snapshot();
    this.lastVersion = snapshot.version;
    return snapshot;
  }

  watch(onChange: (snapshot: SourceSnapshot) => void): SourceWatch {
    this.listeners.add(onChange);
    // A change between list() and now was held back for want of a listener: look again.
    void this.startAll().then(() => this.changed());
    return {
      close: () => {
        this.listeners.delete(onChange);
        if (this.listeners.size === 0) void this.close();
      },
    };
  }

  /** Stops every watch. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await Promise.all([...this.reflectors.values(), ...this.secrets.values()].map(r => r.stop()));
  }

  state(): KubernetesSourceState {
    return {
      server: this.options.client.server,
      kinds: [...this.reflectors.values(), ...this.secrets.values()].map(r => r.state()),
    };
  }

  /** The objects of `kind` as last read (empty for a kind not watched). */
  objects(kind: string): readonly KubeObject[] {
    return [...(this.reflectors.get(kind)?.store.values() ?? [])];
  }

  private changed(): void {
    if (this.closed) return;
    const now = Date.now();
    if (this.timer === undefined) this.firstPending = now;
    clearTimeout(this.timer);
    const maxDelay = this.options.maxDelayMs ?? DEFAULT_KUBERNETES_MAX_DELAY_MS;
    const wait = Math.min(
      this.options.debounceMs ?? DEFAULT_KUBERNETES_DEBOUNCE_MS,
      Math.max(0, this.firstPending + maxDelay - now),
    );
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.deliver();
    }, wait);
  }

  private async deliver(): Promise<void> {
    if (this.closed || this.listeners.size === 0) return;
    await this.syncSecrets();
    const snapshot = this.snapshot();
    if (snapshot.version === this.lastVersion) return;
    this.lastVersion = snapshot.version;
    for (const listener of this.listeners) listener(snapshot);
  }

  /**
   * Starts reflectors for Secrets config now refers to and stops those it no longer does. Resolves
   * true when it started any (after they listed, or a short wait), so the caller builds again.
   */
  private async syncSecrets(): Promise<boolean> {
    const wanted = new Set<string>();
    for (const kind of (this.options.kinds ?? WATCHED_KINDS) as ReadonlyArray<
      WatchedKind & Partial<AerakiKind>
    >) {
      if (kind.secretReferences === undefined) continue;
      for (const object of this.reflectors.get(kind.kind)?.store.values() ?? []) {
        const namespace = object.metadata?.namespace ?? 'default';
        for (const name of kind.secretReferences(object as { spec?: unknown }))
          wanted.add(`${namespace}/${name}`);
      }
    }
    const secretKind = (this.options.kinds ?? WATCHED_KINDS).find(k => k.role === 'referenced-secret');
    if (secretKind === undefined) return false;
    const started: Reflector[] = [];
    for (const key of wanted) {
      if (this.secrets.has(key)) continue;
      const [namespace = '', name = ''] = key.split('/');
      const reflector = this.reflector(secretKind, namespace, name);
      this.secrets.set(key, reflector);
      reflector.start();
      started.push(reflector);
    }
    for (const [key, reflector] of this.secrets) {
      if (wanted.has(key)) continue;
      this.secrets.delete(key);
      void reflector.stop();
    }
    if (started.length === 0) return false;
    await Promise.race([
      Promise.all(started.map(r => r.whenSynced())),
      new Promise(resolve => setTimeout(resolve, SECRET_SYNC_WAIT_MS).unref()),
    ]);
    return true;
  }

  /** Everything read so far, as documents, in URI order. */
  private snapshot(): SourceSnapshot {
    const documents: SourceDocument[] = [];
    const seen = new Set<string>();
    const add = (uri: string, data: Record<string, unknown>, origin: string): void => {
      seen.add(uri);
      const digest = digestOf(data);
      const cached = this.documents.get(uri);
      if (cached !== undefined && cached.digest === digest) {
        documents.push(cached.document);
        return;
      }
      const document: SourceDocument = {
        file: uri,
        documentIndex: 0,
        resourceVersion: `${origin}:${digest}`,
        locate: () => AT_START,
        data,
      };
      this.documents.set(uri, { digest, document });
      documents.push(document);
    };

    const explicitHosts = new Set<string>();
    for (const reflector of this.reflectors.values()) {
      const kind = reflector.kind;
      if (kind.role !== 'config') continue;
      for (const object of reflector.store.values()) {
        add(objectUri(kind.kind, object), configData(object, kind), kind.kind);
        if (kind.kind === 'ServiceEntry') {
          const hosts = (object['spec'] as { hosts?: unknown } | undefined)?.hosts;
          if (Array.isArray(hosts)) for (const host of hosts) explicitHosts.add(String(host));
        }
      }
    }
    this.addServices(explicitHosts, add);
    for (const reflector of this.secrets.values()) {
      for (const object of reflector.store.values())
        add(objectUri('Secret', object), configData(object, reflector.kind), 'Secret');
    }

    for (const uri of [...this.documents.keys()]) if (!seen.has(uri)) this.documents.delete(uri);
    documents.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    const hash = createHash('sha256');
    for (const document of documents) hash.update(`${document.file}\0${document.resourceVersion}\n`);
    return {
      documents,
      issues: [],
      files: documents.map(d => d.file),
      version: hash.digest('hex').slice(0, 16),
    };
  }

  private addServices(
    explicitHosts: ReadonlySet<string>,
    add: (uri: string, data: Record<string, unknown>, origin: string) => void,
  ): void {
    const services = this.reflectors.get('Service');
    if (services === undefined) return;
    const slicesByService = new Map<string, KubeObject[]>();
    for (const slice of this.reflectors.get('EndpointSlice')?.store.values() ?? []) {
      const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (service === undefined) continue;
      const key = `${slice.metadata?.namespace ?? ''}/${service}`;
      const list = slicesByService.get(key) ?? [];
      list.push(slice);
      slicesByService.set(key, list);
    }
    for (const service of services.store.values()) {
      const meta = service.metadata ?? {};
      if (explicitHosts.has(serviceHost(meta.name ?? '', meta.namespace ?? '', this.clusterDomain))) continue;
      const entry = syntheticServiceEntry(
        service,
        slicesByService.get(objectKey(service)) ?? [],
        this.clusterDomain,
      );
      if (entry !== undefined) add(objectUri('Service', service), entry, 'Service');
    }
  }
}
