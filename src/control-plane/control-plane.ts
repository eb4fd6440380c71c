import type { Logger } from 'pino';
import type { SecureContextOptions } from 'node:tls';
import type { ProxySnapshot } from '../xds/resources.js';
import type { ConfigIssue } from '../api/index.js';
import { formatIssue } from '../api/issue-format.js';
import type { DebounceOptions } from './cache/debouncer.js';
import { ResourceEncoder } from './cache/resource-encoder.js';
import { ResourceSnapshot } from './cache/resource-snapshot.js';
import { loadConfig, watchConfig } from './load-config.js';
import { withCodecIssues, type ApplicationProtocolCheck } from './model/codec-issues.js';
import type { LoadedConfig } from './model/config-set.js';
import { withFilterIssues, type FilterConfigCheck } from './model/filter-issues.js';
import type { ConfigLoader } from './config-loader.js';
import type { SourceWatch } from './sources/config-source.js';
import type { FileSourceOptions, WatchStatus } from './sources/file-source.js';
import { ControlPlaneMetrics } from './control-plane-metrics.js';
import { ALL_NODES } from './cache/snapshot-cache.js';
import { ConfigIndex } from './model/config-index.js';
import type { ConfigSet } from './model/config-set.js';
import { DEFAULT_MESH_OPTIONS, type MeshOptions } from './model/mesh-options.js';
import { proxyInfoFromNode, scopeNamespace, type ProxyIdentity, type ProxyInfo } from './model/proxy-info.js';
import { ScopeIndex, type ProxyScope, type VisibilityExplanation } from './model/proxy-scope.js';
import { EVERY_SCOPE, scopeChanges, scopeMayChange, type ScopeChanges } from './model/scope-changes.js';
import {
  AdsServer,
  AuthenticatorChain,
  DEFAULT_TRUST_DOMAIN,
  DEFAULT_XDS_PORT,
  ReloadingCertificates,
  SpiffeCertificateAuthenticator,
  type NodeScope,
  type StreamScoper,
  type TlsFiles,
  type XdsAuthenticator,
} from './server/index.js';
import { translateScope } from './translate/translate.js';
import { TranslationMemo } from './translate/translation-memo.js';
import type { XdsNode } from '../xds/index.js';

export interface ControlPlaneOptions {
  /** The config directory (the embedded default config store). */
  readonly dir: string;
  readonly logger: Logger;
  /** Watch `dir` and push changes (default true). */
  readonly watch?: boolean;
  /** How pushes to proxies are debounced (default 100 ms quiet, 1 s at most). */
  readonly debounce?: DebounceOptions;
  /**
   * How the directory is read and watched (re-scan period, limits). Trouble that delays changes (a
   * directory that cannot be watched) is logged unless `onError` is given.
   */
  readonly source?: FileSourceOptions;
  /**
   * Called between the stages of the first load (reading and validating, translating, encoding) and
   * after it: given V8's `gc`, each stage's garbage is collected before the next allocates, and
   * loading 10,000 services peaks at 382 instead of 475 MiB for about the same time. Reloads do
   * without (a collection per edit costs more than the edit).
   */
  readonly collectGarbage?: () => void;
  /**
   * The codec names the proxies are known to have: an ApplicationProtocol naming another gets a
   * warning (its listeners are served only by proxies with a plugin for it). Default: not checked.
   */
  readonly knownCodecs?: readonly string[];
  /** Checks of ApplicationProtocols' codec settings (a declarative codec's description); default none. */
  readonly checkApplicationProtocol?: ApplicationProtocolCheck;
  /** The mesh settings that scope proxies (root namespace, default exportTo); Istio's defaults. */
  readonly mesh?: MeshOptions;
  /**
   * What the filters the proxies are known to have say of MetaRouters' `spec.filters`: an unknown
   * filter gets a warning, a config its schema refuses an error. Default: not checked.
   */
  readonly checkFilter?: FilterConfigCheck;
  /**
   * Where config comes from instead of the directory `dir` (the Kubernetes API); `dir` then only
   * names it in `/config`.
   */
  readonly loader?: ConfigLoader;
  /** Called after each load that was published (its config served), with the version served. */
  readonly onPublished?: (published: PublishedConfig) => void;
}

/** A config that was published: what was loaded and the xDS snapshot version it is served as. */
export interface PublishedConfig {
  readonly loaded: LoadedConfig;
  readonly version: string;
}

/** The TLS xDS port: where, its certificate files, and how proxies authenticate. */
export interface XdsTlsOptions extends TlsFiles {
  readonly host: string;
  readonly port: number;
  /** SPIFFE trust domains of client certificates accepted (default `cluster.local`). */
  readonly trustDomains?: readonly string[];
  /**
   * Authenticators tried after the client-certificate one (a Kubernetes TokenReview authenticator
   * of projected service-account tokens), in order.
   */
  readonly authenticators?: readonly XdsAuthenticator[];
  /** How often the certificate files are read again besides watching them (default 2 s). */
  readonly pollIntervalMs?: number;
}

/** A certificate, its key and the CA bundle client certificates must chain to, in PEM. */
export interface TlsPem {
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
}

/** A scope of proxies served: its translation's encoder and the snapshot served to it. */
interface ScopeState {
  readonly encoder: ResourceEncoder;
  readonly resources: ResourceSnapshot;
  /** The clusters its routes name that it may not see (see translateScope). */
  readonly invisibleClusters: ReadonlySet<string>;
}

const nothing = (): void => {};

/** The outcome of loading the config directory once. */
export interface ConfigLoad {
  readonly issues: readonly ConfigIssue[];
  /** Present when the config had no errors and was published. */
  readonly snapshot?: ProxySnapshot;
  /** Why a config without errors was not published: a translation the cache refuses, or encoding failed. */
  readonly failure?: Error;
}

/** The outcome of the last load of the config directory, for the admin API. */
export interface LastConfigLoad {
  /** When it was read (ISO 8601). */
  readonly at: string;
  /** `accepted`: served (or the same as served); `rejected`: it had errors; `failed`: it could not be served. */
  readonly result: 'accepted' | 'rejected' | 'failed';
  readonly errors: number;
  readonly warnings: number;
  /** The first errors (at most {@link MAX_REPORTED_ISSUES}), or why serving failed. */
  readonly issues: readonly ConfigIssue[];
  readonly failure?: string;
  /** Objects left out (or serving their last accepted version) for their errors, where admission is per object. */
  readonly leftOut?: number;
}

/** The config being served and where it came from: `GET /config` of the control plane's admin API. */
export interface ConfigStatus {
  /** The config directory (or file). */
  readonly dir: string;
  /** Version of the xDS snapshot served (what `aeraki status` shows as sent); absent before the first. */
  readonly version?: string;
  /** When the config served was read (ISO 8601): the last load that was accepted. */
  readonly loadedAt?: string;
  /** How many files it was read from. */
  readonly fileCount: number;
  /** The files it was read from, in the order read. */
  readonly files: readonly string[];
  /** The last load, accepted or not: a rejected edit shows here while the config above keeps serving. */
  readonly lastLoad?: LastConfigLoad;
  /** How the directory is watched; absent when it is not. */
  readonly watch?: WatchStatus;
  /** How a config source other than a directory is doing (the Kubernetes API's lists and watches). */
  readonly source?: unknown;
}

/** Errors of a refused load listed in {@link LastConfigLoad.issues}. */
export const MAX_REPORTED_ISSUES = 20;

/** Errors of a refused load logged one by one (the count is always logged). */
const MAX_LOGGED_ISSUES = 100;

/**
 * The control plane: a config source (a watched YAML directory) → validation → translation →
 * versioned snapshots → the ADS server. A bad edit is reported and the last good config keeps being
 * served.
 */
export class ControlPlane implements StreamScoper {
  readonly server: AdsServer;
  private watcher: SourceWatch | undefined;
  private current: ProxySnapshot | undefined;
  /** Version of the xDS snapshot handed to the server (per-type versions from resource digests). */
  private servedVersion: string | undefined;
  private readonly encoder = new ResourceEncoder();
  /** The xDS snapshot being served: the next keeps the types an edit left unchanged. */
  private resources: ResourceSnapshot | undefined;
  /** What the last translation built: a reload rebuilds only what its edit touched. */
  private readonly memo = new TranslationMemo();
  /** The files and load time of the config served, and the last load's outcome. */
  private served: { readonly loadedAt: string; readonly files: readonly string[] } | undefined;
  private lastLoad: LastConfigLoad | undefined;
  private watchStatus: (() => WatchStatus) | undefined;
  /** The config served and its visibility, for scoping proxies. */
  private servedConfig: { readonly config: ConfigSet; readonly index: ConfigIndex } | undefined;
  private scopeIndex: ScopeIndex | undefined;
  /** The scopes of proxies served, by snapshot key. */
  private scopes = new Map<string, ScopeState>();
  /** The scopes a publish is building (the streams' keys worked out again). */
  private nextScopes: Map<string, ScopeState> | undefined;
  /** What the config a publish is building changed: the scopes it cannot change keep their snapshot. */
  private changes: ScopeChanges = EVERY_SCOPE;
  private certificates: ReloadingCertificates | undefined;
  /**
   * The config served whose whole-mesh (`*`) snapshot is not made yet. Only proxies without a
   * namespace are served `*`: while none is connected, an edit translates and encodes just the scopes
   * it affects, and `*` is made when asked for (a proxy without a namespace connects, the admin API
   * shows the snapshot or its version).
   */
  private unscopedPending: { readonly config: ConfigSet; readonly index: ConfigIndex } | undefined;

  /** Pushes, ACK/NACK latencies, connected proxies, config reloads (Prometheus). */
  readonly metrics: ControlPlaneMetrics;

  constructor(private readonly options: ControlPlaneOptions) {
    // The server is built after the metrics it reports to; the gauge reads the server when scraped.
    const metrics = new ControlPlaneMetrics(() => this.server.connectedProxies());
    this.metrics = metrics;
    this.server = new AdsServer({
      logger: options.logger,
      controlPlaneId: `aeraki-${process.pid}`,
      observer: metrics,
      scoper: this,
      ...(options.debounce === undefined ? {} : { debounce: options.debounce }),
    });
  }

  private get mesh(): MeshOptions {
    return this.options.mesh ?? DEFAULT_MESH_OPTIONS;
  }

  /**
   * Serves xDS with TLS too (the plaintext port is `start`'s): the certificate, key and CA are read
   * from files, and read again whenever they change; proxies authenticate with a client certificate
   * carrying their SPIFFE ID (then `options.authenticators`), and are scoped by that identity's
   * namespace whatever their node claims. Resolves with the bound port.
   */
  async listenTls(options: XdsTlsOptions): Promise<number> {
    const logger = this.options.logger;
    const certificates = new ReloadingCertificates(options, {
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      onReload: context => {
        this.server.setTlsContext(context);
        logger.info({ cert: options.certFile }, 'xDS TLS certificate reloaded');
      },
      onError: err => logger.warn({ err }, `${err.message}; the previous certificate keeps serving`),
    });
    const port = await this.startTls(options, await certificates.load());
    certificates.start();
    this.certificates = certificates;
    return port;
  }

  /**
   * The TLS xDS port with a certificate given in memory (on Kubernetes, kept in a Secret) instead of
   * files; it is served until the control plane stops.
   */
  listenTlsWith(
    options: Omit<XdsTlsOptions, keyof TlsFiles | 'pollIntervalMs'>,
    pem: TlsPem,
  ): Promise<number> {
    return this.startTls(options, { cert: pem.certPem, key: pem.keyPem, ca: pem.caPem });
  }

  private startTls(
    options: Omit<XdsTlsOptions, keyof TlsFiles | 'pollIntervalMs'>,
    context: SecureContextOptions,
  ): Promise<number> {
    const chain = new AuthenticatorChain([
      new SpiffeCertificateAuthenticator(options.trustDomains ?? [DEFAULT_TRUST_DOMAIN]),
      ...(options.authenticators ?? []),
    ]);
    return this.server.startTls(options.host, options.port, context, chain);
  }

  /** StreamScoper: the snapshot key of a proxy's scope, its snapshot made first if it has none. */
  keyFor(node: XdsNode, identity: ProxyIdentity | undefined): string {
    const scope = this.scopeIndex?.scopeOf(proxyInfoFromNode(node, identity));
    if (scope === undefined) {
      // Made now and published at once: the stream's first response must carry the config served.
      if (this.unscopedPending !== undefined && this.makeUnscoped()) this.server.cache.publishNow(ALL_NODES);
      return ALL_NODES;
    }
    this.ensureScope(scope);
    return scope.key;
  }

  /** StreamScoper: what the status shows of a proxy's scope. */
  describe(node: XdsNode, identity: ProxyIdentity | undefined): NodeScope {
    const info = proxyInfoFromNode(node, identity);
    const namespace = scopeNamespace(info);
    const sidecar =
      namespace === undefined ? undefined : this.scopeIndex?.sidecarFor(namespace, info.labels)?.key;
    return {
      ...(namespace === undefined ? {} : { namespace }),
      ...(info.claimedNamespace !== undefined && info.claimedNamespace !== namespace
        ? { claimedNamespace: info.claimedNamespace }
        : {}),
      ...(info.workload === undefined ? {} : { workload: info.workload }),
      ...(sidecar === undefined ? {} : { sidecar }),
    };
  }

  /**
   * Why a proxy does or does not see `host`: the proxy connected as `nodeId`, or one of `namespace`
   * with `labels`. Undefined when no such proxy is connected or no config is served.
   */
  explainVisibility(
    host: string,
    proxy:
      { readonly nodeId: string } | { readonly namespace: string; readonly labels?: Record<string, string> },
  ): VisibilityExplanation | undefined {
    const scopes = this.scopeIndex;
    if (scopes === undefined) return undefined;
    let info: ProxyInfo;
    if ('nodeId' in proxy) {
      const connected = this.server.proxy(proxy.nodeId);
      if (connected === undefined) return undefined;
      info = proxyInfoFromNode(connected.node, connected.identity);
    } else {
      info = { nodeId: '', claimedNamespace: proxy.namespace, labels: proxy.labels ?? {} };
    }
    return scopes.explain(info, host);
  }

  /** Translates and encodes a scope's snapshot, unless this publish (or the config served) has it. */
  private ensureScope(scope: ProxyScope): void {
    const target = this.nextScopes ?? this.scopes;
    if (target.has(scope.key) || this.servedConfig === undefined) return;
    const previous = this.scopes.get(scope.key);
    if (
      previous !== undefined &&
      target !== this.scopes &&
      !scopeMayChange(this.changes, scope.namespace, previous.invisibleClusters)
    ) {
      target.set(scope.key, previous);
      return;
    }
    const { config, index } = this.servedConfig;
    try {
      const { snapshot, invisibleClusters } = translateScope(config, this.memo, index, scope);
      const encoder = previous?.encoder ?? new ResourceEncoder();
      const resources = ResourceSnapshot.from(
        encoder.encode(snapshot),
        previous?.resources,
        invisibleClusters,
      );
      target.set(scope.key, { encoder, resources, invisibleClusters });
      this.server.cache.setSnapshot(scope.key, resources);
    } catch (err) {
      // A translator bug, never a user's: the scope keeps its previous snapshot (or waits for one).
      this.options.logger.error({ err, scope: scope.key }, 'scoped config is inconsistent; not served');
      if (previous !== undefined) target.set(scope.key, previous);
    }
  }

  /** The snapshot being served (to proxies without a namespace); made now if an edit left it pending. */
  get snapshot(): ProxySnapshot | undefined {
    if (this.unscopedPending !== undefined) this.makeUnscoped();
    return this.current;
  }

  /** Whether a config is served. */
  get ready(): boolean {
    return this.current !== undefined;
  }

  /**
   * The version of the xDS snapshot being served (cheap, unlike the translated snapshot's, once
   * made; made now if an edit left it pending).
   */
  get version(): string | undefined {
    if (this.unscopedPending !== undefined) this.makeUnscoped();
    return this.servedVersion;
  }

  /**
   * Translates and encodes the whole mesh's snapshot and hands it to the ADS server; false when the
   * cache refuses the translation (a translator bug: the previous snapshot keeps serving).
   */
  private makeUnscoped(): boolean {
    const pending = this.unscopedPending;
    if (pending === undefined) return true;
    this.unscopedPending = undefined;
    const { snapshot } = translateScope(pending.config, this.memo, pending.index, undefined);
    try {
      this.serveUnscoped(snapshot);
    } catch (err) {
      this.options.logger.error(
        { err },
        'translated config is inconsistent; the previous config keeps serving',
      );
      return false;
    }
    this.current = snapshot;
    return true;
  }

  /** Encodes the whole mesh's snapshot and hands it to the ADS server (throws if the cache refuses it). */
  private serveUnscoped(snapshot: ProxySnapshot): void {
    const resources = ResourceSnapshot.from(this.encoder.encode(snapshot), this.resources);
    if (resources.version !== this.servedVersion) {
      this.server.cache.setSnapshot(ALL_NODES, resources);
      this.resources = resources;
      this.servedVersion = resources.version;
      this.metrics.published();
    }
  }

  /** The config served: its version, when it was read and from which files, and the last load. */
  configStatus(): ConfigStatus {
    const files = this.served?.files ?? [];
    const version = this.version;
    return {
      dir: this.options.dir,
      ...(version === undefined ? {} : { version }),
      ...(this.served === undefined ? {} : { loadedAt: this.served.loadedAt }),
      fileCount: files.length,
      files,
      ...(this.lastLoad === undefined ? {} : { lastLoad: this.lastLoad }),
      ...(this.watchStatus === undefined ? {} : { watch: this.watchStatus() }),
      ...(this.options.loader?.state === undefined ? {} : { source: this.options.loader.state() }),
    };
  }

  private get sourceOptions(): FileSourceOptions {
    return {
      onError: (err: Error) => this.options.logger.warn({ err }, err.message),
      ...this.options.source,
    };
  }

  /**
   * Loads the directory and, if it has no errors, publishes it and starts serving plaintext xDS on
   * `host:port` (`host` null: no plaintext port; see listenTls). Resolves with the first load (its
   * issues tell the caller why nothing started) and the bound port (0 when not started).
   */
  async start(
    host: string | null = '127.0.0.1',
    port = DEFAULT_XDS_PORT,
  ): Promise<ConfigLoad & { port: number }> {
    const settle = this.options.collectGarbage ?? nothing;
    const first =
      this.options.loader !== undefined
        ? await this.startLoader(this.options.loader)
        : this.options.watch === false
          ? await loadConfig(this.options.dir, this.sourceOptions)
          : await this.startWatching();
    settle();
    const { issues, snapshot, failure } = this.publish(first, settle);
    const load: ConfigLoad = {
      issues,
      ...(snapshot === undefined ? {} : { snapshot }),
      ...(failure === undefined ? {} : { failure }),
    };
    settle();
    if (load.snapshot === undefined) {
      this.watcher?.close();
      return { ...load, port: 0 };
    }
    const bound = host === null ? 0 : await this.server.start(host, port);
    return { ...load, port: bound };
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    this.certificates?.close();
    await this.server.stop();
  }

  private async startLoader(loader: ConfigLoader): Promise<LoadedConfig> {
    const initial = await loader.start(loaded => this.publishEdit(loaded));
    this.watcher = { close: () => void loader.close() };
    return initial;
  }

  private async startWatching(): Promise<LoadedConfig> {
    const { initial, watch, watchStatus } = await watchConfig(
      this.options.dir,
      loaded => this.publishEdit(loaded),
      this.sourceOptions,
    );
    this.watcher = watch;
    this.watchStatus = watchStatus;
    return initial;
  }

  /**
   * Publishes a config read after the first; the version is logged when the whole mesh's snapshot was
   * made (see {@link unscopedPending}).
   */
  private publishEdit(loaded: LoadedConfig): void {
    const load = this.publish(loaded);
    if (load.published)
      this.options.logger.info(
        this.unscopedPending === undefined ? { version: this.servedVersion } : {},
        'config published',
      );
  }

  /**
   * The scopes of the proxies connected, translated again for a new config: every stream's scope is
   * worked out again (a Sidecar may now select it), each scope in use gets its snapshot (an edit
   * changes only the snapshots of the scopes that see what it touched: the others keep their version
   * and their proxies are sent nothing), and the scopes no longer in use are dropped.
   */
  private rescope(config: ConfigSet, index: ConfigIndex): void {
    const before = this.servedConfig;
    const scopesBefore = this.scopeIndex;
    const scopes = new ScopeIndex(index, this.mesh);
    this.changes =
      before === undefined || scopesBefore === undefined
        ? EVERY_SCOPE
        : scopeChanges(before.config, config, scopesBefore, scopes);
    this.servedConfig = { config, index };
    this.scopeIndex = scopes;
    this.nextScopes = new Map();
    try {
      this.server.rescope();
    } finally {
      const next = this.nextScopes;
      this.nextScopes = undefined;
      this.changes = EVERY_SCOPE;
      for (const key of this.scopes.keys()) if (!next.has(key)) this.server.cache.clearSnapshot(key);
      this.scopes = next;
    }
  }

  /**
   * `config` with what the proxies' codecs and filters (built in and plugins) say of it: an
   * ApplicationProtocol's codec unknown or its description refused, a MetaRouter filter unknown or
   * its config refused by the filter's schema. Every load gets these issues; the admission webhook
   * asks for them too.
   */
  withProxyChecks(config: LoadedConfig): LoadedConfig {
    return withFilterIssues(
      withCodecIssues(config, this.options.knownCodecs, this.options.checkApplicationProtocol),
      this.options.checkFilter,
    );
  }

  /**
   * Validates and, when there is no error, translates and hands the snapshots to the ADS server: the
   * scopes' the config changes, and the whole mesh's when needed now (see {@link unscopedPending});
   * `betweenStages` runs between translating and encoding.
   */
  private publish(
    config: LoadedConfig,
    betweenStages = nothing,
  ): ConfigLoad & { readonly published: boolean } {
    const loaded = this.withProxyChecks(config);
    const logger = this.options.logger;
    const at = new Date().toISOString();
    const errors = loaded.issues.filter(i => i.severity === 'error');
    const leftOut = loaded.leftOut ?? [];
    const outcome = (result: LastConfigLoad['result'], failure?: Error): void => {
      this.lastLoad = {
        at,
        result,
        errors: errors.length,
        warnings: loaded.issues.length - errors.length,
        issues: [...errors, ...leftOut].slice(0, MAX_REPORTED_ISSUES),
        ...(failure === undefined ? {} : { failure: failure.message }),
        ...(loaded.leftOutObjects === undefined ? {} : { leftOut: loaded.leftOutObjects }),
      };
    };
    this.metrics.configLoaded(errors.length);
    if (errors.length > 0) {
      outcome('rejected');
      if (this.current !== undefined) {
        // A file of thousands of broken documents must not flood the log on every edit.
        for (const issue of errors.slice(0, MAX_LOGGED_ISSUES))
          logger.error({ issue }, formatIssue(issue, false));
        logger.error({ errors: errors.length }, 'config rejected; the previous config keeps serving');
      }
      return { issues: loaded.issues, published: false };
    }
    for (const issue of loaded.issues) logger.warn({ issue }, formatIssue(issue, false));
    const index = loaded.index ?? new ConfigIndex(loaded.config);
    this.memo.begin();
    // The whole mesh is made now for the first config, for proxies without a namespace connected,
    // and for an onPublished that wants its version; otherwise when asked for (see unscopedPending).
    const unscopedNow =
      this.current === undefined ||
      this.options.onPublished !== undefined ||
      this.server.keysInUse().has(ALL_NODES);
    let snapshot: ProxySnapshot | undefined;
    if (unscopedNow) snapshot = translateScope(loaded.config, this.memo, index, undefined).snapshot;
    for (const issue of leftOut.slice(0, MAX_LOGGED_ISSUES))
      logger.warn({ issue }, `left out: ${formatIssue(issue, false)}`);
    betweenStages();
    if (snapshot !== undefined) {
      try {
        this.serveUnscoped(snapshot);
      } catch (err) {
        this.memo.end();
        // The cache refuses a set whose routes name a missing cluster: a translator bug, never a
        // user's; keep serving the previous snapshot rather than a broken one.
        logger.error({ err }, 'translated config is inconsistent; the previous config keeps serving');
        const failure = err instanceof Error ? err : new Error(String(err));
        outcome('failed', failure);
        return { issues: loaded.issues, failure, published: false };
      }
      this.unscopedPending = undefined;
    } else {
      this.unscopedPending = { config: loaded.config, index };
    }
    this.rescope(loaded.config, index);
    this.memo.end();
    outcome('accepted');
    this.served = { loadedAt: at, files: loaded.files ?? [] };
    if (snapshot !== undefined) this.current = snapshot;
    if (this.servedVersion !== undefined && this.options.onPublished !== undefined)
      this.options.onPublished({ loaded: config, version: this.servedVersion });
    return { issues: loaded.issues, ...(snapshot === undefined ? {} : { snapshot }), published: true };
  }
}
