import assert from 'node:assert/strict';
import { test } from 'node:test';
import { protoType } from '../../../src/xds/proto-root.js';
import { encodeMessage, type ProtoObject } from '../../../src/xds/proto-message.js';
import { wireReady } from '../../../src/xds/plain-encoding.js';

/** protobufjs's own way: message instances first. */
function reference(fullName: string, object: ProtoObject): Buffer {
  const type = protoType(fullName);
  return Buffer.from(type.encode(type.fromObject(object)).finish());
}

const CLUSTER = 'envoy.config.cluster.v3.Cluster';

const cluster: ProtoObject = {
  name: 'outbound|9090||a.b',
  type: 'EDS', // enum in a oneof
  lb_policy: 'RING_HASH',
  eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } }, // nested enum
  connect_timeout: { seconds: 2, nanos: 500_000_000 }, // int64 as a number
  circuit_breakers: {
    thresholds: [
      { priority: 'HIGH', max_connections: { value: 10 } }, // enum in a repeated message
      { max_requests: { value: 0 } },
    ],
  },
  metadata: {
    filter_metadata: {
      // A map of Structs: Value's null_value is an enum, Struct and Value contain each other.
      'envoy.lb': {
        fields: {
          version: { stringValue: 'v1' },
          none: { nullValue: 'NULL_VALUE' },
          nested: {
            structValue: { fields: { list: { listValue: { values: [{ nullValue: 'NULL_VALUE' }] } } } },
          },
        },
      },
    },
  },
};

test('the same bytes as fromObject + encode, enums by name in oneofs, repeated fields, maps and recursive types', () => {
  assert.deepEqual(Buffer.from(encodeMessage(CLUSTER, cluster)), reference(CLUSTER, cluster));
  const assignment: ProtoObject = {
    cluster_name: 'c',
    endpoints: [
      {
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 9090 } } },
            health_status: 'DRAINING',
            load_balancing_weight: { value: 3 },
          },
        ],
      },
    ],
  };
  const name = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
  assert.deepEqual(Buffer.from(encodeMessage(name, assignment)), reference(name, assignment));
});

test('enums given as numbers are kept; an unknown enum name leaves the field unset, as fromObject does', () => {
  const numeric = { ...cluster, lb_policy: 2, type: 3 };
  assert.deepEqual(Buffer.from(encodeMessage(CLUSTER, numeric)), reference(CLUSTER, numeric));
  const unknown = { name: 'c', lb_policy: 'NO_SUCH_POLICY' };
  assert.deepEqual(Buffer.from(encodeMessage(CLUSTER, unknown)), reference(CLUSTER, unknown));
  assert.deepEqual(Buffer.from(encodeMessage(CLUSTER, unknown)), reference(CLUSTER, { name: 'c' }));
});

test('the input is never changed: only objects on the way to an enum are copied, the rest is shared', () => {
  const before = JSON.stringify(cluster);
  const ready = wireReady(protoType(CLUSTER), cluster);
  assert.equal(JSON.stringify(cluster), before);
  assert.notEqual(ready, cluster);
  assert.equal(ready['lb_policy'], 2);
  // No enum below: the very same object.
  assert.equal(ready['connect_timeout'], cluster['connect_timeout']);
  const withoutEnums = { name: 'c', connect_timeout: { seconds: 1 } };
  assert.equal(wireReady(protoType(CLUSTER), withoutEnums), withoutEnums);
});
