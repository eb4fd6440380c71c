/**
 * Outlier detection from a DestinationRule, through `aeraki up`, with real Apache Thrift clients and
 * servers: an endpoint that starts failing — a server stopped (connect failures) or a server that
 * answers errors — is ejected after the configured number of failures in a row, the errors stop, the
 * admin API shows it ejected, and it is taken back once its ejection time is over. With consistent
 * hashing, the ejected endpoint's calls move to one other endpoint and stay there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  adminCluster,
  connectHello,
  createConfigDir,
  startAeraki,
  testAddress,
  thrift,
  type AdminHost,
  type AerakiProcess,
  type ConfigDir,
  type ConfigDocument,
  type HelloConnection,
  type HelloServer,
  type ThriftStack,
  policyService,
} from './harness/index.js';

const ADDRESS = testAddress(37);
const FRAMED: ThriftStack = { protocol: 'binary', transport: 'framed' };
/** Calls in a row that must all succeed once the failing endpoint is out. */
const AFTER_EJECTION = 30;

interface Service {
  readonly host: string;
  readonly port: number;
  readonly servers: HelloServer[];
  /** `address:port` of each server, as the admin API names endpoints (kept for stopped servers). */
  readonly keys: string[];
}

const services = new Map<string, Service>();
const connections: HelloConnection[] = [];
let aeraki: AerakiProcess | undefined;
let config: ConfigDir | undefined;

async function service(
  docs: ConfigDocument[],
  name: string,
  serverCount: number,
  trafficPolicy: ConfigDocument,
): Promise<void> {
  const created = await policyService(docs, {
    name,
    namespace: 'e2e',
    address: ADDRESS,
    serverCount,
    trafficPolicy,
    stack: FRAMED,
  });
  services.set(name, { ...created, keys: created.servers.map(s => `${s.host}:${s.port}`) });
}

function svc(name: string): Service {
  const s = services.get(name);
  assert.ok(s !== undefined, `no service ${name}`);
  return s;
}

async function connect(name: string): Promise<HelloConnection> {
  const c = await connectHello(ADDRESS, svc(name).port, { stack: FRAMED });
  connections.push(c);
  return c;
}

function clusterOf(name: string): string {
  return `outbound|${svc(name).port}||${svc(name).host}`;
}

async function hostView(name: string, index: number): Promise<AdminHost> {
  const cluster = await adminCluster(aeraki!, clusterOf(name));
  const key = svc(name).keys[index];
  const host = cluster.hosts.find(h => h.address === key);
  assert.ok(host !== undefined, `cluster ${cluster.name} lists ${key}`);
  return host;
}

/**
 * Calls sayHello until `AFTER_EJECTION` calls in a row succeed (at most `limit` calls) and returns
 * the errors seen before that and the servers that answered the successful run.
 */
async function callUntilHealthy(
  conn: HelloConnection,
  limit = 100,
): Promise<{ errors: unknown[]; servedBy: string[] }> {
  const errors: unknown[] = [];
  let servedBy: string[] = [];
  for (let i = 0; i < limit && servedBy.length < AFTER_EJECTION; i++) {
    try {
      const reply = await conn.client.sayHello(`c${i}`);
      servedBy.push(reply.replace(/^.*, from /, ''));
    } catch (err) {
      errors.push(err);
      servedBy = [];
    }
  }
  assert.equal(servedBy.length, AFTER_EJECTION, `errors did not stop: ${errors.length} errors`);
  return { errors, servedBy };
}

before(
  async () => {
    const docs: ConfigDocument[] = [];
    await service(docs, 'od-stopped', 3, {
      outlierDetection: {
        consecutive5xxErrors: 3,
        interval: '1s',
        baseEjectionTime: '1m',
        maxEjectionPercent: 50,
      },
    });
    await service(docs, 'od-errors', 2, {
      outlierDetection: {
        consecutive5xxErrors: 2,
        interval: '100ms',
        baseEjectionTime: '1s',
        maxEjectionPercent: 50,
      },
    });
    await service(docs, 'od-hash', 3, {
      loadBalancer: { consistentHash: { httpHeaderName: 'method' } },
      outlierDetection: {
        consecutive5xxErrors: 0,
        consecutiveGatewayErrors: 2,
        interval: '1s',
        baseEjectionTime: '1m',
        maxEjectionPercent: 34,
      },
    });
    config = await createConfigDir({ 'outliers.yaml': docs });
    aeraki = await startAeraki(config.path, {
      listeners: [...services.values()].map(s => ({ host: ADDRESS, port: s.port })),
    });
  },
  { timeout: 30000 },
);

after(
  async () => {
    await Promise.all(connections.map(c => c.close()));
    await aeraki?.stop();
    await Promise.all([...services.values()].flatMap(s => s.servers).map(s => s.close()));
    await config?.remove();
  },
  { timeout: 15000 },
);

describe('outlier detection', () => {
  test(
    'a stopped server is ejected after 3 connect failures in a row; then every call succeeds',
    { timeout: 20000 },
    async () => {
      const { servers } = svc('od-stopped');
      const conn = await connect('od-stopped');
      for (let i = 0; i < 6; i++) await conn.client.sayHello(`warm${i}`);
      assert.deepEqual(
        servers.map(s => s.count('sayHello')),
        [2, 2, 2],
        'round robin reaches every server',
      );
      const stopped = servers[2]!;
      await stopped.close();
      await sleep(100);

      const { errors, servedBy } = await callUntilHealthy(conn);
      // Round robin sends every third call to the stopped server: exactly 3 fail, then it is out.
      assert.equal(errors.length, 3);
      for (const err of errors) {
        assert.ok(err instanceof thrift.Thrift.TApplicationException, String(err));
        assert.match((err as Error).message, /aeraki: connection to .* (refused|failed|closed)/i);
      }
      assert.deepEqual([...new Set(servedBy)].sort(), ['od-stopped-0', 'od-stopped-1']);

      const view = await hostView('od-stopped', 2);
      assert.equal(view.ejected, true);
      assert.equal(view.healthy, false);
      assert.equal(view.ejections, 1);
      const until = Date.parse(view.ejectedUntil ?? '');
      assert.ok(until > Date.now() + 50_000, `ejected for about a minute, until ${view.ejectedUntil}`);
      const cluster = await adminCluster(aeraki!, clusterOf('od-stopped'));
      assert.equal(cluster.stats['outlierEjectionsActive'], 1);
      assert.equal(cluster.stats['outlierEjectionsTotal'], 1);
      assert.equal(cluster.stats['outlierEjectionsConsecutiveErrors'], 1);
      assert.equal(cluster.stats['cxConnectFail'], 3);
      for (const other of [0, 1]) assert.equal((await hostView('od-stopped', other)).ejected, false);
    },
  );

  test(
    'a server answering errors is ejected after 2 error replies, and taken back after its ejection time',
    { timeout: 20000 },
    async () => {
      const { servers } = svc('od-errors');
      const failing = servers[1]!;
      failing.failing = true;
      const conn = await connect('od-errors');
      const { errors, servedBy } = await callUntilHealthy(conn);
      assert.equal(errors.length, 2);
      // sayHello declares no exception, so the library answers the handler's error as an EXCEPTION
      // message: an error reply from the server itself, passed through to the client.
      for (const err of errors) {
        assert.ok(err instanceof thrift.Thrift.TApplicationException, String(err));
        assert.match((err as Error).message, /^c\d+ failed \(from od-errors-1\)$/);
      }
      assert.deepEqual([...new Set(servedBy)], ['od-errors-0']);
      const ejected = await hostView('od-errors', 1);
      assert.equal(ejected.ejected, true);
      assert.equal(ejected.consecutiveErrors, 0, 'counters restart at ejection');

      // The server recovers; after the 1 s ejection, the next 100 ms tick takes it back.
      failing.failing = false;
      const before = failing.count('sayHello');
      const deadline = Date.now() + 5000;
      while ((await hostView('od-errors', 1)).ejected) {
        assert.ok(Date.now() < deadline, 'the host was never taken back');
        await sleep(100);
      }
      for (let i = 0; i < 10; i++)
        assert.match(await conn.client.sayHello(`back${i}`), /^Hello back\d, from od-errors-\d$/);
      assert.equal(failing.count('sayHello') - before, 5, 'round robin includes it again');
      const cluster = await adminCluster(aeraki!, clusterOf('od-errors'));
      assert.equal(cluster.stats['outlierEjectionsActive'], 0);
      assert.equal(cluster.stats['outlierEjectionsTotal'], 1);
    },
  );

  test(
    'consistent hashing: the stopped server’s calls move to one other server after 2 gateway errors',
    { timeout: 20000 },
    async () => {
      const { servers } = svc('od-hash');
      const conn = await connect('od-hash');
      const first = (await conn.client.sayHello('who')).replace(/^.*, from /, '');
      const owner = servers.find(s => s.tag === first)!;
      await owner.close();
      await sleep(100);
      const { errors, servedBy } = await callUntilHealthy(conn);
      assert.equal(errors.length, 2);
      assert.equal(
        new Set(servedBy).size,
        1,
        `one server takes all of the method's calls: ${[...new Set(servedBy)]}`,
      );
      assert.notEqual(servedBy[0], first);
      const cluster = await adminCluster(aeraki!, clusterOf('od-hash'));
      assert.equal(cluster.lbPolicy, 'RING_HASH');
      assert.equal(cluster.stats['outlierEjectionsConsecutiveGatewayErrors'], 1);
      assert.equal((await hostView('od-hash', servers.indexOf(owner))).ejected, true);
    },
  );
});
