/**
 * The rate-limit entries of `MetaProtocolProxy.meta_protocol_filters` ⇄ our listener's rate limits:
 *
 * ```
 * MetaProtocolFilter { name: "aeraki.meta_protocol.filters.local_ratelimit",
 *   config: LocalRateLimit { stat_prefix = 1,
 *     token_bucket = 2: TokenBucket { max_tokens = 1, tokens_per_fill = 2 (UInt32Value, default 1),
 *                                     fill_interval = 3 (Duration) }?,
 *     conditions = 3: [ { match = 1: RouteMatch { metadata = 1: [HeaderMatcher…] },
 *                         token_bucket = 2: TokenBucket } … ] } }
 * MetaProtocolFilter { name: "aeraki.meta_protocol.filters.ratelimit",
 *   config: RateLimit { match = 1: RouteMatch?, domain = 2, timeout = 3 (Duration, default 20ms),
 *     failure_mode_deny = 4,
 *     rate_limit_service = 5: { grpc_service: { envoy_grpc: { cluster_name } } },
 *     descriptors = 6: [ Descriptor { property = 1, descriptor_key = 2 } … ] } }
 * ```
 *
 * Decoding enforces what the original's proto validation and runtime enforce (a bucket needs
 * max_tokens ≥ 1, tokens_per_fill ≥ 1 and a fill_interval of at least 50 ms; the global filter needs a
 * domain, an Envoy-gRPC cluster and at least one complete descriptor) and reports each violation with
 * the field path, for the NACK's error_detail.
 */
import type { GlobalRateLimitResource, LocalRateLimitResource, TokenBucketResource } from './resources.js';
import { packAny, unpackAny, type ProtoObject } from './proto-message.js';
import { invalidResource } from './invalid-resource.js';
import { attributeFromHeaderMatcher, headerMatcherFromAttribute } from './route-parts.js';
import {
  ConfigTypeUrls,
  META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER,
  META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER,
  messageNameOf,
} from './type-urls.js';
import type { AnyMessage } from './xds-resource.js';
import { durationFromMs, msFromDuration, wrapperValue } from './well-known.js';

/** Shortest fill interval the original accepts (its refill timer's resolution). */
export const MIN_FILL_INTERVAL_MS = 50;

/** Deadline of a rate-limit service call when the config sets none (the proto's documented default). */
export const DEFAULT_RATE_LIMIT_SERVICE_TIMEOUT_MS = 20;

function tokenBucketToProto(bucket: TokenBucketResource): ProtoObject {
  return {
    max_tokens: bucket.maxTokens,
    tokens_per_fill: { value: bucket.tokensPerFill },
    fill_interval: durationFromMs(bucket.fillIntervalMs),
  };
}

/** The `meta_protocol_filters` entry of a local rate limit. */
export function localRateLimitFilterToProto(limit: LocalRateLimitResource, statPrefix: string): ProtoObject {
  const config: ProtoObject = {
    stat_prefix: statPrefix,
    conditions: limit.conditions.map(c => ({
      match: { metadata: c.match.map(headerMatcherFromAttribute) },
      token_bucket: tokenBucketToProto(c.tokenBucket),
    })),
  };
  if (limit.tokenBucket !== undefined) config['token_bucket'] = tokenBucketToProto(limit.tokenBucket);
  return {
    name: META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER,
    config: packAny(messageNameOf(ConfigTypeUrls.localRateLimit), config),
  };
}

/** The `meta_protocol_filters` entry of a global rate limit. */
export function globalRateLimitFilterToProto(limit: GlobalRateLimitResource): ProtoObject {
  return {
    name: META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER,
    config: packAny(messageNameOf(ConfigTypeUrls.globalRateLimit), {
      match: { metadata: limit.match.map(headerMatcherFromAttribute) },
      domain: limit.domain,
      timeout: durationFromMs(limit.timeoutMs),
      failure_mode_deny: limit.failureModeDeny,
      rate_limit_service: {
        grpc_service: { envoy_grpc: { cluster_name: limit.rateLimitCluster } },
        transport_api_version: 'V3',
      },
      descriptors: limit.descriptors.map(d => ({ property: d.property, descriptor_key: d.descriptorKey })),
    }),
  };
}

function filterConfig(filter: ProtoObject, typeUrl: string, label: string, path: string): ProtoObject {
  const any = filter['config'] as AnyMessage | undefined;
  if (any === undefined) throw invalidResource(label, `${path}.config`, `is required (${typeUrl})`);
  if (any.type_url !== typeUrl) {
    throw invalidResource(label, `${path}.config`, `must be ${typeUrl}, got ${any.type_url}`);
  }
  try {
    return unpackAny(any);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw invalidResource(label, `${path}.config`, `cannot be decoded: ${reason}`);
  }
}

function tokenBucketFromProto(bucket: unknown, label: string, path: string): TokenBucketResource {
  if (bucket === undefined || bucket === null) throw invalidResource(label, path, 'is required');
  const b = bucket as ProtoObject;
  const maxTokens = Number(b['max_tokens'] ?? 0);
  if (maxTokens < 1)
    throw invalidResource(label, `${path}.max_tokens`, `must be at least 1, got ${maxTokens}`);
  const tokensPerFill = wrapperValue<number>(b['tokens_per_fill']) ?? 1;
  if (tokensPerFill < 1) {
    throw invalidResource(label, `${path}.tokens_per_fill`, `must be at least 1, got ${tokensPerFill}`);
  }
  const fillIntervalMs = msFromDuration(b['fill_interval']);
  if (fillIntervalMs === undefined) throw invalidResource(label, `${path}.fill_interval`, 'is required');
  if (fillIntervalMs < MIN_FILL_INTERVAL_MS) {
    throw invalidResource(
      label,
      `${path}.fill_interval`,
      `must be at least ${MIN_FILL_INTERVAL_MS}ms, got ${fillIntervalMs}ms`,
    );
  }
  return { maxTokens, tokensPerFill, fillIntervalMs };
}

function matchFromProto(match: unknown, label: string, path: string) {
  const metadata = (((match ?? {}) as ProtoObject)['metadata'] ?? []) as ProtoObject[];
  return metadata.map((m, i) => attributeFromHeaderMatcher(m, label, `${path}.metadata[${i}]`));
}

/** A local rate limit from its `meta_protocol_filters` entry at `path`. */
export function localRateLimitFromFilter(
  filter: ProtoObject,
  label: string,
  path: string,
): LocalRateLimitResource {
  const config = filterConfig(filter, ConfigTypeUrls.localRateLimit, label, path);
  const at = `${path}.config`;
  const conditions = ((config['conditions'] ?? []) as ProtoObject[]).map((c, i) => {
    const where = `${at}.conditions[${i}]`;
    if (c['match'] === undefined) throw invalidResource(label, `${where}.match`, 'is required');
    return {
      match: matchFromProto(c['match'], label, `${where}.match`),
      tokenBucket: tokenBucketFromProto(c['token_bucket'], label, `${where}.token_bucket`),
    };
  });
  if (config['token_bucket'] === undefined) {
    if (conditions.length === 0) throw invalidResource(label, at, 'needs token_bucket or conditions');
    return { conditions };
  }
  return {
    tokenBucket: tokenBucketFromProto(config['token_bucket'], label, `${at}.token_bucket`),
    conditions,
  };
}

/** A global rate limit from its `meta_protocol_filters` entry at `path`. */
export function globalRateLimitFromFilter(
  filter: ProtoObject,
  label: string,
  path: string,
): GlobalRateLimitResource {
  const config = filterConfig(filter, ConfigTypeUrls.globalRateLimit, label, path);
  const at = `${path}.config`;
  const domain = typeof config['domain'] === 'string' ? config['domain'] : '';
  if (domain === '') throw invalidResource(label, `${at}.domain`, 'must not be empty');

  const service = config['rate_limit_service'] as ProtoObject | undefined;
  if (service === undefined) throw invalidResource(label, `${at}.rate_limit_service`, 'is required');
  const grpc = (service['grpc_service'] ?? {}) as ProtoObject;
  const servicePath = `${at}.rate_limit_service.grpc_service`;
  if (grpc['google_grpc'] !== undefined) {
    throw invalidResource(label, `${servicePath}.google_grpc`, 'is not supported; use envoy_grpc');
  }
  const envoyGrpc = (grpc['envoy_grpc'] ?? {}) as ProtoObject;
  const cluster = typeof envoyGrpc['cluster_name'] === 'string' ? envoyGrpc['cluster_name'] : '';
  if (cluster === '') {
    throw invalidResource(label, `${servicePath}.envoy_grpc.cluster_name`, 'must not be empty');
  }

  const descriptors = ((config['descriptors'] ?? []) as ProtoObject[]).map((d, i) => {
    const property = typeof d['property'] === 'string' ? d['property'] : '';
    const descriptorKey = typeof d['descriptor_key'] === 'string' ? d['descriptor_key'] : '';
    const where = `${at}.descriptors[${i}]`;
    if (property === '') throw invalidResource(label, `${where}.property`, 'must not be empty');
    if (descriptorKey === '') throw invalidResource(label, `${where}.descriptor_key`, 'must not be empty');
    return { property, descriptorKey };
  });
  if (descriptors.length === 0) throw invalidResource(label, `${at}.descriptors`, 'must not be empty');

  const timeoutMs = msFromDuration(config['timeout']) ?? DEFAULT_RATE_LIMIT_SERVICE_TIMEOUT_MS;
  if (timeoutMs <= 0) throw invalidResource(label, `${at}.timeout`, 'must be more than 0');
  return {
    match: matchFromProto(config['match'], label, `${at}.match`),
    domain,
    timeoutMs,
    failureModeDeny: config['failure_mode_deny'] === true,
    rateLimitCluster: cluster,
    descriptors,
  };
}
