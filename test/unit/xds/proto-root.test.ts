import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import {
  DATA_PLANE_PROTO_JSON_URL,
  DATA_PLANE_TYPES,
  PROTO_JSON_URL,
  loadProtoFiles,
  protoRoot,
} from '../../../src/xds/proto-root.js';
import { schemaClosure } from '../../../src/xds/schema-closure.js';

test('the schema the build wrote is the one the .proto files parse to', () => {
  const written: unknown = JSON.parse(readFileSync(PROTO_JSON_URL, 'utf8'));
  assert.deepEqual(written, JSON.parse(JSON.stringify(loadProtoFiles().toJSON())));
});

test('the schema read from the build output encodes and decodes like the parsed one', () => {
  const parsed = loadProtoFiles().lookupType('envoy.config.listener.v3.Listener');
  const read = protoRoot().lookupType('envoy.config.listener.v3.Listener');
  const listener = {
    name: 'thrift-listener',
    address: { socket_address: { address: '127.0.0.1', port_value: 9090 } },
    filter_chains: [{ filters: [{ name: 'aeraki.meta_protocol_proxy' }] }],
  };
  const bytes = read.encode(read.fromObject(listener)).finish();
  assert.deepEqual(Buffer.from(bytes), Buffer.from(parsed.encode(parsed.fromObject(listener)).finish()));
  assert.deepEqual(read.toObject(read.decode(bytes)), parsed.toObject(parsed.decode(bytes)));
});

test("the data plane's schema the build wrote is the closure of DATA_PLANE_TYPES in the whole one", () => {
  const written: unknown = JSON.parse(readFileSync(DATA_PLANE_PROTO_JSON_URL, 'utf8'));
  assert.deepEqual(written, JSON.parse(JSON.stringify(schemaClosure(loadProtoFiles(), DATA_PLANE_TYPES))));
});

test("the data plane's schema resolves alone, and each of its types is the whole schema's type", () => {
  const whole = loadProtoFiles();
  const part = protobuf.Root.fromJSON(
    JSON.parse(readFileSync(DATA_PLANE_PROTO_JSON_URL, 'utf8')) as protobuf.INamespace,
  );
  part.resolveAll();
  const shape = (type: protobuf.Type) =>
    type.fieldsArray.map(f => [f.name, f.id, f.type, f.rule, f.resolvedType?.fullName, f.partOf?.name]);
  let count = 0;
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Type) {
        count++;
        assert.deepEqual(shape(child), shape(whole.lookupType(child.fullName)), child.fullName);
      } else if (child instanceof protobuf.Enum) {
        assert.deepEqual({ ...child.values }, { ...whole.lookupEnum(child.fullName).values }, child.fullName);
      }
      if (child instanceof protobuf.Namespace) visit(child);
    }
  };
  visit(part);
  for (const name of DATA_PLANE_TYPES) assert.ok(part.lookupType(name), name);
  assert.ok(count >= DATA_PLANE_TYPES.length);
  assert.equal(
    part.lookup('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
    null,
    'what only the control plane writes is left out',
  );
});
