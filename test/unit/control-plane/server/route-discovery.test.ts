/**
 * The route discovery service on the xDS port, as Envoy sidecars running Aeraki's MetaProtocol proxy
 * image use it (a StreamRoutes stream per `rds` subscription, on the `aeraki-xds` cluster): route
 * tables by name `<host>_<port>`, with the type left out of requests or given; ACKs answered with
 * nothing; several streams of one node counted apart; a request for another type refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RDS_METHOD_PATH } from '../../../../src/control-plane/server/index.js';
import { decodeResources, encodeSnapshot, TypeUrls } from '../../../../src/xds/index.js';
import { sampleSnapshot } from '../../xds/sample-snapshot.js';
import { adsTestServer } from './ads-test-server.js';
import { RawAdsClient } from './raw-ads-client.js';

const A = 'outbound|9090|a|svc.ns';
const ROUTE = 'svc.ns_9090';
const NODE = 'sidecar~10.0.0.7~consumer-1.shop~shop.svc.cluster.local';

describe('RouteDiscoveryService (StreamRoutes)', () => {
  const server = adsTestServer((port, nodeId) => new RawAdsClient(port, nodeId, RDS_METHOD_PATH));

  test('serves the named route table; the type may be left out; an ACK gets nothing', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const client = server.connect(NODE);
    client.send({ type_url: '', resource_names: [ROUTE] });
    const response = await client.next();
    assert.equal(response.type_url, TypeUrls.routeConfiguration);
    const decoded = decodeResources(response.resources);
    assert.deepEqual(decoded.errors, []);
    assert.deepEqual(
      decoded.routes.map(r => r.name),
      [ROUTE],
    );
    client.ack(response, [ROUTE]);
    await client.nothingWithin(150);
    const node = server.ads.status().nodes.find(n => n.nodeId === NODE);
    const rds = node?.types.find(t => t.typeUrl === TypeUrls.routeConfiguration);
    assert.equal(rds?.ackedVersion, response.version_info);
  });

  test('a second stream of the same node (another listener) is served and counted apart', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const first = server.connect(`${NODE}-2`);
    const second = server.connect(`${NODE}-2`);
    first.send({ type_url: TypeUrls.routeConfiguration, resource_names: [ROUTE] });
    second.send({ type_url: TypeUrls.routeConfiguration, resource_names: [ROUTE] });
    await first.next();
    await second.next();
    assert.equal(server.ads.status().nodes.find(n => n.nodeId === `${NODE}-2`)?.streams, 2);
    first.close();
    await sleep(100);
    assert.equal(server.ads.status().nodes.find(n => n.nodeId === `${NODE}-2`)?.streams, 1);
  });

  test('another type on a route stream ends it with INVALID_ARGUMENT', async () => {
    server.ads.setSnapshot('*', encodeSnapshot(sampleSnapshot([A], A)));
    const client = server.connect('node-wrong-type');
    client.send({ type_url: TypeUrls.listener });
    await client.nothingWithin(300);
    assert.equal(client.error?.code, 3);
    assert.match(client.error?.details ?? '', /serves .*RouteConfiguration only/);
  });
});
