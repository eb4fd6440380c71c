/**
 * A whole ProxySnapshot ⇄ the xDS resources that carry it: one Listener per listener, one Cluster per
 * cluster, one ClusterLoadAssignment per endpoint assignment, one (RDS) RouteConfiguration per route
 * table, in that order (clusters and endpoints before the listeners and routes that use them).
 */
import type {
  ClusterResource,
  EndpointAssignmentResource,
  ListenerResource,
  ProxySnapshot,
  RedisListenerResource,
  RouteConfigResource,
} from './resources.js';
import { redisListenerClusterRefs } from './redis-resources.js';
import { decodeRedisListener, encodeRedisListener } from './redis-proxy.js';
import { decodeCluster, encodeCluster } from './cluster.js';
import { decodeEndpointAssignment, encodeEndpointAssignment } from './endpoints.js';
import { errorMessage } from './invalid-resource.js';
import { decodeListener, encodeListener } from './listener.js';
import { encodedResourceName } from './resource-name.js';
import { decodeRouteConfiguration, encodeRouteConfiguration } from './route-configuration.js';
import { TypeUrls } from './type-urls.js';
import type { AnyMessage, XdsResource } from './xds-resource.js';

/** Cluster names a route table routes or mirrors to, in first-use order. */
export function routeTableClusterRefs(table: RouteConfigResource): string[] {
  const refs = new Set<string>();
  for (const route of table.routes) {
    if ('cluster' in route.action) refs.add(route.action.cluster);
    else for (const c of route.action.weightedClusters) refs.add(c.name);
    for (const m of route.mirrors) refs.add(m.cluster);
  }
  return [...refs];
}

/** The xDS resources for a snapshot: clusters, endpoints, listeners (MetaProtocol, then Redis), routes. */
export function encodeSnapshot(snapshot: ProxySnapshot): XdsResource[] {
  const out: XdsResource[] = [];
  for (const c of snapshot.clusters)
    out.push({ typeUrl: TypeUrls.cluster, name: c.name, value: encodeCluster(c) });
  for (const e of snapshot.endpoints) {
    out.push({
      typeUrl: TypeUrls.clusterLoadAssignment,
      name: e.clusterName,
      value: encodeEndpointAssignment(e),
    });
  }
  for (const l of snapshot.listeners)
    out.push({ typeUrl: TypeUrls.listener, name: l.name, value: encodeListener(l) });
  for (const l of snapshot.redisListeners ?? []) {
    out.push({
      typeUrl: TypeUrls.listener,
      name: l.name,
      value: encodeRedisListener(l),
      clusterRefs: redisListenerClusterRefs(l),
    });
  }
  for (const r of snapshot.routes) {
    out.push({
      typeUrl: TypeUrls.routeConfiguration,
      name: r.name,
      value: encodeRouteConfiguration(r),
      clusterRefs: routeTableClusterRefs(r),
    });
  }
  return out;
}

/** Why one resource was rejected. */
export interface ResourceError {
  readonly typeUrl: string;
  /** Position of the resource in the input. */
  readonly index: number;
  /** The resource's name, when it can be read. */
  readonly name?: string;
  /** Readable reason naming the resource and field, for a NACK's error_detail. */
  readonly message: string;
}

/** The snapshot parts found in a list of resources, and the resources that could not be used. */
export interface DecodedResources {
  readonly listeners: ListenerResource[];
  /** Listeners with Envoy's redis_proxy filter. */
  readonly redisListeners: RedisListenerResource[];
  readonly clusters: ClusterResource[];
  readonly endpoints: EndpointAssignmentResource[];
  readonly routes: RouteConfigResource[];
  readonly errors: ResourceError[];
}

/** A resource as an Any (`type_url`, as in a DiscoveryResponse) or as an XdsResource (`typeUrl`). */
export type EncodedResource = AnyMessage | XdsResource;

function typeUrlOf(resource: EncodedResource): string {
  return 'typeUrl' in resource ? resource.typeUrl : resource.type_url;
}

/**
 * Decodes and validates resources of any of the four types (a proxy calls it with one
 * DiscoveryResponse's resources). Invalid resources are left out and reported in `errors`; the others
 * are returned in input order. Listeners with an inline route table add it to `routes`, STATIC clusters
 * add their endpoints to `endpoints`.
 */
export function decodeResources(resources: Iterable<EncodedResource>): DecodedResources {
  const decoded: DecodedResources = {
    listeners: [],
    redisListeners: [],
    clusters: [],
    endpoints: [],
    routes: [],
    errors: [],
  };
  let index = 0;
  for (const resource of resources) {
    const typeUrl = typeUrlOf(resource);
    try {
      switch (typeUrl) {
        case TypeUrls.listener: {
          const redis = decodeRedisListener(resource.value);
          if (redis !== undefined) {
            decoded.redisListeners.push(redis);
            break;
          }
          const { listener, inlineRoutes } = decodeListener(resource.value);
          decoded.listeners.push(listener);
          if (inlineRoutes !== undefined) decoded.routes.push(inlineRoutes);
          break;
        }
        case TypeUrls.cluster: {
          const { cluster, staticEndpoints } = decodeCluster(resource.value);
          decoded.clusters.push(cluster);
          if (staticEndpoints !== undefined) decoded.endpoints.push(staticEndpoints);
          break;
        }
        case TypeUrls.clusterLoadAssignment:
          decoded.endpoints.push(decodeEndpointAssignment(resource.value));
          break;
        case TypeUrls.routeConfiguration:
          decoded.routes.push(decodeRouteConfiguration(resource.value));
          break;
        default:
          throw new Error(`resource type ${typeUrl} is not supported`);
      }
    } catch (err) {
      const name = 'name' in resource ? resource.name : encodedResourceName(resource.value);
      decoded.errors.push({
        typeUrl,
        index,
        message: errorMessage(err),
        ...(name === undefined ? {} : { name }),
      });
    }
    index++;
  }
  return decoded;
}

/**
 * A whole snapshot from resources, or the reasons it cannot be built. Besides each resource's own
 * rules, the set must be consistent: every cluster a route names, every route table a listener names
 * and every cluster an endpoint assignment belongs to must be present.
 */
export function decodeSnapshot(
  version: string,
  resources: Iterable<EncodedResource>,
): { readonly snapshot?: ProxySnapshot; readonly errors: readonly string[] } {
  const decoded = decodeResources(resources);
  const errors = decoded.errors.map(e => e.message);
  const clusters = new Set(decoded.clusters.map(c => c.name));
  const tables = new Set(decoded.routes.map(r => r.name));
  for (const table of decoded.routes) {
    for (const ref of routeTableClusterRefs(table)) {
      if (!clusters.has(ref))
        errors.push(
          `RouteConfiguration ${JSON.stringify(table.name)}: cluster ${JSON.stringify(ref)} is not defined`,
        );
    }
  }
  for (const listener of decoded.listeners) {
    if (!tables.has(listener.routeConfigName)) {
      errors.push(
        `Listener ${JSON.stringify(listener.name)}: route configuration ${JSON.stringify(listener.routeConfigName)} is not defined`,
      );
    }
  }
  for (const listener of decoded.redisListeners) {
    for (const ref of redisListenerClusterRefs(listener)) {
      if (!clusters.has(ref))
        errors.push(
          `Listener ${JSON.stringify(listener.name)}: cluster ${JSON.stringify(ref)} is not defined`,
        );
    }
  }
  for (const assignment of decoded.endpoints) {
    if (!clusters.has(assignment.clusterName)) {
      errors.push(`ClusterLoadAssignment ${JSON.stringify(assignment.clusterName)}: cluster is not defined`);
    }
  }
  if (errors.length > 0) return { errors };
  const { listeners, redisListeners, clusters: clusterList, endpoints, routes } = decoded;
  return {
    snapshot: {
      version,
      listeners,
      clusters: clusterList,
      endpoints,
      routes,
      ...(redisListeners.length === 0 ? {} : { redisListeners }),
    },
    errors,
  };
}
