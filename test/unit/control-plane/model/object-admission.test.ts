/**
 * Admission object by object: a broken object is left out, or keeps serving its last accepted
 * version; an object that fails only because another was left out follows it; the rest is served.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admitObjects } from '../../../../src/control-plane/model/object-admission.js';
import type { SourceDocument } from '../../../../src/control-plane/sources/config-source.js';

const HOST = 'hello.shop.svc.cluster.local';

function doc(uri: string, data: Record<string, unknown>): SourceDocument {
  return {
    file: uri,
    documentIndex: 0,
    resourceVersion: JSON.stringify(data),
    locate: () => ({ line: 1, column: 1 }),
    data,
  };
}

const entry = (name: string, host: string, address: string): SourceDocument =>
  doc(`k8s://ServiceEntry/shop/${name}`, {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace: 'shop' },
    spec: {
      hosts: [host],
      addresses: [address],
      ports: [{ number: 9090, name: 'tcp-thrift-hello', protocol: 'TCP' }],
      resolution: 'STATIC',
      endpoints: [{ address: '127.0.0.1', ports: { 'tcp-thrift-hello': 19090 }, labels: { version: 'v1' } }],
    },
  });

const rule = doc('k8s://DestinationRule/shop/hello', {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'hello', namespace: 'shop' },
  spec: { host: HOST, subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
});

const router = (weights: readonly number[]): SourceDocument =>
  doc('k8s://MetaRouter/shop/hello', {
    apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
    kind: 'MetaRouter',
    metadata: { name: 'hello', namespace: 'shop' },
    spec: {
      hosts: [HOST],
      routes: [
        { name: 'r', route: weights.map(weight => ({ destination: { host: HOST, subset: 'v1' }, weight })) },
      ],
    },
  });

test('a broken object with no accepted version is left out; the others are served', () => {
  const other = entry('other', 'other.shop.svc.cluster.local', '127.0.0.8');
  const admitted = admitObjects({
    documents: [entry('hello', HOST, '127.0.0.9'), rule, router([60, 30]), other],
    issues: [],
    files: [],
  });
  assert.deepEqual([...admitted.rejected.keys()], ['k8s://MetaRouter/shop/hello']);
  assert.match(admitted.rejected.get('k8s://MetaRouter/shop/hello')?.[0]?.rule ?? '', /weights-sum-100/);
  assert.equal(admitted.loaded.config.metaRouters.length, 0);
  assert.equal(admitted.loaded.config.serviceEntries.length, 2);
  assert.equal(admitted.loaded.issues.filter(i => i.severity === 'error').length, 0);
});

test('a broken edit keeps the last accepted version serving, and its errors are those of the edit', () => {
  const good = router([50, 50]);
  const first = admitObjects({
    documents: [entry('hello', HOST, '127.0.0.9'), rule, good],
    issues: [],
    files: [],
  });
  assert.equal(first.rejected.size, 0);
  const edited = admitObjects(
    { documents: [entry('hello', HOST, '127.0.0.9'), rule, router([60, 30])], issues: [], files: [] },
    first.served,
  );
  assert.equal(edited.served.get('k8s://MetaRouter/shop/hello'), good);
  assert.match(edited.rejected.get('k8s://MetaRouter/shop/hello')?.[0]?.message ?? '', /not 90/);
  assert.equal(edited.loaded.config.metaRouters.length, 1);
});

test('an object that breaks only because another was left out follows it out', () => {
  // The ServiceEntry breaks a rule of its own; the MetaRouter is fine alone but routes to its host,
  // which is unknown once the entry is out. The DestinationRule only warns and stays.
  const broken = doc('k8s://ServiceEntry/shop/hello', {
    ...(entry('hello', HOST, '127.0.0.9').data as Record<string, unknown>),
    spec: {
      hosts: [HOST],
      ports: [{ number: 9090, name: 'tcp-thrift-hello', protocol: 'TCP' }],
      resolution: 'BOGUS',
    },
  });
  const admitted = admitObjects({ documents: [broken, rule, router([100])], issues: [], files: [] });
  assert.deepEqual(
    [...admitted.rejected.entries()].map(([uri, issues]) => `${uri} ${issues.map(i => i.rule).join(',')}`),
    ['k8s://ServiceEntry/shop/hello invalid-enum', 'k8s://MetaRouter/shop/hello destination-host-unknown'],
  );
  assert.equal(
    admitted.loaded.issues.filter(i => i.severity === 'error').length,
    0,
    JSON.stringify(admitted.loaded.issues),
  );
  assert.equal(admitted.loaded.config.serviceEntries.length, 0);
});
