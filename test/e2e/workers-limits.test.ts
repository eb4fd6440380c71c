/**
 * `aeraki up --workers 2`: circuit-breaker limits and outlier ejections hold for the whole proxy,
 * not per worker, with the real Apache Thrift client and servers. A burst of slow calls over
 * connections spread across both workers lets exactly the limit through to the upstream and gets the
 * over-limit reply for the rest, counted once; when one worker has all the calls, it borrows the
 * other's unused part and the limit is still the proxy's; consecutive errors seen by one worker eject
 * the host for both, until the ejection time is over.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  adminAddress,
  adminCluster,
  connectHello,
  createConfigDir,
  startAeraki,
  testAddress,
  thrift,
  type AdminCluster,
  type AerakiProcess,
  type ConfigDir,
  type ConfigDocument,
  type HelloConnection,
  type HelloServer,
  type ThriftStack,
  policyService,
} from './harness/index.js';

const ADDRESS = testAddress(81);
const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };
const SLOW_MS = 800;
const LIMIT = 4;

interface Service {
  readonly host: string;
  readonly port: number;
  readonly servers: HelloServer[];
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
    namespace: 'workers',
    address: ADDRESS,
    serverCount,
    trafficPolicy,
    stack: STACK,
  });
  services.set(name, created);
}

function svc(name: string): Service {
  const s = services.get(name);
  assert.ok(s !== undefined, `no service ${name}`);
  return s;
}

function clusterOf(name: string): string {
  return `outbound|${svc(name).port}||${svc(name).host}`;
}

before(
  async () => {
    const docs: ConfigDocument[] = [];
    await service(docs, 'spread', 1, { connectionPool: { http: { http2MaxRequests: LIMIT } } });
    await service(docs, 'borrow', 1, { connectionPool: { http: { http2MaxRequests: LIMIT } } });
    await service(docs, 'eject', 2, {
      outlierDetection: {
        consecutive5xxErrors: 2,
        interval: '100ms',
        baseEjectionTime: '2s',
        maxEjectionPercent: 50,
      },
    });
    config = await createConfigDir({ 'limits.yaml': docs });
    aeraki = await startAeraki(config.path, {
      extraArgs: ['--workers', '2'],
      listeners: [...services.values()].map(s => ({ host: ADDRESS, port: s.port })),
    });
  },
  { timeout: 60000 },
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

interface WorkerInfo {
  readonly index: number;
  readonly adminPort: number;
}

async function getJson<T>(at: string, path: string): Promise<T> {
  const response = await fetch(`http://${at}${path}`);
  assert.equal(response.status, 200, `GET ${path}`);
  return (await response.json()) as T;
}

async function workers(): Promise<WorkerInfo[]> {
  return getJson<WorkerInfo[]>(adminAddress(aeraki!), '/workers');
}

/** Connections accepted so far on `name`'s listener, by each worker (its own admin API). */
async function acceptedByWorker(name: string): Promise<number[]> {
  const counts: number[] = [];
  for (const w of await workers()) {
    const listeners = await getJson<{ name: string; stats: { cxTotal: number } }[]>(
      `127.0.0.1:${w.adminPort}`,
      '/listeners',
    );
    counts.push(listeners.find(l => l.name === `${ADDRESS}_${svc(name).port}`)?.stats.cxTotal ?? 0);
  }
  return counts;
}

/** A fresh connection to `name`, and the worker that took it. */
async function connectTracked(name: string): Promise<{ connection: HelloConnection; worker: number }> {
  const before = await acceptedByWorker(name);
  const connection = await connectHello(ADDRESS, svc(name).port, { stack: STACK });
  connections.push(connection);
  // The worker takes the connection from the primary asynchronously: wait until one counts it.
  const deadline = Date.now() + 5000;
  for (;;) {
    const now = await acceptedByWorker(name);
    const worker = now.findIndex((n, i) => n > before[i]!);
    if (worker >= 0) return { connection, worker };
    assert.ok(Date.now() < deadline, 'no worker counted the connection');
    await sleep(20);
  }
}

/** Cluster `name` as one worker alone sees it. */
async function workerCluster(worker: number, name: string): Promise<AdminCluster> {
  const w = (await workers())[worker]!;
  const clusters = await getJson<AdminCluster[]>(`127.0.0.1:${w.adminPort}`, '/clusters');
  const cluster = clusters.find(c => c.name === clusterOf(name));
  assert.ok(cluster !== undefined, `worker ${worker} has cluster ${clusterOf(name)}`);
  return cluster;
}

function assertOverLimit(err: unknown): void {
  assert.ok(err instanceof thrift.Thrift.TApplicationException, String(err));
  assert.match(err.message, new RegExp(`circuit breaker open: ${LIMIT} requests already in flight`));
}

describe('two workers, one proxy', () => {
  test(`http2MaxRequests ${LIMIT}: of 10 slow calls over both workers exactly ${LIMIT} reach the upstream`, async () => {
    const [server] = svc('spread').servers;
    const conns: HelloConnection[] = [];
    const byWorker = [0, 0];
    for (let i = 0; i < 10; i++) {
      const { connection, worker } = await connectTracked('spread');
      conns.push(connection);
      byWorker[worker]!++;
    }
    assert.ok(
      byWorker.every(n => n > 0),
      `connections on both workers: ${byWorker}`,
    );
    const results = await Promise.allSettled(conns.map((c, i) => c.client.slow(SLOW_MS, `s${i}`)));
    const served = results.filter(r => r.status === 'fulfilled');
    assert.equal(served.length, LIMIT);
    assert.equal(server!.count('slow'), LIMIT, 'the upstream saw exactly the limit');
    for (const r of results) if (r.status === 'rejected') assertOverLimit(r.reason);
    const cluster = await adminCluster(aeraki!, clusterOf('spread'));
    assert.equal(cluster.stats['rqOverflow'], 10 - LIMIT, 'each refusal counted once');
    assert.equal(cluster.stats['rqActive'], 0);
    assert.deepEqual(cluster.circuitBreakers, {
      maxConnections: 1024,
      maxPendingRequests: 1024,
      maxRequests: LIMIT,
    });
  });

  test('one worker with all the calls borrows the idle part of the other; the limit is the proxy’s', async () => {
    const [server] = svc('borrow').servers;
    const a = await connectTracked('borrow');
    const b = await connectTracked('borrow');
    assert.notEqual(a.worker, b.worker, 'two fresh connections go to the two workers in turn');
    // Worker a's even part is 2: its first two calls use it up, and it asks for more at once.
    const first = [0, 1].map(i => a.connection.client.slow(SLOW_MS, `a${i}`));
    await sleep(200);
    // Worker b holds its part unused: a has it now, so its third and fourth calls are admitted.
    const second = [2, 3].map(i => a.connection.client.slow(SLOW_MS, `a${i}`));
    await sleep(100);
    // The proxy has 4 in flight: one more, on either worker, is over the limit.
    const over = await Promise.allSettled([
      a.connection.client.slow(SLOW_MS, 'a-over'),
      b.connection.client.slow(SLOW_MS, 'b-over'),
    ]);
    for (const r of over) {
      assert.equal(r.status, 'rejected');
      assertOverLimit(r.reason);
    }
    assert.equal((await Promise.all([...first, ...second])).length, 4);
    assert.equal(server!.count('slow'), LIMIT);
    // Idle again, the part a borrowed goes back once unused for a second: a call on b is admitted.
    await sleep(2000);
    assert.match(await b.connection.client.slow(1, 'b-after'), /^b-after@borrow-0$/);
    const cluster = await adminCluster(aeraki!, clusterOf('borrow'));
    assert.equal(cluster.stats['rqOverflow'], 2);
  });

  test('consecutive errors seen by one worker eject the host for both, until the ejection time is over', async () => {
    const [good, bad] = svc('eject').servers;
    const a = await connectTracked('eject');
    const b = await connectTracked('eject');
    assert.notEqual(a.worker, b.worker);
    bad!.failing = true;
    // Worker a alone sees the errors (round robin alternates the two servers): 2 in a row eject.
    let errors = 0;
    for (let i = 0; i < 10 && errors < 2; i++) {
      try {
        await a.connection.client.sayHello(`a${i}`);
      } catch (err) {
        assert.match(String(err), /failed \(from eject-1\)/);
        errors++;
      }
    }
    assert.equal(errors, 2);
    const badKey = `${bad!.host}:${bad!.port}`;
    const deadline = Date.now() + 2000;
    while (!(await workerCluster(b.worker, 'eject')).hosts.find(h => h.address === badKey)?.ejected) {
      assert.ok(Date.now() < deadline, 'worker b never ejected the host');
      await sleep(20);
    }
    // Calls through worker b no longer reach the ejected host: no errors, all from the good server.
    const badBefore = bad!.count('sayHello');
    for (let i = 0; i < 10; i++)
      assert.match(await b.connection.client.sayHello(`b${i}`), /^Hello b\d, from eject-0$/);
    assert.equal(bad!.count('sayHello'), badBefore);
    const cluster = await adminCluster(aeraki!, clusterOf('eject'));
    assert.equal(cluster.stats['outlierEjectionsTotal'], 1, 'one ejection, counted once');
    assert.equal(cluster.stats['outlierEjectionsActive'], 1);
    void good;

    // The host recovers; after its 2 s ejection, both workers send to it again.
    bad!.failing = false;
    const back = Date.now() + 6000;
    for (const worker of [a.worker, b.worker]) {
      while ((await workerCluster(worker, 'eject')).hosts.find(h => h.address === badKey)?.ejected) {
        assert.ok(Date.now() < back, `worker ${worker} never took the host back`);
        await sleep(100);
      }
    }
    const before = bad!.count('sayHello');
    for (let i = 0; i < 4; i++) {
      await a.connection.client.sayHello(`a-back${i}`);
      await b.connection.client.sayHello(`b-back${i}`);
    }
    assert.equal(bad!.count('sayHello') - before, 4, 'round robin in each worker includes it again');
  });
});
