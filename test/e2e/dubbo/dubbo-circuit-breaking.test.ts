/**
 * A Dubbo circuit breaker through `aeraki up`, with the real dubbo2.js client and a hessian.js
 * provider: with `http2MaxRequests: 2`, a burst of 5 calls that the provider never answers gets 3
 * immediate over-limit replies (Dubbo status SERVER_THREADPOOL_EXHAUSTED, the message naming the
 * breaker, as dubbo2.js shows it), the 2 admitted ones end at the route timeout, and the admin API
 * counts 3 overflows. Once they are done, calls pass again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminCluster,
  createConfigDir,
  destination,
  destinationRule,
  exactMatch,
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

const ADDRESS = testAddress(38);
const DEMO = 'org.apache.dubbo.demo.DemoService';
const HOST = 'limited.dubbo.e2e.svc.cluster.local';
const SLOW_TIMEOUT_MS = 500;

let provider: HessianProvider | undefined;
let port = 0;
let config: ConfigDir | undefined;
let aeraki: AerakiProcess | undefined;
let client: Dubbo2jsClient | undefined;

before(
  async () => {
    provider = await startProvider({ tag: 'p' });
    port = await freePort(ADDRESS);
    config = await createConfigDir({
      'mesh.yaml': [
        dubboServiceEntry({
          name: 'limited',
          host: HOST,
          addresses: [ADDRESS],
          port,
          endpoints: [{ address: provider.host, port: provider.port, labels: {} }],
        }),
        destinationRule({
          name: 'limited',
          host: HOST,
          subsets: {},
          trafficPolicy: { connectionPool: { http: { http2MaxRequests: 2 } } },
        }),
        metaRouter({
          name: 'limited',
          host: HOST,
          routes: [
            {
              name: 'slow',
              match: exactMatch({ method: 'slow' }),
              route: [destination(HOST)],
              timeout: `${SLOW_TIMEOUT_MS}ms`,
            },
            { name: 'rest', route: [destination(HOST)] },
          ],
        }),
      ],
    });
    aeraki = await startAeraki(config.path, { listeners: [{ host: ADDRESS, port }] });
    client = new Dubbo2jsClient(ADDRESS, port);
  },
  { timeout: 30000 },
);

after(async () => {
  client?.close();
  await aeraki?.stop();
  await provider?.close();
  await config?.remove();
});

test('http2MaxRequests 2: of 5 calls in flight, 3 get the over-limit reply', { timeout: 15000 }, async () => {
  const dubbo = client!;
  assert.equal((await dubbo.call(DEMO, 'whoami')).res, 'p');
  const results = await Promise.all(Array.from({ length: 5 }, () => dubbo.call(DEMO, 'slow')));
  const messages = results.map(r => r.err?.message ?? `answered ${String(r.res)}`);
  const overflow = results.filter(r => /circuit breaker open/.test(r.err?.message ?? ''));
  const timedOut = results.filter(r => /no response .* within 500 ms/.test(r.err?.message ?? ''));
  assert.equal(overflow.length, 3, messages.join('\n'));
  assert.equal(timedOut.length, 2, messages.join('\n'));
  for (const r of overflow) assert.match(r.err!.message, /2 requests already in flight \(max_requests\)/);
  assert.equal(provider!.callsOf('slow').length, 2, 'only the admitted calls reached the provider');

  const cluster = await adminCluster(aeraki!, `outbound|${port}||${HOST}`);
  assert.equal(cluster.stats['rqOverflow'], 3);
  assert.equal(cluster.stats['rqActive'], 0);
  assert.deepEqual(cluster.circuitBreakers, {
    maxConnections: 1024,
    maxPendingRequests: 1024,
    maxRequests: 2,
  });
  // The slots are free again.
  assert.equal((await dubbo.call(DEMO, 'whoami')).res, 'p');
});
