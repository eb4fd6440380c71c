/**
 * Redis options of a cluster ⇄ the Envoy Cluster fields that carry them:
 *
 * ```
 * Cluster { …,
 *   typed_extension_protocol_options: { "envoy.filters.network.redis_proxy":
 *       RedisProtocolOptions { auth_password: { inline_string }, auth_username: { inline_string } } },
 *   // Redis Cluster mode only:
 *   cluster_type: { name: "envoy.clusters.redis",
 *       typed_config: RedisClusterConfig { cluster_refresh_rate, cluster_refresh_timeout,
 *           redirect_refresh_interval, redirect_refresh_threshold, failure_refresh_threshold } },
 *   lb_policy: CLUSTER_PROVIDED,
 *   load_assignment: { cluster_name, endpoints: [ { lb_endpoints: [ seeds… ] } ] } }
 * ```
 *
 * A cluster in proxy mode stays an EDS cluster; it is marked Redis by its RedisProtocolOptions (an
 * empty one when it has no auth).
 */
import {
  REDIS_CLUSTER_DEFAULTS,
  type RedisClusterOptions,
  type RedisUpstreamAuth,
} from './redis-resources.js';
import type { ClusterResource } from './resources.js';
import { packAny, unpackAny, type ProtoObject } from './proto-message.js';
import { invalidResource } from './invalid-resource.js';
import { ConfigTypeUrls, REDIS_CLUSTER_TYPE, REDIS_PROTOCOL_OPTIONS_KEY } from './type-urls.js';
import type { AnyMessage } from './xds-resource.js';
import { durationFromMs, msFromDuration, wrapperValue } from './well-known.js';

const PROTOCOL_OPTIONS = 'envoy.extensions.filters.network.redis_proxy.v3.RedisProtocolOptions';
const CLUSTER_CONFIG = 'envoy.extensions.clusters.redis.v3.RedisClusterConfig';

/** Adds the Redis fields of `cluster` to its Envoy Cluster `message`. */
export function addRedisClusterFields(message: ProtoObject, cluster: ClusterResource): void {
  const redis = cluster.redis;
  if (redis === undefined) return;
  const auth: ProtoObject = {};
  if (redis.auth !== undefined) {
    auth['auth_password'] = { inline_string: redis.auth.password };
    if (redis.auth.username !== undefined) auth['auth_username'] = { inline_string: redis.auth.username };
  }
  message['typed_extension_protocol_options'] = {
    ...(message['typed_extension_protocol_options'] as ProtoObject | undefined),
    [REDIS_PROTOCOL_OPTIONS_KEY]: packAny(PROTOCOL_OPTIONS, auth),
  };
  if (redis.mode !== 'cluster') return;
  delete message['type'];
  delete message['eds_cluster_config'];
  message['cluster_type'] = {
    name: REDIS_CLUSTER_TYPE,
    typed_config: packAny(CLUSTER_CONFIG, {
      cluster_refresh_rate: durationFromMs(redis.refreshRateMs),
      cluster_refresh_timeout: durationFromMs(redis.refreshTimeoutMs),
      redirect_refresh_interval: durationFromMs(redis.redirectRefreshIntervalMs),
      redirect_refresh_threshold: { value: redis.redirectRefreshThreshold },
      failure_refresh_threshold: redis.failureRefreshThreshold,
    }),
  };
  message['lb_policy'] = 'CLUSTER_PROVIDED';
  message['load_assignment'] = {
    cluster_name: cluster.name,
    endpoints: [
      {
        lb_endpoints: redis.seeds.map(s => ({
          endpoint: { address: { socket_address: { address: s.address, port_value: s.port } } },
        })),
      },
    ],
  };
}

function inlineText(value: unknown, label: string, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const source = value as ProtoObject;
  if (typeof source['inline_string'] === 'string') return source['inline_string'];
  if (source['inline_bytes'] !== undefined)
    return Buffer.from(source['inline_bytes'] as Uint8Array).toString('utf8');
  throw invalidResource(label, path, 'only inline_string and inline_bytes data sources are supported');
}

/** Whether a decoded Cluster is one of Envoy's Redis Clusters (`cluster_type` envoy.clusters.redis). */
export function isRedisClusterType(cluster: ProtoObject): boolean {
  const type = cluster['cluster_type'] as ProtoObject | undefined;
  return type !== undefined && type['name'] === REDIS_CLUSTER_TYPE;
}

/**
 * The Redis options of a decoded Cluster, or `undefined` when it has none; `seeds` are the cluster's
 * static endpoints in cluster mode. Throws AERAKI_ERR_XDS_INVALID_RESOURCE naming the field.
 */
export function redisClusterOptionsFromProto(
  cluster: ProtoObject,
  label: string,
  seeds: readonly { readonly address: string; readonly port: number }[],
): RedisClusterOptions | undefined {
  const options = (cluster['typed_extension_protocol_options'] as Record<string, AnyMessage> | undefined)?.[
    REDIS_PROTOCOL_OPTIONS_KEY
  ];
  const clusterMode = isRedisClusterType(cluster);
  if (options === undefined && !clusterMode) return undefined;
  let auth: RedisUpstreamAuth | undefined;
  if (options !== undefined) {
    const path = `typed_extension_protocol_options["${REDIS_PROTOCOL_OPTIONS_KEY}"]`;
    if (options.type_url !== ConfigTypeUrls.redisProtocolOptions) {
      throw invalidResource(
        label,
        path,
        `must be ${ConfigTypeUrls.redisProtocolOptions}, got ${options.type_url}`,
      );
    }
    const decoded = unpackAny(options);
    const password = inlineText(decoded['auth_password'], label, `${path}.auth_password`);
    const username = inlineText(decoded['auth_username'], label, `${path}.auth_username`);
    if (password !== undefined && password !== '') {
      auth = username === undefined || username === '' ? { password } : { username, password };
    } else if (username !== undefined && username !== '') {
      throw invalidResource(label, `${path}.auth_username`, 'needs auth_password');
    }
  }
  const d = REDIS_CLUSTER_DEFAULTS;
  if (!clusterMode) {
    return { mode: 'proxy', ...(auth === undefined ? {} : { auth }), seeds: [], ...d };
  }
  const typed = (cluster['cluster_type'] as ProtoObject)['typed_config'] as AnyMessage | undefined;
  let config: ProtoObject = {};
  if (typed !== undefined) {
    if (typed.type_url !== ConfigTypeUrls.redisClusterConfig) {
      throw invalidResource(
        label,
        'cluster_type.typed_config',
        `must be ${ConfigTypeUrls.redisClusterConfig}, got ${typed.type_url}`,
      );
    }
    config = unpackAny(typed);
  }
  const positive = (field: string, fallback: number): number => {
    const ms = msFromDuration(config[field]) ?? fallback;
    if (!(ms > 0))
      throw invalidResource(label, `cluster_type.typed_config.${field}`, 'must be longer than 0');
    return ms;
  };
  if (seeds.length === 0)
    throw invalidResource(label, 'load_assignment', 'a Redis Cluster needs at least one seed endpoint');
  return {
    mode: 'cluster',
    ...(auth === undefined ? {} : { auth }),
    seeds,
    refreshRateMs: positive('cluster_refresh_rate', d.refreshRateMs),
    refreshTimeoutMs: positive('cluster_refresh_timeout', d.refreshTimeoutMs),
    redirectRefreshIntervalMs:
      msFromDuration(config['redirect_refresh_interval']) ?? d.redirectRefreshIntervalMs,
    redirectRefreshThreshold:
      config['redirect_refresh_threshold'] === undefined
        ? d.redirectRefreshThreshold
        : (wrapperValue<number>(config['redirect_refresh_threshold']) ?? 0),
    failureRefreshThreshold: Number(config['failure_refresh_threshold'] ?? d.failureRefreshThreshold),
  };
}
