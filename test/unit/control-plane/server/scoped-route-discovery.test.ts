/**
 * RDS streams (what Envoy sidecars in Istio mode open) are scoped like ADS streams: a sidecar named
 * by an Istio node id is served the route tables its namespace may see, and a name it may not see
 * is answered without that table, on the scoping fixture (test/fixtures/config/scoping).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { ControlPlane } from '../../../../src/control-plane/control-plane.js';
import { RDS_METHOD_PATH } from '../../../../src/control-plane/server/index.js';
import { decodeResources, TypeUrls } from '../../../../src/xds/index.js';
import { CONFIG_FIXTURES } from '../fixtures.js';
import { RawAdsClient } from './raw-ads-client.js';

const controlPlane = new ControlPlane({
  dir: join(CONFIG_FIXTURES, 'scoping'),
  logger: pino({ enabled: false }),
  source: { rescanIntervalMs: 0 },
});
let port = 0;
const clients: RawAdsClient[] = [];

before(async () => {
  ({ port } = await controlPlane.start('127.0.0.1', 0));
});

after(async () => {
  for (const client of clients) client.close();
  await controlPlane.stop();
});

/** The route tables an RDS stream of `nodeId` is served when it asks for `names`. */
async function routeTablesServed(nodeId: string, names: readonly string[]): Promise<string[]> {
  const client = new RawAdsClient(port, nodeId, RDS_METHOD_PATH);
  clients.push(client);
  client.send({ type_url: TypeUrls.routeConfiguration, resource_names: [...names] });
  const response = await client.next();
  assert.equal(response.type_url, TypeUrls.routeConfiguration);
  const decoded = decodeResources(response.resources);
  assert.deepEqual(decoded.errors, []);
  return decoded.routes.map(r => r.name).sort();
}

const CART = 'cart.shop.svc.cluster.local_9090';
const LEDGER = 'ledger.pay.svc.cluster.local_9091';
const MONITOR = 'monitor.ops.svc.cluster.local_9092';

test("a sidecar in shop gets shop's private service and the exported ones", async () => {
  const served = await routeTablesServed('sidecar~10.0.0.7~cart-1.shop~shop.svc.cluster.local', [
    CART,
    LEDGER,
    MONITOR,
  ]);
  assert.deepEqual(served, [CART, LEDGER, MONITOR]);
});

test('a sidecar in another namespace asking for the same names gets only what it may see', async () => {
  const served = await routeTablesServed('sidecar~10.0.0.8~job-1.other~other.svc.cluster.local', [
    CART,
    LEDGER,
    MONITOR,
  ]);
  assert.deepEqual(served, [MONITOR]);
});
