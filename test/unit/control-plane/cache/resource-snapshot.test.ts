/** Snapshots: content versions per type, validation of names and cluster references. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResourceSnapshot } from '../../../../src/control-plane/cache/index.js';
import { withEntries } from '../../../../src/control-plane/cache/resource-snapshot.js';
import { ErrorCodes } from '../../../../src/errors.js';
import { encodeResponseResource, encodeSnapshot, TypeUrls } from '../../../../src/xds/index.js';
import { sampleSnapshot } from '../../xds/sample-snapshot.js';

describe('ResourceSnapshot', () => {
  test('a type version is a hash of its content: order-free, equal for equal content, new for any change', () => {
    const resources = encodeSnapshot(sampleSnapshot(['a', 'b'], 'a'));
    const one = ResourceSnapshot.from(resources);
    const reversed = ResourceSnapshot.from([...resources].reverse());
    assert.equal(one.version, reversed.version);
    for (const [typeUrl, t] of one.types) {
      assert.match(t.version, /^[0-9a-f]{16}$/);
      assert.equal(reversed.types.get(typeUrl)?.version, t.version);
    }
    const moved = ResourceSnapshot.from(encodeSnapshot(sampleSnapshot(['a', 'b'], 'a', 20000)));
    assert.notEqual(
      moved.types.get(TypeUrls.clusterLoadAssignment)?.version,
      one.types.get(TypeUrls.clusterLoadAssignment)?.version,
    );
    assert.equal(moved.types.get(TypeUrls.cluster)?.version, one.types.get(TypeUrls.cluster)?.version);
    assert.notEqual(moved.version, one.version);
  });

  test('wire bytes are each resource as a DiscoveryResponse Any, laid out in one allocation', () => {
    const resources = encodeSnapshot(sampleSnapshot(['a', 'b'], 'a'));
    const snapshot = ResourceSnapshot.from(resources);
    const wires = [...snapshot.types.values()].flatMap(t => [...t.entries.values()].map(e => e.wire));
    for (const r of resources) {
      const entry = snapshot.types.get(r.typeUrl)?.entries.get(r.name);
      assert.deepEqual(entry?.wire, encodeResponseResource(r.typeUrl, r.value));
    }
    assert.equal(new Set(wires.map(w => w.buffer)).size, 1);
  });

  test('withEntries hands resources back with their value inside the wire bytes, entries made', () => {
    const resources = encodeSnapshot(sampleSnapshot(['a', 'b'], 'a'));
    const kept = withEntries(resources);
    assert.deepEqual(
      kept.map(r => [r.typeUrl, r.name, Buffer.from(r.value)]),
      resources.map(r => [r.typeUrl, r.name, Buffer.from(r.value)]),
    );
    const snapshot = ResourceSnapshot.from(kept);
    for (const r of kept) {
      const wire = snapshot.types.get(r.typeUrl)?.entries.get(r.name)?.wire;
      assert.ok(wire !== undefined);
      assert.equal(r.value.buffer, wire.buffer, 'no second copy of the bytes');
      assert.equal(r.value.byteOffset + r.value.length, wire.byteOffset + wire.length);
    }
    // Made once: a second snapshot of the same objects reuses the entries.
    const again = ResourceSnapshot.from(kept);
    const name = kept[0]!.name;
    assert.equal(
      again.types.get(kept[0]!.typeUrl)?.entries.get(name),
      snapshot.types.get(kept[0]!.typeUrl)?.entries.get(name),
    );
  });

  test('entries are by name, in name order, with the clusters routes name', () => {
    const snapshot = ResourceSnapshot.from(encodeSnapshot(sampleSnapshot(['b', 'a'], 'b')));
    assert.deepEqual([...(snapshot.types.get(TypeUrls.cluster)?.entries.keys() ?? [])], ['a', 'b']);
    assert.deepEqual(
      snapshot.types.get(TypeUrls.routeConfiguration)?.entries.get('svc.ns_9090')?.clusterRefs,
      ['b'],
    );
  });

  test('works out the clusters of a RouteConfiguration given without them', () => {
    const resources = encodeSnapshot(sampleSnapshot(['a'], 'a')).map(r => ({
      typeUrl: r.typeUrl,
      name: r.name,
      value: r.value,
    }));
    const snapshot = ResourceSnapshot.from(resources);
    assert.deepEqual(
      snapshot.types.get(TypeUrls.routeConfiguration)?.entries.get('svc.ns_9090')?.clusterRefs,
      ['a'],
    );
  });

  test('refuses a set whose routes name a cluster it lacks, duplicates and empty names', () => {
    const resources = encodeSnapshot(sampleSnapshot(['a'], 'a'));
    assert.throws(() => ResourceSnapshot.from(resources.filter(r => r.typeUrl !== TypeUrls.cluster)), {
      code: ErrorCodes.XDS_INCONSISTENT_SNAPSHOT,
      message: /svc\.ns_9090 → a/,
    });
    assert.throws(() => ResourceSnapshot.from([...resources, resources[0]!]), {
      code: ErrorCodes.XDS_INVALID_RESOURCE,
      message: /duplicate/,
    });
    assert.throws(() => ResourceSnapshot.from([{ ...resources[0]!, name: '' }]), {
      code: ErrorCodes.XDS_INVALID_RESOURCE,
    });
  });

  test('a type left as it was keeps the previous snapshot’s map and version; a changed type is made anew', () => {
    const before = encodeSnapshot(sampleSnapshot(['a', 'b'], 'a'));
    const first = ResourceSnapshot.from(before);
    // The same resource objects but for the endpoints, which moved (as ResourceEncoder hands them over).
    const moved = encodeSnapshot(sampleSnapshot(['a', 'b'], 'a', 20000));
    const after = [
      ...before.filter(r => r.typeUrl !== TypeUrls.clusterLoadAssignment),
      ...moved.filter(r => r.typeUrl === TypeUrls.clusterLoadAssignment),
    ];
    const second = ResourceSnapshot.from(after, first);
    for (const typeUrl of [TypeUrls.cluster, TypeUrls.listener, TypeUrls.routeConfiguration]) {
      assert.equal(second.types.get(typeUrl), first.types.get(typeUrl), typeUrl);
    }
    assert.notEqual(
      second.types.get(TypeUrls.clusterLoadAssignment),
      first.types.get(TypeUrls.clusterLoadAssignment),
    );
    const fresh = ResourceSnapshot.from(after);
    assert.equal(second.version, fresh.version);
    for (const [typeUrl, t] of fresh.types) {
      assert.equal(second.types.get(typeUrl)?.version, t.version);
      assert.deepEqual([...(second.types.get(typeUrl)?.entries.keys() ?? [])], [...t.entries.keys()]);
    }
  });

  test('a kept route table is checked again when the clusters change under it', () => {
    const before = encodeSnapshot(sampleSnapshot(['a'], 'a'));
    const first = ResourceSnapshot.from(before);
    const otherClusters = encodeSnapshot(sampleSnapshot(['b'], 'b')).filter(
      r => r.typeUrl === TypeUrls.cluster || r.typeUrl === TypeUrls.clusterLoadAssignment,
    );
    const after = [
      ...before.filter(r => r.typeUrl === TypeUrls.listener || r.typeUrl === TypeUrls.routeConfiguration),
      ...otherClusters,
    ];
    assert.throws(() => ResourceSnapshot.from(after, first), {
      code: ErrorCodes.XDS_INCONSISTENT_SNAPSHOT,
      message: /svc\.ns_9090 → a/,
    });
  });

  test('generic resources of any type are kept as given', () => {
    const snapshot = ResourceSnapshot.from([
      { typeUrl: 'type.googleapis.com/some.Thing', name: 'x', value: Uint8Array.from([1, 2]) },
    ]);
    assert.equal(snapshot.types.get('type.googleapis.com/some.Thing')?.entries.get('x')?.name, 'x');
  });
});
