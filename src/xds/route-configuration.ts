/**
 * A MetaProtocol route table ⇄ the Envoy HTTP RouteConfiguration Aeraki's RDS carries
 * (`type.googleapis.com/envoy.config.route.v3.RouteConfiguration`, name `<host>_<port>`):
 *
 * ```
 * RouteConfiguration { name,
 *   virtual_hosts: [ { name: "dummy", domains: ["*"], routes: [ per route:
 *     { name,
 *       match: { prefix: "/", headers: [HeaderMatcher…] },            // AND of the attribute matchers
 *       route: { cluster | weighted_clusters { clusters [{name, weight}], total_weight },
 *                hash_policy: [{ header: { header_name: key } }…],
 *                request_mirror_policies: [{ cluster, runtime_fraction }…],
 *                timeout,                                             // per-route timeout, if set
 *                retry_policy { retry_on, num_retries, per_try_timeout } },   // extension, if set
 *       typed_per_filter_config: { "aeraki.meta_protocol.filters.fault": RouteFault },  // extension
 *       request_headers_to_add:  [{ header: { key, value } }…],        // request mutation
 *       response_headers_to_add: [{ header: { key, value } }…] } ] } ] }  // response mutation
 * ```
 *
 * Decoding follows the MetaProtocol proxy's conversion: exactly one virtual host, the path matcher is
 * ignored, only `route` actions (no redirect or direct response), no `cluster_header`.
 */
import type { HeaderValue, RouteConfigResource, RouteResource } from './resources.js';
import { decodeMessage, encodeMessage, packAny, unpackAny, type ProtoObject } from './proto-message.js';
import { invalidResource, resourceLabel } from './invalid-resource.js';
import {
  FAULT_FILTER_CONFIG_KEY,
  ROUTE_FAULT_MESSAGE,
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
import { typeUrlOf } from './type-urls.js';
import type { AnyMessage } from './xds-resource.js';

const MESSAGE = 'envoy.config.route.v3.RouteConfiguration';

/** Aeraki's single virtual host. */
const VIRTUAL_HOST = { name: 'dummy', domains: ['*'] };

function headersToAdd(values: readonly HeaderValue[]): ProtoObject[] {
  return values.map(v => ({ header: { key: v.key, value: v.value } }));
}

function routeToProto(route: RouteResource): ProtoObject {
  const action: ProtoObject =
    'cluster' in route.action
      ? { cluster: route.action.cluster }
      : {
          weighted_clusters: weightedClustersToProto(route.action.weightedClusters, route.action.totalWeight),
        };
  if (route.hashPolicy.length > 0) {
    action['hash_policy'] = route.hashPolicy.map(key => ({ header: { header_name: key } }));
  }
  if (route.mirrors.length > 0) {
    action['request_mirror_policies'] = route.mirrors.map(m => ({
      cluster: m.cluster,
      runtime_fraction: mirrorFractionFromPercent(m.percent),
    }));
  }
  if (route.timeoutMs !== undefined) action['timeout'] = durationFromMs(route.timeoutMs);
  if (route.retryPolicy !== undefined) action['retry_policy'] = retryPolicyToProto(route.retryPolicy);
  const out: ProtoObject = {
    name: route.name,
    match: { prefix: '/', headers: route.match.map(headerMatcherFromAttribute) },
    route: action,
    request_headers_to_add: headersToAdd(route.requestMutation),
    response_headers_to_add: headersToAdd(route.responseMutation),
  };
  if (route.fault !== undefined) {
    out['typed_per_filter_config'] = {
      [FAULT_FILTER_CONFIG_KEY]: packAny(ROUTE_FAULT_MESSAGE, faultToProto(route.fault)),
    };
  }
  return out;
}

/** The route's fault from its `typed_per_filter_config`, if it has one; other filters' entries are ignored. */
function faultOfRoute(route: ProtoObject, label: string, path: string): RouteResource['fault'] {
  const perFilter = route['typed_per_filter_config'] as Record<string, AnyMessage> | undefined;
  const any = perFilter?.[FAULT_FILTER_CONFIG_KEY];
  if (any === undefined) return undefined;
  const at = `${path}.typed_per_filter_config["${FAULT_FILTER_CONFIG_KEY}"]`;
  if (any.type_url !== typeUrlOf(ROUTE_FAULT_MESSAGE)) {
    throw invalidResource(label, at, `must be ${typeUrlOf(ROUTE_FAULT_MESSAGE)}, got ${any.type_url}`);
  }
  return faultFromProto(unpackAny(any), label, at);
}

/** The RDS RouteConfiguration for one route table. */
export function encodeRouteConfiguration(table: RouteConfigResource): Uint8Array {
  return encodeMessage(MESSAGE, {
    name: table.name,
    virtual_hosts: [{ ...VIRTUAL_HOST, routes: table.routes.map(routeToProto) }],
  });
}

function headerValues(list: unknown, label: string, path: string): HeaderValue[] {
  return ((list ?? []) as ProtoObject[]).map((option, i) => {
    const header = (option['header'] ?? {}) as ProtoObject;
    const key = typeof header['key'] === 'string' ? header['key'] : '';
    if (key === '') throw invalidResource(label, `${path}[${i}].header.key`, 'must not be empty');
    return { key, value: typeof header['value'] === 'string' ? header['value'] : '' };
  });
}

function routeFromProto(route: ProtoObject, label: string, path: string): RouteResource {
  const action = route['route'] as ProtoObject | undefined;
  if (action === undefined) {
    throw invalidResource(
      label,
      path,
      'only routes with a route action are supported (no redirect, direct_response)',
    );
  }
  const at = `${path}.route`;
  const routeAction = routeTargetFromProto(action, label, at);
  const hashPolicy = ((action['hash_policy'] ?? []) as ProtoObject[]).map((policy, i) => {
    const header = policy['header'] as ProtoObject | undefined;
    const key = header?.['header_name'];
    if (typeof key !== 'string' || key === '') {
      throw invalidResource(label, `${at}.hash_policy[${i}]`, 'only header hash policies are supported');
    }
    return key;
  });
  const mirrors = mirrorPoliciesFromProto(action['request_mirror_policies'], label, at);
  const match = (route['match'] ?? {}) as ProtoObject;
  const decoded: RouteResource = {
    name: typeof route['name'] === 'string' ? route['name'] : '',
    match: ((match['headers'] ?? []) as ProtoObject[]).map((m, i) =>
      attributeFromHeaderMatcher(m, label, `${path}.match.headers[${i}]`),
    ),
    action: routeAction,
    hashPolicy,
    mirrors,
    requestMutation: headerValues(route['request_headers_to_add'], label, `${path}.request_headers_to_add`),
    responseMutation: headerValues(
      route['response_headers_to_add'],
      label,
      `${path}.response_headers_to_add`,
    ),
  };
  const timeoutMs = msFromDuration(action['timeout']);
  const retry = action['retry_policy'] as ProtoObject | undefined;
  const fault = faultOfRoute(route, label, path);
  return {
    ...decoded,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(fault === undefined ? {} : { fault }),
    ...(retry === undefined ? {} : { retryPolicy: retryPolicyFromProto(retry, label, `${at}.retry_policy`) }),
  };
}

/** A route table from RDS bytes; throws AERAKI_ERR_XDS_INVALID_RESOURCE with the field at fault. */
export function decodeRouteConfiguration(bytes: Uint8Array): RouteConfigResource {
  const config = decodeMessage(MESSAGE, bytes);
  const name = typeof config['name'] === 'string' ? config['name'] : '';
  const label = resourceLabel('RouteConfiguration', name);
  if (name === '') throw invalidResource(label, 'name', 'must not be empty');
  const hosts = (config['virtual_hosts'] ?? []) as ProtoObject[];
  if (hosts.length !== 1) {
    throw invalidResource(
      label,
      'virtual_hosts',
      `exactly one virtual host is expected, got ${hosts.length}`,
    );
  }
  const routes = ((hosts[0]?.['routes'] ?? []) as ProtoObject[]).map((r, i) =>
    routeFromProto(r, label, `virtual_hosts[0].routes[${i}]`),
  );
  return { name, routes };
}

/** Cluster names a RouteConfiguration routes or mirrors to; lenient (unknown shapes give none). */
export function routeConfigurationClusterRefs(bytes: Uint8Array): string[] {
  const refs = new Set<string>();
  const config = decodeMessage(MESSAGE, bytes);
  for (const host of (config['virtual_hosts'] ?? []) as ProtoObject[]) {
    for (const route of (host['routes'] ?? []) as ProtoObject[]) {
      const action = route['route'] as ProtoObject | undefined;
      if (action === undefined) continue;
      if (typeof action['cluster'] === 'string') refs.add(action['cluster']);
      const weighted = action['weighted_clusters'] as ProtoObject | undefined;
      for (const c of (weighted?.['clusters'] ?? []) as ProtoObject[]) refs.add(String(c['name']));
      for (const m of (action['request_mirror_policies'] ?? []) as ProtoObject[])
        refs.add(String(m['cluster']));
    }
  }
  refs.delete('');
  return [...refs];
}
