/**
 * A MetaProtocol route table ⇄ `aeraki.meta_protocol_proxy.config.route.v1alpha.RouteConfiguration`,
 * the form inlined in `MetaProtocolProxy.route_config` (as decoded/encodable objects):
 *
 * ```
 * RouteConfiguration { name = 1, routes = 2: [
 *   Route { name = 1, match = 2: RouteMatch { metadata = 1: [HeaderMatcher…] },
 *           route = 3: RouteAction { cluster = 1 | weighted_clusters = 2, hash_policy = 10: [key…],
 *                                    request_mirror_policies = 11: [{cluster = 1, runtime_fraction = 2}…],
 *                                    timeout = 1000, retry_policy = 1001 (aeraki-ts extensions) },
 *           request_mutation = 19: [KeyValue {key = 1, value = 2}…], response_mutation = 20,
 *           fault = 1000: RouteFault (aeraki-ts extension) } ] }
 * ```
 */
import type { HeaderValue, RouteConfigResource, RouteResource } from './resources.js';
import type { ProtoObject } from './proto-message.js';
import { invalidResource } from './invalid-resource.js';
import {
  attributeFromHeaderMatcher,
  faultFromProto,
  faultToProto,
  headerMatcherFromAttribute,
  mirrorFractionFromPercent,
  mirrorPoliciesFromProto,
  retryPolicyFromProto,
  retryPolicyToProto,
  routeTargetFromProto,
  weightedClustersToProto,
} from './route-parts.js';
import { durationFromMs, msFromDuration } from './well-known.js';

function routeToProto(route: RouteResource): ProtoObject {
  const action: ProtoObject =
    'cluster' in route.action
      ? { cluster: route.action.cluster }
      : {
          weighted_clusters: weightedClustersToProto(route.action.weightedClusters, route.action.totalWeight),
        };
  action['hash_policy'] = [...route.hashPolicy];
  action['request_mirror_policies'] = route.mirrors.map(m => ({
    cluster: m.cluster,
    runtime_fraction: mirrorFractionFromPercent(m.percent),
  }));
  if (route.timeoutMs !== undefined) action['timeout'] = durationFromMs(route.timeoutMs);
  if (route.retryPolicy !== undefined) action['retry_policy'] = retryPolicyToProto(route.retryPolicy);
  const out: ProtoObject = {
    name: route.name,
    match: { metadata: route.match.map(headerMatcherFromAttribute) },
    route: action,
    request_mutation: route.requestMutation.map(kv => ({ key: kv.key, value: kv.value })),
    response_mutation: route.responseMutation.map(kv => ({ key: kv.key, value: kv.value })),
  };
  if (route.fault !== undefined) out['fault'] = faultToProto(route.fault);
  return out;
}

/** The inline route configuration object for one route table. */
export function metaRouteConfigurationToProto(table: RouteConfigResource): ProtoObject {
  return { name: table.name, routes: table.routes.map(routeToProto) };
}

function keyValues(list: unknown, label: string, path: string): HeaderValue[] {
  return ((list ?? []) as ProtoObject[]).map((kv, i) => {
    const key = typeof kv['key'] === 'string' ? kv['key'] : '';
    if (key === '') throw invalidResource(label, `${path}[${i}].key`, 'must not be empty');
    return { key, value: typeof kv['value'] === 'string' ? kv['value'] : '' };
  });
}

function routeFromProto(route: ProtoObject, label: string, path: string): RouteResource {
  const action = route['route'] as ProtoObject | undefined;
  if (action === undefined) throw invalidResource(label, `${path}.route`, 'is required');
  const at = `${path}.route`;
  const routeAction = routeTargetFromProto(action, label, at);
  const mirrors = mirrorPoliciesFromProto(action['request_mirror_policies'], label, at);
  const match = (route['match'] ?? {}) as ProtoObject;
  const decoded: RouteResource = {
    name: typeof route['name'] === 'string' ? route['name'] : '',
    match: ((match['metadata'] ?? []) as ProtoObject[]).map((m, i) =>
      attributeFromHeaderMatcher(m, label, `${path}.match.metadata[${i}]`),
    ),
    action: routeAction,
    hashPolicy: ((action['hash_policy'] ?? []) as unknown[]).map(String),
    mirrors,
    requestMutation: keyValues(route['request_mutation'], label, `${path}.request_mutation`),
    responseMutation: keyValues(route['response_mutation'], label, `${path}.response_mutation`),
  };
  const timeoutMs = msFromDuration(action['timeout']);
  const retry = action['retry_policy'] as ProtoObject | undefined;
  const fault = route['fault'] as ProtoObject | undefined;
  return {
    ...decoded,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(fault === undefined ? {} : { fault: faultFromProto(fault, label, `${path}.fault`) }),
    ...(retry === undefined ? {} : { retryPolicy: retryPolicyFromProto(retry, label, `${at}.retry_policy`) }),
  };
}

/** A route table from a decoded inline route configuration; `path` locates it in its resource. */
export function metaRouteConfigurationFromProto(
  config: ProtoObject,
  label: string,
  path: string,
): RouteConfigResource {
  const name = typeof config['name'] === 'string' ? config['name'] : '';
  if (name === '') throw invalidResource(label, `${path}.name`, 'must not be empty');
  const routes = ((config['routes'] ?? []) as ProtoObject[]).map((r, i) =>
    routeFromProto(r, label, `${path}.routes[${i}]`),
  );
  return { name, routes };
}
