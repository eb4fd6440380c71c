/**
 * The protobuf schema every xDS encoder and decoder uses: Envoy's v3 API as bundled with
 * `@grpc/grpc-js-xds` (never copied into this repository), plus our MetaProtocol protos under `proto/`,
 * with field names kept in snake_case so that objects and JSON read like Envoy's config dumps.
 *
 * The build parses the .proto files once ({@link loadProtoFiles}, scripts/gen-proto-json.ts) and
 * writes the resolved schema as protobufjs JSON next to this module; a process reads that JSON once,
 * synchronously, on first use. Parsing the .proto text at run time instead left a proxy holding about
 * 6 MiB more (the parser's garbage fragments the old generation) and took several times as long.
 *
 * The build also writes the part of it the data plane uses ({@link DATA_PLANE_TYPES} and what they
 * reach): {@link protoType} looks types up there until it is asked for one outside it, and then
 * reads the whole schema and uses it from then on. A proxy thus never holds the message types only
 * the control plane writes (HTTP connection manager, HTTP routes, the ADS service, …).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type protobuf from 'protobufjs';
import { protobufJs } from './protobufjs.js';

/** Proto files loaded (with their imports). */
const ENTRY_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/upstreams/tcp/v3/tcp_protocol_options.proto',
  'aeraki/meta_protocol_proxy/v1alpha/meta_protocol_proxy.proto',
  'aeraki/meta_protocol_proxy/v1alpha/cluster_options.proto',
  'aeraki/meta_protocol_proxy/config/route/v1alpha/route.proto',
  'aeraki/meta_protocol_proxy/filters/local_ratelimit/v1alpha/local_ratelimit.proto',
  'aeraki/meta_protocol_proxy/filters/global_ratelimit/v1alpha/global_ratelimit.proto',
  'envoy/service/ratelimit/v3/rls.proto',
  'xds/type/v3/typed_struct.proto',
  'udpa/type/v1/typed_struct.proto',
  'envoy/extensions/filters/network/redis_proxy/v3/redis_proxy.proto',
  'envoy/extensions/clusters/redis/v3/redis_cluster.proto',
];

/**
 * Loaded on first use of {@link protoRootWithIstioFilters}: the network filters the Istio EnvoyFilters
 * carry besides the MetaProtocol proxy (Envoy's Dubbo, Thrift, ZooKeeper and Kafka filters, RBAC) and
 * the MetaProtocol Istio metrics filter.
 */
const ISTIO_FILTER_FILES = [
  'aeraki/meta_protocol_proxy/filters/istio_stats/v1alpha/istio_stats.proto',
  'envoy/extensions/filters/network/dubbo_proxy/v3/dubbo_proxy.proto',
  'envoy/extensions/filters/network/dubbo_proxy/router/v3/router.proto',
  'envoy/extensions/filters/network/thrift_proxy/v3/thrift_proxy.proto',
  'envoy/extensions/filters/network/thrift_proxy/router/v3/router.proto',
  'envoy/extensions/filters/network/zookeeper_proxy/v3/zookeeper_proxy.proto',
  'envoy/config/filter/network/kafka_broker/v2alpha1/kafka_broker.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
];

/** Our `proto/` folder: found by walking up from this file, which runs from `src/` or `dist/src/`. */
function ownProtoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'aeraki'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('aeraki proto directory not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

function includeDirs(): string[] {
  const require = createRequire(import.meta.url);
  const xdsDeps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const protobufjsDir = dirname(require.resolve('protobufjs/package.json'));
  return [
    ownProtoDir(),
    join(xdsDeps, 'envoy-api'),
    join(xdsDeps, 'xds'),
    join(xdsDeps, 'googleapis'),
    join(xdsDeps, 'protoc-gen-validate'),
    // google/protobuf/descriptor.proto (the other well-known types are built into protobufjs).
    protobufjsDir,
  ];
}

/** Where the build writes the schema as protobufjs JSON. */
export const PROTO_JSON_URL = new URL('./xds-protos.json', import.meta.url);

/**
 * The messages the data plane encodes and decodes: the ADS client's requests and responses, the
 * resources and the typed configs they carry, the rate-limit service's request and response. A type
 * missing here still works (the whole schema is read for it); it only costs the memory this saves.
 */
export const DATA_PLANE_TYPES: readonly string[] = [
  'envoy.service.discovery.v3.DiscoveryRequest',
  'envoy.service.discovery.v3.DiscoveryResponse',
  'envoy.service.discovery.v3.DeltaDiscoveryRequest',
  'envoy.service.discovery.v3.DeltaDiscoveryResponse',
  'envoy.config.listener.v3.Listener',
  'envoy.config.cluster.v3.Cluster',
  'envoy.config.endpoint.v3.ClusterLoadAssignment',
  'envoy.config.route.v3.RouteConfiguration',
  'envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions',
  'envoy.extensions.filters.network.redis_proxy.v3.RedisProxy',
  'envoy.extensions.filters.network.redis_proxy.v3.RedisProtocolOptions',
  'envoy.extensions.clusters.redis.v3.RedisClusterConfig',
  'envoy.service.ratelimit.v3.RateLimitRequest',
  'envoy.service.ratelimit.v3.RateLimitResponse',
  'aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy',
  'aeraki.meta_protocol_proxy.v1alpha.MetaProtocolClusterOptions',
  'aeraki.meta_protocol_proxy.config.route.v1alpha.RouteConfiguration',
  'aeraki.meta_protocol_proxy.config.route.v1alpha.RouteFault',
  'aeraki.meta_protocol_proxy.filters.local_ratelimit.v1alpha.LocalRateLimit',
  'aeraki.meta_protocol_proxy.filters.ratelimit.v1alpha.RateLimit',
  'xds.type.v3.TypedStruct',
  'udpa.type.v1.TypedStruct',
  'google.protobuf.Any',
  'google.protobuf.Struct',
  'google.protobuf.Duration',
  'google.protobuf.BoolValue',
  'google.protobuf.BytesValue',
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int32Value',
  'google.protobuf.Int64Value',
  'google.protobuf.StringValue',
  'google.protobuf.UInt32Value',
  'google.protobuf.UInt64Value',
];

/** Where the build writes the part of the schema {@link DATA_PLANE_TYPES} reach (schema-closure.ts). */
export const DATA_PLANE_PROTO_JSON_URL = new URL('./xds-protos-data-plane.json', import.meta.url);

/**
 * Parses the .proto files (with their imports) into a resolved schema: what the build does with
 * the entry files.
 */
export function loadProtoFiles(files: readonly string[] = ENTRY_FILES): protobuf.Root {
  const dirs = includeDirs();
  const pb = protobufJs();
  const root = new pb.Root();
  root.resolvePath = (origin, target) => {
    if (target in pb.common) return target;
    for (const dir of dirs) {
      const path = join(dir, target);
      if (existsSync(path)) return path;
    }
    return pb.util.path.resolve(origin, target);
  };
  root.loadSync([...files], { keepCase: true });
  root.resolveAll();
  return root;
}

let loaded: protobuf.Root | undefined;
/** The data plane's part of the schema; null once the whole one is read (or when it is missing). */
let dataPlane: protobuf.Root | null | undefined;

/** The shared, fully resolved schema. */
export function protoRoot(): protobuf.Root {
  if (loaded !== undefined) return loaded;
  loaded = readSchema(PROTO_JSON_URL);
  // From now on every type comes from the whole schema (types handed out before stay valid: they
  // encode and decode the same bytes).
  dataPlane = null;
  types.clear();
  return loaded;
}

function readSchema(url: URL): protobuf.Root {
  let json: string;
  try {
    json = readFileSync(url, 'utf8');
  } catch (err) {
    throw new Error(`the xDS schema ${fileURLToPath(url)} is missing; run npm run build`, {
      cause: err,
    });
  }
  const root = protobufJs().Root.fromJSON(JSON.parse(json) as protobuf.INamespace);
  root.resolveAll();
  return root;
}

/** The data plane's part of the schema, until the whole one is read. */
function dataPlaneRoot(): protobuf.Root | null {
  if (dataPlane === undefined) {
    try {
      dataPlane = readSchema(DATA_PLANE_PROTO_JSON_URL);
    } catch {
      // Not built (an older build): the whole schema serves.
      dataPlane = null;
    }
  }
  return dataPlane;
}

/** Types looked up: protobufjs walks its namespace tree on every lookup (80,000 per large snapshot). */
const types = new Map<string, protobuf.Type>();
let istioFiltersLoaded = false;

/**
 * Drops the schema and the types looked up, for a process that has decoded what it needed at its
 * start (`aeraki proxy --config`, once its static config is read): they are garbage for the next
 * full collection (about 2 MiB of V8 heap). A later lookup reads the schema again.
 */
export function releaseProtoSchema(): void {
  loaded = undefined;
  dataPlane = undefined;
  types.clear();
  istioFiltersLoaded = false;
}

/**
 * The shared schema, with the Istio-mode network filters ({@link ISTIO_FILTER_FILES}) added: only
 * a control plane in Istio mode needs them, so they are parsed from the .proto files then, into a
 * schema that replaces the build's (a superset of it; types are looked up by name, so what was
 * encoded with the first stays valid).
 */
export function protoRootWithIstioFilters(): protobuf.Root {
  if (!istioFiltersLoaded) {
    loaded = loadProtoFiles([...ENTRY_FILES, ...ISTIO_FILTER_FILES]);
    dataPlane = null;
    types.clear();
    istioFiltersLoaded = true;
  }
  return protoRoot();
}

/**
 * A message type by its full name, e.g. `envoy.config.listener.v3.Listener`: from the data plane's
 * part of the schema while it has every type asked for, else from the whole schema.
 */
export function protoType(fullName: string): protobuf.Type {
  let type = types.get(fullName);
  if (type === undefined) {
    const Type = protobufJs().Type;
    const partial = loaded === undefined ? dataPlaneRoot()?.lookup(fullName, [Type]) : null;
    type = partial instanceof Type ? partial : protoRoot().lookupType(fullName);
    types.set(fullName, type);
  }
  return type;
}
