/**
 * The xDS layer shared by the control plane and the proxy: the resource model, its Envoy v3 encoding
 * (with our MetaProtocol protos), discovery messages and the ADS method.
 */
export type * from './resources.js';
export type { XdsResource, AnyMessage } from './xds-resource.js';
export {
  TypeUrls,
  ConfigTypeUrls,
  typeUrlOf,
  discoveryServiceOf,
  messageNameOf,
  META_PROTOCOL_PROXY_FILTER,
  META_PROTOCOL_ROUTER_FILTER,
  TCP_PROTOCOL_OPTIONS_KEY,
  REDIS_PROXY_FILTER,
  REDIS_PROTOCOL_OPTIONS_KEY,
  REDIS_CLUSTER_TYPE,
  META_PROTOCOL_METADATA_KEY,
  ENDPOINT_LABELS_METADATA_KEY,
} from './type-urls.js';
export { protoRoot, protoType } from './proto-root.js';
export { encodeMessage, decodeMessage, packAny, unpackAny, type ProtoObject } from './proto-message.js';
export {
  encodeListener,
  decodeListener,
  metaProtocolProxyToProto,
  type DecodedListener,
} from './listener.js';
export { encodeCluster, decodeCluster, type DecodedCluster } from './cluster.js';
export { encodeRedisListener, decodeRedisListener, redisProxyToProto } from './redis-proxy.js';
export {
  REDIS_CLUSTER_DEFAULTS,
  REDIS_READ_POLICIES,
  isRedisListener,
  redisListenerClusterRefs,
} from './redis-resources.js';
export { encodeEndpointAssignment, decodeEndpointAssignment } from './endpoints.js';
export {
  encodeRouteConfiguration,
  decodeRouteConfiguration,
  routeConfigurationClusterRefs,
} from './route-configuration.js';
export {
  metaRouteConfigurationToProto,
  metaRouteConfigurationFromProto,
} from './meta-route-configuration.js';
export {
  encodeSnapshot,
  decodeResources,
  decodeSnapshot,
  routeTableClusterRefs,
  type DecodedResources,
  type EncodedResource,
  type ResourceError,
} from './snapshot-codec.js';
export { resourceToJson, resourceFromJson } from './resource-json.js';
export {
  ADS_METHOD_PATH,
  adsMethodDefinition,
  encodeDiscoveryRequest,
  decodeDiscoveryRequest,
  encodeDiscoveryResponse,
  decodeDiscoveryResponse,
  encodeResponseResource,
  responseResourceSize,
  writeResponseResource,
  assembleDiscoveryResponse,
  assembleResponseBody,
  finishResponse,
  type DiscoveryRequest,
  type DiscoveryResponse,
  type XdsNode,
} from './discovery-messages.js';
export {
  DELTA_ADS_METHOD_PATH,
  deltaAdsMethodDefinition,
  encodeDeltaDiscoveryRequest,
  decodeDeltaDiscoveryRequest,
  encodeDeltaDiscoveryResponse,
  decodeDeltaDiscoveryResponse,
  assembleDeltaResponseBody,
  finishDeltaResponse,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DeltaResource,
  type DeltaResourceWire,
} from './delta-discovery-messages.js';
export { allocFramed, concatFramed, frameOf, GRPC_FRAME_HEADER_BYTES } from './grpc-frame.js';
