/**
 * Aeraki on Kubernetes, end to end, on the API server stand-in: config applied with `kubectl` (a
 * real client) is read by `aeraki control-plane --kubernetes` (@kubernetes/client-node, the other
 * real client) and served to a proxy that routes real Thrift calls. An edit (kubectl apply, kubectl
 * edit) moves traffic within 1 s; a plain Service with a tcp-thrift port and its EndpointSlice works
 * without a ServiceEntry; the API server restarted, or ending every watch with 410 Gone, loses no
 * update while the proxy keeps serving.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connectHello,
  destination,
  freePort,
  metaRouter,
  startVersionedHelloServers,
  testAddress,
  toYaml,
  versionTag,
  versionedThriftService,
  type AerakiProcess,
  type HelloConnection,
  type HelloServer,
  type ThriftStack,
} from '../harness/index.js';
import { TestCluster } from '../../kubernetes-stand-in/index.js';
import { startKubeControlPlane, startProxy, type KubeControlPlane } from './kube-mesh.js';

const ADDRESS = testAddress(70);
const SERVICE_ADDRESS = testAddress(70, 2);
const HOST = 'hello.shop.svc.cluster.local';
const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };

let cluster: TestCluster;
let v1: HelloServer;
let v2: HelloServer;
let port: number;
let servicePort: number;
let controlPlane: KubeControlPlane | undefined;
let proxy: AerakiProcess | undefined;
let client: HelloConnection | undefined;

function router(subset: string): string {
  return toYaml([
    metaRouter({
      name: 'hello',
      namespace: 'shop',
      host: HOST,
      routes: [{ name: subset, route: [destination(HOST, subset)] }],
    }),
  ]);
}

async function kubectl(args: string[], input?: string): Promise<string> {
  const result = await cluster.kubectl(args, input === undefined ? {} : { input });
  assert.equal(result.code, 0, `kubectl ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

/** Calls whoami until it answers from `version`; resolves with how long that took. */
async function untilServedBy(version: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  const tag = versionTag(version);
  for (;;) {
    if ((await client!.client.whoami()) === tag) return Date.now() - started;
    if (Date.now() - started > timeoutMs)
      throw new Error(`traffic did not move to ${version} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

before(
  async () => {
    cluster = await TestCluster.start();
    [v1, v2] = await startVersionedHelloServers(STACK);
    port = await freePort(ADDRESS);
    servicePort = await freePort(SERVICE_ADDRESS);
    const namespace = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n';
    const service = versionedThriftService({ name: 'hello', host: HOST, address: ADDRESS, port, v1, v2 }).map(
      d => ({
        ...d,
        metadata: { ...(d['metadata'] as object), namespace: 'shop' },
      }),
    );
    await kubectl(['apply', '-f', '-'], `${namespace}---\n${toYaml(service)}---\n${router('v1')}`);
    controlPlane = await startKubeControlPlane(cluster);
    proxy = await startProxy(controlPlane.xdsPort, 'kube-routing-proxy', [{ host: ADDRESS, port }]);
    client = await connectHello(ADDRESS, port, { stack: STACK });
  },
  { timeout: 60000 },
);

after(
  async () => {
    await client?.close();
    await proxy?.stop();
    await controlPlane?.process.stop();
    await Promise.all([v1?.close(), v2?.close()]);
    await cluster?.stop();
  },
  { timeout: 20000 },
);

test('objects applied with kubectl are served: the proxy routes by the MetaRouter', async () => {
  assert.equal(await client!.client.whoami(), versionTag('v1'));
  const objects = await kubectl(['get', 'metarouters', '-n', 'shop', '-o', 'name']);
  assert.equal(objects.trim(), 'metarouter.metaprotocol.aeraki.io/hello');
});

test('an edit moves traffic within 1 s: kubectl apply, then kubectl edit', async t => {
  await kubectl(['apply', '-f', '-'], router('v2'));
  const applied = await untilServedBy('v2', 5000);
  assert.ok(applied < 1000, `kubectl apply: traffic moved after ${applied} ms`);

  const edit = await cluster.kubectl(['edit', '-n', 'shop', 'metarouter/hello'], {
    env: { KUBE_EDITOR: 'sed -i s/subset:\\ v2/subset:\\ v1/' },
  });
  assert.equal(edit.code, 0, edit.stderr);
  const edited = await untilServedBy('v1', 5000);
  assert.ok(edited < 1000, `kubectl edit: traffic moved after ${edited} ms`);
  t.diagnostic(`traffic moved ${applied} ms after kubectl apply returned, ${edited} ms after kubectl edit`);
});

test('a plain Service with a tcp-thrift port and an EndpointSlice works without a ServiceEntry', async () => {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'plain', namespace: 'shop' },
    spec: { clusterIP: SERVICE_ADDRESS, ports: [{ name: 'tcp-thrift-plain', port: servicePort }] },
  };
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'plain-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'plain' } },
    addressType: 'IPv4',
    ports: [{ name: 'tcp-thrift-plain', port: v2.port }],
    endpoints: [{ addresses: [v2.host], conditions: { ready: true } }],
  };
  await kubectl(['apply', '-f', '-'], toYaml([service, slice]));
  const deadline = Date.now() + 5000;
  let plain: HelloConnection | undefined;
  while (plain === undefined) {
    try {
      plain = await connectHello(SERVICE_ADDRESS, servicePort, { stack: STACK });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
  try {
    assert.equal(await plain.client.whoami(), versionTag('v2'));
  } finally {
    await plain.close();
  }
});

test('the API server restarted: the proxy keeps serving, and the update written meanwhile arrives', async () => {
  await untilServedBy('v1', 2000);
  await cluster.api.stop();
  assert.equal(await client!.client.whoami(), versionTag('v1'), 'the last config keeps serving');
  const current = cluster.api.get('metaprotocol.aeraki.io', 'metarouters', 'shop', 'hello');
  assert.ok(current !== undefined);
  cluster.api.createDirect({
    ...current,
    spec: { hosts: [HOST], routes: [{ name: 'v2', route: [destination(HOST, 'v2')] }] },
  });
  await sleep(500);
  assert.equal(await client!.client.whoami(), versionTag('v1'));
  await cluster.api.start();
  await untilServedBy('v2', 10000);
});

test('every watch ended with 410 Gone: the control plane lists again and loses no update', async () => {
  await untilServedBy('v2', 2000);
  cluster.api.expireWatches();
  await kubectl(['apply', '-f', '-'], router('v1'));
  await untilServedBy('v1', 5000);
});
