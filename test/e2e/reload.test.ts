/**
 * `aeraki up` watches its directory. As in Aeraki's TestThriftRouter, a MetaRouter edit moves calls
 * from v1 to v2 on the same client connection; calls in flight during the change finish where they
 * started; an invalid edit is reported and the running config keeps serving.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connectHello,
  createConfigDir,
  destination,
  freePort,
  metaRouter,
  startAeraki,
  startVersionedHelloServers,
  testAddress,
  versionTag,
  versionedThriftService,
  type AerakiProcess,
  type ConfigDir,
  type HelloConnection,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

const ADDRESS = testAddress(5);
const HOST = 'reload.e2e.svc.cluster.local';
const STACK: ThriftStack = { protocol: 'binary', transport: 'buffered' };

let v1: HelloServer | undefined;
let v2: HelloServer | undefined;
let port = 0;
let config: ConfigDir | undefined;
let aeraki: AerakiProcess | undefined;
let hello: HelloConnection | undefined;

function routeTo(subset: string) {
  return [
    metaRouter({
      name: 'reload',
      host: HOST,
      routes: [{ name: subset, route: [destination(HOST, subset)] }],
    }),
  ];
}

/** Calls whoami until `tag` answers (the reload is asynchronous); rejects after `ms`. */
async function waitForRoute(tag: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await hello!.client.whoami()) !== tag) {
    if (Date.now() > deadline) throw new Error(`calls still not routed to ${tag} after ${ms} ms`);
    await sleep(20);
  }
}

before(
  async () => {
    [v1, v2] = await startVersionedHelloServers(STACK);
    port = await freePort(ADDRESS);
    config = await createConfigDir({
      'service.yaml': [
        ...versionedThriftService({ name: 'reload', host: HOST, address: ADDRESS, port, v1: v1!, v2: v2! }),
      ],
      'router.yaml': routeTo('v1'),
    });
    aeraki = await startAeraki(config.path, { listeners: [{ host: ADDRESS, port }] });
    hello = await connectHello(ADDRESS, port, { stack: STACK });
  },
  { timeout: 30000 },
);

after(
  async () => {
    await hello?.close();
    await aeraki?.stop();
    await Promise.all([v1?.close(), v2?.close()]);
    await config?.remove();
  },
  { timeout: 15000 },
);

test('a MetaRouter edit moves calls from v1 to v2 on the same connection', { timeout: 15000 }, async () => {
  for (let i = 0; i < 5; i++) assert.equal(await hello!.client.whoami(), versionTag('v1'));
  await config!.write('router.yaml', routeTo('v2'));
  await waitForRoute(versionTag('v2'), 5000);
  for (let i = 0; i < 5; i++) assert.equal(await hello!.client.whoami(), versionTag('v2'));
  assert.equal(hello!.isClosed, false);
});

test('calls in flight during a change finish on the route they started on', { timeout: 15000 }, async () => {
  await config!.write('router.yaml', routeTo('v1'));
  await waitForRoute(versionTag('v1'), 5000);
  const inFlight = Array.from({ length: 20 }, (_, i) => hello!.client.slow(1500, `f${i}`));
  await sleep(100);
  await config!.write('router.yaml', routeTo('v2'));
  await waitForRoute(versionTag('v2'), 5000);
  const replies = await Promise.all(inFlight);
  assert.deepEqual(
    replies,
    replies.map((_, i) => `f${i}@${versionTag('v1')}`),
  );
});

test('an invalid edit is reported and the running config keeps serving', { timeout: 15000 }, async () => {
  await config!.write('router.yaml', routeTo('v2'));
  await waitForRoute(versionTag('v2'), 5000);
  const broken = routeTo('v1');
  const spec = broken[0]!.spec as { routes: Array<{ route: unknown[] }> };
  spec.routes[0]!.route = [destination(HOST, 'v1', 30), destination(HOST, 'v2', 30)];
  const logsBefore = aeraki!.logs.length;
  await config!.write('router.yaml', broken);
  const deadline = Date.now() + 5000;
  while (!aeraki!.logs.slice(logsBefore).some(l => String(l.msg).includes('router.yaml'))) {
    if (Date.now() > deadline) throw new Error(`no log names router.yaml\n${aeraki!.outputTail()}`);
    await sleep(50);
  }
  for (let i = 0; i < 5; i++) assert.equal(await hello!.client.whoami(), versionTag('v2'));
  assert.equal(aeraki!.exit, undefined, 'aeraki up keeps running');
});
