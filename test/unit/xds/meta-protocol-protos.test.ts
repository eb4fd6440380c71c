/**
 * Our MetaProtocol protos against the original's field listing (metaprotocol.md §4): same package,
 * message names, field numbers and field types, so the wire formats agree; our extensions numbered
 * 1000 and above.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { protoType } from '../../../src/xds/index.js';

const V1 = 'aeraki.meta_protocol_proxy.v1alpha';
const ROUTE = 'aeraki.meta_protocol_proxy.config.route.v1alpha';

/** message → field name → [number, type, repeated]. */
const ORIGINAL: Record<string, Record<string, [number, string, boolean?]>> = {
  [`${V1}.MetaProtocolProxy`]: {
    stat_prefix: [1, 'string'],
    application_protocol: [2, 'string'],
    rds: [3, 'Rds'],
    route_config: [4, `.${ROUTE}.RouteConfiguration`],
    codec: [5, 'Codec'],
    meta_protocol_filters: [6, 'MetaProtocolFilter', true],
    tracing: [7, 'Tracing'],
    access_log: [8, 'envoy.config.accesslog.v3.AccessLog', true],
    idle_timeout: [11, 'google.protobuf.Duration'],
    protocol: [12, 'ApplicationProtocol'],
  },
  [`${V1}.Rds`]: {
    config_source: [1, 'envoy.config.core.v3.ConfigSource'],
    route_config_name: [2, 'string'],
  },
  [`${V1}.MetaProtocolFilter`]: { name: [1, 'string'], config: [2, 'google.protobuf.Any'] },
  [`${V1}.Codec`]: { name: [1, 'string'], config: [2, 'google.protobuf.Any'] },
  [`${V1}.ApplicationProtocol`]: { name: [1, 'string'], codec: [2, 'Codec'], multiplexing: [3, 'bool'] },
  [`${V1}.Tracing`]: {
    client_sampling: [3, 'envoy.type.v3.Percent'],
    random_sampling: [4, 'envoy.type.v3.Percent'],
    overall_sampling: [5, 'envoy.type.v3.Percent'],
    verbose: [6, 'bool'],
    max_tag_length: [7, 'google.protobuf.UInt32Value'],
    provider: [9, 'envoy.config.trace.v3.Tracing.Http'],
  },
  [`${ROUTE}.RouteConfiguration`]: { name: [1, 'string'], routes: [2, 'Route', true] },
  [`${ROUTE}.Route`]: {
    name: [1, 'string'],
    match: [2, 'RouteMatch'],
    route: [3, 'RouteAction'],
    request_mutation: [19, 'KeyValue', true],
    response_mutation: [20, 'KeyValue', true],
  },
  [`${ROUTE}.RouteMatch`]: { metadata: [1, 'envoy.config.route.v3.HeaderMatcher', true] },
  [`${ROUTE}.RouteAction`]: {
    cluster: [1, 'string'],
    weighted_clusters: [2, 'envoy.config.route.v3.WeightedCluster'],
    hash_policy: [10, 'string', true],
    request_mirror_policies: [11, 'RequestMirrorPolicy', true],
  },
  [`${ROUTE}.RequestMirrorPolicy`]: {
    cluster: [1, 'string'],
    runtime_fraction: [2, 'envoy.config.core.v3.RuntimeFractionalPercent'],
  },
  [`${ROUTE}.KeyValue`]: { key: [1, 'string'], value: [2, 'string'] },
};

/** Our additions: the only fields beyond the original, all numbered 1000+. */
const EXTENSIONS: Record<string, string[]> = {
  [`${V1}.MetaProtocolProxy`]: ['request_timeout'],
  [`${ROUTE}.Route`]: ['fault'],
  [`${ROUTE}.RouteAction`]: ['retry_policy', 'timeout'],
};

/** Full name of a field's type as the listing writes it: scalars bare, messages qualified. */
function expectedType(typeName: string, message: string): string {
  if (!/^[A-Z.]/.test(typeName) && !typeName.includes('.')) return typeName;
  if (typeName.startsWith('.')) return typeName.slice(1);
  if (typeName.includes('.')) return typeName;
  return `${message.slice(0, message.lastIndexOf('.'))}.${typeName}`;
}

describe('MetaProtocol protos', () => {
  for (const [message, fields] of Object.entries(ORIGINAL)) {
    test(`${message} has the original's field numbers and types`, () => {
      const type = protoType(message);
      for (const [name, [id, typeName, repeated]] of Object.entries(fields)) {
        const field = type.fields[name];
        assert.ok(field !== undefined, `${message}.${name} missing`);
        assert.equal(field.id, id, `${message}.${name} number`);
        const actual = field.resolvedType === null ? field.type : field.resolvedType.fullName.slice(1);
        assert.equal(actual, expectedType(typeName, message), `${message}.${name} type`);
        assert.equal(field.repeated, repeated === true, `${message}.${name} repeated`);
      }
      const extra = Object.keys(type.fields).filter(n => !(n in fields));
      assert.deepEqual(extra.sort(), (EXTENSIONS[message] ?? []).sort(), `${message} extra fields`);
      for (const name of extra)
        assert.ok((type.fields[name]?.id ?? 0) >= 1000, `${message}.${name} must be numbered 1000+`);
    });
  }

  test('Tracing reserves 1 and 2', () => {
    const type = protoType(`${V1}.Tracing`);
    assert.deepEqual(
      type.reserved.filter(r => Array.isArray(r)),
      [
        [1, 1],
        [2, 2],
      ],
    );
  });

  test('route_config and rds form the route_specifier oneof; cluster and weighted_clusters the cluster_specifier', () => {
    assert.deepEqual(protoType(`${V1}.MetaProtocolProxy`).oneofs['route_specifier']?.oneof, [
      'rds',
      'route_config',
    ]);
    assert.deepEqual(protoType(`${ROUTE}.RouteAction`).oneofs['cluster_specifier']?.oneof, [
      'cluster',
      'weighted_clusters',
    ]);
  });

  test('the cluster options extension message numbers every field 1000+', () => {
    const type = protoType(`${V1}.MetaProtocolClusterOptions`);
    assert.deepEqual(
      Object.values(type.fields).map(f => [f.name, f.id]),
      [
        ['multiplexed_connections', 1000],
        ['heartbeat_interval', 1001],
      ],
    );
  });

  test('bytes written for the original fields are what a hand encoder of the listing writes', () => {
    // stat_prefix (1) = "s", application_protocol (2) = "t", rds (3) = {route_config_name (2) = "r"}
    const type = protoType(`${V1}.MetaProtocolProxy`);
    const bytes = type
      .encode(
        type.fromObject({ stat_prefix: 's', application_protocol: 't', rds: { route_config_name: 'r' } }),
      )
      .finish();
    assert.deepEqual([...bytes], [0x0a, 1, 0x73, 0x12, 1, 0x74, 0x1a, 3, 0x12, 1, 0x72]);
  });
});
