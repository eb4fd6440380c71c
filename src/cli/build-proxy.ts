import type { TokenBucketStoreFactory } from '../filters/local-ratelimit/token-bucket-store.js';
import { builtinCodecs } from '../codecs/index.js';
import { Proxy } from '../proxy/proxy.js';
import { RedisAccessLog } from '../proxy/telemetry/redis-access-log.js';
import { RequestTelemetry } from '../proxy/telemetry/request-telemetry.js';
import type { ProxyRuntimeOptions } from './proxy-runtime.js';

/** What {@link buildProxy} makes: the data plane, and what to close after it. */
export interface BuiltProxy {
  readonly proxy: Proxy;
  close(graceMs: number): Promise<void>;
}

/**
 * Node's `gc`, which bin/aeraki exposes (`--expose-gc`): the proxy runs it to give memory back once
 * the buffers of gone peers are garbage (see OverloadManager).
 */
const collectGarbage = (globalThis as { gc?: () => void }).gc;

/** The data plane of one event loop, with its telemetry (a whole proxy, or one worker of it). */
export async function buildProxy(
  options: Pick<ProxyRuntimeOptions, 'logger' | 'telemetry' | 'codecs' | 'filters' | 'limits'>,
  tokenBuckets?: (scope: string) => TokenBucketStoreFactory,
): Promise<BuiltProxy> {
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
      ...(options.filters === undefined ? {} : { filterRegistry: options.filters }),
      ...(redisAccessLog === undefined ? {} : { redisAccessLog }),
      ...(tokenBuckets === undefined ? {} : { tokenBuckets }),
    },
  );
  return {
    proxy,
    async close(graceMs) {
      await proxy.close(graceMs);
      redisAccessLog?.close();
    },
  };
}
