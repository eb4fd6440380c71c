/**
 * Fault injection per route through `aeraki up`, with real Apache Thrift clients and servers: an abort
 * on 50% of the calls (counted against the binomial 99.9% bounds, each one a TApplicationException that
 * names the fault), and a 200 ms delay on 50% of the calls (the delayed calls take at least 200 ms, the
 * others do not). The proxy's counters say how many requests each fault touched.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binomialBounds,
  connectHello,
  createConfigDir,
  destination,
  freePort,
  metaRouter,
  startAeraki,
  startHelloServer,
  testAddress,
  thrift,
  thriftServiceEntry,
  versionTag,
  type AerakiProcess,
  type ConfigDir,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';
import { listenerStats } from './harness/admin-api.js';

const ADDRESS = testAddress(31);
const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };
const ABORT_CALLS = 400;
const ABORT_PERCENT = 50;
const DELAY_MS = 200;
const DELAY_CALLS = 60;
const DELAY_PERCENT = 50;

let server: HelloServer | undefined;
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;
const ports = { abort: 0, delay: 0 };

function hostOf(name: string): string {
  return `${name}.fault.e2e.svc.cluster.local`;
}

before(
  async () => {
    server = await startHelloServer({ tag: versionTag('v1'), stack: STACK });
    ports.abort = await freePort(ADDRESS);
    ports.delay = await freePort(ADDRESS);
    const endpoints = [{ address: server.host, port: server.port, labels: { version: 'v1' } }];
    const abortHost = hostOf('abort');
    const delayHost = hostOf('delay');
    config = await createConfigDir({
      'faults.yaml': [
        thriftServiceEntry({
          name: 'abort',
          host: abortHost,
          addresses: [ADDRESS],
          port: ports.abort,
          endpoints,
        }),
        thriftServiceEntry({
          name: 'delay',
          host: delayHost,
          addresses: [ADDRESS],
          port: ports.delay,
          endpoints,
        }),
        metaRouter({
          name: 'abort',
          host: abortHost,
          routes: [
            {
              name: 'half-aborted',
              fault: { abort: { percentage: { value: ABORT_PERCENT }, errorKind: 'unavailable' } },
              route: [destination(abortHost)],
            },
          ],
        }),
        metaRouter({
          name: 'delay',
          host: delayHost,
          routes: [
            {
              name: 'half-delayed',
              fault: { delay: { fixedDelay: `${DELAY_MS}ms`, percentage: { value: DELAY_PERCENT } } },
              route: [destination(delayHost)],
            },
          ],
        }),
      ],
    });
    aeraki = await startAeraki(config.path, {
      listeners: Object.values(ports).map(port => ({ host: ADDRESS, port })),
    });
  },
  { timeout: 40000 },
);

after(
  async () => {
    await aeraki?.stop();
    await server?.close();
    await config?.remove();
  },
  { timeout: 15000 },
);

describe('fault injection', () => {
  test(`abort at ${ABORT_PERCENT}% over ${ABORT_CALLS} calls`, { timeout: 30000 }, async () => {
    const hello = await connectHello(ADDRESS, ports.abort, { stack: STACK });
    try {
      server!.reset();
      let aborted = 0;
      let answered = 0;
      for (let i = 0; i < ABORT_CALLS; i++) {
        try {
          assert.equal(await hello.client.sayHello(`c${i}`), `Hello c${i}, from ${versionTag('v1')}`);
          answered++;
        } catch (err) {
          assert.ok(err instanceof thrift.Thrift.TApplicationException, `call ${i}: ${String(err)}`);
          assert.equal(err.type, thrift.Thrift.TApplicationExceptionType['INTERNAL_ERROR']);
          assert.match(err.message, /fault injected by route 'half-aborted': abort \(unavailable\)/);
          aborted++;
        }
      }
      const { low, high } = binomialBounds(ABORT_CALLS, ABORT_PERCENT / 100);
      assert.ok(aborted >= low && aborted <= high, `${aborted} aborted, expected ${low}..${high}`);
      assert.equal(answered + aborted, ABORT_CALLS);
      assert.equal(server!.count('sayHello'), answered, 'aborted calls never reach the server');
      assert.equal(hello.isClosed, false, 'an abort is a reply, the connection stays');
      const stats = await listenerStats(aeraki!, ADDRESS, ports.abort);
      assert.equal(stats['faultAbort'], aborted);
    } finally {
      await hello.close();
    }
  });

  test(`a ${DELAY_MS} ms delay on ${DELAY_PERCENT}% of the calls`, { timeout: 30000 }, async () => {
    // A few connections at once, so the test takes about (calls / connections) × delay / 2.
    const connections = await Promise.all(
      [0, 1, 2, 3].map(() => connectHello(ADDRESS, ports.delay, { stack: STACK })),
    );
    try {
      const before = (await listenerStats(aeraki!, ADDRESS, ports.delay))['faultDelay'] as number;
      const latencies: number[] = [];
      await Promise.all(
        connections.map(async (hello, c) => {
          for (let i = c; i < DELAY_CALLS; i += connections.length) {
            const started = performance.now();
            assert.equal(await hello.client.sayHello(`d${i}`), `Hello d${i}, from ${versionTag('v1')}`);
            latencies.push(performance.now() - started);
          }
        }),
      );
      const delayed = ((await listenerStats(aeraki!, ADDRESS, ports.delay))['faultDelay'] as number) - before;
      const { low, high } = binomialBounds(DELAY_CALLS, DELAY_PERCENT / 100);
      assert.ok(delayed >= low && delayed <= high, `${delayed} delayed, expected ${low}..${high}`);
      // The proxy counted `delayed` requests: they are the slowest calls, and each took the delay.
      latencies.sort((a, b) => b - a);
      const affected = latencies.slice(0, delayed);
      const others = latencies.slice(delayed);
      for (const ms of affected) {
        assert.ok(ms >= DELAY_MS - 1 && ms < DELAY_MS + 2000, `a delayed call took ${ms.toFixed(1)} ms`);
      }
      for (const ms of others) assert.ok(ms < DELAY_MS, `an undelayed call took ${ms.toFixed(1)} ms`);
    } finally {
      await Promise.all(connections.map(c => c.close()));
    }
  });
});
