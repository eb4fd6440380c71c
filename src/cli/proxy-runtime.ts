import type { Logger } from 'pino';
import type { CodecRegistry } from '../codec/index.js';
import { builtinCodecs } from '../codecs/index.js';
import { AerakiError, ErrorCodes } from '../errors.js';
import { bindAdmin } from '../net/http-admin.js';
import { AdminServer } from '../proxy/admin-server.js';
import type { BackoffPolicy } from '../net/retry-backoff.js';
import { Proxy, type ListenerRejection } from '../proxy/proxy.js';
import type { ProxyLimits } from '../proxy/proxy-limits.js';
import { RedisAccessLog } from '../proxy/telemetry/redis-access-log.js';
import { RequestTelemetry, type TelemetryOptions } from '../proxy/telemetry/request-telemetry.js';
import { AdsClient, type XdsApi } from '../xds/ads-client.js';

/** A proxy fed by an ADS server, with its admin API: what `aeraki proxy` and `aeraki up` run. */
export interface ProxyRuntime {
  readonly proxy: Proxy;
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
  /** Buffer limits, timeouts and overload thresholds (Envoy's defaults when absent). */
  readonly limits?: ProxyLimits;
  /**
   * Bind every listener on this address instead of its service's virtual address (in a Kubernetes
   * pod, where those addresses are not local: `0.0.0.0` for a gateway, `127.0.0.1` for a sidecar
   * that applications call explicitly). Two listeners on one port then collide: the second is
   * rejected, alone.
   */
  readonly listenAddress?: string;
}

/**
 * Node's `gc`, which bin/aeraki exposes (`--expose-gc`): the proxy runs it to give memory back once
 * the buffers of gone peers are garbage (see OverloadManager).
 */
const collectGarbage = (globalThis as { gc?: () => void }).gc;

/** Starts the admin API and the ADS client; the proxy applies each consistent snapshot it receives. */
export async function startProxyRuntime(options: ProxyRuntimeOptions): Promise<ProxyRuntime> {
  const { logger } = options;
  const telemetry = options.telemetry;
  const accessLog = telemetry?.accessLog;
  const onAccessLogError = (err: Error): void => logger.warn({ err }, 'access log write failed');
  // The Redis listeners write their commands to the same access log.
  const redisAccessLog =
    accessLog === undefined
      ? undefined
      : new RedisAccessLog({
          path: accessLog.path,
          ...(accessLog.successSamplingPercent === undefined
            ? {}
            : { successSamplingPercent: accessLog.successSamplingPercent }),
          onError: onAccessLogError,
        });
  const proxy = new Proxy(
    options.codecs ?? builtinCodecs(),
    logger,
    [],
    await RequestTelemetry.create(
      accessLog === undefined
        ? telemetry
        : { ...telemetry, accessLog: { ...accessLog, onError: onAccessLogError } },
    ),
    {
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(collectGarbage === undefined ? {} : { collectGarbage }),
      ...(redisAccessLog === undefined ? {} : { redisAccessLog }),
    },
  );
  const admin = new AdminServer(proxy);
  const adminPort = await bindAdmin(admin, 'admin API', options.admin.host, options.admin.port);
  let lastError: unknown;
  const xds = options.xds;
  const ads =
    xds === undefined
      ? undefined
      : new AdsClient({
          target: xds.target,
          api: xds.api,
          node: { id: xds.nodeId, user_agent_name: 'aeraki-ts' },
          logger,
          ...(xds.backoff === undefined ? {} : { backoff: xds.backoff }),
          onSnapshot: async snapshot => {
            try {
              const listenAddress = options.listenAddress;
              const result = await proxy.apply(
                listenAddress === undefined
                  ? snapshot
                  : {
                      ...snapshot,
                      listeners: snapshot.listeners.map(l => ({ ...l, address: listenAddress })),
                    },
              );
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
    admin.setXdsStatus(() => ({ ...ads.status(), rejectedListeners: proxy.rejectedListeners() }));
    admin.setXdsUpdateCounters(() => ads.status().updates);
    ads.start();
  }
  return {
    proxy,
    ads,
    adminPort,
    async waitForListeners(names, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const rejected = proxy.rejectedListeners();
        const settled = new Set([
          ...proxy.listenerMap.keys(),
          ...proxy.redis.listenerMap.keys(),
          ...rejected.map(r => r.name),
        ]);
        if (names.every(n => settled.has(n))) return rejected.filter(r => names.includes(r.name));
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
      await Promise.all([proxy.close(graceMs), admin.close()]);
      redisAccessLog?.close();
    },
  };
}
