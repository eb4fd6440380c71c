/**
 * A MetaRouter's `localRateLimit` and `globalRateLimit`, as the rate-limit filters of the listeners of
 * its service.
 *
 * Where they apply: Aeraki puts both filters on the *server side* (the inbound listener of each
 * provider's sidecar), so a local limit holds per provider instance. This proxy runs the client-side
 * (outbound) listener of each service, so the filters run there, before the router: a local limit
 * holds per proxy, for all clients of that proxy together; a global limit is shared through the
 * rate-limit service either way. For a limit per provider, run one proxy in front of each provider.
 *
 * Defaults honoured (Aeraki dereferences unset fields): `tokensPerFill` 1, `requestTimeout` 20ms.
 */
import { durationMs, parseClusterName, type MetaRouter, type TokenBucket } from '../../api/index.js';
import type {
  GlobalRateLimitResource,
  ListenerResource,
  LocalRateLimitResource,
  TokenBucketResource,
} from '../../xds/resources.js';
import type { ConfigObject } from '../model/config-set.js';
import { DEFAULT_RATE_LIMIT_SERVICE_TIMEOUT_MS } from './defaults.js';
import { attributeMatchers } from './routes.js';
import type { ClusterWants, PortLookups } from './translation-memo.js';

export function buildRateLimits(
  router: ConfigObject<MetaRouter> | undefined,
  index: PortLookups,
  clusters: ClusterWants,
): Pick<ListenerResource, 'localRateLimit' | 'globalRateLimit'> {
  const spec = router?.resource.spec;
  if (router === undefined || spec === undefined) return {};
  const limits: { localRateLimit?: LocalRateLimitResource; globalRateLimit?: GlobalRateLimitResource } = {};
  const local = spec.localRateLimit;
  if (local !== undefined) {
    limits.localRateLimit = {
      ...(local.tokenBucket === undefined ? {} : { tokenBucket: tokenBucket(local.tokenBucket) }),
      conditions: (local.conditions ?? []).map(c => ({
        match: attributeMatchers(c.match),
        tokenBucket: tokenBucket(c.tokenBucket),
      })),
    };
  }
  const global = spec.globalRateLimit;
  if (global !== undefined) {
    limits.globalRateLimit = {
      match: attributeMatchers(global.match),
      domain: global.domain,
      timeoutMs: durationMs(global.requestTimeout, DEFAULT_RATE_LIMIT_SERVICE_TIMEOUT_MS),
      failureModeDeny: global.denyOnFail ?? false,
      rateLimitCluster: rateLimitCluster(global.rateLimitService, router.namespace, index, clusters),
      descriptors: global.descriptors.map(d => ({ property: d.property, descriptorKey: d.descriptorKey })),
    };
  }
  return limits;
}

function tokenBucket(bucket: TokenBucket): TokenBucketResource {
  return {
    maxTokens: bucket.maxTokens,
    tokensPerFill: bucket.tokensPerFill ?? 1,
    fillIntervalMs: durationMs(bucket.fillInterval, 0),
  };
}

/** The cluster named by `rateLimitService` (a short host is qualified), which the snapshot must carry. */
function rateLimitCluster(
  written: string,
  namespace: string,
  index: PortLookups,
  clusters: ClusterWants,
): string {
  const parsed = parseClusterName(written);
  if (parsed === undefined) return written;
  const host = index.resolveHost(parsed.host, namespace) ?? parsed.host;
  return clusters.want(parsed.port, parsed.subset, host);
}
