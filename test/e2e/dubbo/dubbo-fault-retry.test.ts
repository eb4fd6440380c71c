/**
 * Fault injection and retries for Dubbo through `aeraki up`, with the real dubbo2.js client and
 * hessian.js providers: an injected abort reaches the client as a Dubbo error reply naming the fault,
 * and a retry turns a refused connection on the first endpoint into a success.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import java from 'js-to-java';
import {
  createConfigDir,
  destination,
  exactMatch,
  freePort,
  metaRouter,
  startAeraki,
  testAddress,
  type AerakiProcess,
  type ConfigDir,
} from '../harness/index.js';
import { clusterStats } from '../harness/admin-api.js';
import { dubboServiceEntry } from './dubbo-mesh.js';
import { Dubbo2jsClient } from './dubbo2js-client.js';
import { startProvider, type HessianProvider } from './hessian-provider.js';

const ADDRESS = testAddress(33);
const DEMO = 'org.apache.dubbo.demo.DemoService';
const FAULT_HOST = 'fault.dubbo.e2e.svc.cluster.local';
const RETRY_HOST = 'retry.dubbo.e2e.svc.cluster.local';

let provider: HessianProvider | undefined;
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;
const clients: Dubbo2jsClient[] = [];
const ports = { fault: 0, retry: 0 };

before(
  async () => {
    provider = await startProvider({ tag: 'v1' });
    ports.fault = await freePort(ADDRESS);
    ports.retry = await freePort(ADDRESS);
    const refused = await freePort('127.0.0.1');
    const healthy = { address: provider.host, port: provider.port, labels: {} };
    config = await createConfigDir({
      'dubbo.yaml': [
        dubboServiceEntry({
          name: 'dubbo-fault',
          host: FAULT_HOST,
          addresses: [ADDRESS],
          port: ports.fault,
          endpoints: [healthy],
        }),
        dubboServiceEntry({
          name: 'dubbo-retry',
          host: RETRY_HOST,
          addresses: [ADDRESS],
          port: ports.retry,
          endpoints: [{ address: '127.0.0.1', port: refused, labels: {} }, healthy],
        }),
        metaRouter({
          name: 'dubbo-fault',
          host: FAULT_HOST,
          routes: [
            {
              name: 'maintenance',
              match: exactMatch({ method: 'sayHello' }),
              fault: {
                abort: {
                  errorKind: 'over-limit',
                  message: 'sayHello is closed for maintenance (injected fault)',
                },
              },
              route: [destination(FAULT_HOST)],
            },
            { name: 'others', route: [destination(FAULT_HOST)] },
          ],
        }),
        metaRouter({
          name: 'dubbo-retry',
          host: RETRY_HOST,
          routes: [
            {
              name: 'retried',
              retries: { attempts: 2, retryOn: 'connect-failure' },
              route: [destination(RETRY_HOST)],
            },
          ],
        }),
      ],
    });
    aeraki = await startAeraki(config.path, {
      listeners: Object.values(ports).map(port => ({ host: ADDRESS, port })),
    });
  },
  { timeout: 30000 },
);

after(async () => {
  for (const c of clients) c.close();
  await aeraki?.stop();
  await provider?.close();
  await config?.remove();
});

function client(port: number): Dubbo2jsClient {
  const c = new Dubbo2jsClient(ADDRESS, port);
  clients.push(c);
  return c;
}

test('an injected abort is a Dubbo error reply that names the fault; other methods pass', async () => {
  const dubbo = client(ports.fault);
  const calls = provider!.calls.length;
  const aborted = await dubbo.call(DEMO, 'sayHello', [java.String('x')]);
  assert.equal(aborted.res ?? null, null);
  assert.match(String(aborted.err), /sayHello is closed for maintenance \(injected fault\)/);
  assert.equal(provider!.calls.length, calls, 'the aborted call never reached the provider');
  const passed = await dubbo.call(DEMO, 'ping', [java.String('x')]);
  assert.equal(passed.err, null);
  assert.equal(passed.res, 'v1');
});

test('a retry turns a refused connection on the first endpoint into a success', async () => {
  const dubbo = client(ports.retry);
  for (let i = 0; i < 10; i++) {
    const { res, err } = await dubbo.call(DEMO, 'sayHello', [java.String(`r${i}`)]);
    assert.equal(err, null, `call ${i}: ${String(err)}`);
    assert.equal(res, 'v1');
  }
  const stats = await clusterStats(aeraki!, `outbound|${ports.retry}||${RETRY_HOST}`);
  assert.ok(stats['rqRetry']! >= 1, `${stats['rqRetry']} retries`);
});
