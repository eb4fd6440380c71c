/**
 * Route changes through the xDS path under continuous load from the real dubbo2.js client: a MetaRouter
 * flipped between v1 and v2 every 100 ms for 10 s fails no call, and both versions answer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createConfigDir,
  destination,
  destinationRule,
  freePort,
  metaRouter,
  startAeraki,
  testAddress,
  type AerakiProcess,
  type ConfigDir,
} from '../harness/index.js';
import { dubboServiceEntry } from './dubbo-mesh.js';
import { Dubbo2jsClient } from './dubbo2js-client.js';
import { startProvider, type HessianProvider } from './hessian-provider.js';

const ADDRESS = testAddress(22);
const HOST = 'live-dubbo.e2e.svc.cluster.local';
const SERVICE = 'org.apache.dubbo.samples.basic.api.DemoService';
const CLIENTS = 4;

const providers: HessianProvider[] = [];
let config: ConfigDir | undefined;
let aeraki: AerakiProcess | undefined;
const clients: Dubbo2jsClient[] = [];
let port = 0;

function routeTo(subset: string) {
  return [
    metaRouter({ name: 'live', host: HOST, routes: [{ name: subset, route: [destination(HOST, subset)] }] }),
  ];
}

before(
  async () => {
    for (const tag of ['v1', 'v2'])
      providers.push(await startProvider({ tag, port: await freePort('127.0.0.1') }));
    port = await freePort(ADDRESS);
    config = await createConfigDir({
      'service.yaml': [
        dubboServiceEntry({
          name: 'live',
          host: HOST,
          addresses: [ADDRESS],
          port,
          endpoints: providers.map(p => ({ address: '127.0.0.1', port: p.port, labels: { version: p.tag } })),
        }),
        destinationRule({
          name: 'live',
          host: HOST,
          subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } },
        }),
      ],
      'router.yaml': routeTo('v1'),
    });
    aeraki = await startAeraki(config.path, { listeners: [{ host: ADDRESS, port }] });
    for (let i = 0; i < CLIENTS; i++) clients.push(new Dubbo2jsClient(ADDRESS, port));
  },
  { timeout: 30000 },
);

after(
  async () => {
    for (const c of clients) c.close();
    await aeraki?.stop();
    await Promise.all(providers.map(p => p.close()));
    await config?.remove();
  },
  { timeout: 15000 },
);

test(
  'dubbo2.js calls during 10 s of route flips every 100 ms: none fails, both versions answer',
  { timeout: 40000 },
  async () => {
    const seen = new Map<string, number>();
    const failures: string[] = [];
    let running = true;
    const loops = clients.map(async client => {
      while (running) {
        const { res, err } = await client.call(SERVICE, 'sayHello');
        if (err !== null) failures.push(err.message);
        else seen.set(String(res), (seen.get(String(res)) ?? 0) + 1);
      }
    });
    const until = Date.now() + 10_000;
    let flips = 0;
    while (Date.now() < until) {
      await config!.write('router.yaml', routeTo(flips++ % 2 === 0 ? 'v2' : 'v1'));
      await sleep(100);
    }
    running = false;
    await Promise.all(loops);
    assert.deepEqual(failures, []);
    assert.ok((seen.get('v1') ?? 0) > 0 && (seen.get('v2') ?? 0) > 0, `seen ${JSON.stringify([...seen])}`);
    assert.equal(aeraki!.exit, undefined);
  },
);
