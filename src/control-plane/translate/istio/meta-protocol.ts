/**
 * The MetaProtocolProxy network filter of Envoy sidecars and gateways, as TypedStruct values in the
 * original's shapes (only fields the original MetaProtocolProxy declares: Envoy converts a
 * TypedStruct strictly, so our extensions are never written here):
 *
 * ```
 * outbound: { stat_prefix: "outbound|<port>||<host>", application_protocol: <protocol>,
 *             codec: { name: <codec> },
 *             rds: { config_source: { api_config_source: { api_type: GRPC, transport_api_version: V3,
 *                                       grpc_services: [{ envoy_grpc: { cluster_name: aeraki-xds } }] },
 *                                     resource_api_version: V3 },
 *                    route_config_name: "<host>_<port>" },
 *             meta_protocol_filters: [ metadata_exchange, istio_stats { destination_service: <host> }, router ] }
 * inbound:  { stat_prefix: "inbound|<port>||", application_protocol, codec,
 *             route_config: { name: "inbound|<port>||", routes: [{ route: { cluster: "inbound|<port>||" } }] },
 *             meta_protocol_filters: [ local_ratelimit?, ratelimit?, metadata_exchange, istio_stats, router ] }
 * ```
 *
 * Rate limits run on the inbound side (per provider instance), as in the original.
 */
import type { JsonValue } from '../../../xds/proto-json.js';
import { packAny, type ProtoObject } from '../../../xds/proto-message.js';
import {
  globalRateLimitFilterToProto,
  localRateLimitFilterToProto,
} from '../../../xds/rate-limit-filters.js';
import { META_PROTOCOL_PROXY_FILTER, META_PROTOCOL_ROUTER_FILTER } from '../../../xds/type-urls.js';
import type { ListenerResource } from '../../../xds/resources.js';
import { inboundName, typedStructFilter } from './envoy-filter.js';

const META_PROTOCOL_PROXY = 'aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy';
const ISTIO_STATS = 'aeraki.meta_protocol_proxy.filters.istio_stats.v1alpha.IstioStats';
export const METADATA_EXCHANGE_FILTER = 'aeraki.meta_protocol.filters.metadata_exchange';
export const ISTIO_STATS_FILTER = 'aeraki.meta_protocol.filters.istio_stats';

/** The RDS config source of the original's sidecars: a gRPC stream on a bootstrap cluster. */
export function aerakiRdsConfigSource(xdsCluster: string): ProtoObject {
  return {
    api_config_source: {
      api_type: 'GRPC',
      transport_api_version: 'V3',
      grpc_services: [{ envoy_grpc: { cluster_name: xdsCluster } }],
    },
    resource_api_version: 'V3',
  };
}

function telemetryFilters(host: string): ProtoObject[] {
  return [
    { name: METADATA_EXCHANGE_FILTER },
    { name: ISTIO_STATS_FILTER, config: packAny(ISTIO_STATS, { destination_service: host }) },
    { name: META_PROTOCOL_ROUTER_FILTER },
  ];
}

export interface OutboundProxyInput {
  readonly statPrefix: string;
  readonly protocol: string;
  readonly codec: string;
  readonly routeConfigName: string;
  readonly host: string;
  readonly xdsCluster: string;
}

export function outboundMetaProtocolProxy(input: OutboundProxyInput): Record<string, JsonValue> {
  return typedStructFilter(META_PROTOCOL_PROXY_FILTER, META_PROTOCOL_PROXY, {
    stat_prefix: input.statPrefix,
    application_protocol: input.protocol,
    codec: { name: input.codec },
    rds: { config_source: aerakiRdsConfigSource(input.xdsCluster), route_config_name: input.routeConfigName },
    meta_protocol_filters: telemetryFilters(input.host),
  });
}

export interface InboundProxyInput {
  readonly port: number;
  readonly protocol: string;
  readonly codec: string;
  readonly host: string;
  readonly rateLimits: Pick<ListenerResource, 'localRateLimit' | 'globalRateLimit'>;
}

export function inboundMetaProtocolProxy(input: InboundProxyInput): Record<string, JsonValue> {
  const name = inboundName(input.port);
  const { localRateLimit, globalRateLimit } = input.rateLimits;
  return typedStructFilter(META_PROTOCOL_PROXY_FILTER, META_PROTOCOL_PROXY, {
    stat_prefix: name,
    application_protocol: input.protocol,
    codec: { name: input.codec },
    route_config: { name, routes: [{ route: { cluster: name } }] },
    meta_protocol_filters: [
      ...(localRateLimit === undefined ? [] : [localRateLimitFilterToProto(localRateLimit, input.host)]),
      ...(globalRateLimit === undefined ? [] : [globalRateLimitFilterToProto(globalRateLimit)]),
      ...telemetryFilters(input.host),
    ],
  });
}
