/**
 * The ADS server's incremental (delta) variant against a raw grpc-js delta stream: wildcard and named
 * subscriptions, per-resource versions, only changes sent, removals, names that do not exist,
 * unsubscribing, ACK/NACK bookkeeping without resend loops, push order, make-before-break for removed
 * clusters, reconnects with initial_resource_versions, and one response shared by proxies.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resourceVersion } from '../../../../src/control-plane/server/delta-ads-stream.js';
import {
  decodeResources,
  encodeSnapshot,
  TypeUrls,
  type DeltaDiscoveryResponse,
} from '../../../../src/xds/index.js';
import type { ResourceSnapshot } from '../../../../src/control-plane/cache/index.js';
import { sampleSnapshot } from '../../xds/sample-snapshot.js';
import { adsTestServer } from './ads-test-server.js';
import { RawDeltaAdsClient } from './raw-delta-ads-client.js';

const A = 'outbound|9090|a|svc.ns';
const B = 'outbound|9090|b|svc.ns';
const ROUTE = 'svc.ns_9090';
const LISTENER = '127.0.0.10_9090';

/** The names of a response's resources, checked to decode and to match the names they carry. */
function names(response: DeltaDiscoveryResponse): string[] {
  const decoded = decodeResources(response.resources.map(r => r.resource));
  assert.deepEqual(decoded.errors, []);
  const inside = [
    ...decoded.clusters.map(c => c.name),
    ...decoded.endpoints.map(e => e.clusterName),
    ...decoded.listeners.map(l => l.name),
    ...decoded.routes.map(r => r.name),
  ].sort();
  const outside = response.resources.map(r => r.name).sort();
  assert.deepEqual(outside, inside, 'each Resource is named after what it holds');
  return outside;
}

/** The version the server gives a resource of the snapshot. */
function versionIn(snapshot: ResourceSnapshot, typeUrl: string, name: string): string {
  const entry = snapshot.types.get(typeUrl)?.entries.get(name);
  assert.ok(entry !== undefined, `${name} in the snapshot`);
  return resourceVersion(entry);
}

describe('delta ADS server', () => {
  const server = adsTestServer((port, nodeId) => new RawDeltaAdsClient(port, nodeId));
  const connect = (nodeId: string): RawDeltaAdsClient => server.connect(nodeId);

  /** Subscribes to all four types as a proxy does and ACKs the first responses; returns them by type. */
  async function subscribeAll(client: RawDeltaAdsClient): Promise<Map<string, DeltaDiscoveryResponse>> {
    client.send({ type_url: TypeUrls.cluster });
    client.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names_subscribe: [A, B] });
    client.send({ type_url: TypeUrls.listener });
    client.send({ type_url: TypeUrls.routeConfiguration, resource_names_subscribe: [ROUTE] });
    const got = new Map<string, DeltaDiscoveryResponse>();
    for (let i = 0; i < 4; i++) {
      const r = await client.next();
      got.set(r.type_url, r);
      client.ack(r);
    }
    return got;
  }

  test('a first wildcard request gets every resource with its version; an ACK gets nothing', async () => {
    const snapshot = server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    const client = connect('delta-first');
    client.send({ type_url: TypeUrls.cluster });
    const response = await client.next();
    assert.equal(response.type_url, TypeUrls.cluster);
    assert.deepEqual(names(response), [A, B]);
    for (const r of response.resources)
      assert.equal(r.version, versionIn(snapshot, TypeUrls.cluster, r.name));
    assert.match(response.resources[0]!.version, /^[0-9a-f]{16}$/);
    assert.equal(response.system_version_info, snapshot.types.get(TypeUrls.cluster)?.version);
    assert.deepEqual(response.removed_resources, []);
    assert.notEqual(response.nonce, '');
    assert.equal(response.control_plane?.identifier, 'cp-test');
    client.ack(response);
    await client.nothingWithin(150);
    const cds = server.ads
      .status()
      .nodes.find(n => n.nodeId === 'delta-first')
      ?.types.find(t => t.typeUrl === TypeUrls.cluster);
    assert.equal(cds?.state, 'acked');
    assert.equal(cds?.subscribed, '*');
    assert.equal(cds?.ackedVersion, response.system_version_info);
  });

  test('named subscriptions: only those names; a name that does not exist is reported removed', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    const client = connect('delta-named');
    client.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names_subscribe: [A] });
    const first = await client.next();
    assert.deepEqual(names(first), [A]);
    client.ack(first);
    client.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names_subscribe: [B, 'nope'] });
    const second = await client.next();
    assert.deepEqual(names(second), [B], 'only the new name is sent; A is held already');
    assert.deepEqual(second.removed_resources, ['nope']);
    client.ack(second);
    await client.nothingWithin(100);
    const eds = server.ads.status().nodes.find(n => n.nodeId === 'delta-named')?.types[0];
    assert.deepEqual(eds?.subscribed, ['nope', A, B]);
  });

  test('a change sends only what changed, clusters first and routes last; removals by name', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    const client = connect('delta-changes');
    await subscribeAll(client);
    await client.nothingWithin(100);

    // Only B's endpoints move; the listener and clusters stay as they are; the route moves to B.
    const changed = sampleSnapshot([A, B], B);
    const next = server.ads.setSnapshot(
      '*',
      encodeSnapshot({
        ...changed,
        endpoints: changed.endpoints.map(e =>
          e.clusterName === B ? { ...e, endpoints: e.endpoints.map(ep => ({ ...ep, port: 19099 })) } : e,
        ),
      }),
    );
    const eds = await client.next();
    assert.equal(eds.type_url, TypeUrls.clusterLoadAssignment);
    assert.deepEqual(names(eds), [B]);
    assert.equal(eds.system_version_info, next.types.get(TypeUrls.clusterLoadAssignment)?.version);
    const rds = await client.next();
    assert.equal(rds.type_url, TypeUrls.routeConfiguration);
    assert.deepEqual(names(rds), [ROUTE]);
    client.ack(eds);
    client.ack(rds);
    await client.nothingWithin(100);

    // B goes altogether: the route moves back to A first; once that is ACKed, CDS and EDS name B removed.
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const routeBack = await client.next();
    assert.equal(routeBack.type_url, TypeUrls.routeConfiguration);
    assert.deepEqual(names(routeBack), [ROUTE]);
    client.ack(routeBack);
    const cds = await client.next();
    assert.equal(cds.type_url, TypeUrls.cluster);
    assert.deepEqual(cds.resources, []);
    assert.deepEqual(cds.removed_resources, [B]);
    const edsRemoval = await client.next();
    assert.equal(edsRemoval.type_url, TypeUrls.clusterLoadAssignment);
    assert.deepEqual(edsRemoval.resources, []);
    assert.deepEqual(edsRemoval.removed_resources, [B]);
  });

  test('make-before-break: a removed cluster is removed only once the routes naming it are ACKed', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const client = connect('delta-mbb');
    await subscribeAll(client);
    await client.nothingWithin(100);

    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([B], B)));
    const cds = await client.next();
    assert.equal(cds.type_url, TypeUrls.cluster);
    assert.deepEqual(names(cds), [B]);
    assert.deepEqual(cds.removed_resources, [], 'A stays while the running route names it');
    const eds = await client.next();
    assert.deepEqual(names(eds), [B]);
    assert.deepEqual(eds.removed_resources, []);
    const rds = await client.next();
    assert.equal(rds.type_url, TypeUrls.routeConfiguration);
    client.ack(cds);
    client.ack(eds);
    await client.nothingWithin(100);

    client.ack(rds);
    const pruned = await client.next();
    assert.equal(pruned.type_url, TypeUrls.cluster);
    assert.deepEqual(pruned.resources, []);
    assert.deepEqual(pruned.removed_resources, [A]);
  });

  test('a NACK is recorded and nothing is resent; the next change is sent', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const client = connect('delta-nack');
    client.send({ type_url: TypeUrls.cluster });
    const first = await client.next();
    client.ack(first);
    const nacks: string[] = [];
    const onNack = (n: { errorDetail: { message: string } }): void => {
      nacks.push(n.errorDetail.message);
    };
    server.ads.on('nack', onNack);

    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    const second = await client.next();
    assert.deepEqual(names(second), [B]);
    client.nack(second, 'Cluster "b": bad');
    await client.nothingWithin(300);
    const cds = server.ads
      .status()
      .nodes.find(n => n.nodeId === 'delta-nack')
      ?.types.find(t => t.typeUrl === TypeUrls.cluster);
    assert.equal(cds?.state, 'nacked');
    assert.equal(cds?.ackedVersion, first.system_version_info);
    assert.equal(cds?.lastNack?.version, second.system_version_info);
    assert.deepEqual(cds?.lastNack?.errorDetail, { code: 3, message: 'Cluster "b": bad' });
    assert.deepEqual(nacks, ['Cluster "b": bad']);

    // The same content again changes nothing; a fixed B is sent.
    const withB = sampleSnapshot([A, B], A);
    server.ads.setSnapshot('*', encodeSnapshot(withB));
    await client.nothingWithin(100);
    server.ads.setSnapshot(
      '*',
      encodeSnapshot({
        ...withB,
        clusters: withB.clusters.map(c => (c.name === B ? { ...c, connectTimeoutMs: 5000 } : c)),
      }),
    );
    const third = await client.next();
    assert.deepEqual(names(third), [B]);
    client.ack(third);
    await client.nothingWithin(100);
    server.ads.off('nack', onNack);
  });

  test('an unsubscribed name is dropped silently and its changes are no longer sent', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    const client = connect('delta-unsubscribe');
    client.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names_subscribe: [A, B] });
    client.ack(await client.next());
    client.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names_unsubscribe: [B] });
    await client.nothingWithin(150);
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A, 19093)));
    const change = await client.next();
    assert.deepEqual(names(change), [A]);
    assert.deepEqual(change.removed_resources, []);
  });

  test('a reconnecting proxy names what it holds: only outdated and missing resources are sent', async () => {
    const snapshot = server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    const client = connect('delta-reconnect');
    client.send({
      type_url: TypeUrls.cluster,
      initial_resource_versions: {
        [A]: versionIn(snapshot, TypeUrls.cluster, A),
        [B]: 'stale',
        gone: 'whatever',
      },
    });
    const response = await client.next();
    assert.deepEqual(names(response), [B]);
    assert.deepEqual(response.removed_resources, ['gone']);
    client.ack(response);

    // Holding exactly the snapshot: an empty answer, then nothing.
    const again = connect('delta-reconnect-same');
    again.send({
      type_url: TypeUrls.listener,
      initial_resource_versions: { [LISTENER]: versionIn(snapshot, TypeUrls.listener, LISTENER) },
    });
    const empty = await again.next();
    assert.deepEqual(empty.resources, []);
    assert.deepEqual(empty.removed_resources, []);
    assert.equal(empty.system_version_info, snapshot.types.get(TypeUrls.listener)?.version);
    again.ack(empty);
    await again.nothingWithin(100);
  });

  test('an explicit * subscribes to every resource of a type, and unsubscribing * ends it', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    const client = connect('delta-star');
    client.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names_subscribe: ['*'] });
    const all = await client.next();
    assert.deepEqual(names(all), [A, B]);
    client.ack(all);
    client.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names_unsubscribe: ['*'] });
    const none = await client.next();
    assert.deepEqual(none.resources, []);
    assert.deepEqual(none.removed_resources.slice().sort(), [A, B]);
  });

  test('proxies that hold the same resources are sent one response: same bytes, same nonce', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    const first = connect('delta-shared-1');
    const second = connect('delta-shared-2');
    await subscribeAll(first);
    await subscribeAll(second);
    await first.nothingWithin(50);
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], B)));
    const one = await first.next();
    const two = await second.next();
    assert.equal(one.type_url, TypeUrls.routeConfiguration);
    assert.equal(one.nonce, two.nonce);
    assert.deepEqual(one, two);
  });
});
