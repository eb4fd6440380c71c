/**
 * Losing nothing when endpoints go away, with no retry policy on the route, under load from the real
 * dubbo2.js client through `aeraki up`:
 * - a provider that shuts down gracefully (Dubbo's read-only event on its connections, then closing
 *   them once its client has gone): the proxy sends it nothing new, lets the calls in flight finish,
 *   closes the connection, and Istio's default retry moves the calls it cannot connect to any more
 *   to the other provider;
 * - an endpoint that refuses connections beside a good one: the same default retry.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import java from 'js-to-java';
import {
  createConfigDir,
  freePort,
  startAeraki,
  testAddress,
  type AerakiProcess,
  type ConfigDir,
} from '../harness/index.js';
import { clusterStats } from '../harness/admin-api.js';
import { dubboServiceEntry } from './dubbo-mesh.js';
import { Dubbo2jsClient } from './dubbo2js-client.js';
import { startProvider, type HessianProvider } from './hessian-provider.js';

const ADDRESS = testAddress(41);
const DEMO = 'org.apache.dubbo.demo.DemoService';
const SHUTDOWN_HOST = 'shutdown.dubbo.e2e.svc.cluster.local';
const REFUSED_HOST = 'refused.dubbo.e2e.svc.cluster.local';
/** Client loops driving the load, each one call at a time on its own connection (as measured before). */
const LOOPS = 4;
/** How long the load goes on once the provider has closed its last connection. */
const AFTER_SHUTDOWN_MS = 2000;

const providers: Record<'a' | 'b' | 'c', HessianProvider | undefined> = {
  a: undefined,
  b: undefined,
  c: undefined,
};
let config: ConfigDir | undefined;
let aeraki: AerakiProcess | undefined;
const ports = { shutdown: 0, refused: 0 };
const clients: Dubbo2jsClient[] = [];

before(
  async () => {
    // Jitter keeps calls in flight on the provider's connection when it announces its shutdown.
    for (const tag of ['a', 'b', 'c'] as const) providers[tag] = await startProvider({ tag, jitterMs: 3 });
    ports.shutdown = await freePort(ADDRESS);
    ports.refused = await freePort(ADDRESS);
    const refused = await freePort('127.0.0.1');
    const endpoint = (p: HessianProvider) => ({ address: p.host, port: p.port, labels: {} });
    // No MetaRouter: the services get the default route, which has no retry policy.
    config = await createConfigDir({
      'dubbo.yaml': [
        dubboServiceEntry({
          name: 'shutdown',
          host: SHUTDOWN_HOST,
          addresses: [ADDRESS],
          port: ports.shutdown,
          endpoints: [endpoint(providers.a!), endpoint(providers.b!)],
        }),
        dubboServiceEntry({
          name: 'refused',
          host: REFUSED_HOST,
          addresses: [ADDRESS],
          port: ports.refused,
          endpoints: [{ address: '127.0.0.1', port: refused, labels: {} }, endpoint(providers.c!)],
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
  for (const p of Object.values(providers)) await p?.close();
  await config?.remove();
});

/** What the load saw: answers by provider tag, and every failure's message. */
interface Load {
  readonly answers: Map<string, number>;
  readonly failures: string[];
  stop(): Promise<void>;
}

/** `LOOPS` dubbo2.js clients, each calling in a loop until stopped. */
function startLoad(port: number): Load {
  const answers = new Map<string, number>();
  const failures: string[] = [];
  let running = true;
  const loop = async (client: Dubbo2jsClient): Promise<void> => {
    while (running) {
      const { res, err } = await client.call(DEMO, 'sayHello', [java.String('load')]);
      if (err !== null) failures.push(err.message);
      else answers.set(String(res), (answers.get(String(res)) ?? 0) + 1);
    }
  };
  const loops = Array.from({ length: LOOPS }, () => {
    const client = new Dubbo2jsClient(ADDRESS, port);
    clients.push(client);
    return loop(client);
  });
  return {
    answers,
    failures,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const total = (answers: Map<string, number>) => [...answers.values()].reduce((a, b) => a + b, 0);

test('a provider shutting down gracefully under load: no call fails', { timeout: 60000 }, async t => {
  const a = providers.a!;
  const load = startLoad(ports.shutdown);
  try {
    await until(
      () => (load.answers.get('a') ?? 0) >= 200 && (load.answers.get('b') ?? 0) >= 200,
      'both providers serving',
    );
    assert.ok(a.connectionCount >= 1, 'the proxy is connected to the provider');
    const callsBefore = a.calls.length;
    // Resolves once the proxy has closed its connection, which it does after the calls in flight.
    await a.shutDownGracefully();
    const answeredByA = a.calls.length - callsBefore;
    const answeredAtClose = total(load.answers);
    const failedAtClose = load.failures.length;
    await sleep(AFTER_SHUTDOWN_MS);
    await load.stop();
    const answered = total(load.answers) - answeredAtClose;
    const failed = load.failures.length - failedAtClose;
    t.diagnostic(
      `${answered + failed} calls in the ${AFTER_SHUTDOWN_MS} ms after the shutdown, ${failed} failed ` +
        `(${load.failures.length - failed} before); the provider answered ${answeredByA} after announcing it`,
    );
    assert.deepEqual(load.failures.slice(0, 5), [], `${load.failures.length} calls failed`);
    assert.ok(answered > 0, 'calls went on after the shutdown');
    assert.equal(a.calls.length - callsBefore, answeredByA, 'nothing reached the provider after it closed');
    const stats = await clusterStats(aeraki!, `outbound|${ports.shutdown}||${SHUTDOWN_HOST}`);
    assert.ok(stats['cxCloseNotify']! >= 1, `cxCloseNotify ${stats['cxCloseNotify']}`);
    // Calls balanced to the closed port afterwards were refused (each refused connection fails the
    // calls waiting for it) and retried on the other provider.
    assert.ok(stats['cxConnectFail']! >= 1, `cxConnectFail ${stats['cxConnectFail']}`);
    assert.ok(stats['rqRetry']! >= stats['cxConnectFail']!, `rqRetry ${stats['rqRetry']}`);
    assert.equal(stats['rqRetrySuccess'], stats['rqRetry']);
  } finally {
    await load.stop();
  }
});

test('an endpoint that refuses connections beside a good one, no retry policy: no call fails', async () => {
  const load = startLoad(ports.refused);
  try {
    await until(() => total(load.answers) >= 400, '400 calls');
  } finally {
    await load.stop();
  }
  assert.deepEqual(load.failures.slice(0, 5), [], `${load.failures.length} calls failed`);
  assert.deepEqual([...load.answers.keys()], ['c']);
  const stats = await clusterStats(aeraki!, `outbound|${ports.refused}||${REFUSED_HOST}`);
  assert.ok(stats['cxConnectFail']! >= 1, `cxConnectFail ${stats['cxConnectFail']}`);
  assert.ok(stats['rqRetry']! >= stats['cxConnectFail']!, 'every refused connection was retried');
  assert.equal(stats['rqRetrySuccess'], stats['rqRetry']);
  assert.equal(stats['rqRetryOverflow'], 0);
});
