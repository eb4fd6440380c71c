/**
 * Local and global rate limits through `aeraki up`, with the real Apache Thrift client and server
 * and, for the global limit, a gRPC rate-limit service (the suite's stand-in for Envoy's reference
 * service, see harness/rate-limit-service.ts). The acceptance numbers are the original's e2e tests:
 * a default bucket of 5 per minute plus 2 per minute for sayHello lets exactly 2 of 10 sayHello calls
 * through; a global limit of 5 per hour exactly 5 of 10. Also: denyOnFail with the service down, and
 * a route edit that must not refill a local bucket while a rate-limit edit must.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  adminAddress,
  connectHello,
  createConfigDir,
  destination,
  exactMatch,
  freePort,
  staticServiceEntry,
  startAeraki,
  startVersionedHelloServers,
  startRateLimitService,
  testAddress,
  thrift,
  versionedThriftService,
  type AerakiProcess,
  type ConfigDir,
  type ConfigDocument,
  type HelloConnection,
  type HelloServer,
  type RateLimitServiceStandIn,
  type ThriftStack,
} from './harness/index.js';

const ADDRESS = testAddress(30);
const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };
const RLS_HOST = 'ratelimit.e2e.svc.cluster.local';
const RLS_DOWN_HOST = 'ratelimit-down.e2e.svc.cluster.local';

const ports = new Map<string, number>();
let v1: HelloServer | undefined;
let v2: HelloServer | undefined;
let rls: RateLimitServiceStandIn | undefined;
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;
let admin = '';

function hostOf(name: string): string {
  return `${name}.e2e.svc.cluster.local`;
}

function router(name: string, spec: Record<string, unknown>): ConfigDocument {
  return {
    apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
    kind: 'MetaRouter',
    metadata: { name, namespace: 'default' },
    spec: { hosts: [hostOf(name)], ...spec },
  };
}

function service(name: string): ConfigDocument[] {
  const host = hostOf(name);
  return versionedThriftService({ name, host, address: ADDRESS, port: ports.get(name)!, v1: v1!, v2: v2! });
}

/** A rate-limit service entry: no listener, only the cluster outbound|<port>||<host>. */
function rateLimitServiceEntry(name: string, host: string, port: number): ConfigDocument {
  return staticServiceEntry(
    { name, host, addresses: [], port: 8081, endpoints: [{ address: '127.0.0.1', port, labels: {} }] },
    'grpc-ratelimit',
  );
}

const LOCAL_LIMIT = {
  tokenBucket: { fillInterval: '60s', maxTokens: 5, tokensPerFill: 5 },
  conditions: [
    {
      match: exactMatch({ method: 'sayHello' }),
      tokenBucket: { fillInterval: '60s', maxTokens: 2, tokensPerFill: 2 },
    },
  ],
};

function globalLimit(rateLimitService: string, denyOnFail: boolean): Record<string, unknown> {
  return {
    domain: 'production',
    match: exactMatch({ method: 'sayHello' }),
    rateLimitService,
    // Generous: a slow machine must not turn an answer into a failure, which would change the counts.
    requestTimeout: '2s',
    denyOnFail,
    descriptors: [{ property: 'method', descriptorKey: 'method' }],
  };
}

/** The routes of `edit`: a 50/50 or 20/80 split between v1 and v2; the local limit is 3 or 4 per minute. */
function editRouter(v1Weight: number, maxTokens: number): ConfigDocument {
  const host = hostOf('edit');
  return router('edit', {
    routes: [
      { name: 'split', route: [destination(host, 'v1', v1Weight), destination(host, 'v2', 100 - v1Weight)] },
    ],
    localRateLimit: { tokenBucket: { fillInterval: '60s', maxTokens, tokensPerFill: maxTokens } },
  });
}

const SERVICES = ['local', 'global', 'deny-on-fail', 'allow-on-fail', 'edit'];

before(
  async () => {
    [v1, v2] = await startVersionedHelloServers(STACK);
    rls = await startRateLimitService({
      domain: 'production',
      descriptors: [{ key: 'method', value: 'sayHello', rateLimit: { unit: 'hour', requestsPerUnit: 5 } }],
    });
    for (const name of SERVICES) ports.set(name, await freePort(ADDRESS));
    // Nothing listens there: the rate-limit service is down.
    const downPort = await freePort('127.0.0.1');
    const route = (name: string) => [{ name: 'all', route: [destination(hostOf(name), 'v1')] }];
    config = await createConfigDir({
      'services.yaml': [
        ...SERVICES.flatMap(service),
        rateLimitServiceEntry('ratelimit', RLS_HOST, rls.port),
        rateLimitServiceEntry('ratelimit-down', RLS_DOWN_HOST, downPort),
      ],
      'limits.yaml': [
        router('local', { routes: route('local'), localRateLimit: LOCAL_LIMIT }),
        router('global', {
          routes: route('global'),
          globalRateLimit: globalLimit(`outbound|8081||${RLS_HOST}`, true),
        }),
        router('deny-on-fail', {
          routes: route('deny-on-fail'),
          globalRateLimit: {
            ...globalLimit(`outbound|8081||${RLS_DOWN_HOST}`, true),
            requestTimeout: '200ms',
          },
        }),
        router('allow-on-fail', {
          routes: route('allow-on-fail'),
          globalRateLimit: {
            ...globalLimit(`outbound|8081||${RLS_DOWN_HOST}`, false),
            requestTimeout: '200ms',
          },
        }),
      ],
      'edit.yaml': [editRouter(50, 3)],
    });
    aeraki = await startAeraki(config.path, {
      listeners: SERVICES.map(name => ({ host: ADDRESS, port: ports.get(name)! })),
    });
    admin = adminAddress(aeraki);
  },
  { timeout: 40000 },
);

after(
  async () => {
    await aeraki?.stop();
    await Promise.all([v1?.close(), v2?.close(), rls?.stop()]);
    await config?.remove();
  },
  { timeout: 15000 },
);

async function connect(name: string): Promise<HelloConnection> {
  return connectHello(ADDRESS, ports.get(name)!, { stack: STACK });
}

interface Tally {
  ok: number;
  /** Messages of the TApplicationExceptions received. */
  rejected: string[];
}

/** Makes `count` calls in sequence; every call either succeeds or gets a TApplicationException. */
async function tally(count: number, call: () => Promise<unknown>): Promise<Tally> {
  const result: Tally = { ok: 0, rejected: [] };
  for (let i = 0; i < count; i++) {
    try {
      await call();
      result.ok++;
    } catch (err) {
      assert.ok(
        err instanceof thrift.Thrift.TApplicationException,
        `not a TApplicationException: ${String(err)}`,
      );
      result.rejected.push(err.message);
    }
  }
  return result;
}

async function adminJson(path: string): Promise<unknown> {
  const response = await fetch(`http://${admin}${path}`);
  return response.json();
}

/** The counters of a listener's filter, from the admin API. */
async function filterStats(name: string, filter: string): Promise<unknown> {
  const listeners = (await adminJson('/listeners')) as Array<{
    name: string;
    filters: Record<string, unknown>;
  }>;
  return listeners.find(l => l.name === `${ADDRESS}_${ports.get(name)}`)?.filters[filter];
}

/** Waits until the proxy runs a snapshot for which `ready` holds (bounded). */
async function waitForSnapshot(ready: (snapshot: unknown) => boolean): Promise<void> {
  const deadline = Date.now() + 10000;
  while (!ready(await adminJson('/config_dump'))) {
    assert.ok(Date.now() < deadline, 'the proxy did not get the edit within 10 s');
    await sleep(50);
  }
}

describe('local rate limit', () => {
  test('5 per minute, sayHello 2 per minute: exactly 2 of 10 sayHello calls pass', async () => {
    const hello = await connect('local');
    try {
      const sayHello = await tally(10, () => hello.client.sayHello('limited'));
      assert.equal(sayHello.ok, 2);
      assert.equal(sayHello.rejected.length, 8);
      for (const message of sayHello.rejected) {
        assert.match(message, /local rate limit: sayHello has been rate limited/);
      }
      // Other methods draw from the default bucket of 5.
      const whoami = await tally(10, () => hello.client.whoami());
      assert.equal(whoami.ok, 5);
      assert.equal(hello.isClosed, false, 'an over-limit reply keeps the connection open');
      assert.deepEqual(await filterStats('local', 'aeraki.meta_protocol.filters.local_ratelimit'), {
        ok: 7,
        rate_limited: 13,
      });
    } finally {
      await hello.close();
    }
  });
});

describe('global rate limit', () => {
  test('5 per hour at the rate-limit service: exactly 5 of 10 sayHello calls pass', async () => {
    const hello = await connect('global');
    try {
      rls!.reset();
      const sayHello = await tally(10, () => hello.client.sayHello('limited'));
      assert.equal(sayHello.ok, 5);
      for (const message of sayHello.rejected) {
        assert.match(
          message,
          /global rate limit: sayHello has been rate limited by the rate-limit service \(domain 'production'\)/,
        );
      }
      assert.equal(rls!.requests.length, 10);
      assert.deepEqual(rls!.requests[0], {
        domain: 'production',
        descriptors: [[{ key: 'method', value: 'sayHello' }]],
      });
      // Methods the match leaves out are not limited and never reach the service.
      const whoami = await tally(10, () => hello.client.whoami());
      assert.equal(whoami.ok, 10);
      assert.equal(rls!.requests.length, 10);
      assert.deepEqual(await filterStats('global', 'aeraki.meta_protocol.filters.ratelimit'), {
        ok: 5,
        over_limit: 5,
        error: 0,
        failure_mode_allowed: 0,
      });
    } finally {
      await hello.close();
    }
  });

  test('rate-limit service down, denyOnFail true: every matching call is rejected, naming the cause', async () => {
    const hello = await connect('deny-on-fail');
    try {
      const sayHello = await tally(5, () => hello.client.sayHello('x'));
      assert.equal(sayHello.ok, 0);
      for (const message of sayHello.rejected) {
        assert.match(
          message,
          new RegExp(
            `global rate limit: the rate-limit service \\(cluster 'outbound\\|8081\\|\\|${RLS_DOWN_HOST}'\\) did not answer: .*; denyOnFail rejects the request`,
          ),
        );
      }
      assert.equal((await tally(3, () => hello.client.whoami())).ok, 3, 'unmatched calls pass');
    } finally {
      await hello.close();
    }
  });

  test('rate-limit service down, denyOnFail false: every call passes', async () => {
    const hello = await connect('allow-on-fail');
    try {
      assert.equal((await tally(5, () => hello.client.sayHello('x'))).ok, 5);
      assert.deepEqual(await filterStats('allow-on-fail', 'aeraki.meta_protocol.filters.ratelimit'), {
        ok: 0,
        over_limit: 0,
        error: 5,
        failure_mode_allowed: 5,
      });
    } finally {
      await hello.close();
    }
  });
});

describe('config updates and local buckets', () => {
  test('a route-only edit keeps the bucket; a rate-limit edit starts a fresh one', async () => {
    const hello = await connect('edit');
    try {
      assert.equal((await tally(2, () => hello.client.whoami())).ok, 2, 'two of three tokens used');

      await config!.write('edit.yaml', [editRouter(20, 3)]);
      await waitForSnapshot(snapshot => {
        const routes = (snapshot as { routes: Array<{ name: string; routes: unknown[] }> }).routes;
        const table = routes.find(r => r.name === `${hostOf('edit')}_${ports.get('edit')}`);
        return JSON.stringify(table).includes('"weight":20');
      });
      const afterRouteEdit = await tally(3, () => hello.client.whoami());
      assert.equal(afterRouteEdit.ok, 1, 'only the token left before the edit');

      await config!.write('edit.yaml', [editRouter(20, 4)]);
      await waitForSnapshot(snapshot => JSON.stringify(snapshot).includes('"maxTokens":4'));
      const afterLimitEdit = await tally(6, () => hello.client.whoami());
      assert.equal(afterLimitEdit.ok, 4, 'a changed limit starts with a full bucket');
    } finally {
      await hello.close();
    }
  });
});
