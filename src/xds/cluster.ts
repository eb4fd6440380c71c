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
 * ```
 *
 * Decoding also accepts a STATIC cluster whose `load_assignment` lists the endpoints (returned beside the
 * cluster), and fills what is absent with Envoy's defaults: connect timeout 5 s, idle timeout 10 min,
 * no per-endpoint bound; and ours: one multiplexed connection, no heartbeat.
 */
import type { ClusterResource, EndpointAssignmentResource, LbPolicy } from './resources.js';
import { decodeMessage, encodeMessage, packAny, unpackAny, type ProtoObject } from './proto-message.js';
import { invalidResource, resourceLabel } from './invalid-resource.js';
import { endpointAssignmentFromProto } from './endpoints.js';
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
  return encodeMessage(CLUSTER, message);
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
  let staticEndpoints: EndpointAssignmentResource | undefined;
  if (type === 'EDS') {
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

  const lbPolicy = String(cluster['lb_policy'] ?? 'ROUND_ROBIN') as LbPolicy;
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

  const decoded: ClusterResource = {
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
  return staticEndpoints === undefined ? { cluster: decoded } : { cluster: decoded, staticEndpoints };
}
