/** Small MetaProtocol snapshots for xDS tests. */
import type { ClusterResource, ProxySnapshot, RouteResource } from '../../../src/xds/index.js';

export function sampleCluster(name: string): ClusterResource {
  return {
    name,
    lbPolicy: 'ROUND_ROBIN',
    connectTimeoutMs: 10_000,
    idleTimeoutMs: 3_600_000,
    maxConnectionsPerEndpoint: 0,
    multiplexedConnections: 1,
    heartbeatIntervalMs: 30_000,
  };
}

export function sampleRoute(name: string, cluster: string): RouteResource {
  return {
    name,
    match: [],
    action: { cluster },
    hashPolicy: [],
    mirrors: [],
    requestMutation: [],
    responseMutation: [],
  };
}

/**
 * One Thrift listener `127.0.0.10_9090` whose route table `svc.ns_9090` sends everything to
 * `routeTo`, plus `clusters` (which must include `routeTo`), each with one endpoint on `port`.
 */
export function sampleSnapshot(clusters: readonly string[], routeTo: string, port = 19091): ProxySnapshot {
  return {
    version: `${routeTo}@${port}`,
    listeners: [
      {
        name: '127.0.0.10_9090',
        address: '127.0.0.10',
        port: 9090,
        protocol: 'thrift',
        codec: 'aeraki.meta_protocol.codec.thrift',
        routeConfigName: 'svc.ns_9090',
        statPrefix: 'outbound|9090||svc.ns',
        idleTimeoutMs: 0,
        requestTimeoutMs: 15_000,
        multiplexing: true,
      },
    ],
    clusters: clusters.map(sampleCluster),
    endpoints: clusters.map(clusterName => ({
      clusterName,
      endpoints: [{ address: '127.0.0.1', port, labels: { version: 'v1' }, weight: 1 }],
    })),
    routes: [{ name: 'svc.ns_9090', routes: [sampleRoute('default', routeTo)] }],
  };
}
