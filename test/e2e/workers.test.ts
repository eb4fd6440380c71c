/**
 * `aeraki up --workers 2`: two worker processes serve every listener, with the real Apache Thrift
 * client and servers. What must hold for the proxy as a whole, whichever worker a connection lands
 * on: the local rate limit's acceptance numbers (exactly 2 of 10 sayHello calls, as in
 * rate-limits.test.ts, here over ten connections spread across both workers), metrics that count
 * every request once, route flips under load that lose no call and leave no worker on the old route,
 * a killed worker replaced while the other one keeps its connections and keeps serving, and the Redis
 * proxy (a Debian redis-server upstream, ioredis clients) served by both workers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import {
  adminAddress,
  connectHello,
  createConfigDir,
  destination,
  exactMatch,
  freePort,
  metaRouter,
  parseExposition,
  pick,
  renameOver,
  startAeraki,
  startVersionedHelloServers,
  testAddress,
  thrift,
  toYaml,
  versionTag,
  versionedThriftService,
  type AerakiProcess,
  type ConfigDir,
  type ConfigDocument,
  type HelloConnection,
  type HelloServer,
  type ThriftStack,
} from './harness/index.js';
import { RedisServer } from './harness/redis-server.js';
import { redisEntry, redisService } from './harness/redis-config.js';

const ADDRESS = testAddress(80);
const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };
const SERVICES = ['limited', 'counted', 'flipped', 'steady'];

const ports = new Map<string, number>();
let v1: HelloServer | undefined;
let v2: HelloServer | undefined;
let store: RedisServer | undefined;
let redisPort = 0;
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;
let admin = '';

function hostOf(name: string): string {
  return `${name}.workers.svc.cluster.local`;
}

function routeTo(name: string, subset: 'v1' | 'v2'): ConfigDocument {
  return metaRouter({
    name,
    host: hostOf(name),
    routes: [{ name: 'all', route: [destination(hostOf(name), subset)] }],
  });
}

/** The acceptance numbers of the original: 5 per minute, sayHello 2 per minute. */
const LOCAL_LIMIT = {
  tokenBucket: { fillInterval: '60s', maxTokens: 5, tokensPerFill: 5 },
  conditions: [
    {
      match: exactMatch({ method: 'sayHello' }),
      tokenBucket: { fillInterval: '60s', maxTokens: 2, tokensPerFill: 2 },
    },
  ],
};

before(
  async () => {
    [v1, v2] = await startVersionedHelloServers(STACK);
    store = await RedisServer.start();
    for (const name of SERVICES) ports.set(name, await freePort(ADDRESS));
    redisPort = await freePort(ADDRESS);
    const limited = routeTo('limited', 'v1');
    config = await createConfigDir({
      'services.yaml': SERVICES.flatMap(name =>
        versionedThriftService({
          name,
          host: hostOf(name),
          address: ADDRESS,
          port: ports.get(name)!,
          v1: v1!,
          v2: v2!,
        }),
      ),
      'routes.yaml': [
        { ...limited, spec: { ...(limited['spec'] as object), localRateLimit: LOCAL_LIMIT } },
        routeTo('counted', 'v1'),
        routeTo('steady', 'v1'),
      ],
      'flipped.yaml': [routeTo('flipped', 'v1')],
      'redis.yaml': [
        redisEntry({ name: 'cache', addresses: [ADDRESS], port: redisPort, endpoints: [] }),
        redisEntry({ name: 'store', port: 6379, endpoints: [store] }),
        redisService({ name: 'cache', host: 'cache', redis: [{ route: { host: 'store' } }] }),
      ],
    });
    aeraki = await startAeraki(config.path, {
      extraArgs: ['--workers', '2'],
      listeners: [
        ...SERVICES.map(name => ({ host: ADDRESS, port: ports.get(name)! })),
        { host: ADDRESS, port: redisPort },
      ],
    });
    admin = adminAddress(aeraki);
  },
  { timeout: 60000 },
);

after(
  async () => {
    await aeraki?.stop();
    await Promise.all([v1?.close(), v2?.close(), store?.stop()]);
    await config?.remove();
  },
  { timeout: 15000 },
);

interface WorkerInfo {
  readonly index: number;
  readonly pid: number;
  readonly ready: boolean;
  readonly adminPort?: number;
  readonly restarts: number;
}

async function getJson<T>(path: string, at = admin): Promise<T> {
  const response = await fetch(`http://${at}${path}`);
  assert.equal(response.status, 200, `GET ${path}`);
  return (await response.json()) as T;
}

async function workers(): Promise<WorkerInfo[]> {
  return getJson<WorkerInfo[]>('/workers');
}

/** Connections accepted so far on `service`'s listener, by one worker's own admin API. */
async function acceptedBy(worker: WorkerInfo, service: string): Promise<number> {
  const listeners = await getJson<{ name: string; stats: { cxTotal: number } }[]>(
    '/listeners',
    `127.0.0.1:${worker.adminPort}`,
  );
  return listeners.find(l => l.name === `${ADDRESS}_${ports.get(service)}`)?.stats.cxTotal ?? 0;
}

/** `count` fresh connections to `service`: the primary deals them to the workers in turn. */
async function connectMany(service: string, count: number): Promise<HelloConnection[]> {
  const connections: HelloConnection[] = [];
  for (let i = 0; i < count; i++) {
    connections.push(await connectHello(ADDRESS, ports.get(service)!, { stack: STACK }));
  }
  return connections;
}

async function closeAll(connections: readonly HelloConnection[]): Promise<void> {
  await Promise.all(connections.map(c => c.close()));
}

/** Whether a call failed with the local rate limit's reply (anything else fails the test). */
async function rateLimited(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return false;
  } catch (err) {
    assert.ok(
      err instanceof thrift.Thrift.TApplicationException,
      `not a TApplicationException: ${String(err)}`,
    );
    assert.match(err.message, /local rate limit: \w+ has been rate limited/);
    return true;
  }
}

describe('two workers', () => {
  test('both workers start and take connections', async () => {
    const list = await workers();
    assert.equal(list.length, 2);
    assert.ok(list.every(w => w.ready && w.adminPort !== undefined && w.restarts === 0));
    assert.notEqual(list[0]!.pid, list[1]!.pid);
  });

  test('the local rate limit holds for the proxy: exactly 2 of 10 sayHello calls over 10 connections', async () => {
    const connections = await connectMany('limited', 10);
    try {
      let passed = 0;
      for (const c of connections) if (!(await rateLimited(() => c.client.sayHello('limited')))) passed++;
      assert.equal(passed, 2);
      // Other methods draw from the default bucket of 5.
      let whoami = 0;
      for (const c of connections) if (!(await rateLimited(() => c.client.whoami()))) whoami++;
      assert.equal(whoami, 5);
      // The connections were spread over both workers, so both drew from the one bucket.
      for (const w of await workers()) assert.ok((await acceptedBy(w, 'limited')) >= 1, `worker ${w.index}`);
      const listeners = await getJson<{ name: string; filters: Record<string, unknown> }[]>('/listeners');
      const limited = listeners.find(l => l.name === `${ADDRESS}_${ports.get('limited')}`);
      assert.deepEqual(limited?.filters['aeraki.meta_protocol.filters.local_ratelimit'], {
        ok: 7,
        rate_limited: 13,
      });
    } finally {
      await closeAll(connections);
    }
  });

  test('/stats/prometheus counts every request once, whichever worker served it', async () => {
    const labels = { destination_service: hostOf('counted'), response_code: '0' };
    const requests = async (): Promise<number> => {
      const response = await fetch(`http://${admin}/stats/prometheus`);
      const samples = parseExposition(await response.text());
      return pick(samples, 'istio_requests_total', labels).reduce((sum, s) => sum + s.value, 0);
    };
    const before = await requests();
    const connections = await connectMany('counted', 8);
    try {
      for (let round = 0; round < 5; round++) {
        await Promise.all(connections.map(c => c.client.sayHello(`count ${round}`)));
      }
    } finally {
      await closeAll(connections);
    }
    assert.equal((await requests()) - before, 40);
    // /stats, the same as JSON: samples of one series added up across workers, by their labels.
    const stats =
      await getJson<{ name: string; values: { labels: Record<string, string>; value: number }[] }[]>(
        '/stats',
      );
    const json = stats
      .find(m => m.name === 'istio_requests_total')
      ?.values.filter(v => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
      .reduce((sum, v) => sum + v.value, 0);
    assert.equal(json, await requests());
    // The xDS counters are the primary's (the workers hold no xDS connection).
    const samples = parseExposition(await (await fetch(`http://${admin}/stats/prometheus`)).text());
    assert.ok(pick(samples, 'envoy_cluster_manager_cds_update_success', {})[0]!.value >= 1);
    // And each worker did its share of them.
    for (const w of await workers()) assert.ok((await acceptedBy(w, 'counted')) >= 1, `worker ${w.index}`);
  });

  test('/tap streams the requests of both workers, and ends after limit records', async () => {
    const listener = `${ADDRESS}_${ports.get('counted')}`;
    const tap = await fetch(`http://${admin}/tap?listener=${listener}&limit=6`);
    assert.equal(tap.status, 200);
    const text = tap.text();
    // One tap for the proxy, counted once every worker has attached it (as a proxy of one process).
    const deadline = Date.now() + 10000;
    for (;;) {
      const listeners = await getJson<{ name: string; taps: number }[]>('/listeners');
      if (listeners.find(l => l.name === listener)?.taps === 1) break;
      assert.ok(Date.now() < deadline, 'the taps were not attached within 10 s');
      await sleep(20);
    }
    const connections = await connectMany('counted', 6);
    try {
      await Promise.all(connections.map((c, i) => c.client.sayHello(`tapped ${i}`)));
    } finally {
      await closeAll(connections);
    }
    const lines = (await text)
      .trim()
      .split('\n')
      .map(l => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines[0], { tapping: [listener] });
    assert.equal(lines.length, 7, 'the "tapping" line once, then the 6 records');
  });

  test('route flips under load lose no call, and no worker stays on the old route', async () => {
    const connections = await connectMany('flipped', 6);
    const file = `${config!.path}/flipped.yaml`;
    let stop = false;
    const calls: { started: number; version: string }[] = [];
    const failures: unknown[] = [];
    const load = connections.map(async c => {
      while (!stop) {
        const started = Date.now();
        try {
          calls.push({ started, version: await c.client.whoami() });
        } catch (err) {
          failures.push(err);
        }
      }
    });
    try {
      const flips: { version: 'v1' | 'v2'; renamedAt: number; seenAt: number }[] = [];
      for (const version of ['v2', 'v1', 'v2', 'v1'] as const) {
        await sleep(600);
        const tag = versionTag(version);
        const renamedAt = Date.now();
        await renameOver(file, toYaml([routeTo('flipped', version)]));
        const deadline = Date.now() + 10000;
        while (!calls.some(c => c.started >= renamedAt && c.version === tag)) {
          assert.ok(Date.now() < deadline, `the proxy did not route to ${version} within 10 s`);
          await sleep(10);
        }
        flips.push({ version, renamedAt, seenAt: Date.now() });
      }
      await sleep(600);
      stop = true;
      await Promise.all(load);
      assert.deepEqual(failures, []);
      // Once the new route answered on some connection (some worker), the calls that start later get
      // it on every connection: a worker left on the old route would answer some from the old
      // version. The grace covers the calls already on their way when the new route was seen (they
      // finish on their old route) and the moment the other worker needs for the same update.
      const graceMs = 200;
      for (let i = 0; i < flips.length; i++) {
        const { version, seenAt } = flips[i]!;
        const until = flips[i + 1]?.renamedAt ?? Infinity;
        const stale = calls.filter(
          c => c.started >= seenAt + graceMs && c.started < until && c.version !== versionTag(version),
        );
        assert.deepEqual(stale, [], `calls after the flip to ${version}`);
      }
      assert.ok(calls.length >= 50, `only ${calls.length} calls ran`);
    } finally {
      stop = true;
      await Promise.all(load);
      await closeAll(connections);
    }
  });

  test('a killed worker is replaced; the other keeps its connections and serves throughout', async () => {
    const before = await workers();
    const connections = await connectMany('steady', 6);
    let stop = false;
    const outcomes = connections.map(() => ({ ok: 0, failed: 0 }));
    const load = connections.map(async (c, i) => {
      while (!stop && !c.isClosed) {
        try {
          await c.client.sayHello('steady');
          outcomes[i]!.ok++;
        } catch {
          outcomes[i]!.failed++;
          break;
        }
      }
    });
    try {
      await sleep(300);
      const victim = before[0]!;
      process.kill(victim.pid, 'SIGKILL');
      // A replacement starts in the same position, with the config in force.
      const deadline = Date.now() + 30000;
      let now = await workers();
      while (!(now[0]!.pid !== victim.pid && now[0]!.ready && now[0]!.restarts === 1)) {
        assert.ok(Date.now() < deadline, `no replacement worker within 30 s: ${JSON.stringify(now)}`);
        await sleep(100);
        now = await workers();
      }
      assert.equal(now[1]!.pid, before[1]!.pid, 'the other worker is the same process');
      const servedAt = outcomes.map(o => o.ok);
      await sleep(500);
      stop = true;
      await Promise.all(load);
      // The dead worker's connections closed; the other worker's kept serving, without an error.
      const survivors = connections.map((c, i) => ({ c, o: outcomes[i]!, i })).filter(x => !x.c.isClosed);
      assert.ok(
        survivors.length >= 1 && survivors.length < connections.length,
        `${survivors.length} survived`,
      );
      for (const { o, i } of survivors) {
        assert.equal(o.failed, 0);
        assert.ok(o.ok > servedAt[i]!, `connection ${i} kept serving after the replacement`);
      }
      // New connections reach both workers again, the new one included.
      const fresh = await connectMany('steady', 4);
      try {
        const answers = await Promise.all(fresh.map(c => c.client.sayHello('fresh')));
        assert.equal(answers.length, 4);
        assert.ok((await acceptedBy(now[0]!, 'steady')) >= 1, 'the replacement took connections');
      } finally {
        await closeAll(fresh);
      }
    } finally {
      stop = true;
      await Promise.all(load);
      await closeAll(connections);
    }
  });

  test('the Redis proxy is served by both workers', async () => {
    const clients = Array.from(
      { length: 4 },
      () => new Redis({ host: ADDRESS, port: redisPort, lazyConnect: true }),
    );
    try {
      for (const c of clients) await c.connect();
      await Promise.all(clients.map((c, i) => c.set(`workers:${i}`, `value ${i}`)));
      for (let i = 0; i < clients.length; i++) {
        assert.equal(await store!.cli('GET', `workers:${i}`), `value ${i}`);
        assert.equal(await clients[(i + 1) % clients.length]!.get(`workers:${i}`), `value ${i}`);
      }
      for (const w of await workers()) {
        const listeners = await getJson<{ name: string; protocol: string; connections: number }[]>(
          '/listeners',
          `127.0.0.1:${w.adminPort}`,
        );
        const redis = listeners.find(l => l.protocol === 'redis');
        assert.ok((redis?.connections ?? 0) >= 1, `worker ${w.index} serves Redis clients`);
      }
    } finally {
      for (const c of clients) c.disconnect();
    }
  });

  // Last: it stops the proxy.
  test('SIGTERM: calls in flight on both workers finish, then the primary and every worker exit', async () => {
    const pids = (await workers()).map(w => w.pid);
    const connections = await connectMany('steady', 4);
    const calls = connections.map((c, i) => c.client.slow(800, `drain ${i}`));
    await sleep(200);
    const signalled = Date.now();
    process.kill(aeraki!.pid, 'SIGTERM');
    const answers = await Promise.all(calls);
    assert.deepEqual(answers.length, 4);
    await Promise.race([aeraki!.waitExit(), sleep(10_000)]);
    assert.equal(aeraki!.exit?.code, 0, 'the primary exited with 0');
    // The drain time is 2 s and the primary exits 1 s after it at the latest; generous here.
    assert.ok(Date.now() - signalled < 8000, `exited ${Date.now() - signalled} ms after SIGTERM`);
    for (const pid of pids) {
      assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `worker ${pid} is gone`);
    }
    await closeAll(connections);
  });
});
