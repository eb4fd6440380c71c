/**
 * Routing through `aeraki up` for every Thrift wire stack, with real Apache Thrift clients and
 * servers: by method (MetaRouter match → subset v1, anything else → v2), a 20/80 weighted split, and
 * TMultiplexedProtocol names (service and method are separate attributes).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_STACKS,
  binomialBounds,
  connectHello,
  createConfigDir,
  destination,
  destinationRule,
  exactMatch,
  freePort,
  metaRouter,
  stackLabel,
  startAeraki,
  startHelloServer,
  testAddress,
  thriftServiceEntry,
  versionTag,
  type AerakiProcess,
  type ConfigDir,
  type ConfigDocument,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

const ADDRESS = testAddress(1);
const SPLIT_CALLS = 400;
const V1_WEIGHT = 20;
/** The whole file's chance of a false alarm on the split: 0.1%, shared among its scenarios (Bonferroni). */
const SPLIT_FALSE_ALARM = 0.001;

/** One scenario's listener and upstream pair. */
interface Service {
  readonly host: string;
  readonly port: number;
  readonly stack: ThriftStack;
  readonly multiplexed: boolean;
  readonly v1: HelloServer;
  readonly v2: HelloServer;
}

interface Scenario {
  readonly stack: ThriftStack;
  readonly multiplexed: boolean;
}

const scenarios: Scenario[] = [
  ...ALL_STACKS.map(stack => ({ stack, multiplexed: false })),
  { stack: { protocol: 'binary', transport: 'framed' }, multiplexed: true },
  { stack: { protocol: 'compact', transport: 'header' }, multiplexed: true },
];

function scenarioLabel(s: Scenario): string {
  return `${stackLabel(s.stack)}${s.multiplexed ? '-multiplexed' : ''}`;
}

const servers: HelloServer[] = [];
const byMethod = new Map<string, Service>();
const bySplit = new Map<string, Service>();
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;

async function addService(
  kind: 'method' | 'split',
  scenario: Scenario,
  v1: HelloServer,
  v2: HelloServer,
  docs: ConfigDocument[],
): Promise<Service> {
  const name = `${kind}-${scenarioLabel(scenario)}`;
  const host = `${name}.e2e.svc.cluster.local`;
  const port = await freePort(ADDRESS);
  docs.push(
    thriftServiceEntry({
      name,
      host,
      addresses: [ADDRESS],
      port,
      endpoints: [
        { address: v1.host, port: v1.port, labels: { version: 'v1' } },
        { address: v2.host, port: v2.port, labels: { version: 'v2' } },
      ],
    }),
    destinationRule({ name, host, subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } } }),
  );
  if (kind === 'method') {
    const match = scenario.multiplexed
      ? exactMatch({ service: 'HelloService', method: 'sayHello' })
      : exactMatch({ method: 'sayHello' });
    docs.push(
      metaRouter({
        name,
        host,
        routes: [
          { name: 'say-hello-to-v1', match, route: [destination(host, 'v1')] },
          { name: 'everything-else-to-v2', route: [destination(host, 'v2')] },
        ],
      }),
    );
  } else {
    docs.push(
      metaRouter({
        name,
        host,
        routes: [
          {
            name: 'split',
            route: [destination(host, 'v1', V1_WEIGHT), destination(host, 'v2', 100 - V1_WEIGHT)],
          },
        ],
      }),
    );
  }
  return { host, port, stack: scenario.stack, multiplexed: scenario.multiplexed, v1, v2 };
}

before(
  async () => {
    const docs: ConfigDocument[] = [];
    for (const scenario of scenarios) {
      const [v1, v2] = await Promise.all(
        ['v1', 'v2'].map(version =>
          startHelloServer({
            tag: versionTag(version),
            stack: scenario.stack,
            multiplexed: scenario.multiplexed,
          }),
        ),
      );
      assert.ok(v1 !== undefined && v2 !== undefined);
      servers.push(v1, v2);
      byMethod.set(scenarioLabel(scenario), await addService('method', scenario, v1, v2, docs));
      bySplit.set(scenarioLabel(scenario), await addService('split', scenario, v1, v2, docs));
    }
    config = await createConfigDir({ 'routing.yaml': docs });
    const listeners = [...byMethod.values(), ...bySplit.values()].map(s => ({ host: ADDRESS, port: s.port }));
    aeraki = await startAeraki(config.path, { listeners });
  },
  { timeout: 40000 },
);

after(
  async () => {
    await aeraki?.stop();
    await Promise.all(servers.map(s => s.close()));
    await config?.remove();
  },
  { timeout: 15000 },
);

function connect(service: Service) {
  return connectHello(ADDRESS, service.port, { stack: service.stack, multiplexed: service.multiplexed });
}

for (const scenario of scenarios) {
  const label = scenarioLabel(scenario);
  describe(label, () => {
    test(
      'routes by method: sayHello to subset v1, every other method to v2',
      { timeout: 15000 },
      async () => {
        const service = byMethod.get(label)!;
        const hello = await connect(service);
        try {
          for (let i = 0; i < 20; i++) {
            assert.equal(await hello.client.sayHello(`n${i}`), `Hello n${i}, from ${versionTag('v1')}`);
            assert.equal(await hello.client.whoami(), versionTag('v2'));
          }
          // Arguments and declared exceptions pass through untouched.
          assert.equal(await hello.client.add(20, 22), 42);
          const payload = Buffer.alloc(100 * 1024, 'x');
          assert.deepEqual(await hello.client.echo(payload), payload);
          await assert.rejects(hello.client.fail('nope'), (err: { code?: number; message?: string }) => {
            assert.equal(err.code, 42);
            assert.equal(err.message, `nope (from ${versionTag('v2')})`);
            return true;
          });
        } finally {
          await hello.close();
        }
      },
    );

    test(
      `splits ${V1_WEIGHT}/${100 - V1_WEIGHT} between v1 and v2 over ${SPLIT_CALLS} calls`,
      { timeout: 30000 },
      async () => {
        const service = bySplit.get(label)!;
        // Several connections with several calls in flight: the split is per request, not per connection.
        const connections = await Promise.all([0, 1, 2, 3].map(() => connect(service)));
        try {
          const counts = new Map<string, number>();
          let next = 0;
          await Promise.all(
            connections.flatMap(hello =>
              [0, 1, 2, 3].map(async () => {
                while (next < SPLIT_CALLS) {
                  next++;
                  const tag = await hello.client.whoami();
                  counts.set(tag, (counts.get(tag) ?? 0) + 1);
                }
              }),
            ),
          );
          const v1 = counts.get(versionTag('v1')) ?? 0;
          const v2 = counts.get(versionTag('v2')) ?? 0;
          assert.equal(v1 + v2, SPLIT_CALLS, `only v1 and v2 answer: ${JSON.stringify([...counts])}`);
          const { low, high } = binomialBounds(
            SPLIT_CALLS,
            V1_WEIGHT / 100,
            1 - SPLIT_FALSE_ALARM / scenarios.length,
          );
          assert.ok(
            v1 >= low && v1 <= high,
            `v1 got ${v1} of ${SPLIT_CALLS} calls; with weight ${V1_WEIGHT}% it must be within [${low}, ${high}]`,
          );
        } finally {
          await Promise.all(connections.map(c => c.close()));
        }
      },
    );
  });
}
