/**
 * xDS resources with the settings the proxy, upstream and filter tests start from (fast connect
 * timeout, no idle timeout).
 */
import type { ClusterResource, RouteResource } from '../../src/xds/resources.js';

/** A round-robin cluster, one multiplexed connection per endpoint, no heartbeats. */
export function cluster(name: string, overrides: Partial<ClusterResource> = {}): ClusterResource {
  return {
    name,
    lbPolicy: 'ROUND_ROBIN',
    connectTimeoutMs: 1000,
    idleTimeoutMs: 0,
    maxConnectionsPerEndpoint: 0,
    multiplexedConnections: 1,
    heartbeatIntervalMs: 0,
    ...overrides,
  };
}

/** A route that matches everything and goes to `target`. */
export function route(name: string, target: string, overrides: Partial<RouteResource> = {}): RouteResource {
  return {
    name,
    match: [],
    action: { cluster: target },
    hashPolicy: [],
    mirrors: [],
    requestMutation: [],
    responseMutation: [],
    ...overrides,
  };
}
