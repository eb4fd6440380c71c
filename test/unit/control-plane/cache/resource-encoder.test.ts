/** ResourceEncoder: encodeSnapshot's output, with unchanged resources neither encoded nor copied again. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResourceEncoder, sameJson } from '../../../../src/control-plane/cache/resource-encoder.js';
import { ResourceSnapshot } from '../../../../src/control-plane/cache/index.js';
import { encodeSnapshot, TypeUrls, type ProxySnapshot } from '../../../../src/xds/index.js';
import { sampleSnapshot } from '../../xds/sample-snapshot.js';

function plain(resources: ReturnType<typeof encodeSnapshot>): unknown[] {
  // The fields an XdsResource has, read as a consumer does (a value may be read through a getter).
  return resources.map(r => ({
    typeUrl: r.typeUrl,
    name: r.name,
    value: Buffer.from(r.value).toString('hex'),
    clusterRefs: r.clusterRefs,
  }));
}

describe('ResourceEncoder', () => {
  test('gives what encodeSnapshot gives, in the same order', () => {
    const snapshot = sampleSnapshot(['a', 'b', 'c'], 'b');
    assert.deepEqual(plain(new ResourceEncoder().encode(snapshot)), plain(encodeSnapshot(snapshot)));
  });

  test('an unchanged resource is not encoded again and is the same object; a changed one is new', () => {
    const encoder = new ResourceEncoder();
    const first = encoder.encode(sampleSnapshot(['a', 'b'], 'a'));
    assert.equal(encoder.encoded, first.length);

    const edited: ProxySnapshot = sampleSnapshot(['a', 'b'], 'b');
    const second = encoder.encode(edited);
    assert.equal(encoder.encoded, first.length + 1, 'only the route table is encoded again');
    assert.deepEqual(plain(second), plain(encodeSnapshot(edited)));
    for (const resource of second) {
      const before = first.find(r => r.typeUrl === resource.typeUrl && r.name === resource.name);
      if (resource.typeUrl === TypeUrls.routeConfiguration) assert.notEqual(resource, before);
      else assert.equal(resource, before, `${resource.name} reused`);
    }
  });

  test('only the last snapshot is remembered, and removed resources are forgotten', () => {
    const encoder = new ResourceEncoder();
    encoder.encode(sampleSnapshot(['a', 'b'], 'a'));
    encoder.encode(sampleSnapshot(['a'], 'a'));
    const count = encoder.encoded;
    encoder.encode(sampleSnapshot(['a', 'b'], 'a'));
    assert.equal(encoder.encoded, count + 2, 'cluster b and its endpoints are encoded again');
  });

  test('ResourceSnapshot reuses the digest and wire bytes of a resource it has seen', () => {
    const encoder = new ResourceEncoder();
    const one = ResourceSnapshot.from(encoder.encode(sampleSnapshot(['a', 'b'], 'a')));
    const two = ResourceSnapshot.from(encoder.encode(sampleSnapshot(['a', 'b'], 'b')));
    const clusterA = (s: ResourceSnapshot): unknown => s.types.get(TypeUrls.cluster)?.entries.get('a');
    assert.equal(clusterA(two), clusterA(one));
    const routes = (s: ResourceSnapshot): unknown => s.types.get(TypeUrls.routeConfiguration)?.entries;
    assert.notEqual(
      (routes(two) as Map<string, unknown>).get('svc.ns_9090'),
      (routes(one) as Map<string, unknown>).get('svc.ns_9090'),
    );
    assert.notEqual(two.version, one.version);
  });

  test('sameJson compares as JSON would: undefined members absent, key order free', () => {
    assert.ok(sameJson({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }));
    assert.ok(sameJson({ a: 1, u: undefined }, { a: 1 }));
    assert.ok(sameJson([undefined], [null]));
    assert.ok(!sameJson({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(!sameJson({ a: [1, 2] }, { a: [1, 2, 3] }));
    assert.ok(!sameJson({ a: '1' }, { a: 1 }));
    assert.ok(!sameJson([], {}));
    assert.ok(!sameJson({ a: null }, { a: undefined }));
  });
});
