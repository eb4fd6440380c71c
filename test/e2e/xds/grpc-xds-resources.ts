/**
 * The resources a gRPC xDS client needs (gRPC validates Listeners its own way: an api_listener holding
 * an HttpConnectionManager that fetches its routes by RDS over ADS, with the router filter), built with
 * the same schema and helpers our MetaProtocol encoders use.
 */
import { encodeMessage, packAny, TypeUrls, type XdsResource } from '../../../src/xds/index.js';

const ADS = { ads: {}, resource_api_version: 'V3' };

export function grpcListener(name: string, routeConfigName: string): XdsResource {
  const hcm = packAny('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', {
    stat_prefix: name,
    rds: { config_source: ADS, route_config_name: routeConfigName },
    http_filters: [
      { name: 'router', typed_config: packAny('envoy.extensions.filters.http.router.v3.Router', {}) },
    ],
  });
  return {
    typeUrl: TypeUrls.listener,
    name,
    value: encodeMessage('envoy.config.listener.v3.Listener', { name, api_listener: { api_listener: hcm } }),
  };
}

/** A Listener gRPC must reject: neither api_listener nor filter chains. */
export function invalidGrpcListener(name: string): XdsResource {
  return {
    typeUrl: TypeUrls.listener,
    name,
    value: encodeMessage('envoy.config.listener.v3.Listener', {
      name,
      address: { socket_address: { address: '127.0.0.1', port_value: 1 } },
    }),
  };
}

export function grpcRouteConfiguration(name: string, domain: string, cluster: string): XdsResource {
  return {
    typeUrl: TypeUrls.routeConfiguration,
    name,
    value: encodeMessage('envoy.config.route.v3.RouteConfiguration', {
      name,
      virtual_hosts: [
        { name: 'echo', domains: [domain], routes: [{ match: { prefix: '' }, route: { cluster } }] },
      ],
    }),
  };
}

export function grpcCluster(name: string): XdsResource {
  return {
    typeUrl: TypeUrls.cluster,
    name,
    value: encodeMessage('envoy.config.cluster.v3.Cluster', {
      name,
      type: 'EDS',
      eds_cluster_config: { eds_config: ADS },
      lb_policy: 'ROUND_ROBIN',
    }),
  };
}

export function grpcEndpoints(cluster: string, ports: readonly number[]): XdsResource {
  return {
    typeUrl: TypeUrls.clusterLoadAssignment,
    name: cluster,
    value: encodeMessage('envoy.config.endpoint.v3.ClusterLoadAssignment', {
      cluster_name: cluster,
      endpoints: [
        {
          locality: { region: 'local' },
          load_balancing_weight: { value: 1 },
          lb_endpoints: ports.map(port => ({
            endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } },
            load_balancing_weight: { value: 1 },
          })),
        },
      ],
    }),
  };
}
