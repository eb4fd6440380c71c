import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateDocument } from '../../../../src/api/validation/document.js';

const applicationProtocol = {
  apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
  kind: 'ApplicationProtocol',
  metadata: { name: 'trpc', namespace: 'ignored' },
  spec: { protocol: 'trpc', codec: 'aeraki.meta_protocol.codec.trpc' },
};

describe('validateDocument', () => {
  test('cluster-scoped kinds are named without namespace', () => {
    const result = validateDocument(applicationProtocol);
    assert.equal(result.name, 'trpc');
    assert.deepEqual(result.issues, []);
    assert.equal(result.resource?.kind, 'ApplicationProtocol');
  });

  test('namespaced kinds get the default namespace', () => {
    const result = validateDocument({
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'DestinationRule',
      metadata: { name: 'dr' },
      spec: { host: 'a.b' },
    });
    assert.equal(result.name, 'default/dr');
    assert.equal(result.resource?.metadata.namespace, 'default');
  });

  test('null values are dropped first, as the API server does', () => {
    const result = validateDocument({
      ...applicationProtocol,
      spec: { ...applicationProtocol.spec, multiplexing: null },
    });
    assert.deepEqual(result.issues, []);
  });

  test('ApplicationProtocol codecConfig is an object of JSON values, handed on as written', () => {
    const codecConfig = { maxHeaders: 64, nested: { list: [1, 'two', true] } };
    const ok = validateDocument({
      ...applicationProtocol,
      spec: { ...applicationProtocol.spec, codecConfig },
    });
    assert.deepEqual(ok.issues, []);
    assert.deepEqual(ok.resource?.spec, { ...applicationProtocol.spec, codecConfig });
    const bad = validateDocument({
      ...applicationProtocol,
      spec: { ...applicationProtocol.spec, codecConfig: 'big' },
    });
    assert.equal(bad.resource, undefined);
    assert.deepEqual(
      bad.issues.map(i => [i.severity, i.path.join('.')]),
      [['error', 'spec.codecConfig']],
    );
  });

  test('unknown fields are warnings with a suggestion, and the document is kept without them', () => {
    const result = validateDocument({
      ...applicationProtocol,
      spec: { ...applicationProtocol.spec, multiplex: false, code_c: 'x' },
    });
    assert.deepEqual(
      result.issues.map(i => [i.severity, i.rule, i.path.join('.')]),
      [
        ['warning', 'unknown-field', 'spec.multiplex'],
        ['warning', 'unknown-field', 'spec.code_c'],
      ],
    );
    assert.match(result.issues[0]?.message ?? '', /did you mean 'multiplexing'\?/);
    assert.match(result.issues[1]?.message ?? '', /did you mean 'codec'\?/);
    assert.deepEqual(result.resource?.spec, applicationProtocol.spec);
  });

  test('schema errors are worded for people', () => {
    const result = validateDocument({
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'se' },
      spec: { hosts: ['a.b'], ports: [{ number: 1.5, name: 'tcp' }], resolution: 'static' },
    });
    assert.equal(result.resource, undefined);
    assert.deepEqual(
      result.issues.map(i => [i.rule, i.message]),
      [
        ['invalid-type', 'number must be a whole number, not 1.5'],
        ['invalid-enum', 'resolution must be one of NONE, STATIC, DNS, DNS_ROUND_ROBIN, not "static"'],
      ],
    );
  });

  test('a document with only warnings is kept; one with an error is not', () => {
    const ok = validateDocument({
      apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
      kind: 'MetaRouter',
      metadata: { name: 'r', namespace: 'x' },
      spec: { hosts: ['a.b'], routes: [{ route: [{ destination: { host: 'a.b' } }] }], extra: 1 },
    });
    assert.equal(ok.resource?.kind, 'MetaRouter');
    const bad = validateDocument({
      apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
      kind: 'MetaRouter',
      metadata: { name: 'r', namespace: 'x' },
      spec: { hosts: ['a.b'], routes: [{ route: [] }] },
    });
    assert.equal(bad.resource, undefined);
    assert.deepEqual(
      bad.issues.map(i => i.rule),
      ['route-no-destination'],
    );
  });
});
