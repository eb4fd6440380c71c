/**
 * Rate limits for Dubbo through `aeraki up`, with the real dubbo2.js client and a hessian.js provider:
 * the original's acceptance numbers (Aeraki's TestLocalRateLimit and TestGlobalRateLimit run on Dubbo):
 * a default bucket of 5 per minute plus 2 per minute for sayHello lets exactly 2 of 10 sayHello calls
 * through, and a global limit of 5 per hour at the rate-limit service (the suite's stand-in, see
 * harness/rate-limit-service.ts) exactly 5 of 10. Rejected calls get Dubbo's own error response
 * (status SERVER_THREADPOOL_EXHAUSTED) whose message names the limit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import java from 'js-to-java';
import {
  createConfigDir,
  destination,
  destinationRule,
  exactMatch,
  freePort,
  staticServiceEntry,
  startAeraki,
  startRateLimitService,
  testAddress,
  type AerakiProcess,
  type ConfigDir,
  type ConfigDocument,
  type RateLimitServiceStandIn,
} from '../harness/index.js';
import { dubboServiceEntry } from './dubbo-mesh.js';
import { Dubbo2jsClient, type Dubbo2jsResult } from './dubbo2js-client.js';
import { startProvider, type HessianProvider } from './hessian-provider.js';

const ADDRESS = testAddress(31);
const DEMO = 'org.apache.dubbo.samples.basic.api.DemoService';
const RLS_HOST = 'rate-limit-server.dubbo.e2e.svc.cluster.local';

let provider: HessianProvider | undefined;
let rls: RateLimitServiceStandIn | undefined;
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;
const ports = new Map<string, number>();
const clients: Dubbo2jsClient[] = [];

function hostOf(name: string): string {
  return `${name}.dubbo.e2e.svc.cluster.local`;
}

function serviceDocs(name: string): ConfigDocument[] {
  const host = hostOf(name);
  return [
    dubboServiceEntry({
      name,
      host,
      addresses: [ADDRESS],
      port: ports.get(name)!,
      endpoints: [{ address: provider!.host, port: provider!.port, labels: { version: 'v1' } }],
    }),
    destinationRule({ name, host, subsets: { v1: { version: 'v1' } } }),
  ];
}

function router(name: string, spec: Record<string, unknown>): ConfigDocument {
  return {
    apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
    kind: 'MetaRouter',
    metadata: { name, namespace: 'default' },
    spec: { hosts: [hostOf(name)], ...spec },
  };
}

before(
  async () => {
    provider = await startProvider({ tag: 'v1' });
    rls = await startRateLimitService({
      domain: 'production',
      descriptors: [{ key: 'method', value: 'sayHello', rateLimit: { unit: 'hour', requestsPerUnit: 5 } }],
    });
    for (const name of ['local', 'global']) ports.set(name, await freePort(ADDRESS));
    config = await createConfigDir({
      'services.yaml': [
        ...serviceDocs('local'),
        ...serviceDocs('global'),
        staticServiceEntry(
          {
            name: 'rate-limit-server',
            host: RLS_HOST,
            addresses: [],
            port: 8081,
            endpoints: [{ address: rls.host, port: rls.port, labels: {} }],
          },
          'tcp-rate-limit-server',
        ),
      ],
      // Aeraki's metarouter-local-ratelimit.yaml and metarouter-global-ratelimit.yaml.
      'limits.yaml': [
        router('local', {
          routes: [
            {
              name: 'default',
              match: exactMatch({ method: 'sayHello' }),
              route: [destination(hostOf('local'), 'v1')],
            },
            { name: 'others', route: [destination(hostOf('local'), 'v1')] },
          ],
          localRateLimit: {
            tokenBucket: { fillInterval: '60s', maxTokens: 5, tokensPerFill: 5 },
            conditions: [
              {
                match: exactMatch({ method: 'sayHello' }),
                tokenBucket: { fillInterval: '60s', maxTokens: 2, tokensPerFill: 2 },
              },
            ],
          },
        }),
        router('global', {
          globalRateLimit: {
            domain: 'production',
            match: exactMatch({ method: 'sayHello' }),
            rateLimitService: `outbound|8081||${RLS_HOST}`,
            requestTimeout: '2s',
            denyOnFail: true,
            descriptors: [{ property: 'method', descriptorKey: 'method' }],
          },
        }),
      ],
    });
    aeraki = await startAeraki(config.path, {
      listeners: [...ports.values()].map(port => ({ host: ADDRESS, port })),
    });
  },
  { timeout: 30000 },
);

after(async () => {
  for (const c of clients) c.close();
  await aeraki?.stop();
  await Promise.all([provider?.close(), rls?.stop()]);
  await config?.remove();
});

function client(name: string): Dubbo2jsClient {
  const c = new Dubbo2jsClient(ADDRESS, ports.get(name)!);
  clients.push(c);
  return c;
}

async function calls(dubbo: Dubbo2jsClient, method: string, count: number): Promise<Dubbo2jsResult[]> {
  const results: Dubbo2jsResult[] = [];
  for (let i = 0; i < count; i++) results.push(await dubbo.call(DEMO, method, [java.String('aeraki')]));
  return results;
}

test('local: 5 per minute, sayHello 2 per minute: exactly 2 of 10 sayHello calls pass', async () => {
  const dubbo = client('local');
  const sayHello = await calls(dubbo, 'sayHello', 10);
  assert.deepEqual(
    sayHello.map(r => r.err === null),
    [true, true, false, false, false, false, false, false, false, false],
  );
  assert.deepEqual(
    sayHello.slice(0, 2).map(r => r.res),
    ['v1', 'v1'],
  );
  for (const { err } of sayHello.slice(2)) {
    assert.ok(err !== null);
    assert.match(err.message, /local rate limit: sayHello has been rate limited/);
  }
  const others = await calls(dubbo, 'whoami', 10);
  assert.equal(others.filter(r => r.err === null).length, 5, 'other methods share the default bucket of 5');
});

test('global: 5 per hour at the rate-limit service: exactly 5 of 10 sayHello calls pass', async () => {
  rls!.reset();
  const dubbo = client('global');
  const sayHello = await calls(dubbo, 'sayHello', 10);
  assert.equal(sayHello.filter(r => r.err === null).length, 5);
  for (const { err } of sayHello.slice(5)) {
    assert.ok(err !== null);
    assert.match(err.message, /global rate limit: sayHello has been rate limited by the rate-limit service/);
  }
  assert.deepEqual(rls!.requests[0], {
    domain: 'production',
    descriptors: [[{ key: 'method', value: 'sayHello' }]],
  });
  const others = await calls(dubbo, 'whoami', 5);
  assert.equal(others.filter(r => r.err === null).length, 5, 'methods outside the match are not limited');
});
