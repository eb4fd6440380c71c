/**
 * Envoy's own network filters the original Aeraki writes for ports named `tcp-dubbo…`,
 * `tcp-thrift…`, `tcp-kafka…` and `tcp-zookeeper…` (TypedStruct values, snake_case):
 *
 * ```
 * dubbo_proxy (REPLACE):  { stat_prefix, protocol_type: Dubbo, serialization_type: Hessian2,
 *                           route_config: [{ name: <stat prefix>, interface: <annotation | "*">,
 *                                            routes: [{ match: { method: { name: StringMatcher },
 *                                                                headers: [HeaderMatcher…] },
 *                                                       route: { cluster | weighted_clusters } }…] }],
 *                           dubbo_filters: [{ name: envoy.filters.dubbo.router }] }
 * thrift_proxy (REPLACE): { stat_prefix, route_config: { name, routes: [{ match: { method_name },
 *                           route: { cluster | weighted_clusters } }…] },
 *                           thrift_filters: [{ name: envoy.filters.thrift.router }] }   // AUTO transport, protocol
 * kafka_broker, zookeeper_proxy (INSERT_BEFORE the TCP proxy): { stat_prefix }         // metrics only
 * ```
 *
 * Outbound routes come from the service's VirtualService (`http[]`: `match[0].method`, for Dubbo also
 * `match[0].headers`, to weighted destinations). Unlike the original, Thrift routes keep their method
 * match and Dubbo destinations keep the host and port they name; without a VirtualService every
 * request goes to the whole service.
 */
import type { JsonValue } from '../../../xds/proto-json.js';
import type { ProtoObject } from '../../../xds/proto-message.js';
import type { HttpRoute, StringMatch, VirtualService } from '../../../api/index.js';
import type { ConfigObject } from '../../model/config-set.js';
import { typedStructFilter } from './envoy-filter.js';

const DUBBO_PROXY = 'envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy';
const THRIFT_PROXY = 'envoy.extensions.filters.network.thrift_proxy.v3.ThriftProxy';
const ZOOKEEPER_PROXY = 'envoy.extensions.filters.network.zookeeper_proxy.v3.ZooKeeperProxy';
/** Kafka's v3 filter is an Envoy contrib extension; its config has the same `stat_prefix` (1) as v2alpha1's. */
const KAFKA_BROKER_V3 = 'type.googleapis.com/envoy.extensions.filters.network.kafka_broker.v3.KafkaBroker';
const KAFKA_BROKER_SCHEMA = 'envoy.config.filter.network.kafka_broker.v2alpha1.KafkaBroker';

export const DUBBO_PROXY_FILTER = 'envoy.filters.network.dubbo_proxy';
export const THRIFT_PROXY_FILTER = 'envoy.filters.network.thrift_proxy';
export const KAFKA_BROKER_FILTER = 'envoy.filters.network.kafka_broker';
export const ZOOKEEPER_PROXY_FILTER = 'envoy.filters.network.zookeeper_proxy';

/** Problems with a VirtualService route that the filter cannot express. */
export interface RouteNote {
  readonly route: number;
  readonly rule: string;
  readonly message: string;
}

/** Where a VirtualService destination goes: the cluster name it makes. */
export type ClusterOf = (host: string, subset: string, port: number | undefined) => string;

function stringMatcher(match: StringMatch | undefined): ProtoObject {
  if (match?.exact !== undefined) return { exact: match.exact };
  if (match?.prefix !== undefined) return { prefix: match.prefix };
  if (match?.regex !== undefined) return { safe_regex: { google_re2: {}, regex: match.regex } };
  return { safe_regex: { google_re2: {}, regex: '.*' } };
}

function routeAction(route: HttpRoute, clusterOf: ClusterOf, totalWeight: boolean): ProtoObject {
  const destinations = route.route ?? [];
  const clusters = destinations.map(d => ({
    name: clusterOf(d.destination.host, d.destination.subset ?? '', d.destination.port?.number || undefined),
    weight: d.weight ?? 0,
  }));
  const first = clusters[0];
  if (clusters.length === 1 && first !== undefined) return { cluster: first.name };
  const total = clusters.reduce((sum, c) => sum + c.weight, 0);
  return {
    weighted_clusters: {
      clusters: clusters.map(c => ({ name: c.name, weight: { value: c.weight } })),
      ...(totalWeight ? { total_weight: { value: total } } : {}),
    },
  };
}

export interface DubboInput {
  readonly statPrefix: string;
  /** The Dubbo interface (the ServiceEntry's `interface` annotation); `*` inbound. */
  readonly interfaceName: string;
  readonly defaultCluster: string;
  readonly virtualService?: ConfigObject<VirtualService>;
  readonly clusterOf: ClusterOf;
  /** Filters before the router (the inbound side's RBAC: dubbo-rbac.ts). */
  readonly filters?: readonly ProtoObject[];
}

export function dubboProxy(input: DubboInput): Record<string, JsonValue> {
  const http = (input.virtualService?.resource.spec.http ?? []).filter(r => (r.route ?? []).length > 0);
  const routes =
    http.length === 0
      ? [{ match: { method: { name: stringMatcher(undefined) } }, route: { cluster: input.defaultCluster } }]
      : http.map(route => {
          const first = route.match?.[0];
          const headers = Object.keys(first?.headers ?? {})
            .sort()
            .map(name => ({ name, string_match: stringMatcher(first?.headers?.[name]) }));
          return {
            match: {
              method: { name: stringMatcher(first?.method) },
              ...(headers.length === 0 ? {} : { headers }),
            },
            route: routeAction(route, input.clusterOf, true),
          };
        });
  return typedStructFilter(DUBBO_PROXY_FILTER, DUBBO_PROXY, {
    stat_prefix: input.statPrefix,
    protocol_type: 'Dubbo',
    serialization_type: 'Hessian2',
    route_config: [{ name: input.statPrefix, interface: input.interfaceName, routes }],
    dubbo_filters: [...(input.filters ?? []), { name: 'envoy.filters.dubbo.router' }],
  });
}

export interface ThriftInput {
  readonly statPrefix: string;
  readonly defaultCluster: string;
  readonly virtualService?: ConfigObject<VirtualService>;
  readonly clusterOf: ClusterOf;
}

/** Thrift routes match a method by exact name only: other matches are reported and their routes left out. */
export function thriftProxy(input: ThriftInput): { value: Record<string, JsonValue>; notes: RouteNote[] } {
  const notes: RouteNote[] = [];
  const routes: ProtoObject[] = [];
  (input.virtualService?.resource.spec.http ?? []).forEach((route, i) => {
    if ((route.route ?? []).length === 0) return;
    const method = route.match?.[0]?.method;
    if (method !== undefined && method.exact === undefined) {
      notes.push({
        route: i,
        rule: 'thrift-method-match',
        message:
          "Envoy's Thrift filter matches methods by exact name only; this route is left out of the sidecars' config",
      });
      return;
    }
    routes.push({
      match: { method_name: method?.exact ?? '' },
      route: routeAction(route, input.clusterOf, false),
    });
  });
  if (routes.length === 0)
    routes.push({ match: { method_name: '' }, route: { cluster: input.defaultCluster } });
  return {
    value: typedStructFilter(THRIFT_PROXY_FILTER, THRIFT_PROXY, {
      stat_prefix: input.statPrefix,
      route_config: { name: input.statPrefix, routes },
      thrift_filters: [{ name: 'envoy.filters.thrift.router' }],
    }),
    notes,
  };
}

export function kafkaBroker(statPrefix: string): Record<string, JsonValue> {
  return typedStructFilter(
    KAFKA_BROKER_FILTER,
    KAFKA_BROKER_SCHEMA,
    { stat_prefix: statPrefix },
    KAFKA_BROKER_V3,
  );
}

export function zookeeperProxy(statPrefix: string): Record<string, JsonValue> {
  return typedStructFilter(ZOOKEEPER_PROXY_FILTER, ZOOKEEPER_PROXY, { stat_prefix: statPrefix });
}
