/**
 * Traffic policies through `aeraki up`, with real Apache Thrift clients and servers: mirroring,
 * routing on THeader info headers, request and response mutations written into THeader headers,
 * consistent hashing (on a THeader header and on the method), and the default route when a service
 * has no MetaRouter.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
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
  type EndpointSpec,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';

const ADDRESS = testAddress(2);
const FRAMED: ThriftStack = { protocol: 'binary', transport: 'framed' };
const HEADER: ThriftStack = { protocol: 'binary', transport: 'header' };

/** The servers behind every service of one stack: v1 and v2, and v1a/v1b (two endpoints labelled v1). */
interface Fleet {
  readonly v1: HelloServer;
  readonly v2: HelloServer;
  readonly v1a: HelloServer;
  readonly v1b: HelloServer;
}

const fleets = new Map<string, Fleet>();
const ports = new Map<string, number>();
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;

function endpoint(server: HelloServer, labels: Record<string, string>): EndpointSpec {
  return { address: server.host, port: server.port, labels };
}

function hostOf(name: string): string {
  return `${name}.e2e.svc.cluster.local`;
}

async function service(
  docs: ConfigDocument[],
  name: string,
  endpoints: EndpointSpec[],
  extra: (host: string) => ConfigDocument[],
): Promise<void> {
  const host = hostOf(name);
  const port = await freePort(ADDRESS);
  ports.set(name, port);
  docs.push(thriftServiceEntry({ name, host, addresses: [ADDRESS], port, endpoints }), ...extra(host));
}

const subsets = { v1: { version: 'v1' }, v2: { version: 'v2' } };

before(
  async () => {
    const docs: ConfigDocument[] = [];
    for (const stack of [FRAMED, HEADER]) {
      const label = stackLabel(stack);
      const start = (tag: string): Promise<HelloServer> => startHelloServer({ tag, stack });
      const [v1, v2, v1a, v1b] = await Promise.all([
        start(versionTag('v1')),
        start(versionTag('v2')),
        start(versionTag('v1-a')),
        start(versionTag('v1-b')),
      ]);
      const fleet = { v1: v1!, v2: v2!, v1a: v1a!, v1b: v1b! };
      fleets.set(label, fleet);
      const pair = [endpoint(fleet.v1, { version: 'v1' }), endpoint(fleet.v2, { version: 'v2' })];
      const hashed = [
        endpoint(fleet.v1a, { version: 'v1' }),
        endpoint(fleet.v1b, { version: 'v1' }),
        endpoint(fleet.v2, { version: 'v2' }),
      ];

      await service(docs, `mirror-${label}`, pair, host => [
        destinationRule({ name: `mirror-${label}`, host, subsets }),
        metaRouter({
          name: `mirror-${label}`,
          host,
          routes: [
            { name: 'to-v1-mirror-v2', route: [destination(host, 'v1')], mirror: { host, subset: 'v2' } },
          ],
        }),
      ]);

      await service(docs, `no-router-${label}`, pair, () => []);

      await service(docs, `hash-method-${label}`, hashed, host => [
        destinationRule({
          name: `hash-method-${label}`,
          host,
          subsets,
          trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'method' } } },
        }),
        metaRouter({
          name: `hash-method-${label}`,
          host,
          routes: [{ name: 'v1', route: [destination(host, 'v1')] }],
        }),
      ]);

      if (stack.transport === 'header') {
        await service(docs, `mutate-${label}`, pair, host => [
          destinationRule({ name: `mutate-${label}`, host, subsets }),
          metaRouter({
            name: `mutate-${label}`,
            host,
            routes: [
              {
                name: 'gold-tenant',
                match: exactMatch({ 'x-tenant': 'gold' }),
                route: [destination(host, 'v1')],
                requestMutation: [
                  { key: 'x-mesh-env', value: 'canary' },
                  { key: 'x-mesh-tier', value: 'gold' },
                ],
                responseMutation: [{ key: 'x-mesh-route', value: 'gold-tenant' }],
              },
              { name: 'others', route: [destination(host, 'v2')] },
            ],
          }),
        ]);

        await service(docs, `hash-header-${label}`, hashed, host => [
          destinationRule({
            name: `hash-header-${label}`,
            host,
            subsets,
            trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user-id' } } },
          }),
          metaRouter({
            name: `hash-header-${label}`,
            host,
            routes: [{ name: 'v1', route: [destination(host, 'v1')] }],
          }),
        ]);
      }
    }
    config = await createConfigDir({ 'policies.yaml': docs });
    aeraki = await startAeraki(config.path, {
      listeners: [...ports.values()].map(port => ({ host: ADDRESS, port })),
    });
  },
  { timeout: 40000 },
);

after(
  async () => {
    await aeraki?.stop();
    await Promise.all([...fleets.values()].flatMap(f => [f.v1, f.v2, f.v1a, f.v1b]).map(s => s.close()));
    await config?.remove();
  },
  { timeout: 15000 },
);

function connect(name: string, stack: ThriftStack) {
  const port = ports.get(name);
  assert.ok(port !== undefined, `no service ${name}`);
  return connectHello(ADDRESS, port, { stack });
}

for (const stack of [FRAMED, HEADER]) {
  const label = stackLabel(stack);
  describe(label, () => {
    test(
      'mirror: v2 receives a copy of every call, the client sees only v1',
      { timeout: 15000 },
      async () => {
        const fleet = fleets.get(label)!;
        fleet.v1.reset();
        fleet.v2.reset();
        const hello = await connect(`mirror-${label}`, stack);
        try {
          for (let i = 0; i < 20; i++) {
            assert.equal(await hello.client.sayHello(`m${i}`), `Hello m${i}, from ${versionTag('v1')}`);
          }
          await fleet.v2.waitForCalls(20, 'sayHello', 5000);
          assert.deepEqual(
            fleet.v2.calls
              .filter(c => c.method === 'sayHello')
              .map(c => c.arg)
              .sort(),
            fleet.v1.calls.map(c => c.arg).sort(),
            'v2 saw the same calls as v1',
          );
          // Mirrored replies must never reach the client, even late: one more call still answers normally.
          await sleep(100);
          assert.equal(await hello.client.whoami(), versionTag('v1'));
          assert.equal(fleet.v1.count(), 21);
        } finally {
          await hello.close();
        }
      },
    );

    test('a service without a MetaRouter is served by all its endpoints', { timeout: 15000 }, async () => {
      const hello = await connect(`no-router-${label}`, stack);
      try {
        const seen = new Set<string>();
        for (let i = 0; i < 40; i++) seen.add(await hello.client.whoami());
        assert.deepEqual([...seen].sort(), [versionTag('v1'), versionTag('v2')]);
      } finally {
        await hello.close();
      }
    });

    test(
      'consistent hash on the method: one method always reaches the same endpoint',
      { timeout: 15000 },
      async () => {
        const connections = await Promise.all([0, 1].map(() => connect(`hash-method-${label}`, stack)));
        try {
          const where = new Set<string>();
          for (let i = 0; i < 50; i++) {
            const reply = await connections[i % 2]!.client.sayHello('hash');
            where.add(reply.replace(/^Hello hash, from /, ''));
          }
          assert.equal(where.size, 1, `sayHello reached ${[...where].join(', ')}`);
          assert.ok(
            [versionTag('v1-a'), versionTag('v1-b')].includes([...where][0]!),
            'only subset v1 serves',
          );
        } finally {
          await Promise.all(connections.map(c => c.close()));
        }
      },
    );
  });
}

describe(`${stackLabel(HEADER)}: THeader info headers`, () => {
  const label = stackLabel(HEADER);

  test(
    'THeader headers route requests, and mutations are written into THeader headers',
    { timeout: 15000 },
    async () => {
      const fleet = fleets.get(label)!;
      fleet.v1.reset();
      fleet.v2.reset();
      const hello = await connect(`mutate-${label}`, HEADER);
      try {
        const gold = await hello.callWithHeaders({ 'x-tenant': 'gold' }, c => c.headers());
        assert.equal(gold.replyHeaders['x-served-by'], versionTag('v1'), 'routed by x-tenant to v1');
        assert.equal(gold.value['x-tenant'], 'gold', 'the client header reaches the server');
        assert.equal(gold.value['x-mesh-env'], 'canary', 'request mutation seen by the server');
        assert.equal(gold.value['x-mesh-tier'], 'gold', 'request mutation seen by the server');
        assert.equal(
          gold.replyHeaders['x-mesh-route'],
          'gold-tenant',
          'response mutation seen by the client',
        );

        const hi = await hello.callWithHeaders({ 'x-tenant': 'gold' }, c => c.sayHello('gold-user'));
        assert.equal(hi.value, `Hello gold-user, from ${versionTag('v1')}`);
        assert.equal(hi.replyHeaders['x-mesh-route'], 'gold-tenant');
        const recorded = fleet.v1.calls.find(c => c.method === 'sayHello');
        assert.equal(recorded?.headers['x-mesh-env'], 'canary');

        const silver = await hello.callWithHeaders({ 'x-tenant': 'silver' }, c => c.headers());
        assert.equal(silver.replyHeaders['x-served-by'], versionTag('v2'), 'other tenants go to v2');
        assert.equal(silver.value['x-tenant'], 'silver');
        assert.equal(silver.value['x-mesh-env'], undefined, 'no mutation on the other route');
        assert.equal(
          silver.replyHeaders['x-mesh-route'],
          undefined,
          'no response mutation on the other route',
        );
      } finally {
        await hello.close();
      }
    },
  );

  test(
    'consistent hash on a THeader header: a key always reaches the same endpoint',
    { timeout: 15000 },
    async () => {
      const hello = await connect(`hash-header-${label}`, HEADER);
      try {
        const whoFor = async (user: string): Promise<string> =>
          (await hello.callWithHeaders({ 'x-user-id': user }, c => c.whoami())).value;
        const first = await whoFor('user-0');
        for (let i = 0; i < 50; i++) assert.equal(await whoFor('user-0'), first, 'user-0 moved');

        const endpointsUsed = new Set<string>([first]);
        for (let u = 1; u < 16; u++) {
          const where = await whoFor(`user-${u}`);
          for (let i = 0; i < 3; i++) assert.equal(await whoFor(`user-${u}`), where, `user-${u} moved`);
          endpointsUsed.add(where);
        }
        // 16 keys over 2 endpoints: all on one would happen with probability 2^-15 under a good hash.
        assert.deepEqual([...endpointsUsed].sort(), [versionTag('v1-a'), versionTag('v1-b')]);
      } finally {
        await hello.close();
      }
    },
  );
});
