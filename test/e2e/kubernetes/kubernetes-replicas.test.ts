/**
 * Two control-plane replicas on the API stand-in, each serving a proxy: both serve xDS, the holder of
 * the Lease writes each MetaRouter's status (accepted or invalid with the rule broken, its
 * observedGeneration, and the proxies of both replicas that run it); the leader killed, the other
 * replica takes the Lease within the lease time and writes the next status, while both proxies keep
 * serving.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connectHello,
  destination,
  freePort,
  metaRouter,
  startVersionedHelloServers,
  testAddress,
  toYaml,
  versionTag,
  versionedThriftService,
  type AerakiProcess,
  type HelloConnection,
  type HelloServer,
  type ThriftStack,
} from '../harness/index.js';
import { TestCluster } from '../../kubernetes-stand-in/index.js';
import { startAerakiCommand } from '../harness/index.js';
import { startKubeControlPlane, type KubeControlPlane } from './kube-mesh.js';

const ADDRESS = testAddress(71);
const ADDRESS_B = testAddress(71, 2);
const HOST = 'hello.shop.svc.cluster.local';
const STACK: ThriftStack = { protocol: 'binary', transport: 'framed' };
const LEASE_MS = 2000;

let cluster: TestCluster;
let v1: HelloServer;
let v2: HelloServer;
let port: number;
const replicas = new Map<string, KubeControlPlane>();
const proxies: AerakiProcess[] = [];
const clients: HelloConnection[] = [];

interface Status {
  observedGeneration?: number;
  proxies?: number;
  conditions?: Array<{
    type: string;
    status: string;
    reason: string;
    message: string;
    observedGeneration: number;
  }>;
}

function status(name: string): Status | undefined {
  return cluster.api.get('metaprotocol.aeraki.io', 'metarouters', 'shop', name)?.['status'] as
    Status | undefined;
}

function holder(): string {
  const lease = cluster.api.get('coordination.k8s.io', 'leases', 'aeraki-system', 'aeraki-leader');
  return String((lease?.['spec'] as { holderIdentity?: string } | undefined)?.holderIdentity ?? '');
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

function router(subset: string): string {
  return toYaml([
    metaRouter({
      name: 'hello',
      namespace: 'shop',
      host: HOST,
      routes: [{ name: subset, route: [destination(HOST, subset)] }],
    }),
  ]);
}

async function kubectl(args: string[], input?: string): Promise<void> {
  const result = await cluster.kubectl(args, input === undefined ? {} : { input });
  assert.equal(result.code, 0, `kubectl ${args.join(' ')}:\n${result.stderr}`);
}

before(
  async () => {
    cluster = await TestCluster.start();
    [v1, v2] = await startVersionedHelloServers(STACK);
    port = await freePort(ADDRESS);
    const service = versionedThriftService({ name: 'hello', host: HOST, address: ADDRESS, port, v1, v2 }).map(
      d => ({
        ...d,
        metadata: { ...(d['metadata'] as object), namespace: 'shop' },
      }),
    );
    const namespaces =
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: aeraki-system\n';
    await kubectl(['apply', '-f', '-'], `${namespaces}---\n${toYaml(service)}---\n${router('v1')}`);
    for (const identity of ['cp-a', 'cp-b']) {
      replicas.set(
        identity,
        await startKubeControlPlane(cluster, [
          '--leader-elect',
          '--lease',
          'aeraki-system/aeraki-leader',
          '--lease-duration',
          `${LEASE_MS}ms`,
          '--identity',
          identity,
        ]),
      );
    }
    // One proxy per replica; the second listens on an address of its own.
    for (const [i, identity] of ['cp-a', 'cp-b'].entries()) {
      const address = i === 0 ? ADDRESS : ADDRESS_B;
      proxies.push(
        await startAerakiCommand(
          [
            'proxy',
            '--xds',
            `127.0.0.1:${replicas.get(identity)!.xdsPort}`,
            '--node-id',
            `proxy-${identity}`,
            '--admin',
            '127.0.0.1:0',
            ...(i === 0 ? [] : ['--listen-address', address]),
          ],
          'proxy started; waiting for config',
          { listeners: [{ host: address, port }] },
        ),
      );
      clients.push(await connectHello(address, port, { stack: STACK }));
    }
  },
  { timeout: 60000 },
);

after(
  async () => {
    await Promise.all(clients.map(c => c.close()));
    await Promise.all(proxies.map(p => p.stop()));
    await Promise.all([...replicas.values()].map(r => r.process.stop()));
    await Promise.all([v1?.close(), v2?.close()]);
    await cluster?.stop();
  },
  { timeout: 20000 },
);

test('the leader writes status: accepted, its observedGeneration, and the proxies of both replicas', async () => {
  const written = await until(
    'status with both proxies',
    () => {
      const s = status('hello');
      return s?.proxies === 2 && s.observedGeneration === 1 ? s : undefined;
    },
    10000,
  );
  assert.deepEqual(
    written.conditions?.map(c => [c.type, c.status, c.reason, c.observedGeneration]),
    [['Accepted', 'True', 'Accepted', 1]],
  );
  assert.ok(['cp-a', 'cp-b'].includes(holder()));
  // kubectl shows the CRD's printer columns.
  const printed = await cluster.kubectl(['get', 'metarouters', '-n', 'shop']);
  assert.equal(printed.code, 0, printed.stderr);
  const [header, row] = printed.stdout
    .trim()
    .split('\n')
    .map(line => line.trim().split(/\s+/));
  assert.deepEqual(header, ['NAME', 'HOSTS', 'ACCEPTED', 'PROXIES', 'AGE']);
  assert.deepEqual(row?.slice(0, 4), ['hello', `[${HOST}]`, 'True', '2']);
});

test('a MetaRouter that breaks a rule (written past any webhook) is Invalid with the rule, and the rest serves', async () => {
  cluster.create({
    apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
    kind: 'MetaRouter',
    metadata: { name: 'split', namespace: 'shop' },
    spec: {
      hosts: [HOST],
      routes: [{ name: 'split', route: [destination(HOST, 'v1', 60), destination(HOST, 'v2', 30)] }],
    },
  });
  const invalid = await until(
    'Invalid status',
    () => status('split')?.conditions?.find(c => c.status === 'False'),
    10000,
  );
  assert.equal(invalid.reason, 'Invalid');
  assert.match(invalid.message, /rule weights-sum-100/);
  assert.match(invalid.message, /nothing of it is served/);
  assert.equal(status('split')?.proxies, 0);
  for (const client of clients) assert.equal(await client.client.whoami(), versionTag('v1'));
});

test('the leader killed: the other replica takes the Lease within the lease time and writes, proxies keep serving', async () => {
  const leader = holder();
  const survivor = leader === 'cp-a' ? 'cp-b' : 'cp-a';
  const survivorClient = clients[survivor === 'cp-a' ? 0 : 1]!;
  const orphanClient = clients[survivor === 'cp-a' ? 1 : 0]!;
  const failures: string[] = [];
  let calls = 0;
  let running = true;
  const load = (async () => {
    while (running) {
      for (const client of clients) {
        try {
          await client.client.whoami();
          calls++;
        } catch (err) {
          failures.push(String(err));
        }
      }
      await sleep(5);
    }
  })();
  const killed = replicas.get(leader)!.process;
  process.kill(killed.pid, 'SIGKILL');
  await killed.waitExit();
  const killedAt = Date.now();
  await kubectl(['apply', '-f', '-'], router('v2'));
  await until('the survivor holds the Lease', () => holder() === survivor, LEASE_MS * 4);
  const tookOver = Date.now() - killedAt;
  // Once seen unrenewed for a lease duration, plus one retry period (lease/7) to notice.
  assert.ok(tookOver <= LEASE_MS + 1500, `took over after ${tookOver} ms`);
  const after = await until(
    'status of generation 2 by the new leader',
    () => {
      const s = status('hello');
      return s?.observedGeneration === 2 && s.proxies === 1 ? s : undefined;
    },
    10000,
  );
  assert.equal(after.conditions?.[0]?.status, 'True');
  assert.equal(
    await survivorClient.client.whoami(),
    versionTag('v2'),
    'the survivor’s proxy follows the edit',
  );
  assert.equal(
    await orphanClient.client.whoami(),
    versionTag('v1'),
    'the orphaned proxy keeps its last config',
  );
  running = false;
  await load;
  assert.deepEqual(failures, []);
  assert.ok(calls > 20, `${calls} calls`);
});
