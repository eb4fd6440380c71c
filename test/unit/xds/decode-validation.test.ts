/**
 * Decoding validates: a resource our proxy cannot run is rejected with a readable reason naming the
 * resource and field (the NACK's error_detail), other resources still decode, and what the original
 * Aeraki writes (deprecated fields, its telemetry filters, STATIC clusters, inline routes) is accepted.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes } from '../../../src/errors.js';
import {
  decodeCluster,
  decodeEndpointAssignment,
  decodeListener,
  decodeResources,
  decodeRouteConfiguration,
  decodeSnapshot,
  encodeListener,
  encodeRouteConfiguration,
  encodeSnapshot,
  encodeMessage,
  packAny,
  TypeUrls,
  type ProtoObject,
  type RouteConfigResource,
} from '../../../src/xds/index.js';
import { sampleSnapshot } from './sample-snapshot.js';

const LISTENER = 'envoy.config.listener.v3.Listener';
const ROUTES = 'envoy.config.route.v3.RouteConfiguration';
const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const CLA = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
const MPP = 'aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy';

function listenerWith(proxy: ProtoObject, extra: ProtoObject = {}): Uint8Array {
  return encodeMessage(LISTENER, {
    name: 'l1',
    address: { socket_address: { address: '127.0.0.1', port_value: 9090 } },
    filter_chains: [
      { filters: [{ name: 'envoy.filters.network.meta_protocol_proxy', typed_config: packAny(MPP, proxy) }] },
    ],
    ...extra,
  });
}

const ADS_RDS = { config_source: { ads: {} }, route_config_name: 'r1' };

function routesWith(route: ProtoObject, hosts = 1): Uint8Array {
  return encodeMessage(ROUTES, {
    name: 'r1',
    virtual_hosts: Array.from({ length: hosts }, (_, i) => ({
      name: `h${i}`,
      domains: ['*'],
      routes: [route],
    })),
  });
}

function rejects(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.equal((err as { code?: string }).code, ErrorCodes.XDS_INVALID_RESOURCE);
    assert.match((err as Error).message, message);
    return true;
  });
}

describe('Listener decoding', () => {
  test('rejects a listener without filter chains, naming it and the field', () => {
    rejects(
      () =>
        decodeListener(
          encodeMessage(LISTENER, {
            name: 'l1',
            address: { socket_address: { address: '127.0.0.1', port_value: 1 } },
          }),
        ),
      /^Listener "l1": filter_chains: exactly one filter chain is expected, got 0$/,
    );
  });

  test('rejects a filter that is not the MetaProtocol proxy', () => {
    const bytes = encodeMessage(LISTENER, {
      name: 'l1',
      address: { socket_address: { address: '127.0.0.1', port_value: 1 } },
      filter_chains: [
        {
          filters: [
            { name: 'tcp', typed_config: packAny('envoy.extensions.filters.http.router.v3.Router', {}) },
          ],
        },
      ],
    });
    rejects(
      () => decodeListener(bytes),
      /typed_config: must be type\.googleapis\.com\/aeraki\.meta_protocol_proxy\.v1alpha\.MetaProtocolProxy, got .*Router/,
    );
  });

  test('rejects a bad port, a missing codec, a missing route source and filter configs it cannot read', () => {
    const proxy = { stat_prefix: 's', application_protocol: 'thrift', codec: { name: 'c' }, rds: ADS_RDS };
    rejects(
      () =>
        decodeListener(
          listenerWith(proxy, { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } }),
        ),
      /address\.socket_address\.port_value: must be 1-65535, got 0/,
    );
    rejects(
      () => decodeListener(listenerWith({ ...proxy, codec: undefined })),
      /protocol\.codec\.name: must not be empty/,
    );
    rejects(() => decodeListener(listenerWith({ ...proxy, rds: undefined })), /needs rds or route_config/);
    rejects(
      () =>
        decodeListener(
          listenerWith({
            ...proxy,
            meta_protocol_filters: [
              {
                name: 'aeraki.meta_protocol.filters.fault',
                config: packAny('google.protobuf.Duration', { seconds: 1 }),
              },
              { name: 'aeraki.meta_protocol.filters.router' },
            ],
          }),
        ),
      /meta_protocol_filters\[0\]\.config: type\.googleapis\.com\/google\.protobuf\.Duration is not supported for filter "aeraki\.meta_protocol\.filters\.fault"; use xds\.type\.v3\.TypedStruct/,
    );
    rejects(
      () =>
        decodeListener(
          listenerWith({
            ...proxy,
            meta_protocol_filters: [{ name: 'aeraki.meta_protocol.filters.fault' }],
          }),
        ),
      /meta_protocol_filters: must end with aeraki\.meta_protocol\.filters\.router/,
    );
    rejects(
      () =>
        decodeListener(
          listenerWith({
            ...proxy,
            rds: { config_source: { path_config_source: { path: '/etc/r1.yaml' } }, route_config_name: 'r1' },
          }),
        ),
      /rds\.config_source: only ads, self or api_config_source \(gRPC\) config sources are supported/,
    );
    const apiSource = (api: Record<string, unknown>): unknown =>
      decodeListener(
        listenerWith({
          ...proxy,
          rds: { config_source: { api_config_source: api }, route_config_name: 'r1' },
        }),
      );
    rejects(
      () => apiSource({ api_type: 'REST', cluster_names: ['aeraki-xds'] }),
      /api_config_source\.api_type: must be GRPC or DELTA_GRPC, got REST/,
    );
    rejects(
      () => apiSource({ api_type: 'GRPC' }),
      /api_config_source\.grpc_services: must name exactly one gRPC service, got 0/,
    );
    rejects(
      () =>
        apiSource({
          api_type: 'GRPC',
          grpc_services: [{ google_grpc: { target_uri: 'aeraki:15010', stat_prefix: 'x' } }],
        }),
      /grpc_services\[0\]: must name the xDS server’s cluster with envoy_grpc\.cluster_name/,
    );
  });

  test("accepts Aeraki's own shape: deprecated protocol fields and its telemetry filters", () => {
    const { listener } = decodeListener(
      listenerWith({
        stat_prefix: 'outbound|9090||svc',
        application_protocol: 'thrift',
        codec: {
          name: 'aeraki.meta_protocol.codec.thrift',
          config: { type_url: 'type.googleapis.com/x.ThriftCodec', value: new Uint8Array() },
        },
        rds: ADS_RDS,
        meta_protocol_filters: [
          { name: 'aeraki.meta_protocol.filters.metadata_exchange' },
          { name: 'aeraki.meta_protocol.filters.istio_stats' },
          { name: 'aeraki.meta_protocol.filters.router' },
        ],
      }),
    );
    assert.deepEqual(listener, {
      name: 'l1',
      address: '127.0.0.1',
      port: 9090,
      protocol: 'thrift',
      codec: 'aeraki.meta_protocol.codec.thrift',
      routeConfigName: 'r1',
      statPrefix: 'outbound|9090||svc',
      requestTimeoutMs: 0,
      multiplexing: false,
    });
  });

  test('accepts the original’s RDS source: a gRPC api_config_source on the aeraki-xds cluster', () => {
    for (const apiType of ['GRPC', 'DELTA_GRPC']) {
      const { listener } = decodeListener(
        listenerWith({
          stat_prefix: 'outbound|20880||org.apache.dubbo.samples.basic.api.demoservice',
          application_protocol: 'dubbo',
          codec: { name: 'aeraki.meta_protocol.codec.dubbo' },
          rds: {
            config_source: {
              api_config_source: {
                api_type: apiType,
                transport_api_version: 'V3',
                grpc_services: [{ envoy_grpc: { cluster_name: 'aeraki-xds' } }],
              },
              resource_api_version: 'V3',
            },
            route_config_name: 'org.apache.dubbo.samples.basic.api.demoservice_20880',
          },
          meta_protocol_filters: [{ name: 'aeraki.meta_protocol.filters.router' }],
        }),
      );
      assert.equal(listener.routeConfigName, 'org.apache.dubbo.samples.basic.api.demoservice_20880', apiType);
    }
  });

  test('idle timeout: absent leaves it to the proxy, 0s means never; the buffer limit travels as Envoy writes it', () => {
    const base = sampleSnapshot(['c'], 'c').listeners[0];
    assert.ok(base !== undefined);
    const { idleTimeoutMs: _, ...withoutIdle } = base;
    assert.equal(decodeListener(encodeListener(withoutIdle)).listener.idleTimeoutMs, undefined);
    assert.equal(decodeListener(encodeListener({ ...base, idleTimeoutMs: 0 })).listener.idleTimeoutMs, 0);
    const limited = { ...base, perConnectionBufferLimitBytes: 32768 };
    assert.deepEqual(decodeListener(encodeListener(limited)).listener, limited);
    rejects(
      () => decodeListener(encodeListener({ ...base, perConnectionBufferLimitBytes: 0 })),
      /per_connection_buffer_limit_bytes: must be more than 0, got 0/,
    );
  });

  test('carries the codec config as a Struct and the timeouts as Durations', () => {
    const base = sampleSnapshot(['c'], 'c').listeners[0];
    assert.ok(base !== undefined);
    const listener = {
      ...base,
      codecConfig: { maxFrameSize: 1024, nested: { list: [1, 'two', true, null] } },
      idleTimeoutMs: 1500,
    };
    assert.deepEqual(decodeListener(encodeListener(listener)).listener, listener);
  });

  test('an inline route_config decodes into a route table', () => {
    const decoded = decodeResources([
      {
        type_url: TypeUrls.listener,
        value: listenerWith({
          stat_prefix: 's',
          protocol: {
            name: 'dubbo',
            codec: { name: 'aeraki.meta_protocol.codec.dubbo' },
            multiplexing: true,
          },
          route_config: {
            name: 'inline|20880||',
            routes: [
              {
                name: 'all',
                match: { metadata: [{ name: 'method', prefix_match: 'say' }] },
                route: { cluster: 'inbound|20880||', hash_policy: ['method'], timeout: { seconds: 2 } },
                request_mutation: [{ key: 'k', value: 'v' }],
              },
            ],
          },
        }),
      },
    ]);
    assert.deepEqual(decoded.errors, []);
    assert.equal(decoded.listeners[0]?.routeConfigName, 'inline|20880||');
    assert.equal(decoded.listeners[0]?.multiplexing, true);
    assert.deepEqual(decoded.routes, [
      {
        name: 'inline|20880||',
        routes: [
          {
            name: 'all',
            match: [{ name: 'method', kind: 'prefix', value: 'say' }],
            action: { cluster: 'inbound|20880||' },
            hashPolicy: ['method'],
            mirrors: [],
            requestMutation: [{ key: 'k', value: 'v' }],
            responseMutation: [],
            timeoutMs: 2000,
          },
        ],
      },
    ]);
  });
});

describe('RouteConfiguration decoding', () => {
  const cluster = { cluster: 'c1' };

  test('round-trips every route feature', () => {
    const table: RouteConfigResource = {
      name: 'r1',
      routes: [
        {
          name: 'all-features',
          match: [
            { name: 'method', kind: 'exact', value: 'say' },
            { name: 'interface', kind: 'prefix', value: 'org.' },
            { name: 'version', kind: 'regex', value: 'v[0-9]+' },
            { name: 'tenant', kind: 'present' },
          ],
          action: {
            weightedClusters: [
              { name: 'a', weight: 30 },
              { name: 'b', weight: 70 },
            ],
            totalWeight: 100,
          },
          hashPolicy: ['user', 'method'],
          mirrors: [{ cluster: 'm', percent: 12.5 }],
          requestMutation: [{ key: 'x-a', value: '1' }],
          responseMutation: [{ key: 'x-b', value: '2' }],
          timeoutMs: 250,
        },
        {
          name: 'zero-timeout',
          match: [],
          action: { cluster: 'a' },
          hashPolicy: [],
          mirrors: [{ cluster: 'm', percent: 100 }],
          requestMutation: [],
          responseMutation: [],
          timeoutMs: 0,
        },
      ],
    };
    assert.deepEqual(decodeRouteConfiguration(encodeRouteConfiguration(table)), table);
  });

  test('rejects what the router cannot honour, naming the route and field', () => {
    rejects(
      () => decodeRouteConfiguration(routesWith({ route: cluster }, 2)),
      /^RouteConfiguration "r1": virtual_hosts: exactly one virtual host is expected, got 2$/,
    );
    rejects(
      () =>
        decodeRouteConfiguration(
          routesWith({
            match: { headers: [{ name: 'm', safe_regex_match: { regex: '(?=x)' } }] },
            route: cluster,
          }),
        ),
      /virtual_hosts\[0\]\.routes\[0\]\.match\.headers\[0\]\.safe_regex_match: regex "\(\?=x\)" is not valid RE2/,
    );
    rejects(
      () =>
        decodeRouteConfiguration(
          routesWith({ match: { headers: [{ name: 'm', suffix_match: 'x' }] }, route: cluster }),
        ),
      /headers\[0\]\.suffix_match: is not supported/,
    );
    rejects(
      () =>
        decodeRouteConfiguration(
          routesWith({
            match: { headers: [{ name: 'm', exact_match: 'x', invert_match: true }] },
            route: cluster,
          }),
        ),
      /invert_match: is not supported/,
    );
    rejects(
      () => decodeRouteConfiguration(routesWith({ direct_response: { status: 200 } })),
      /only routes with a route action/,
    );
    rejects(
      () => decodeRouteConfiguration(routesWith({ route: { cluster_header: 'x' } })),
      /route: needs cluster or weighted_clusters/,
    );
    rejects(
      () =>
        decodeRouteConfiguration(
          routesWith({ route: { ...cluster, hash_policy: [{ cookie: { name: 'c' } }] } }),
        ),
      /hash_policy\[0\]: only header hash policies are supported/,
    );
  });

  test('accepts string_match and matcher-less presence, and sums weights without total_weight', () => {
    const table = decodeRouteConfiguration(
      routesWith({
        match: {
          headers: [
            { name: 'a', string_match: { exact: 'x' } },
            { name: 'b', string_match: { prefix: 'p' } },
            { name: 'c' },
          ],
        },
        route: {
          weighted_clusters: {
            clusters: [
              { name: 'a', weight: { value: 1 } },
              { name: 'b', weight: { value: 3 } },
            ],
          },
        },
      }),
    );
    assert.deepEqual(table.routes[0]?.match, [
      { name: 'a', kind: 'exact', value: 'x' },
      { name: 'b', kind: 'prefix', value: 'p' },
      { name: 'c', kind: 'present' },
    ]);
    assert.deepEqual(table.routes[0]?.action, {
      weightedClusters: [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 3 },
      ],
      totalWeight: 4,
    });
  });

  test('reads mirror fractions in any denominator; absent is 100%', () => {
    const mirrors = decodeRouteConfiguration(
      routesWith({
        route: {
          ...cluster,
          request_mirror_policies: [
            { cluster: 'm1', runtime_fraction: { default_value: { numerator: 25, denominator: 'HUNDRED' } } },
            {
              cluster: 'm2',
              runtime_fraction: { default_value: { numerator: 50, denominator: 'TEN_THOUSAND' } },
            },
            { cluster: 'm3' },
          ],
        },
      }),
    ).routes[0]?.mirrors;
    assert.deepEqual(mirrors, [
      { cluster: 'm1', percent: 25 },
      { cluster: 'm2', percent: 0.5 },
      { cluster: 'm3', percent: 100 },
    ]);
  });
});

describe('Cluster and endpoint decoding', () => {
  test('a foreign EDS cluster gets Envoy defaults', () => {
    const { cluster } = decodeCluster(
      encodeMessage(CLUSTER, { name: 'c', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } }),
    );
    assert.deepEqual(cluster, {
      name: 'c',
      lbPolicy: 'ROUND_ROBIN',
      connectTimeoutMs: 5000,
      idleTimeoutMs: 600_000,
      maxConnectionsPerEndpoint: 0,
      multiplexedConnections: 1,
      heartbeatIntervalMs: 0,
    });
  });

  test('a STATIC cluster brings its endpoints', () => {
    const decoded = decodeCluster(
      encodeMessage(CLUSTER, {
        name: 'inbound|20880||',
        type: 'STATIC',
        lb_policy: 'LEAST_REQUEST',
        circuit_breakers: { per_host_thresholds: [{ max_connections: { value: 7 } }] },
        load_assignment: {
          cluster_name: 'other',
          endpoints: [
            {
              lb_endpoints: [
                { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 20880 } } } },
              ],
            },
          ],
        },
      }),
    );
    assert.equal(decoded.cluster.lbPolicy, 'LEAST_REQUEST');
    assert.equal(decoded.cluster.maxConnectionsPerEndpoint, 7);
    assert.deepEqual(decoded.staticEndpoints, {
      clusterName: 'inbound|20880||',
      endpoints: [{ address: '127.0.0.1', port: 20880, labels: {}, weight: 1 }],
    });
  });

  test('rejects cluster types and policies we do not run', () => {
    rejects(
      () => decodeCluster(encodeMessage(CLUSTER, { name: 'c', type: 'STRICT_DNS' })),
      /^Cluster "c": type: only EDS and STATIC clusters are supported, got STRICT_DNS$/,
    );
    rejects(
      () =>
        decodeCluster(
          encodeMessage(CLUSTER, {
            name: 'c',
            type: 'EDS',
            eds_cluster_config: { eds_config: { ads: {} } },
            lb_policy: 'CLUSTER_PROVIDED',
          }),
        ),
      /lb_policy: must be one of/,
    );
    rejects(
      () =>
        decodeCluster(
          encodeMessage(CLUSTER, {
            name: 'c',
            type: 'EDS',
            eds_cluster_config: { eds_config: { ads: {} }, service_name: 'other' },
          }),
        ),
      /eds_cluster_config\.service_name: must be empty or the cluster name/,
    );
  });

  test('endpoints: unhealthy ones skipped, weight defaults to 1, labels stringified; bad addresses rejected', () => {
    const assignment = decodeEndpointAssignment(
      encodeMessage(CLA, {
        cluster_name: 'c',
        endpoints: [
          {
            lb_endpoints: [
              {
                endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 1 } } },
                metadata: {
                  filter_metadata: {
                    'envoy.lb': { fields: { version: { stringValue: 'v1' }, shard: { numberValue: 3 } } },
                  },
                },
              },
              {
                endpoint: { address: { socket_address: { address: '127.0.0.2', port_value: 2 } } },
                health_status: 'UNHEALTHY',
              },
            ],
          },
          {
            lb_endpoints: [
              {
                endpoint: { address: { socket_address: { address: '127.0.0.3', port_value: 3 } } },
                load_balancing_weight: { value: 5 },
              },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(assignment.endpoints, [
      { address: '127.0.0.1', port: 1, labels: { version: 'v1', shard: '3' }, weight: 1 },
      { address: '127.0.0.3', port: 3, labels: {}, weight: 5 },
    ]);
    rejects(
      () =>
        decodeEndpointAssignment(
          encodeMessage(CLA, { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ endpoint: {} }] }] }),
        ),
      /^ClusterLoadAssignment "c": endpoints\[0\]\.lb_endpoints\[0\]\.endpoint\.address\.socket_address: is required$/,
    );
  });
});

describe('decodeResources and decodeSnapshot', () => {
  test('invalid resources are reported with their position; valid ones still decode', () => {
    const good = encodeSnapshot(sampleSnapshot(['c'], 'c'));
    const decoded = decodeResources([
      ...good,
      { typeUrl: TypeUrls.listener, name: 'bad', value: encodeMessage(LISTENER, { name: 'bad' }) },
      {
        typeUrl: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
        name: 's',
        value: new Uint8Array(),
      },
      { typeUrl: TypeUrls.cluster, name: 'junk', value: Uint8Array.from([0xff, 0xff, 0xff]) },
    ]);
    assert.equal(decoded.listeners.length, 1);
    assert.equal(decoded.clusters.length, 1);
    assert.equal(decoded.endpoints.length, 1);
    assert.equal(decoded.routes.length, 1);
    assert.deepEqual(
      decoded.errors.map(e => [e.index, e.typeUrl]),
      [
        [good.length, TypeUrls.listener],
        [good.length + 1, 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret'],
        [good.length + 2, TypeUrls.cluster],
      ],
    );
    assert.match(decoded.errors[0]?.message ?? '', /^Listener "bad": address\.socket_address: is required$/);
    assert.match(decoded.errors[1]?.message ?? '', /is not supported/);
  });

  test('a snapshot whose routes name a missing cluster is refused', () => {
    const resources = encodeSnapshot(sampleSnapshot(['c'], 'c')).filter(r => r.typeUrl !== TypeUrls.cluster);
    const result = decodeSnapshot('v', resources);
    assert.equal(result.snapshot, undefined);
    assert.deepEqual(result.errors, [
      'RouteConfiguration "svc.ns_9090": cluster "c" is not defined',
      'ClusterLoadAssignment "c": cluster is not defined',
    ]);
  });
});

describe('Cluster circuit breakers and outlier detection', () => {
  const base = { name: 'c', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } };

  test('unset fields inside circuit_breakers and outlier_detection get Envoy defaults', () => {
    const { cluster } = decodeCluster(
      encodeMessage(CLUSTER, {
        ...base,
        circuit_breakers: {
          thresholds: [{ priority: 'HIGH', max_requests: { value: 1 } }, { max_requests: { value: 0 } }],
        },
        outlier_detection: {},
      }),
    );
    assert.deepEqual(cluster.circuitBreakers, {
      maxConnections: 1024,
      maxPendingRequests: 1024,
      maxRequests: 0,
    });
    assert.deepEqual(cluster.outlierDetection, {
      consecutiveErrors: 5,
      consecutiveGatewayErrors: 0,
      intervalMs: 10_000,
      baseEjectionMs: 30_000,
      maxEjectionMs: 300_000,
      maxEjectionPercent: 10,
      minHealthPercent: 50,
    });
  });

  test('enforcing percentages switch thresholds on and off; a zero panic threshold stays zero', () => {
    const { cluster } = decodeCluster(
      encodeMessage(CLUSTER, {
        ...base,
        outlier_detection: {
          consecutive_5xx: { value: 7 },
          enforcing_consecutive_5xx: { value: 0 },
          consecutive_gateway_failure: { value: 2 },
          enforcing_consecutive_gateway_failure: { value: 100 },
          base_ejection_time: { seconds: 600 },
        },
        common_lb_config: { healthy_panic_threshold: { value: 0 } },
      }),
    );
    assert.equal(cluster.outlierDetection?.consecutiveErrors, 0);
    assert.equal(cluster.outlierDetection?.consecutiveGatewayErrors, 2);
    assert.equal(cluster.outlierDetection?.maxEjectionMs, 600_000, 'never shorter than the base time');
    assert.equal(cluster.outlierDetection?.minHealthPercent, 0);
  });

  test('values the proxy cannot honour are NACKed naming the field', () => {
    const withOutlier =
      (outlier: ProtoObject, extra: ProtoObject = {}) =>
      () =>
        decodeCluster(encodeMessage(CLUSTER, { ...base, outlier_detection: outlier, ...extra }));
    rejects(
      withOutlier({ enforcing_consecutive_5xx: { value: 50 } }),
      /^Cluster "c": outlier_detection\.enforcing_consecutive_5xx: only 0 and 100 are supported, got 50$/,
    );
    rejects(
      withOutlier({ max_ejection_percent: { value: 150 } }),
      /^Cluster "c": outlier_detection\.max_ejection_percent: must be 0–100, got 150$/,
    );
    rejects(
      withOutlier({ interval: { seconds: 0 } }),
      /^Cluster "c": outlier_detection\.interval: must be longer than 0$/,
    );
    rejects(
      withOutlier({}, { common_lb_config: { healthy_panic_threshold: { value: 101 } } }),
      /^Cluster "c": common_lb_config\.healthy_panic_threshold: must be 0–100, got 101$/,
    );
  });

  test('our limits and detection round-trip through the Envoy encoding', () => {
    const snapshot = sampleSnapshot(['a', 'b'], 'a');
    const cluster = {
      ...snapshot.clusters[0]!,
      circuitBreakers: { maxConnections: 1, maxPendingRequests: 0, maxRequests: 4_294_967_295 },
      maxRequestsPerConnection: 1,
      perConnectionBufferLimitBytes: 65536,
      outlierDetection: {
        consecutiveErrors: 0,
        consecutiveGatewayErrors: 3,
        intervalMs: 250,
        baseEjectionMs: 1500,
        maxEjectionMs: 300_000,
        maxEjectionPercent: 0,
        minHealthPercent: 0,
      },
    };
    const withLimits = { ...snapshot, clusters: [cluster, ...snapshot.clusters.slice(1)] };
    const decoded = decodeSnapshot(withLimits.version, encodeSnapshot(withLimits));
    assert.deepEqual(decoded.errors, []);
    assert.deepEqual(decoded.snapshot?.clusters[0], cluster);
  });
});
