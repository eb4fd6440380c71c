/**
 * Istio mode on the API stand-in with two control-plane replicas (`--kubernetes --istio
 * --leader-elect`), each with a service-account token of its own so that the stand-in tells their
 * requests apart. The original's MetaProtocol-Dubbo e2e objects are applied as its test applies them
 * (ServiceEntries without addresses): the leader alone writes the ServiceEntries' 240.240.x.y
 * addresses, the EnvoyFilters (the golden set of that scenario, placed by the MetaRouter's exportTo)
 * and the bootstrap ConfigMaps of the injected namespaces; the follower writes nothing; a config
 * change moves the EnvoyFilters; once the leader is gone the other replica takes over and deletes the
 * filters nothing asks for. Both replicas serve the route tables over RouteDiscoveryService, and
 * `aeraki explain --istio --control-plane` explains a request with them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';
import { RDS_METHOD_PATH } from '../../../src/control-plane/server/index.js';
import { decodeResources, TypeUrls } from '../../../src/xds/index.js';
import { TestCluster } from '../../kubernetes-stand-in/index.js';
import { RawAdsClient } from '../../unit/control-plane/server/raw-ads-client.js';
import { CONFIG_FIXTURES } from '../../unit/control-plane/fixtures.js';
import { runAeraki } from '../harness/index.js';
import { startKubeControlPlane, type KubeControlPlane } from './kube-mesh.js';

const SCENARIO = join(CONFIG_FIXTURES, 'istio', 'metaprotocol-dubbo');
const HOST = 'org.apache.dubbo.samples.basic.api.demoservice';
const LEASE_MS = 2000;
const IDENTITIES = ['cp-a', 'cp-b'] as const;

let cluster: TestCluster;
const replicas = new Map<string, KubeControlPlane>();

function documents(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text)
    .map(d => d.toJSON() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null);
}

/** The scenario's config as the original's test applies it: ServiceEntries without addresses. */
function scenarioObjects(): Record<string, unknown>[] {
  const dir = join(SCENARIO, 'config');
  return readdirSync(dir)
    .sort()
    .flatMap(f => documents(readFileSync(join(dir, f), 'utf8')))
    .map(o => {
      if (o['kind'] !== 'ServiceEntry') return o;
      const { addresses: _, ...spec } = o['spec'] as Record<string, unknown>;
      return { ...o, spec };
    });
}

type Named = { metadata: { namespace?: string; name: string } };
const key = (o: Named): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function stored(plural: string, group = 'networking.istio.io'): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const o of cluster.api.store.list(`${plural}${group === '' ? '' : `.${group}`}`))
    out.set(key(o as unknown as Named), o as Record<string, unknown>);
  return out;
}

function holder(): string {
  const lease = cluster.api.get('coordination.k8s.io', 'leases', 'aeraki-system', 'aeraki-leader');
  return String((lease?.['spec'] as { holderIdentity?: string } | undefined)?.holderIdentity ?? '');
}

/** Who wrote (anything but GET) to `plural`, by user. */
function writers(plural: string): Set<string> {
  const ours = (path: string): boolean => path.endsWith(`/${plural}`) || path.includes(`/${plural}/`);
  return new Set(cluster.api.requests.filter(r => r.method !== 'GET' && ours(r.path)).map(r => r.user));
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
}

async function untilAsync(what: string, probe: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

before(
  async () => {
    cluster = await TestCluster.start();
    const ns = (name: string, labels: Record<string, string> = {}): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels },
    });
    cluster.create(
      ns('aeraki-system'),
      ns('istio-system'),
      ns('metaprotocol', { 'istio-injection': 'enabled' }),
    );
    cluster.create(...scenarioObjects());
    for (const identity of IDENTITIES) {
      const token = cluster.api.issueToken({
        username: `system:serviceaccount:aeraki-system:${identity}`,
        uid: identity,
        groups: ['system:serviceaccounts'],
      });
      const kubeconfig = join(cluster.dir, `kubeconfig-${identity}`);
      cluster.api.kubeconfig(kubeconfig, token);
      replicas.set(
        identity,
        await startKubeControlPlane(cluster, [
          '--kubeconfig',
          kubeconfig,
          '--istio',
          '--xds-address',
          'aeraki.aeraki-system:15010',
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
  },
  { timeout: 60000 },
);

after(
  async () => {
    await Promise.all([...replicas.values()].map(r => r.process.stop()));
    await cluster?.stop();
  },
  { timeout: 20000 },
);

const userOf = (identity: string): string => `system:serviceaccount:aeraki-system:${identity}`;

test('the leader alone writes the addresses, the golden EnvoyFilters and the bootstrap ConfigMaps', async () => {
  const expected = documents(readFileSync(join(SCENARIO, 'expected.yaml'), 'utf8')) as unknown as (Named & {
    spec: unknown;
  })[];
  await until(
    'the golden EnvoyFilters',
    () => {
      const filters = stored('envoyfilters');
      return (
        filters.size === expected.length &&
        expected.every(e => JSON.stringify(filters.get(key(e))?.['spec']) === JSON.stringify(e.spec))
      );
    },
    20000,
  );
  const addresses = [...stored('serviceentries').values()].map(
    se =>
      `${String((se['metadata'] as Named['metadata']).name)} ${String((se['spec'] as { addresses?: string[] }).addresses)}`,
  );
  assert.deepEqual(addresses.sort(), ['dubbo-demoservice 240.240.0.1', 'dubbo-secondservice 240.240.0.2']);
  const configMap = await until(
    'the bootstrap ConfigMap',
    () => cluster.api.get('', 'configmaps', 'metaprotocol', 'aeraki-bootstrap-config'),
    10000,
  );
  const bootstrap = JSON.parse(
    String((configMap['data'] as Record<string, string>)['custom_bootstrap.json']),
  );
  assert.deepEqual(
    bootstrap.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint,
    {
      address: { socket_address: { address: 'aeraki.aeraki-system', port_value: 15010 } },
    },
  );
  assert.equal(cluster.api.get('', 'configmaps', 'istio-system', 'aeraki-bootstrap-config'), undefined);

  const leader = holder();
  assert.ok((IDENTITIES as readonly string[]).includes(leader));
  for (const plural of ['envoyfilters', 'serviceentries', 'configmaps'])
    assert.deepEqual([...writers(plural)], [userOf(leader)], `${plural} written by the leader only`);
  const efWrites = cluster.api.requests.filter(r => r.method !== 'GET' && r.path.includes('/envoyfilters'));
  assert.ok(efWrites.every(r => r.query['fieldManager'] === 'aeraki'));
});

test('both replicas serve the route tables over RDS; aeraki explain reads them from the control plane', async () => {
  for (const replica of replicas.values()) {
    const client = new RawAdsClient(
      replica.xdsPort,
      'sidecar~10.0.0.9~consumer.metaprotocol~metaprotocol.svc.cluster.local',
      RDS_METHOD_PATH,
    );
    try {
      const name = `${HOST}_20880`;
      // Served once the replica has read the addresses back (the ServiceEntry is served with them).
      await untilAsync('the route table served', async () => {
        const snapshot = (await (await fetch(`http://${replica.admin}/snapshot`)).json()) as {
          routes?: { name: string }[];
        } | null;
        return snapshot?.routes?.some(r => r.name === name) === true;
      });
      client.send({ type_url: TypeUrls.routeConfiguration, resource_names: [name] });
      const response = await client.next(10000);
      const decoded = decodeResources(response.resources);
      assert.deepEqual(decoded.errors, []);
      assert.deepEqual(
        decoded.routes.map(r => r.name),
        [name],
      );
      assert.equal(decoded.routes[0]?.routes[0]?.name, 'v1');
    } finally {
      client.close();
    }
  }
  const admin = replicas.get(IDENTITIES[0])!.admin;
  const result = await runAeraki([
    'explain',
    HOST,
    '--attr',
    'method=sayHello',
    '--istio',
    '--control-plane',
    admin,
    '--json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as {
    routeTable: string;
    matched?: { route: string; destinations: { cluster: string }[] };
  };
  assert.equal(report.routeTable, `${HOST}_20880`);
  assert.equal(report.matched?.route, 'v1');
  assert.deepEqual(
    report.matched?.destinations.map(d => d.cluster),
    [`outbound|20880|v1|${HOST}`],
  );
});

test('a config change moves the filters; the next leader takes over and deletes what nobody asks for', async () => {
  const first = holder();
  // Without the MetaRouter's exportTo, the filters go to the root namespace.
  const deleted = await cluster.kubectl([
    'delete',
    'metarouter',
    '-n',
    'metaprotocol',
    'test-metaprotocol-route',
  ]);
  assert.equal(deleted.code, 0, deleted.stderr);
  await until(
    'filters in the root namespace only',
    () => {
      const namespaces = new Set([...stored('envoyfilters').keys()].map(k => k.split('/')[0]));
      return namespaces.size === 1 && namespaces.has('istio-system');
    },
    20000,
  );
  assert.deepEqual([...writers('envoyfilters')], [userOf(first)]);

  // The leader goes away (releasing the Lease); an object of ours that nothing asks for appears.
  await replicas.get(first)!.process.stop();
  replicas.delete(first);
  cluster.create({
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: {
      name: 'aeraki-outbound-gone-240.240.9.9-1',
      namespace: 'istio-system',
      labels: { manager: 'Aeraki' },
    },
    spec: { configPatches: [] },
  });
  const next = IDENTITIES.find(i => i !== first)!;
  await until('the other replica leads', () => holder() === next, LEASE_MS * 5);
  await until(
    'the stray filter deleted',
    () => !stored('envoyfilters').has('istio-system/aeraki-outbound-gone-240.240.9.9-1'),
    15000,
  );
  assert.ok(writers('envoyfilters').has(userOf(next)));
});
