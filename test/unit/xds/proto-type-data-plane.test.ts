/**
 * protoType serves the data plane's types from its part of the schema, and a type outside that part
 * from the whole schema, which serves every type from then on (each in a fresh process: node --test
 * runs every file in its own, so nothing here has read a schema before).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { protoType, releaseProtoSchema } from '../../../src/xds/proto-root.js';
import { decodeMessage, encodeMessage } from '../../../src/xds/proto-message.js';

const LISTENER = 'envoy.config.listener.v3.Listener';
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

const listener = {
  name: '127.0.0.1_9090',
  address: { socket_address: { address: '127.0.0.1', port_value: 9090 } },
  traffic_direction: 'OUTBOUND',
  filter_chains: [{ filters: [{ name: 'envoy.filters.network.meta_protocol_proxy' }] }],
};

test('the data plane part first, then the whole schema once a type outside it is asked for', () => {
  const fromPart = protoType(LISTENER);
  assert.equal(fromPart.root.lookup(HCM), null, 'read from the data plane part');
  assert.equal(protoType(LISTENER), fromPart, 'looked up once');
  const bytes = encodeMessage(LISTENER, listener);

  const hcm = protoType(HCM);
  assert.equal(hcm.fullName, `.${HCM}`);
  const fromWhole = protoType(LISTENER);
  assert.notEqual(fromWhole, fromPart);
  assert.ok(fromWhole.root.lookup(HCM) !== null, 'now from the whole schema');
  assert.deepEqual(Buffer.from(encodeMessage(LISTENER, listener)), Buffer.from(bytes));
  assert.deepEqual(decodeMessage(LISTENER, bytes), { ...listener });
});

test('an unknown type is reported as before', () => {
  assert.throws(() => protoType('envoy.nothing.v3.Nothing'), /no such type/);
});

test('once released, the schema is read again: the data plane part first, the same bytes', () => {
  protoType(HCM);
  const bytes = encodeMessage(LISTENER, listener);
  releaseProtoSchema();
  const again = protoType(LISTENER);
  assert.equal(again.root.lookup(HCM), null, 'read again from the data plane part');
  assert.deepEqual(Buffer.from(encodeMessage(LISTENER, listener)), Buffer.from(bytes));
  assert.deepEqual(decodeMessage(LISTENER, bytes), { ...listener });
});
