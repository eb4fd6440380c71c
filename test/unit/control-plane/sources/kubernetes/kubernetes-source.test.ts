/**
 * The Kubernetes source against the API server stand-in, driven by the real @kubernetes/client-node:
 * the golden configs read through the API translate exactly as from files; Services become
 * ServiceEntries; lists page, watches resume after a restart, 410 Gone lists again, and no update is
 * lost on the way.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { loadConfig, translate } from '../../../../../src/control-plane/index.js';
import { admitObjects } from '../../../../../src/control-plane/model/object-admission.js';
import { FileSource } from '../../../../../src/control-plane/sources/file-source.js';
import { KubeClient } from '../../../../../src/control-plane/sources/kubernetes/kube-client.js';
import { KubernetesSource } from '../../../../../src/control-plane/sources/kubernetes/kubernetes-source.js';
import { WATCHED_KINDS } from '../../../../../src/control-plane/sources/kubernetes/kinds.js';
import type { SourceSnapshot } from '../../../../../src/control-plane/sources/config-source.js';
import { TestCluster } from '../../../../kubernetes-stand-in/index.js';
import { CONFIG_FIXTURES } from '../../fixtures.js';

const logger = pino({ enabled: false });
const FAST = { initialMs: 20, maxMs: 200 };

function sourceFor(cluster: TestCluster, options: { pageSize?: number } = {}): KubernetesSource {
  return new KubernetesSource({
    client: KubeClient.load({ kubeconfig: cluster.kubeconfigPath }),
    logger,
    backoff: FAST,
    debounceMs: 10,
    maxDelayMs: 50,
    ...options,
  });
}

/** Resolves with the first snapshot `accept` takes, watching `source`. */
function nextSnapshot(
  source: KubernetesSource,
  accept: (s: SourceSnapshot) => boolean,
  timeoutMs = 5000,
): Promise<SourceSnapshot> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      watch.close();
      reject(new Error(`no matching snapshot within ${timeoutMs} ms`));
    }, timeoutMs);
    const watch = source.watch(s => {
      if (!accept(s)) return;
      clearTimeout(timer);
      resolve(s);
    });
  });
}

const names = (s: SourceSnapshot): string[] => s.documents.map(d => d.file);

function metaRouter(name: string, subset: string): Record<string, unknown> {
  return {
    apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
    kind: 'MetaRouter',
    metadata: { name, namespace: 'default' },
    spec: {
      hosts: ['svc.default.svc.cluster.local'],
      routes: [{ name: 'r', route: [{ destination: { host: 'svc.default.svc.cluster.local', subset } }] }],
    },
  };
}

function subsetOf(s: SourceSnapshot, name: string): string | undefined {
  const doc = s.documents.find(d => d.file === `k8s://MetaRouter/default/${name}`);
  const spec = (
    doc?.data as { spec?: { routes?: Array<{ route?: Array<{ destination?: { subset?: string } }> }> } }
  )?.spec;
  return spec?.routes?.[0]?.route?.[0]?.destination?.subset;
}

describe('golden configs through the Kubernetes API', () => {
  const GOLDEN = join(CONFIG_FIXTURES, 'golden');
  for (const name of readdirSync(GOLDEN).sort()) {
    test(`${name}: the same translation and issues as from files`, async () => {
      const dir = join(GOLDEN, name);
      const fromFiles = await loadConfig(dir);
      const cluster = await TestCluster.start();
      try {
        const files = await new FileSource(dir).list();
        for (const document of files.documents) cluster.create(document.data as Record<string, unknown>);
        const source = sourceFor(cluster);
        const snapshot = await source.list();
        await source.close();
        const fromApi = admitObjects(snapshot).loaded;
        // The API serves every object at the version read (networking.istio.io/v1), whatever it was written in.
        const strip = (issues: typeof fromFiles.issues) =>
          issues
            .map(i => `${i.severity} ${i.kind} ${i.name} ${i.field} ${i.rule}: ${i.message}`)
            .map(text => text.replace(/networking\.istio\.io\/v\w+/g, 'networking.istio.io/*'))
            .sort();
        assert.deepEqual(strip(fromApi.issues), strip(fromFiles.issues), relative(GOLDEN, dir));
        assert.deepEqual(
          JSON.parse(JSON.stringify(translate(fromApi.config))),
          JSON.parse(JSON.stringify(translate(fromFiles.config))),
        );
      } finally {
        await cluster.stop();
      }
    });
  }
});

describe('KubernetesSource', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start({ bookmarkIntervalMs: 100 });
  });
  after(async () => {
    await cluster.stop();
  });

  test('a Service with a tcp-thrift port and its EndpointSlices is a ServiceEntry; a ServiceEntry for its host wins', async () => {
    cluster.create(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'hello', namespace: 'shop' },
        spec: {
          clusterIP: '127.0.0.30',
          ports: [
            { name: 'tcp-thrift-hello', port: 9090 },
            { name: 'http', port: 80 },
          ],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'shop' },
        spec: { clusterIP: '127.0.0.31', ports: [{ name: 'http', port: 80 }] },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'hello-abc', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'hello' } },
        addressType: 'IPv4',
        ports: [{ name: 'tcp-thrift-hello', port: 19090 }],
        endpoints: [
          { addresses: ['127.0.0.1'], conditions: { ready: true } },
          { addresses: ['127.0.0.2'], conditions: { ready: false } },
          { addresses: ['127.0.0.3'] },
        ],
      },
    );
    const source = sourceFor(cluster);
    try {
      const snapshot = await source.list();
      const entry = snapshot.documents.find(d => d.file === 'k8s://Service/shop/hello');
      assert.ok(entry !== undefined, names(snapshot).join(', '));
      assert.deepEqual((entry.data as { spec: unknown }).spec, {
        hosts: ['hello.shop.svc.cluster.local'],
        addresses: ['127.0.0.30'],
        ports: [{ number: 9090, name: 'tcp-thrift-hello', protocol: 'TCP' }],
        resolution: 'STATIC',
        location: 'MESH_INTERNAL',
        endpoints: [
          { address: '127.0.0.1', ports: { 'tcp-thrift-hello': 19090 } },
          { address: '127.0.0.3', ports: { 'tcp-thrift-hello': 19090 } },
        ],
      });
      assert.ok(
        !names(snapshot).includes('k8s://Service/shop/web'),
        'a Service without a mesh port is left out',
      );

      const explicit = nextSnapshot(source, s => !names(s).includes('k8s://Service/shop/hello'));
      cluster.create({
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { name: 'hello-explicit', namespace: 'shop' },
        spec: {
          hosts: ['hello.shop.svc.cluster.local'],
          addresses: ['127.0.0.30'],
          ports: [{ number: 9090, name: 'tcp-thrift-hello', protocol: 'TCP' }],
          resolution: 'STATIC',
          endpoints: [{ address: '127.0.0.1', ports: { 'tcp-thrift-hello': 19090 } }],
        },
      });
      const after = await explicit;
      assert.ok(names(after).includes('k8s://ServiceEntry/shop/hello-explicit'));
    } finally {
      await source.close();
    }
  });

  test('lists in pages with continue tokens and watches with bookmarks from the list version', async () => {
    for (let i = 0; i < 5; i++) cluster.create(metaRouter(`paged-${i}`, 'v1'));
    const before = cluster.api.requests.length;
    const source = sourceFor(cluster, { pageSize: 2 });
    try {
      const snapshot = await source.list();
      for (let i = 0; i < 5; i++) assert.ok(names(snapshot).includes(`k8s://MetaRouter/default/paged-${i}`));
      const requests = cluster.api.requests.slice(before).filter(r => r.path.endsWith('/metarouters'));
      const lists = requests.filter(r => r.query['watch'] === undefined);
      assert.ok(lists.length >= 3, `${lists.length} pages`);
      assert.ok(lists.every(r => r.query['limit'] === '2'));
      assert.ok(lists.slice(1).every(r => r.query['continue'] !== undefined));
      // The watch starts from the list's version and asks for bookmarks.
      const changed = nextSnapshot(source, s => subsetOf(s, 'paged-0') === 'v2');
      await until(() =>
        cluster.api.requests.some(r => r.path.endsWith('/metarouters') && r.query['watch'] === 'true'),
      );
      cluster.api.createDirect({ ...metaRouter('paged-9', 'v1') });
      replace(cluster, 'paged-0', 'v2');
      await changed;
      const watch = cluster.api.requests.find(
        r => r.path.endsWith('/metarouters') && r.query['watch'] === 'true',
      );
      assert.equal(watch?.query['allowWatchBookmarks'], 'true');
      assert.ok(Number(watch?.query['resourceVersion']) > 0);
      // Bookmarks carry the resume point past changes of other kinds (here a new Namespace).
      const other = cluster.api.createDirect({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'unrelated' },
      });
      const revision = Number(other.metadata.resourceVersion);
      const metaRouters = () => source.state().kinds.find(k => k.kind === 'MetaRouter');
      await until(() => Number(metaRouters()?.resourceVersion) >= revision, 3000);
    } finally {
      await source.close();
    }
  });

  test('the API server restarted: the last objects stay, the watch resumes from its version and sees what changed meanwhile', async () => {
    cluster.create(metaRouter('restart', 'v1'));
    const source = sourceFor(cluster);
    try {
      await source.list();
      const seen: SourceSnapshot[] = [];
      const watch = source.watch(s => seen.push(s));
      await sleep(300);
      const lists = cluster.api.requests.filter(
        r => r.path.endsWith('/metarouters') && r.query['watch'] === undefined,
      ).length;
      await cluster.api.stop();
      replace(cluster, 'restart', 'v2'); // written while no watch is open
      await sleep(300);
      assert.ok(
        source.state().kinds.every(k => k.synced),
        'still synced while the server is away',
      );
      await cluster.api.start();
      await until(() => seen.some(s => subsetOf(s, 'restart') === 'v2'), 5000);
      watch.close();
      const listsAfter = cluster.api.requests.filter(
        r => r.path.endsWith('/metarouters') && r.query['watch'] === undefined,
      ).length;
      assert.equal(listsAfter, lists, 'resumed by watching from the last version, without a list');
    } finally {
      await source.close();
    }
  });

  test('410 Gone (history compacted while watching): lists again and loses no update', async () => {
    cluster.create(metaRouter('expire', 'v1'));
    const source = sourceFor(cluster);
    try {
      await source.list();
      const seen: SourceSnapshot[] = [];
      const watch = source.watch(s => seen.push(s));
      await until(() => cluster.api.openWatches >= 5).catch(err => {
        throw new Error(`${cluster.api.openWatches} watches open: ${String(err)}`);
      });
      await cluster.api.stop();
      replace(cluster, 'expire', 'v2');
      cluster.api.expireWatches(); // compaction: the version the watch would resume from is gone
      await cluster.api.start();
      await until(() => seen.some(s => subsetOf(s, 'expire') === 'v2'), 5000);
      const state = source.state().kinds.find(k => k.kind === 'MetaRouter');
      assert.ok((state?.expired ?? 0) >= 1, JSON.stringify(state));
      // And while connected: every open watch ends with 410 Gone.
      cluster.api.expireWatches();
      replace(cluster, 'expire', 'v3');
      await until(() => seen.some(s => subsetOf(s, 'expire') === 'v3'), 5000);
      watch.close();
    } finally {
      await source.close();
    }
  });

  test('Secrets are read only when config refers to them, each by name, and follow the references', async () => {
    // A kind that refers to Secrets (as RedisDestination's auth does): here MetaRouter's gateways.
    const referring = WATCHED_KINDS.map(k =>
      k.kind === 'MetaRouter'
        ? {
            ...k,
            secretReferences: (o: { spec?: unknown }) => (o.spec as { gateways?: string[] }).gateways ?? [],
          }
        : k,
    );
    cluster.create(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'wanted', namespace: 'default' },
        data: { password: 'eA==' },
      },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unrelated', namespace: 'default' }, data: {} },
    );
    const source = new KubernetesSource({
      client: KubeClient.load({ kubeconfig: cluster.kubeconfigPath }),
      logger,
      backoff: FAST,
      debounceMs: 10,
      maxDelayMs: 50,
      kinds: referring,
    });
    try {
      const before = await source.list();
      assert.ok(!names(before).some(n => n.startsWith('k8s://Secret/')));
      const referred = nextSnapshot(source, s => names(s).includes('k8s://Secret/default/wanted'));
      cluster.create({
        ...metaRouter('with-secret', 'v1'),
        spec: { ...(metaRouter('x', 'v1')['spec'] as object), gateways: ['wanted'] },
      });
      const after = await referred;
      assert.ok(!names(after).includes('k8s://Secret/default/unrelated'));
      const secretWatches = cluster.api.requests.filter(r => r.path === '/api/v1/namespaces/default/secrets');
      assert.ok(
        secretWatches.length > 0 &&
          secretWatches.every(r => r.query['fieldSelector'] === 'metadata.name=wanted'),
      );
      const dropped = nextSnapshot(source, s => !names(s).includes('k8s://Secret/default/wanted'));
      cluster.create({ ...metaRouter('with-secret', 'v1') });
      await dropped;
    } finally {
      await source.close();
    }
  });

  test('a kind whose CRD is not installed counts as empty, and is read once the CRD appears', async () => {
    const bare = await TestCluster.start({ aerakiCrds: false });
    try {
      const source = sourceFor(bare);
      const snapshot = await source.list();
      assert.equal(source.state().kinds.find(k => k.kind === 'MetaRouter')?.served, false);
      assert.deepEqual(names(snapshot), []);
      const later = nextSnapshot(source, s => names(s).includes('k8s://MetaRouter/default/late'), 8000);
      const { aerakiCrds } = await import('../../../../../src/control-plane/sources/kubernetes/crds.js');
      for (const crd of aerakiCrds()) bare.api.createDirect(crd as never);
      bare.create(metaRouter('late', 'v1'));
      await later;
      await source.close();
    } finally {
      await bare.stop();
    }
  });
});

function replace(cluster: TestCluster, name: string, subset: string): void {
  const current = cluster.api.get('metaprotocol.aeraki.io', 'metarouters', 'default', name);
  assert.ok(current !== undefined);
  cluster.api.createDirect({ ...current, spec: metaRouter(name, subset)['spec'] });
}

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
