/**
 * A MetaProtocol listener ⇄ an Envoy `envoy.config.listener.v3.Listener`:
 *
 * ```
 * Listener { name: "<address>_<port>",
 *   address: { socket_address: { address, port_value } },
 *   traffic_direction: OUTBOUND,
 *   per_connection_buffer_limit_bytes?,                     // perConnectionBufferLimitBytes; absent = the proxy's
 *                                                           // default (1 MiB, Envoy's)
 *   filter_chains: [ { filters: [ { name: "envoy.filters.network.meta_protocol_proxy",
 *     typed_config: MetaProtocolProxy {
 *       stat_prefix,
 *       application_protocol, codec { name, config? },        // the deprecated fields Aeraki's proxies read
 *       protocol { name, codec { name, config? }, multiplexing },
 *       rds { config_source { ads {}, resource_api_version: V3 }, route_config_name },
 *       meta_protocol_filters: [ …filters,                  // in order: local_ratelimit and ratelimit
 *                                                           // (rate-limit-filters.ts), the registry's
 *                                                           // filters (listener-filters.ts)
 *                                { name: "aeraki.meta_protocol.filters.router" } ],
 *       idle_timeout?,                                        // 0s = never; absent = the proxy's default (1 h)
 *       request_timeout? = 1000 } } ] } ] }                   // aeraki-ts extension; 0 = none, left out
 * ```
 *
 * The codec's own settings travel as `google.protobuf.Struct` in `Codec.config`. Decoding takes the
 * protocol from `protocol` when set, else from the deprecated fields; accepts an inline `route_config`
 * (its table is returned beside the listener), RDS over ADS/self, or the original's
 * `api_config_source` on a gRPC cluster (fetched from this proxy's xDS server on the ADS stream);
 * takes the filters in their listed order, the router last: at most one local and one global rate
 * limit filter, any other filter by name with its config (whether the proxy has it is checked when
 * the listener is built), and Aeraki's telemetry filters (metadata_exchange, istio_stats), which our
 * always-on stats replace and are left out; and ignores `tracing` and `access_log`.
 */
import type { ListenerFilterResource, ListenerResource, RouteConfigResource } from './resources.js';
import {
  filterChainOf,
  filterEntryFromProto,
  filterEntryToProto,
  normalFilterChain,
} from './listener-filters.js';
import { decodeMessage, encodeMessage, packAny, unpackAny, type ProtoObject } from './proto-message.js';
import { invalidResource, resourceLabel } from './invalid-resource.js';
import { metaRouteConfigurationFromProto } from './meta-route-configuration.js';
import {
  globalRateLimitFilterToProto,
  globalRateLimitFromFilter,
  localRateLimitFilterToProto,
  localRateLimitFromFilter,
} from './rate-limit-filters.js';
import {
  ConfigTypeUrls,
  META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER,
  META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER,
  META_PROTOCOL_PROXY_FILTER,
  META_PROTOCOL_ROUTER_FILTER,
} from './type-urls.js';
import type { AnyMessage } from './xds-resource.js';
import { durationFromMs, jsonFromStruct, msFromDuration, structFromJson } from './well-known.js';
import { bufferLimitBytes } from './buffer-limit.js';

const LISTENER = 'envoy.config.listener.v3.Listener';
const META_PROTOCOL_PROXY = 'aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy';

/** MetaProtocol filters accepted besides the router: Aeraki's Istio telemetry, replaced by our stats. */
const IGNORED_FILTERS = new Set([
  'aeraki.meta_protocol.filters.metadata_exchange',
  'aeraki.meta_protocol.filters.istio_stats',
]);

function codecToProto(name: string, config: unknown): ProtoObject {
  if (config === undefined || config === null) return { name };
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new TypeError(`codec ${name}: codec config must be a JSON object`);
  }
  return {
    name,
    config: packAny('google.protobuf.Struct', structFromJson(config as Record<string, unknown>)),
  };
}

/** One entry of a listener's chain; none for a rate limit the listener does not configure. */
function filterToProto(listener: ListenerResource, filter: ListenerFilterResource): ProtoObject[] {
  if (filter.name === META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER) {
    const limit = listener.localRateLimit;
    return limit === undefined ? [] : [localRateLimitFilterToProto(limit, listener.statPrefix)];
  }
  if (filter.name === META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER) {
    const limit = listener.globalRateLimit;
    return limit === undefined ? [] : [globalRateLimitFilterToProto(limit)];
  }
  return [filterEntryToProto(filter)];
}

/** The MetaProtocolProxy filter config of a listener, as an object. */
export function metaProtocolProxyToProto(listener: ListenerResource): ProtoObject {
  const codec = codecToProto(listener.codec, listener.codecConfig);
  const proxy: ProtoObject = {
    stat_prefix: listener.statPrefix,
    application_protocol: listener.protocol,
    codec,
    protocol: { name: listener.protocol, codec, multiplexing: listener.multiplexing },
    rds: {
      config_source: { ads: {}, resource_api_version: 'V3' },
      route_config_name: listener.routeConfigName,
    },
    meta_protocol_filters: [
      ...filterChainOf(listener).flatMap(f => filterToProto(listener, f)),
      { name: META_PROTOCOL_ROUTER_FILTER },
    ],
  };
  if (listener.idleTimeoutMs !== undefined) proxy['idle_timeout'] = durationFromMs(listener.idleTimeoutMs);
  if (listener.requestTimeoutMs > 0) proxy['request_timeout'] = durationFromMs(listener.requestTimeoutMs);
  return proxy;
}

/** The Envoy Listener for a MetaProtocol listener. */
export function encodeListener(listener: ListenerResource): Uint8Array {
  return encodeMessage(LISTENER, {
    name: listener.name,
    address: { socket_address: { address: listener.address, port_value: listener.port } },
    traffic_direction: 'OUTBOUND',
    ...(listener.perConnectionBufferLimitBytes === undefined
      ? {}
      : { per_connection_buffer_limit_bytes: { value: listener.perConnectionBufferLimitBytes } }),
    filter_chains: [
      {
        filters: [
          {
            name: META_PROTOCOL_PROXY_FILTER,
            typed_config: packAny(META_PROTOCOL_PROXY, metaProtocolProxyToProto(listener)),
          },
        ],
      },
    ],
  });
}

/** A decoded listener and, when its route table is inline rather than fetched by RDS, that table. */
export interface DecodedListener {
  readonly listener: ListenerResource;
  readonly inlineRoutes?: RouteConfigResource;
}

function codecConfigFromAny(any: AnyMessage | undefined, label: string, path: string): unknown {
  if (any === undefined) return undefined;
  if (any.type_url === ConfigTypeUrls.struct) return jsonFromStruct(unpackAny(any));
  // Aeraki's codec config messages are empty (e.g. ThriftCodec): nothing to carry.
  if (((any.value as Uint8Array | undefined)?.length ?? 0) === 0) return undefined;
  throw invalidResource(
    label,
    path,
    `codec config ${any.type_url} is not supported; use google.protobuf.Struct`,
  );
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The original's RDS source: `api_config_source { api_type: GRPC | DELTA_GRPC, grpc_services:
 * [{ envoy_grpc: { cluster_name } }] }`, a gRPC stream on a bootstrap cluster (`aeraki-xds`). This
 * proxy has one management server, the one that sent the listener, so the named cluster is that
 * server and the route table is fetched from it on the ADS stream. As in Envoy, an API config source
 * names exactly one gRPC service; REST, Google gRPC and aggregated types are refused.
 */
function checkApiConfigSource(api: ProtoObject, label: string, path: string): void {
  const type = String(api['api_type'] ?? '');
  if (type !== 'GRPC' && type !== 'DELTA_GRPC') {
    throw invalidResource(label, `${path}.api_type`, `must be GRPC or DELTA_GRPC, got ${type || 'none'}`);
  }
  const services = (api['grpc_services'] ?? []) as ProtoObject[];
  if (services.length !== 1) {
    throw invalidResource(
      label,
      `${path}.grpc_services`,
      `must name exactly one gRPC service, got ${services.length}`,
    );
  }
  const envoyGrpc = services[0]!['envoy_grpc'] as ProtoObject | undefined;
  if (nonEmpty(envoyGrpc?.['cluster_name']) === undefined) {
    throw invalidResource(
      label,
      `${path}.grpc_services[0]`,
      'must name the xDS server’s cluster with envoy_grpc.cluster_name (google_grpc is not supported)',
    );
  }
}

function routeSource(
  proxy: ProtoObject,
  label: string,
  path: string,
): { name: string; inline?: RouteConfigResource } {
  const rds = proxy['rds'] as ProtoObject | undefined;
  if (rds !== undefined) {
    const source = (rds['config_source'] ?? {}) as ProtoObject;
    if (source['ads'] === undefined && source['self'] === undefined) {
      const api = source['api_config_source'] as ProtoObject | undefined;
      if (api === undefined) {
        throw invalidResource(
          label,
          `${path}.rds.config_source`,
          'only ads, self or api_config_source (gRPC) config sources are supported',
        );
      }
      checkApiConfigSource(api, label, `${path}.rds.config_source.api_config_source`);
    }
    const name = nonEmpty(rds['route_config_name']);
    if (name === undefined)
      throw invalidResource(label, `${path}.rds.route_config_name`, 'must not be empty');
    return { name };
  }
  const inline = proxy['route_config'] as ProtoObject | undefined;
  if (inline !== undefined) {
    const table = metaRouteConfigurationFromProto(inline, label, `${path}.route_config`);
    return { name: table.name, inline: table };
  }
  throw invalidResource(label, path, 'needs rds or route_config');
}

/**
 * The filter chain of a proxy: its rate limits and the other filters in order; rejects a rate limit
 * listed twice and a chain that does not end with the router.
 */
function checkFilters(
  proxy: ProtoObject,
  label: string,
  path: string,
): Pick<ListenerResource, 'localRateLimit' | 'globalRateLimit' | 'filters'> {
  const filters = (proxy['meta_protocol_filters'] ?? []) as ProtoObject[];
  const limits: { -readonly [K in 'localRateLimit' | 'globalRateLimit']?: ListenerResource[K] } = {};
  const chain: ListenerFilterResource[] = [];
  filters.forEach((filter, i) => {
    const name = String(filter['name'] ?? '');
    const at = `${path}.meta_protocol_filters[${i}]`;
    if (name === META_PROTOCOL_ROUTER_FILTER || IGNORED_FILTERS.has(name)) return;
    if (name === '') throw invalidResource(label, `${at}.name`, 'must not be empty');
    if (name === META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER || name === META_PROTOCOL_GLOBAL_RATE_LIMIT_FILTER) {
      const field = name === META_PROTOCOL_LOCAL_RATE_LIMIT_FILTER ? 'localRateLimit' : 'globalRateLimit';
      if (limits[field] !== undefined) {
        throw invalidResource(label, at, `filter ${JSON.stringify(name)} is listed twice`);
      }
      if (field === 'localRateLimit') limits.localRateLimit = localRateLimitFromFilter(filter, label, at);
      else limits.globalRateLimit = globalRateLimitFromFilter(filter, label, at);
      chain.push({ name });
      return;
    }
    chain.push(filterEntryFromProto(filter, name, label, at));
  });
  const last = filters[filters.length - 1];
  if (last !== undefined && last['name'] !== META_PROTOCOL_ROUTER_FILTER) {
    throw invalidResource(
      label,
      `${path}.meta_protocol_filters`,
      `must end with ${META_PROTOCOL_ROUTER_FILTER}`,
    );
  }
  const normal = normalFilterChain(chain);
  return normal === undefined ? limits : { ...limits, filters: normal };
}

/** A MetaProtocol listener from Listener bytes; throws AERAKI_ERR_XDS_INVALID_RESOURCE naming the field. */
export function decodeListener(bytes: Uint8Array): DecodedListener {
  const listener = decodeMessage(LISTENER, bytes);
  const name = nonEmpty(listener['name']);
  const label = resourceLabel('Listener', name);
  if (name === undefined) throw invalidResource(label, 'name', 'must not be empty');

  const socket = ((listener['address'] ?? {}) as ProtoObject)['socket_address'] as ProtoObject | undefined;
  if (socket === undefined) throw invalidResource(label, 'address.socket_address', 'is required');
  const address = nonEmpty(socket['address']);
  if (address === undefined)
    throw invalidResource(label, 'address.socket_address.address', 'must not be empty');
  const port = Number(socket['port_value'] ?? 0);
  if (!(port >= 1 && port <= 65535)) {
    throw invalidResource(label, 'address.socket_address.port_value', `must be 1-65535, got ${port}`);
  }

  const chains = (listener['filter_chains'] ?? []) as ProtoObject[];
  if (chains.length !== 1) {
    throw invalidResource(
      label,
      'filter_chains',
      `exactly one filter chain is expected, got ${chains.length}`,
    );
  }
  const filters = (chains[0]?.['filters'] ?? []) as ProtoObject[];
  if (filters.length !== 1) {
    throw invalidResource(
      label,
      'filter_chains[0].filters',
      `exactly one network filter is expected, got ${filters.length}`,
    );
  }
  const at = 'filter_chains[0].filters[0].typed_config';
  const typed = filters[0]?.['typed_config'] as AnyMessage | undefined;
  if (typed === undefined || typed.type_url !== ConfigTypeUrls.metaProtocolProxy) {
    throw invalidResource(
      label,
      at,
      `must be ${ConfigTypeUrls.metaProtocolProxy}, got ${typed?.type_url ?? 'nothing'}`,
    );
  }
  const proxy = unpackAny(typed);

  const statPrefix = nonEmpty(proxy['stat_prefix']);
  if (statPrefix === undefined) throw invalidResource(label, `${at}.stat_prefix`, 'must not be empty');
  const protocolMessage = proxy['protocol'] as ProtoObject | undefined;
  const protocol = nonEmpty(protocolMessage?.['name']) ?? nonEmpty(proxy['application_protocol']);
  if (protocol === undefined) {
    throw invalidResource(label, `${at}.protocol.name`, 'must not be empty (nor application_protocol)');
  }
  const codecMessage = (protocolMessage?.['codec'] ?? proxy['codec']) as ProtoObject | undefined;
  const codec = nonEmpty(codecMessage?.['name']);
  if (codec === undefined)
    throw invalidResource(label, `${at}.protocol.codec.name`, 'must not be empty (nor codec.name)');
  const codecPath =
    protocolMessage?.['codec'] === undefined ? `${at}.codec.config` : `${at}.protocol.codec.config`;
  const codecConfig = codecConfigFromAny(
    codecMessage?.['config'] as AnyMessage | undefined,
    label,
    codecPath,
  );
  const chain = checkFilters(proxy, label, at);
  const routes = routeSource(proxy, label, at);

  let decoded: ListenerResource = {
    name,
    address,
    port,
    protocol,
    codec,
    ...(codecConfig === undefined ? {} : { codecConfig }),
    routeConfigName: routes.name,
    statPrefix,
    requestTimeoutMs: msFromDuration(proxy['request_timeout']) ?? 0,
    multiplexing: protocolMessage?.['multiplexing'] === true,
    ...chain,
  };
  const idleTimeoutMs = msFromDuration(proxy['idle_timeout']);
  if (idleTimeoutMs !== undefined) decoded = { ...decoded, idleTimeoutMs };
  const bufferLimit = bufferLimitBytes(listener, label);
  if (bufferLimit !== undefined) decoded = { ...decoded, perConnectionBufferLimitBytes: bufferLimit };
  return routes.inline === undefined
    ? { listener: decoded }
    : { listener: decoded, inlineRoutes: routes.inline };
}
