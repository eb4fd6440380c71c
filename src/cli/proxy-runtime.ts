import type { Logger } from 'pino';
import type { CodecRegistry } from '../codec/index.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import type { FilterRegistry } from '../filters/filter-registry.js';
import { bindAdmin } from '../net/http-admin.js';
import type { BackoffPolicy } from '../net/retry-backoff.js';
import type { ApplyResult, ListenerRejection } from '../proxy/proxy.js';
import type { ProxySnapshot } from '../xds/resources.js';
import type { ProxyWorkerSettings } from './workers-option.js';
import type { ProxyLimits } from '../proxy/proxy-limits.js';
import type { TelemetryOptions } from '../proxy/telemetry/request-telemetry.js';
import type { AdsClient, UpdateCounters, XdsApi, XdsConnection } from '../xds/ads-client.js';

/** A proxy fed by an ADS server, with its admin API: what `aeraki proxy` and `aeraki up` run. */
export interface ProxyRuntime {
  /** Runs `snapshot` (a static config; with xDS the ADS client applies what it receives). */
  apply(snapshot: ProxySnapshot): Promise<ApplyResult>;
  /** The ADS client, unless the proxy runs a static config. */
  readonly ads: AdsClient | undefined;
  readonly adminPort: number;
  /**
   * Resolves once the proxy has a config in which every listener in `names` is bound or rejected,
   * with the rejected ones (a rejected listener does not hold the others up).
   */
  waitForListeners(names: readonly string[], timeoutMs: number): Promise<ListenerRejection[]>;
  close(graceMs: number): Promise<void>;
}

export interface ProxyRuntimeOptions {
  /** The ADS server and this proxy's node id; absent for a static config the caller applies. */
  readonly xds:
    | {
        readonly target: string;
        readonly nodeId: string;
        /** Node metadata (NAMESPACE, WORKLOAD_NAME, LABELS). */
        readonly metadata?: Readonly<Record<string, unknown>>;
        /** TLS credentials for the control plane's TLS port; default plaintext. */
        readonly connection?: XdsConnection;
        readonly api: XdsApi;
        /** The reconnect backoff; default DEFAULT_RECONNECT_BACKOFF. */
        readonly backoff?: BackoffPolicy;
      }
    | undefined;
  readonly admin: { readonly host: string; readonly port: number };
  readonly logger: Logger;
  /** Request metrics (on by default) and access log (off by default). */
  readonly telemetry?: TelemetryOptions;
  /** The codecs listeners may use; default the built-in ones (`--plugin` adds to them). */
  readonly codecs?: CodecRegistry;
  /** The filters listeners may configure; default the built-in ones (`--plugin` adds to them). */
  readonly filters?: FilterRegistry;
  /** Buffer limits, timeouts and overload thresholds (Envoy's defaults when absent). */
  readonly limits?: ProxyLimits;
  /**
   * Bind every listener on this address instead of its service's virtual address (in a Kubernetes
   * pod, where those addresses are not local: `0.0.0.0` for a gateway, `127.0.0.1` for a sidecar
   * that applications call explicitly). Two listeners on one port then collide: the second is
   * rejected, alone.
   */
  readonly listenAddress?: string;
  /**
   * Worker processes, each an event loop serving every listener; absent or 1: the proxy runs in
   * this process. `settings` reach every worker (see proxy-worker.ts).
   */
  readonly workers?: { readonly count: number; readonly settings: ProxyWorkerSettings };
}

/**
 * What a runtime drives: the data plane of this process, or the workers of a proxy with several; with
 * its admin API (already bound).
 */
export interface DataPlane {
  apply(snapshot: ProxySnapshot): Promise<ApplyResult>;
  rejectedListeners(): ListenerRejection[];
  /** Listener names bound or rejected in the snapshot in force. */
  settledListeners(): ReadonlySet<string>;
  readonly admin: {
    setXdsStatus(status: () => unknown): void;
    setXdsUpdateCounters?(updates: () => Readonly<Record<string, UpdateCounters>>): void;
  };
  readonly adminPort: number;
  close(graceMs: number): Promise<void>;
}

/** Starts the admin API and the ADS client; the proxy applies each consistent snapshot it receives. */
export async function startProxyRuntime(options: ProxyRuntimeOptions): Promise<ProxyRuntime> {
  if (options.workers !== undefined && options.workers.count > 1) {
    const { startWorkers } = await import('./workers-runtime.js');
    return await driveDataPlane(
      options,
      await startWorkers(options, options.workers.count, options.workers.settings),
    );
  }
  // The data plane only in the process that runs it: the primary of a proxy with workers holds
  // the xDS client and the admin API, and the workers the rest.
  const [{ buildProxy }, { AdminServer }] = await Promise.all([
    import('./build-proxy.js'),
    import('../proxy/admin-server.js'),
  ]);
  const built = await buildProxy(options);
  const proxy = built.proxy;
  const admin = new AdminServer(proxy);
  const adminPort = await bindAdmin(admin, 'admin API', options.admin.host, options.admin.port);
  return await driveDataPlane(options, {
    apply: snapshot => proxy.apply(snapshot),
    rejectedListeners: () => proxy.rejectedListeners(),
    settledListeners: () =>
      new Set([
        ...proxy.listenerMap.keys(),
        ...proxy.redis.listenerMap.keys(),
        ...proxy.rejectedListeners().map(r => r.name),
      ]),
    admin,
    adminPort,
    async close(graceMs) {
      await Promise.all([built.close(graceMs), admin.close()]);
    },
  });
}

/**
 * Feeds `plane` from the ADS server (if any) and wraps it as the runtime the commands use. The xDS
 * client is loaded only for an ADS server: it brings gRPC (with node's http2 and tls), which a proxy
 * running a static config has no other use for.
 */
async function driveDataPlane(options: ProxyRuntimeOptions, plane: DataPlane): Promise<ProxyRuntime> {
  const { logger } = options;
  let lastError: unknown;
  const xds = options.xds;
  const ads =
    xds === undefined
      ? undefined
      : new (await import('../xds/ads-client.js')).AdsClient({
          target: xds.target,
          api: xds.api,
          node: {
            id: xds.nodeId,
            user_agent_name: 'aeraki-ts',
            ...(xds.metadata === undefined ? {} : { metadata: xds.metadata }),
          },
          ...(xds.connection === undefined ? {} : { connection: xds.connection }),
          logger,
          ...(xds.backoff === undefined ? {} : { backoff: xds.backoff }),
          onSnapshot: async snapshot => {
            try {
              const result = await plane.apply(withListenAddress(snapshot, options.listenAddress));
              lastError = undefined;
              logger.debug(
                {
                  version: snapshot.version,
                  listeners: snapshot.listeners.length,
                  rejected: result.rejected.map(r => r.name),
                },
                'config applied',
              );
              return result;
            } catch (err) {
              lastError = err;
              throw err;
            }
          },
        });
  if (ads !== undefined) {
    plane.admin.setXdsStatus(() => ({ ...ads.status(), rejectedListeners: plane.rejectedListeners() }));
    plane.admin.setXdsUpdateCounters?.(() => ads.status().updates);
    ads.start();
  }
  return {
    apply: snapshot => plane.apply(snapshot),
    ads,
    adminPort: plane.adminPort,
    async waitForListeners(names, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const settled = plane.settledListeners();
        if (names.every(n => settled.has(n))) {
          return plane.rejectedListeners().filter(r => names.includes(r.name));
        }
        if (Date.now() > deadline) {
          throw new AerakiError(
            ErrorCodes.LISTEN_FAILED,
            `the proxy did not get its listeners from ${xds?.target ?? 'its config'} within ${timeoutMs} ms` +
              (lastError instanceof Error ? `: ${lastError.message}` : ''),
          );
        }
        await new Promise(resolve => setTimeout(resolve, 10));
      }
    },
    async close(graceMs) {
      ads?.stop();
      await plane.close(graceMs);
    },
  };
}

/** The snapshot with every listener bound on `listenAddress`, when one is given. */
export function withListenAddress(snapshot: ProxySnapshot, listenAddress: string | undefined): ProxySnapshot {
  return listenAddress === undefined
    ? snapshot
    : { ...snapshot, listeners: snapshot.listeners.map(l => ({ ...l, address: listenAddress })) };
}
