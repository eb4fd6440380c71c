/**
 * The ADS server against a raw grpc-js ADS stream: first response at once, content versions, nonces,
 * ACK/NACK bookkeeping without resend loops, named and wildcard subscriptions, push order, make-before-
 * break for removed clusters, stale nonces, per-node snapshots and debouncing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdsServer } from '../../../../src/control-plane/server/index.js';
import { ErrorCodes } from '../../../../src/errors.js';
import {
  decodeResources,
  encodeSnapshot,
  TypeUrls,
  type DiscoveryResponse,
} from '../../../../src/xds/index.js';
import { sampleSnapshot } from '../../xds/sample-snapshot.js';
import { adsTestServer } from './ads-test-server.js';
import { RawAdsClient } from './raw-ads-client.js';

const A = 'outbound|9090|a|svc.ns';
const B = 'outbound|9090|b|svc.ns';
const ROUTE = 'svc.ns_9090';

function names(response: DiscoveryResponse): string[] {
  const decoded = decodeResources(response.resources);
  assert.deepEqual(decoded.errors, []);
  return [
    ...decoded.clusters.map(c => c.name),
    ...decoded.endpoints.map(e => e.clusterName),
    ...decoded.listeners.map(l => l.name),
    ...decoded.routes.map(r => r.name),
  ].sort();
}

describe('ADS server', () => {
  const server = adsTestServer((port, nodeId) => new RawAdsClient(port, nodeId));
  const connect = (nodeId = 'node-1'): RawAdsClient => server.connect(nodeId);

  /** Subscribes to all four types and ACKs the first responses; returns them by type. */
  async function subscribeAll(client: RawAdsClient): Promise<Map<string, DiscoveryResponse>> {
    client.send({ type_url: TypeUrls.cluster });
    client.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names: [A, B] });
    client.send({ type_url: TypeUrls.listener });
    client.send({ type_url: TypeUrls.routeConfiguration, resource_names: [ROUTE] });
    const got = new Map<string, DiscoveryResponse>();
    for (let i = 0; i < 4; i++) {
      const r = await client.next();
      got.set(r.type_url, r);
    }
    client.ack(got.get(TypeUrls.cluster)!);
    client.ack(got.get(TypeUrls.clusterLoadAssignment)!, [A, B]);
    client.ack(got.get(TypeUrls.listener)!);
    client.ack(got.get(TypeUrls.routeConfiguration)!, [ROUTE]);
    return got;
  }

  test('answers a first request at once with the snapshot, its content version and a fresh nonce', async () => {
    const snapshot = server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const client = connect();
    const started = Date.now();
    client.send({ type_url: TypeUrls.cluster });
    const response = await client.next();
    assert.ok(Date.now() - started < 500, 'no startup delay');
    assert.equal(response.type_url, TypeUrls.cluster);
    assert.equal(response.version_info, snapshot.types.get(TypeUrls.cluster)?.version);
    assert.match(response.version_info, /^[0-9a-f]{16}$/);
    assert.notEqual(response.nonce, '');
    assert.equal(response.control_plane?.identifier, 'cp-test');
    assert.deepEqual(names(response), [A]);
  });

  test('an ACK gets no response, and status shows it', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const client = connect('node-ack');
    client.send({ type_url: TypeUrls.cluster });
    const response = await client.next();
    client.ack(response);
    await client.nothingWithin(150);
    const status = server.ads.status().nodes.find(n => n.nodeId === 'node-ack');
    const cds = status?.types.find(t => t.typeUrl === TypeUrls.cluster);
    assert.equal(status?.streams, 1);
    assert.equal(cds?.state, 'acked');
    assert.equal(cds?.ackedVersion, response.version_info);
    assert.equal(cds?.sentNonce, response.nonce);
    assert.equal(cds?.responsesSent, 1);
    assert.equal(cds?.subscribed, '*');
  });

  test('a NACK is recorded with its error_detail and version, never resent; a new version is sent', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const client = connect('node-nack');
    client.send({ type_url: TypeUrls.cluster });
    const first = await client.next();
    client.ack(first);
    const nacks: string[] = [];
    server.ads.on('nack', n => nacks.push(n.errorDetail.message));

    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    const second = await client.next();
    assert.notEqual(second.version_info, first.version_info);
    assert.notEqual(second.nonce, first.nonce);
    client.nack(second, 'Cluster "b": bad', first.version_info);
    await client.nothingWithin(300);

    const cds = server.ads
      .status()
      .nodes.find(n => n.nodeId === 'node-nack')
      ?.types.find(t => t.typeUrl === TypeUrls.cluster);
    assert.equal(cds?.state, 'nacked');
    assert.equal(cds?.ackedVersion, first.version_info);
    assert.equal(cds?.lastNack?.version, second.version_info);
    assert.equal(cds?.lastNack?.nonce, second.nonce);
    assert.deepEqual(cds?.lastNack?.errorDetail, { code: 3, message: 'Cluster "b": bad' });
    assert.equal(cds?.nackCount, 1);
    assert.equal(cds?.responsesSent, 2);
    assert.deepEqual(nacks, ['Cluster "b": bad']);

    // The same content again changes nothing; new content is sent.
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    await client.nothingWithin(100);
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A, 19092)));
    const third = await client.next();
    assert.notEqual(third.version_info, second.version_info);
    client.ack(third);
    await client.nothingWithin(100);
    server.ads.removeAllListeners('nack');
  });

  test('RDS and EDS send only the names subscribed; a subscription change is answered', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    const client = connect('node-named');
    client.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names: [A] });
    const first = await client.next();
    assert.deepEqual(names(first), [A]);
    client.ack(first, [A]);
    await client.nothingWithin(100);
    client.ack(first, [A, B]);
    const second = await client.next();
    assert.deepEqual(names(second), [A, B]);
    client.ack(second, [A, B]);
    await client.nothingWithin(100);
    const eds = server.ads.status().nodes.find(n => n.nodeId === 'node-named')?.types[0];
    assert.deepEqual(eds?.subscribed, [A, B]);

    // A name the snapshot lacks gets nothing until it exists.
    client.send({ type_url: TypeUrls.routeConfiguration, resource_names: ['nope_1'] });
    await client.nothingWithin(100);
  });

  test('a snapshot change reaches a subscribed proxy clusters first and routes last, changed types only', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const client = connect('node-push');
    await subscribeAll(client);
    await client.nothingWithin(100);
    // The listener is unchanged, so no LDS response.
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], B, 19092)));
    const order: string[] = [];
    for (let i = 0; i < 3; i++) order.push((await client.next()).type_url);
    assert.deepEqual(order, [TypeUrls.cluster, TypeUrls.clusterLoadAssignment, TypeUrls.routeConfiguration]);
    await client.nothingWithin(100);
  });

  test('make-before-break: a removed cluster stays until the routes naming it are replaced and ACKed', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const client = connect('node-mbb');
    await subscribeAll(client);
    await client.nothingWithin(100);

    // New snapshot: the route moves to B and A is gone.
    const next = server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([B], B)));
    const cds = await client.next();
    assert.equal(cds.type_url, TypeUrls.cluster);
    assert.deepEqual(names(cds), [A, B], 'A is kept while the running route names it');
    assert.notEqual(cds.version_info, next.types.get(TypeUrls.cluster)?.version);
    const eds = await client.next();
    assert.equal(eds.type_url, TypeUrls.clusterLoadAssignment);
    assert.deepEqual(names(eds), [B], "EDS carries only what changed: A's endpoints, kept, are not resent");
    const rds = await client.next();
    assert.equal(rds.type_url, TypeUrls.routeConfiguration);
    const table = decodeResources(rds.resources).routes[0];
    assert.deepEqual(table?.routes[0]?.action, { cluster: B });
    client.ack(cds);
    client.ack(eds, [A, B]);
    await client.nothingWithin(100);

    // Once the new routes are ACKed, A goes.
    client.ack(rds, [ROUTE]);
    const pruned = await client.next();
    assert.equal(pruned.type_url, TypeUrls.cluster);
    assert.deepEqual(names(pruned), [B]);
    assert.equal(pruned.version_info, next.types.get(TypeUrls.cluster)?.version);
  });

  test('after an ACK, RDS and EDS responses carry only the changed resources, under the whole set version', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    const client = connect('node-changes');
    const first = await subscribeAll(client);
    assert.deepEqual(
      names(first.get(TypeUrls.clusterLoadAssignment)!),
      [A, B],
      'the first response is whole',
    );
    await client.nothingWithin(100);

    // Only B's endpoints move to another port; the route moves to B.
    const changed = sampleSnapshot([A, B], B);
    const edited = {
      ...changed,
      endpoints: changed.endpoints.map(e =>
        e.clusterName === B ? { ...e, endpoints: e.endpoints.map(ep => ({ ...ep, port: 19099 })) } : e,
      ),
    };
    const next = server.ads.setSnapshot('*', encodeSnapshot(edited));
    const eds = await client.next();
    assert.equal(eds.type_url, TypeUrls.clusterLoadAssignment);
    assert.deepEqual(names(eds), [B]);
    assert.equal(eds.version_info, next.types.get(TypeUrls.clusterLoadAssignment)?.version);
    const rds = await client.next();
    assert.equal(rds.type_url, TypeUrls.routeConfiguration);
    assert.deepEqual(names(rds), [ROUTE]);
    assert.equal(rds.version_info, next.types.get(TypeUrls.routeConfiguration)?.version);
    await client.nothingWithin(100);

    // Not yet answered, so the proxy may still hold the first set: the next change is sent relative to
    // both. Moving A's endpoints now: A differs from both sets, B from the first.
    const third = {
      ...edited,
      endpoints: edited.endpoints.map(e =>
        e.clusterName === A ? { ...e, endpoints: e.endpoints.map(ep => ({ ...ep, port: 19098 })) } : e,
      ),
    };
    server.ads.setSnapshot('*', encodeSnapshot(third));
    const both = await client.next();
    assert.deepEqual(names(both), [A, B]);
    client.ack(eds, [A, B]);
    client.ack(both, [A, B]);
    client.ack(rds, [ROUTE]);
    await client.nothingWithin(100);

    // A new subscription gets the whole set again.
    client.ack(both, [A]);
    const resubscribed = await client.next();
    assert.deepEqual(names(resubscribed), [A]);
  });

  test('an RDS or EDS change that leaves nothing new to send still sends the new version', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A)));
    const client = connect('node-empty-change');
    await subscribeAll(client);
    await client.nothingWithin(100);
    // B goes (nothing names it): the CDS response drops it; EDS has nothing new, but a new version.
    const next = server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const cds = await client.next();
    assert.deepEqual(names(cds), [A]);
    const eds = await client.next();
    assert.equal(eds.type_url, TypeUrls.clusterLoadAssignment);
    assert.deepEqual(names(eds), []);
    assert.equal(eds.version_info, next.types.get(TypeUrls.clusterLoadAssignment)?.version);
  });

  test('a NACKed route keeps the clusters the old routes name', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const client = connect('node-mbb-nack');
    const first = await subscribeAll(client);
    await client.nothingWithin(100);
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([B], B)));
    const cds = await client.next();
    const eds = await client.next();
    const rds = await client.next();
    assert.deepEqual(names(cds), [A, B]);
    client.ack(cds);
    client.ack(eds, [A, B]);
    client.nack(rds, 'no', first.get(TypeUrls.routeConfiguration)?.version_info, [ROUTE]);
    await client.nothingWithin(200);
  });

  test('a request with a stale nonce is ignored', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const client = connect('node-stale');
    client.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names: [A] });
    const first = await client.next();
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A, B], A, 19093)));
    const second = await client.next();
    // Answers to the first response, with a new subscription: stale, so neither answered nor applied.
    client.ack(first, [A, B]);
    await client.nothingWithin(150);
    client.ack(second, [A]);
    await client.nothingWithin(100);
    const eds = server.ads.status().nodes.find(n => n.nodeId === 'node-stale')?.types[0];
    assert.equal(eds?.state, 'acked');
    assert.equal(eds?.ackedVersion, second.version_info);
  });

  test('a node with its own snapshot gets it; others get the shared one', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    server.ads.setSnapshot('special', encodeSnapshot(sampleSnapshot([B], B)));
    const special = connect('special');
    const plain = connect('plain');
    special.send({ type_url: TypeUrls.cluster });
    plain.send({ type_url: TypeUrls.cluster });
    assert.deepEqual(names(await special.next()), [B]);
    assert.deepEqual(names(await plain.next()), [A]);
  });

  test('a reconnecting proxy that already has the version still gets its resources', async () => {
    const snapshot = server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const client = connect('node-reconnect');
    client.send({
      type_url: TypeUrls.cluster,
      version_info: snapshot.types.get(TypeUrls.cluster)?.version ?? '',
    });
    assert.deepEqual(names(await client.next()), [A]);
  });

  test('a closed stream leaves the node on record with no streams, and its snapshot in place', async () => {
    const served = server.ads.setSnapshot('gone', encodeSnapshot(sampleSnapshot([B], B)));
    const client = new RawAdsClient(server.port, 'gone');
    client.send({ type_url: TypeUrls.cluster });
    client.ack(await client.next());
    await client.nothingWithin(50);
    assert.equal(server.ads.status().nodes.find(n => n.nodeId === 'gone')?.types[0]?.state, 'acked');
    client.close();
    const deadline = Date.now() + 2000;
    while (server.ads.status().nodes.find(n => n.nodeId === 'gone')?.streams !== 0) {
      assert.ok(Date.now() < deadline, 'stream close not seen');
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    assert.equal(server.ads.status().nodes.find(n => n.nodeId === 'gone')?.types[0]?.state, 'acked');
    assert.equal(server.ads.cache.snapshotFor('gone'), served);
  });

  test('a stream whose first request has no node id is refused', async () => {
    const client = connect('');
    client.send({ type_url: TypeUrls.cluster }, false);
    await client.nothingWithin(200);
    assert.equal(client.error?.code, 3);
    assert.match(client.error?.details ?? '', /node\.id/);
  });

  test('an inconsistent snapshot is refused and the served one kept', () => {
    const served = server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const broken = encodeSnapshot(sampleSnapshot([A], A)).filter(r => r.typeUrl !== TypeUrls.cluster);
    assert.throws(() => server.ads.setSnapshot('*', broken), { code: ErrorCodes.XDS_INCONSISTENT_SNAPSHOT });
    assert.equal(server.ads.cache.snapshotFor('any')?.version, served.version);
  });
});

describe('ADS server push order', () => {
  test('requests waiting for a first snapshot are answered clusters, endpoints, listeners, routes', async () => {
    const ads = new AdsServer({ debounce: { quietPeriodMs: 0, maxDelayMs: 0 } });
    const port = await ads.start('127.0.0.1', 0);
    const client = new RawAdsClient(port, 'node-order');
    try {
      client.send({ type_url: TypeUrls.routeConfiguration, resource_names: [ROUTE] });
      client.send({ type_url: TypeUrls.listener });
      client.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names: [A] });
      client.send({ type_url: TypeUrls.cluster });
      await client.nothingWithin(150);
      const waiting = ads.status().nodes[0]?.types.map(t => t.state);
      assert.deepEqual(waiting, ['waiting', 'waiting', 'waiting', 'waiting']);
      ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
      const order: string[] = [];
      for (let i = 0; i < 4; i++) order.push((await client.next()).type_url);
      assert.deepEqual(order, [
        TypeUrls.cluster,
        TypeUrls.clusterLoadAssignment,
        TypeUrls.listener,
        TypeUrls.routeConfiguration,
      ]);
    } finally {
      client.close();
      await ads.stop();
    }
  });
});

describe('ADS server push throttle', () => {
  test('with a budget of one push in flight, a second proxy is answered once the first has ACKed', async () => {
    const ads = new AdsServer({ debounce: { quietPeriodMs: 0, maxDelayMs: 0 }, answerBudgetBytes: 1 });
    const port = await ads.start('127.0.0.1', 0);
    const first = new RawAdsClient(port, 'node-first');
    const second = new RawAdsClient(port, 'node-second');
    try {
      ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
      first.send({ type_url: TypeUrls.cluster });
      const cds = await first.next();
      second.send({ type_url: TypeUrls.cluster });
      await second.nothingWithin(150);
      first.ack(cds);
      const turn = await second.next();
      assert.equal(turn.type_url, TypeUrls.cluster);
      second.ack(turn);
      await first.nothingWithin(50);
    } finally {
      first.close();
      second.close();
      await ads.stop();
    }
  });
});

describe('ADS server push throttle by answer size', () => {
  test('proxies whose answers fit the budget are pushed to together; a large subscription waits', async () => {
    // A CDS push of one cluster weighs about 300 bytes (its ACK and the EDS subscription it implies);
    // an EDS push to a proxy subscribed to 41 names of 40 bytes, about 1,900.
    const ads = new AdsServer({ debounce: { quietPeriodMs: 0, maxDelayMs: 0 }, answerBudgetBytes: 1000 });
    const port = await ads.start('127.0.0.1', 0);
    const clients = ['one', 'two', 'large'].map(id => new RawAdsClient(port, `node-${id}`));
    const [one, two, large] = clients as [RawAdsClient, RawAdsClient, RawAdsClient];
    try {
      ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
      one.send({ type_url: TypeUrls.cluster });
      two.send({ type_url: TypeUrls.cluster });
      const [r1, r2] = [await one.next(), await two.next()];
      assert.equal(r1.type_url, TypeUrls.cluster, 'both pushed without waiting for an ACK');
      const names = Array.from({ length: 40 }, (_, i) => `${A}-${String(i).padStart(8, '0')}`);
      large.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names: [A, ...names] });
      await large.nothingWithin(150);
      one.ack(r1);
      two.ack(r2);
      assert.equal((await large.next()).type_url, TypeUrls.clusterLoadAssignment);
    } finally {
      for (const c of clients) c.close();
      await ads.stop();
    }
  });
});

describe('ADS server debouncing', () => {
  test('a burst of snapshots reaches a proxy as one response, the last', async () => {
    const ads = new AdsServer({ debounce: { quietPeriodMs: 80, maxDelayMs: 1000 } });
    const port = await ads.start('127.0.0.1', 0);
    const client = new RawAdsClient(port, 'node-debounce');
    try {
      ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
      client.send({ type_url: TypeUrls.clusterLoadAssignment, resource_names: [A] });
      client.ack(await client.next(), [A]);
      let last;
      for (let p = 0; p < 5; p++)
        last = ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A, 20000 + p)));
      const response = await client.next();
      assert.equal(response.version_info, last?.types.get(TypeUrls.clusterLoadAssignment)?.version);
      assert.equal(decodeResources(response.resources).endpoints[0]?.endpoints[0]?.port, 20004);
      client.ack(response, [A]);
      await client.nothingWithin(200);
    } finally {
      client.close();
      await ads.stop();
    }
  });
});
