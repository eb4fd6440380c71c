import type { Logger } from 'pino';
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
import { AdsServer, DEFAULT_XDS_PORT } from './server/index.js';
import { translate } from './translate/translate.js';
import { TranslationMemo } from './translate/translation-memo.js';

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
export class ControlPlane {
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
      ...(options.debounce === undefined ? {} : { debounce: options.debounce }),
    });
  }

  /** The snapshot being served. */
  get snapshot(): ProxySnapshot | undefined {
    return this.current;
  }

  /** The version of the xDS snapshot being served (cheap, unlike the translated snapshot's). */
  get version(): string | undefined {
    return this.servedVersion;
  }

  /** The config served: its version, when it was read and from which files, and the last load. */
  configStatus(): ConfigStatus {
    const files = this.served?.files ?? [];
    return {
      dir: this.options.dir,
      ...(this.servedVersion === undefined ? {} : { version: this.servedVersion }),
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
   * Loads the directory and, if it has no errors, publishes it and starts serving xDS on
   * `host:port`. Resolves with the first load (its issues tell the caller why nothing started) and the
   * bound port (0 when not started).
   */
  async start(host = '127.0.0.1', port = DEFAULT_XDS_PORT): Promise<ConfigLoad & { port: number }> {
    const settle = this.options.collectGarbage ?? nothing;
    const first =
      this.options.loader !== undefined
        ? await this.startLoader(this.options.loader)
        : this.options.watch === false
          ? await loadConfig(this.options.dir, this.sourceOptions)
          : await this.startWatching();
    settle();
    const load = this.publish(first, settle);
    settle();
    if (load.snapshot === undefined) {
      this.watcher?.close();
      return { ...load, port: 0 };
    }
    const bound = await this.server.start(host, port);
    return { ...load, port: bound };
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    await this.server.stop();
  }

  private async startLoader(loader: ConfigLoader): Promise<LoadedConfig> {
    const initial = await loader.start(loaded => {
      const load = this.publish(loaded);
      if (load.snapshot !== undefined)
        this.options.logger.info({ version: this.servedVersion }, 'config published');
    });
    this.watcher = { close: () => void loader.close() };
    return initial;
  }

  private async startWatching(): Promise<LoadedConfig> {
    const { initial, watch, watchStatus } = await watchConfig(
      this.options.dir,
      loaded => {
        const load = this.publish(loaded);
        if (load.snapshot !== undefined)
          this.options.logger.info({ version: this.servedVersion }, 'config published');
      },
      this.sourceOptions,
    );
    this.watcher = watch;
    this.watchStatus = watchStatus;
    return initial;
  }

  /**
   * Validates and, when there is no error, translates and hands the snapshot to the ADS server;
   * `betweenStages` runs between translating and encoding.
   */
  private publish(config: LoadedConfig, betweenStages = nothing): ConfigLoad {
    const loaded = withFilterIssues(
      withCodecIssues(config, this.options.knownCodecs, this.options.checkApplicationProtocol),
      this.options.checkFilter,
    );
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
      return { issues: loaded.issues };
    }
    for (const issue of loaded.issues) logger.warn({ issue }, formatIssue(issue, false));
    for (const issue of leftOut.slice(0, MAX_LOGGED_ISSUES))
      logger.warn({ issue }, `left out: ${formatIssue(issue, false)}`);
    const snapshot = translate(loaded.config, this.memo, loaded.index);
    betweenStages();
    try {
      const resources = ResourceSnapshot.from(this.encoder.encode(snapshot), this.resources);
      if (resources.version !== this.servedVersion) {
        this.server.cache.setSnapshot('*', resources);
        this.resources = resources;
        this.servedVersion = resources.version;
        this.metrics.published();
      }
    } catch (err) {
      // The cache refuses a set whose routes name a missing cluster: a translator bug, never a
      // user's; keep serving the previous snapshot rather than a broken one.
      logger.error({ err }, 'translated config is inconsistent; the previous config keeps serving');
      const failure = err instanceof Error ? err : new Error(String(err));
      outcome('failed', failure);
      return { issues: loaded.issues, failure };
    }
    outcome('accepted');
    this.served = { loadedAt: at, files: loaded.files ?? [] };
    this.current = snapshot;
    if (this.servedVersion !== undefined)
      this.options.onPublished?.({ loaded: config, version: this.servedVersion });
    return { issues: loaded.issues, snapshot };
  }
}
