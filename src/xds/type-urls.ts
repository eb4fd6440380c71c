/**
 * Type URLs (`type.googleapis.com/<full message name>`) of the resources and typed configs we exchange,
 * and the names Envoy and Aeraki give the extensions that carry them.
 */

const PREFIX = 'type.googleapis.com/';

/** `type.googleapis.com/<fullName>`. */
export function typeUrlOf(fullName: string): string {
  return PREFIX + fullName;
}

/** The full message name inside a type URL (everything after the last `/`). */
export function messageNameOf(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

/** The four resource types of the xDS protocol that we serve. */
export const TypeUrls = {
  listener: typeUrlOf('envoy.config.listener.v3.Listener'),
  cluster: typeUrlOf('envoy.config.cluster.v3.Cluster'),
  clusterLoadAssignment: typeUrlOf('envoy.config.endpoint.v3.ClusterLoadAssignment'),
  routeConfiguration: typeUrlOf('envoy.config.route.v3.RouteConfiguration'),
} as const;

const DISCOVERY_SERVICES: Readonly<Record<string, string>> = {
  [TypeUrls.listener]: 'lds',
  [TypeUrls.cluster]: 'cds',
  [TypeUrls.clusterLoadAssignment]: 'eds',
  [TypeUrls.routeConfiguration]: 'rds',
};

/** The discovery service of a resource type as Envoy users name it (`lds`, `cds`, `eds`, `rds`). */
export function discoveryServiceOf(typeUrl: string): string | undefined {
  return DISCOVERY_SERVICES[typeUrl];
}

/** Typed configs nested inside those resources. */
export const ConfigTypeUrls = {
  metaProtocolProxy: typeUrlOf('aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy'),
  metaProtocolRouteConfiguration: typeUrlOf(
    'aeraki.meta_protocol_proxy.config.route.v1alpha.RouteConfiguration',
  ),
  metaProtocolClusterOptions: typeUrlOf('aeraki.meta_protocol_proxy.v1alpha.MetaProtocolClusterOptions'),
  tcpProtocolOptions: typeUrlOf('envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions'),
  httpConnectionManager: typeUrlOf(
    'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  ),
  httpRouter: typeUrlOf('envoy.extensions.filters.http.router.v3.Router'),
  struct: typeUrlOf('google.protobuf.Struct'),
  typedStruct: typeUrlOf('xds.type.v3.TypedStruct'),
  /** The historical name of the same message, still accepted (Envoy accepts both). */
  udpaTypedStruct: typeUrlOf('udpa.type.v1.TypedStruct'),
  localRateLimit: typeUrlOf('aeraki.meta_protocol_proxy.filters.local_ratelimit.v1alpha.LocalRateLimit'),
  globalRateLimit: typeUrlOf('aeraki.meta_protocol_proxy.filters.ratelimit.v1alpha.RateLimit'),
  redisProxy: typeUrlOf('envoy.extensions.filters.network.redis_proxy.v3.RedisProxy'),
  redisProtocolOptions: typeUrlOf('envoy.extensions.filters.network.redis_proxy.v3.RedisProtocolOptions'),
  redisClusterConfig: typeUrlOf('envoy.extensions.clusters.redis.v3.RedisClusterConfig'),
} as const;

/** Listener network filter name of Envoy's Redis proxy (what Aeraki emits for `tcp-redis…` ports). */
export const REDIS_PROXY_FILTER = 'envoy.filters.network.redis_proxy';

/** Key of Cluster.typed_extension_protocol_options that holds Envoy's RedisProtocolOptions (upstream auth). */
export const REDIS_PROTOCOL_OPTIONS_KEY = 'envoy.filters.network.redis_proxy';

/** Cluster.cluster_type name of Envoy's Redis Cluster (topology discovered with CLUSTER SLOTS). */
export const REDIS_CLUSTER_TYPE = 'envoy.clusters.redis';

/** Listener network filter name Aeraki gives the MetaProtocol proxy. */
export const META_PROTOCOL_PROXY_FILTER = 'envoy.filters.network.meta_protocol_proxy';

/** The MetaProtocol router filter, last in every MetaProtocol filter chain. */
export const META_PROTOCOL_ROUTER_FILTER = 'aeraki.meta_protocol.filters.router';

/** The MetaProtocol local rate limit filter (token buckets in the proxy). */
export const META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER = 'aeraki.meta_protocol.filters.local_ratelimit';

/** The MetaProtocol global rate limit filter (Envoy's rate-limit service over gRPC). */
export const META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER = 'aeraki.meta_protocol.filters.ratelimit';

/**
 * Prefix of the type URL inside the TypedStruct that carries a filter's config when it has no proto of
 * its own (a plugin's filter): `type.aeraki.io/<filter name>`.
 */
export const FILTER_CONFIG_TYPE_URL_PREFIX = 'type.aeraki.io/';

/** Key of Cluster.typed_extension_protocol_options that holds Envoy's TcpProtocolOptions. */
export const TCP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions';

/** Key of Cluster.metadata.typed_filter_metadata that holds our MetaProtocolClusterOptions. */
export const META_PROTOCOL_METADATA_KEY = 'aeraki.meta_protocol_proxy';

/** Key of endpoint metadata.filter_metadata that holds endpoint labels (Envoy's subset LB key). */
export const ENDPOINT_LABELS_METADATA_KEY = 'envoy.lb';
