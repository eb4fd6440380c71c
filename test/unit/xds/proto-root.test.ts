import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PROTO_JSON_URL, loadProtoFiles, protoRoot } from '../../../src/xds/proto-root.js';

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
