/**
 * An upstream cluster ⇄ an Envoy `envoy.config.cluster.v3.Cluster`. Each field of ours maps to the Envoy
 * field that means the same, or to our typed extension where Envoy has none:
 *
 * ```
 * Cluster { name: "outbound|<port>|<subset>|<host>",
 *   type: EDS, eds_cluster_config: { eds_config: { ads {}, resource_api_version: V3 } },
 *   lb_policy,                                     // lbPolicy, same enum names
 *   connect_timeout,                               // connectTimeoutMs
 *   circuit_breakers: { per_host_thresholds: [ { max_connections } ] },
 *                                                  // maxConnectionsPerEndpoint (left out when 0 = unlimited);
 *                                                  // per_host, because ours is a per-endpoint bound
 *   typed_extension_protocol_options: { "envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions":
 *       TcpProtocolOptions { idle_timeout } },     // idleTimeoutMs, always written: 0 = never in both
 *   metadata: { typed_filter_metadata: { "aeraki.meta_protocol_proxy":
 *       MetaProtocolClusterOptions { multiplexed_connections = 1000, heartbeat_interval = 1001 } } } }
 *                                                  // aeraki-ts extension, ignored by Envoy
 *   circuit_breakers: { thresholds: [ { max_connections, max_pending_requests, max_requests } ] },
 *                                                  // circuitBreakers (DEFAULT priority), when set
 *   max_requests_per_connection,                   // maxRequestsPerConnection, when set (the Cluster
 *                                                  // field: MetaProtocol clusters have no HTTP options)
 *   per_connection_buffer_limit_bytes,             // perConnectionBufferLimitBytes, when set
 *   outlier_detection: { consecutive_5xx, enforcing_consecutive_5xx, consecutive_gateway_failure,
 *       enforcing_consecutive_gateway_failure, interval, base_ejection_time, max_ejection_time,
 *       max_ejection_percent, enforcing_success_rate = 0 },
 *   common_lb_config: { healthy_panic_threshold }, // outlierDetection, when set; enforcing_* is 100
 *                                                  // for a used threshold and 0 for an unused one
 *   …redis-cluster.ts: RedisProtocolOptions, and for a Redis Cluster its cluster_type and seeds
 * ```
 *
 * Decoding also accepts a STATIC cluster whose `load_assignment` lists the endpoints (returned beside the
 * cluster), and fills what is absent with Envoy's defaults: connect timeout 5 s, idle timeout 10 min,
 * no per-endpoint bound, circuit breakers of 1024 each, the proxy's buffer limit (1 MiB by default);
 * and ours: one multiplexed connection, no heartbeat. Success-rate ejection is not run. Absent fields
 * inside `circuit_breakers` and `outlier_detection` get Envoy's defaults (1024; 5 errors, gateway
 * errors not enforced, 10 s, 30 s, 300 s, 10 %, panic below 50 %).
 */
import {
  ENVOY_DEFAULT_CIRCUIT_BREAKERS,
  type CircuitBreakerLimits,
  type ClusterResource,
  type EndpointAssignmentResource,
  type LbPolicy,
  type OutlierDetectionSettings,
} from './resources.js';
import { bufferLimitBytes } from './buffer-limit.js';
import { decodeMessage, encodeMessage, packAny, unpackAny, type ProtoObject } from './proto-message.js';
import { invalidResource, resourceLabel } from './invalid-resource.js';
import { endpointAssignmentFromProto } from './endpoints.js';
import { addRedisClusterFields, isRedisClusterType, redisClusterOptionsFromProto } from './redis-cluster.js';
import { ConfigTypeUrls, META_PROTOCOL_METADATA_KEY, TCP_PROTOCOL_OPTIONS_KEY } from './type-urls.js';
import type { AnyMessage } from './xds-resource.js';
import { durationFromMs, msFromDuration, wrapperValue } from './well-known.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const LB_POLICIES: readonly LbPolicy[] = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'RING_HASH', 'MAGLEV'];

/** Envoy's defaults for fields a foreign cluster may leave out. */
const ENVOY_CONNECT_TIMEOUT_MS = 5_000;
const ENVOY_TCP_IDLE_TIMEOUT_MS = 600_000;
const DEFAULT_MULTIPLEXED_CONNECTIONS = 1;

/** The Envoy Cluster for one of ours. */
export function encodeCluster(cluster: ClusterResource): Uint8Array {
  const options: ProtoObject = { multiplexed_connections: cluster.multiplexedConnections };
  if (cluster.heartbeatIntervalMs > 0)
    options['heartbeat_interval'] = durationFromMs(cluster.heartbeatIntervalMs);
  const message: ProtoObject = {
    name: cluster.name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
    lb_policy: cluster.lbPolicy,
    connect_timeout: durationFromMs(cluster.connectTimeoutMs),
    typed_extension_protocol_options: {
      [TCP_PROTOCOL_OPTIONS_KEY]: packAny('envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions', {
        idle_timeout: durationFromMs(cluster.idleTimeoutMs),
      }),
    },
    metadata: {
      typed_filter_metadata: {
        [META_PROTOCOL_METADATA_KEY]: packAny(
          'aeraki.meta_protocol_proxy.v1alpha.MetaProtocolClusterOptions',
          options,
        ),
      },
    },
  };
  if (cluster.maxConnectionsPerEndpoint > 0) {
    message['circuit_breakers'] = {
      per_host_thresholds: [{ max_connections: { value: cluster.maxConnectionsPerEndpoint } }],
    };
  }
  const limits = cluster.circuitBreakers;
  if (limits !== undefined) {
    message['circuit_breakers'] = {
      ...(message['circuit_breakers'] as ProtoObject | undefined),
      thresholds: [
        {
          max_connections: { value: limits.maxConnections },
          max_pending_requests: { value: limits.maxPendingRequests },
          max_requests: { value: limits.maxRequests },
        },
      ],
    };
  }
  if (cluster.maxRequestsPerConnection !== undefined) {
    message['max_requests_per_connection'] = { value: cluster.maxRequestsPerConnection };
  }
  if (cluster.perConnectionBufferLimitBytes !== undefined) {
    message['per_connection_buffer_limit_bytes'] = { value: cluster.perConnectionBufferLimitBytes };
  }
  const outlier = cluster.outlierDetection;
  if (outlier !== undefined) {
    message['outlier_detection'] = encodeOutlierDetection(outlier);
    message['common_lb_config'] = { healthy_panic_threshold: { value: outlier.minHealthPercent } };
  }
  addRedisClusterFields(message, cluster);
  return encodeMessage(CLUSTER, message);
}

function encodeOutlierDetection(outlier: OutlierDetectionSettings): ProtoObject {
  const enforcing = (threshold: number): ProtoObject => ({ value: threshold > 0 ? 100 : 0 });
  const message: ProtoObject = {
    enforcing_consecutive_5xx: enforcing(outlier.consecutiveErrors),
    enforcing_consecutive_gateway_failure: enforcing(outlier.consecutiveGatewayErrors),
    enforcing_success_rate: { value: 0 },
    interval: durationFromMs(outlier.intervalMs),
    base_ejection_time: durationFromMs(outlier.baseEjectionMs),
    max_ejection_time: durationFromMs(outlier.maxEjectionMs),
    max_ejection_percent: { value: outlier.maxEjectionPercent },
  };
  if (outlier.consecutiveErrors > 0) message['consecutive_5xx'] = { value: outlier.consecutiveErrors };
  if (outlier.consecutiveGatewayErrors > 0)
    message['consecutive_gateway_failure'] = { value: outlier.consecutiveGatewayErrors };
  return message;
}

/**
 * The number in a UInt32Value or Percent, or `undefined` when the field is unset. A set wrapper whose
 * value is 0 decodes as an empty message (proto3 leaves zeros out), so that reads as 0.
 */
function wrappedNumber(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const inner = (value as { value?: number }).value;
  return inner ?? 0;
}

/** Envoy's default for every circuit-breaker threshold left unset. */
const ENVOY_DEFAULT_THRESHOLD = ENVOY_DEFAULT_CIRCUIT_BREAKERS.maxRequests;

function decodeCircuitBreakers(
  circuitBreakers: ProtoObject | undefined,
  label: string,
): CircuitBreakerLimits | undefined {
  const thresholds = (circuitBreakers?.['thresholds'] ?? []) as ProtoObject[];
  const index = thresholds.findIndex(t => (t['priority'] ?? 'DEFAULT') === 'DEFAULT');
  const threshold = thresholds[index];
  if (threshold === undefined) return undefined;
  const limit = (field: string): number => {
    const value = wrappedNumber(threshold[field]) ?? ENVOY_DEFAULT_THRESHOLD;
    if (!Number.isInteger(value) || value < 0) {
      throw invalidResource(
        label,
        `circuit_breakers.thresholds[${index}].${field}`,
        `must be a whole number ≥ 0, got ${value}`,
      );
    }
    return value;
  };
  return {
    maxConnections: limit('max_connections'),
    maxPendingRequests: limit('max_pending_requests'),
    maxRequests: limit('max_requests'),
  };
}

/** Envoy's defaults for an `outlier_detection` message's unset fields. */
const ENVOY_OUTLIER_DEFAULTS = {
  consecutive5xx: 5,
  consecutiveGatewayFailure: 5,
  intervalMs: 10_000,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 10,
  healthyPanicThreshold: 50,
};

function decodeOutlierDetection(cluster: ProtoObject, label: string): OutlierDetectionSettings | undefined {
  const outlier = cluster['outlier_detection'] as ProtoObject | undefined;
  if (outlier === undefined) return undefined;
  const d = ENVOY_OUTLIER_DEFAULTS;
  const at = (field: string): string => `outlier_detection.${field}`;
  const threshold = (field: string, enforcingField: string, fallback: number, enforcedByDefault: boolean) => {
    const enforcing = wrappedNumber(outlier[enforcingField]) ?? (enforcedByDefault ? 100 : 0);
    if (enforcing !== 0 && enforcing !== 100) {
      throw invalidResource(label, at(enforcingField), `only 0 and 100 are supported, got ${enforcing}`);
    }
    return enforcing === 0 ? 0 : (wrappedNumber(outlier[field]) ?? fallback);
  };
  const positiveMs = (field: string, fallback: number): number => {
    const ms = msFromDuration(outlier[field]) ?? fallback;
    if (!(ms > 0)) throw invalidResource(label, at(field), 'must be longer than 0');
    return ms;
  };
  const baseEjectionMs = positiveMs('base_ejection_time', d.baseEjectionMs);
  const maxEjectionPercent = wrappedNumber(outlier['max_ejection_percent']) ?? d.maxEjectionPercent;
  if (maxEjectionPercent > 100) {
    throw invalidResource(label, at('max_ejection_percent'), `must be 0–100, got ${maxEjectionPercent}`);
  }
  const commonLb = cluster['common_lb_config'] as ProtoObject | undefined;
  const panic = wrappedNumber(commonLb?.['healthy_panic_threshold']) ?? d.healthyPanicThreshold;
  if (!(panic >= 0 && panic <= 100)) {
    throw invalidResource(label, 'common_lb_config.healthy_panic_threshold', `must be 0–100, got ${panic}`);
  }
  return {
    consecutiveErrors: threshold('consecutive_5xx', 'enforcing_consecutive_5xx', d.consecutive5xx, true),
    consecutiveGatewayErrors: threshold(
      'consecutive_gateway_failure',
      'enforcing_consecutive_gateway_failure',
      d.consecutiveGatewayFailure,
      false,
    ),
    intervalMs: positiveMs('interval', d.intervalMs),
    baseEjectionMs,
    maxEjectionMs: positiveMs('max_ejection_time', Math.max(d.maxEjectionMs, baseEjectionMs)),
    maxEjectionPercent,
    minHealthPercent: panic,
  };
}

/** A decoded cluster and, for a STATIC cluster, the endpoints its load_assignment lists. */
export interface DecodedCluster {
  readonly cluster: ClusterResource;
  readonly staticEndpoints?: EndpointAssignmentResource;
}

function typedAny(
  map: unknown,
  key: string,
  typeUrl: string,
  label: string,
  path: string,
): ProtoObject | undefined {
  const any = (map as Record<string, AnyMessage> | undefined)?.[key];
  if (any === undefined) return undefined;
  if (any.type_url !== typeUrl)
    throw invalidResource(label, `${path}["${key}"]`, `must be ${typeUrl}, got ${any.type_url}`);
  return unpackAny(any);
}

function edsSourceIsAds(cluster: ProtoObject, label: string): void {
  const eds = (cluster['eds_cluster_config'] ?? {}) as ProtoObject;
  const source = (eds['eds_config'] ?? {}) as ProtoObject;
  if (source['ads'] === undefined && source['self'] === undefined) {
    throw invalidResource(
      label,
      'eds_cluster_config.eds_config',
      'only ads or self config sources are supported',
    );
  }
  const serviceName = eds['service_name'];
  if (typeof serviceName === 'string' && serviceName !== '' && serviceName !== cluster['name']) {
    throw invalidResource(label, 'eds_cluster_config.service_name', 'must be empty or the cluster name');
  }
}

/** Our cluster from Cluster bytes; throws AERAKI_ERR_XDS_INVALID_RESOURCE naming the field. */
export function decodeCluster(bytes: Uint8Array): DecodedCluster {
  const cluster = decodeMessage(CLUSTER, bytes);
  const name = typeof cluster['name'] === 'string' ? cluster['name'] : '';
  const label = resourceLabel('Cluster', name);
  if (name === '') throw invalidResource(label, 'name', 'must not be empty');

  const type = String(cluster['type'] ?? 'STATIC');
  const redisClusterType = isRedisClusterType(cluster);
  let staticEndpoints: EndpointAssignmentResource | undefined;
  let seeds: { address: string; port: number }[] = [];
  if (redisClusterType) {
    // Envoy's Redis Cluster: its load_assignment lists the seeds of the topology discovery (kept in
    // the Redis options; the cluster's endpoints, if any, come by EDS).
    const assignment = (cluster['load_assignment'] ?? { cluster_name: name }) as ProtoObject;
    seeds = endpointAssignmentFromProto(assignment, label, 'load_assignment').endpoints.map(e => ({
      address: e.address,
      port: e.port,
    }));
  } else if (type === 'EDS') {
    edsSourceIsAds(cluster, label);
  } else if (type === 'STATIC') {
    const assignment = (cluster['load_assignment'] ?? { cluster_name: name }) as ProtoObject;
    staticEndpoints = {
      ...endpointAssignmentFromProto(assignment, label, 'load_assignment'),
      clusterName: name,
    };
  } else {
    throw invalidResource(label, 'type', `only EDS and STATIC clusters are supported, got ${type}`);
  }

  // A Redis Cluster picks nodes by slot (CLUSTER_PROVIDED); its seeds are asked in random order.
  const lbPolicy = (redisClusterType ? 'RANDOM' : String(cluster['lb_policy'] ?? 'ROUND_ROBIN')) as LbPolicy;
  if (!LB_POLICIES.includes(lbPolicy)) {
    throw invalidResource(label, 'lb_policy', `must be one of ${LB_POLICIES.join(', ')}, got ${lbPolicy}`);
  }

  const thresholds = ((cluster['circuit_breakers'] as ProtoObject | undefined)?.['per_host_thresholds'] ??
    []) as ProtoObject[];
  const perHost = thresholds.find(t => (t['priority'] ?? 'DEFAULT') === 'DEFAULT');
  const tcp = typedAny(
    cluster['typed_extension_protocol_options'],
    TCP_PROTOCOL_OPTIONS_KEY,
    ConfigTypeUrls.tcpProtocolOptions,
    label,
    'typed_extension_protocol_options',
  );
  const options = typedAny(
    (cluster['metadata'] as ProtoObject | undefined)?.['typed_filter_metadata'],
    META_PROTOCOL_METADATA_KEY,
    ConfigTypeUrls.metaProtocolClusterOptions,
    label,
    'metadata.typed_filter_metadata',
  );
  const multiplexed = Number(options?.['multiplexed_connections'] ?? 0);

  let decoded: ClusterResource = {
    name,
    lbPolicy,
    connectTimeoutMs: msFromDuration(cluster['connect_timeout']) ?? ENVOY_CONNECT_TIMEOUT_MS,
    idleTimeoutMs:
      tcp === undefined
        ? ENVOY_TCP_IDLE_TIMEOUT_MS
        : (msFromDuration(tcp['idle_timeout']) ?? ENVOY_TCP_IDLE_TIMEOUT_MS),
    maxConnectionsPerEndpoint: wrapperValue<number>(perHost?.['max_connections']) ?? 0,
    multiplexedConnections: multiplexed > 0 ? multiplexed : DEFAULT_MULTIPLEXED_CONNECTIONS,
    heartbeatIntervalMs: msFromDuration(options?.['heartbeat_interval']) ?? 0,
  };
  const circuitBreakers = decodeCircuitBreakers(
    cluster['circuit_breakers'] as ProtoObject | undefined,
    label,
  );
  const outlierDetection = decodeOutlierDetection(cluster, label);
  const maxRequestsPerConnection = wrappedNumber(cluster['max_requests_per_connection']) ?? 0;
  const perConnectionBufferLimitBytes = bufferLimitBytes(cluster, label);
  if (circuitBreakers !== undefined) decoded = { ...decoded, circuitBreakers };
  if (perConnectionBufferLimitBytes !== undefined) decoded = { ...decoded, perConnectionBufferLimitBytes };
  if (maxRequestsPerConnection > 0) decoded = { ...decoded, maxRequestsPerConnection };
  if (outlierDetection !== undefined) decoded = { ...decoded, outlierDetection };
  const redis = redisClusterOptionsFromProto(cluster, label, seeds);
  if (redis !== undefined) decoded = { ...decoded, redis };
  return staticEndpoints === undefined ? { cluster: decoded } : { cluster: decoded, staticEndpoints };
}
