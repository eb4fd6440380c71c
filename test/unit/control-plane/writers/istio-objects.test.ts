/**
 * Istio mode's writer against the API stand-in, with the real client: the EnvoyFilters and gateway
 * VirtualServices of the original's metaprotocol-gateway scenario and the bootstrap ConfigMaps are
 * created with field manager `aeraki`; a second round writes nothing; a changed object is replaced
 * (with the resourceVersion read) and only it; objects no longer wanted are deleted, others' objects
 * are never touched; the original's unlabelled ConfigMap is adopted; an inactive writer (a follower)
 * writes nothing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../../../src/control-plane/index.js';
import { KubeClient } from '../../../../src/control-plane/sources/kubernetes/kube-client.js';
import {
  BOOTSTRAP_CONFIG_MAP,
  BOOTSTRAP_KEY,
  bootstrapConfigMaps,
  type BootstrapOptions,
} from '../../../../src/control-plane/translate/istio/bootstrap-config.js';
import { translateIstio } from '../../../../src/control-plane/translate/istio/index.js';
import {
  FIELD_MANAGER,
  IstioObjectWriter,
  type DesiredObject,
  type DesiredObjects,
} from '../../../../src/control-plane/writers/istio-objects.js';
import { TestCluster } from '../../../kubernetes-stand-in/index.js';
import { CONFIG_FIXTURES } from '../fixtures.js';

const BOOTSTRAP: BootstrapOptions = {
  xdsCluster: 'aeraki-xds',
  xdsAddress: 'aeraki.aeraki-system',
  xdsPort: 15010,
  tls: false,
};

let cluster: TestCluster;
let translated: DesiredObjects;

const namespace = (name: string, labels: Record<string, string> = {}): Record<string, unknown> => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});

before(async () => {
  cluster = await TestCluster.start({ aerakiCrds: false });
  for (const ns of ['istio-system', 'meta-thrift']) cluster.create(namespace(ns));
  cluster.create(namespace('shop', { 'istio-injection': 'enabled' }));
  cluster.create(namespace('pay', { 'istio.io/rev': 'canary' }));
  cluster.create(namespace('batch', { 'istio-injection': 'disabled', 'istio.io/rev': 'canary' }));
  const loaded = await loadConfig(join(CONFIG_FIXTURES, 'istio', 'metaprotocol-gateway', 'config'));
  const translation = translateIstio(loaded.config, {}, loaded.index);
  assert.ok(translation.envoyFilters.length >= 2, 'the scenario has EnvoyFilters');
  assert.equal(translation.virtualServices.length, 1);
  const namespaces = ['shop', 'pay', 'batch', 'istio-system'].map(name =>
    cluster.api.get('', 'namespaces', undefined, name)!,
  );
  translated = {
    EnvoyFilter: translation.envoyFilters,
    VirtualService: translation.virtualServices,
    ConfigMap: bootstrapConfigMaps(namespaces as never, BOOTSTRAP),
  };
  assert.deepEqual(
    translated.ConfigMap.map(c => c.metadata.namespace),
    ['pay', 'shop'],
    'injected namespaces only (istio-injection=disabled wins over a revision)',
  );
});
after(async () => {
  await cluster.stop();
});

let desired: DesiredObjects;
let writer: IstioObjectWriter;

beforeEach(() => {
  desired = translated;
  writer = new IstioObjectWriter({
    client: KubeClient.load({ kubeconfig: cluster.kubeconfigPath }),
    logger: pino({ enabled: false }),
    desired: () => desired,
    debounce: { quietPeriodMs: 0, maxDelayMs: 0 },
    resyncMs: 0,
  });
});

/** The write requests (anything but reads) made from index `from` on. */
function writesSince(from: number): { method: string; path: string; query: Record<string, string> }[] {
  return cluster.api.requests.slice(from).filter(r => r.method !== 'GET');
}

/** Activates the writer (a leader) and waits for its first round. */
async function lead(): Promise<void> {
  const settled = writer.whenSettled();
  writer.setActive(true);
  await settled;
}

async function round(): Promise<void> {
  const settled = writer.whenSettled();
  writer.changed();
  await settled;
}

function envoyFilters(ns: string): string[] {
  return cluster.api.store
    .list('envoyfilters.networking.istio.io')
    .filter(o => o.metadata['namespace'] === ns)
    .map(o => String(o.metadata['name']))
    .sort();
}

describe('IstioObjectWriter', () => {
  test('creates everything once, then writes nothing while nothing changes', async () => {
    const from = cluster.api.requests.length;
    await lead();
    const writes = writesSince(from);
    const total =
      translated.EnvoyFilter.length + translated.VirtualService.length + translated.ConfigMap.length;
    assert.equal(writes.length, total);
    assert.ok(writes.every(w => w.method === 'POST' && w.query['fieldManager'] === FIELD_MANAGER));
    assert.deepEqual(writer.last, { created: total, updated: 0, deleted: 0, unchanged: 0, failed: 0 });
    for (const filter of translated.EnvoyFilter) {
      const stored = cluster.api.get(
        'networking.istio.io',
        'envoyfilters',
        filter.metadata.namespace,
        filter.metadata.name,
      );
      assert.deepEqual(stored?.['spec'], filter.spec, filter.metadata.name);
      assert.equal((stored?.metadata['labels'] as Record<string, string> | undefined)?.['manager'], 'Aeraki');
    }
    const configMap = cluster.api.get('', 'configmaps', 'shop', BOOTSTRAP_CONFIG_MAP);
    const bootstrap = JSON.parse(String((configMap?.['data'] as Record<string, string>)[BOOTSTRAP_KEY]));
    assert.equal(bootstrap.static_resources.clusters[0].name, 'aeraki-xds');

    const again = cluster.api.requests.length;
    await round();
    await round();
    assert.deepEqual(writesSince(again), [], 'nothing written when nothing changed');
    assert.equal(writer.last?.unchanged, total);
    writer.stop();
  });

  test('replaces only what changed, deletes what is no longer wanted, leaves others’ objects alone', async () => {
    cluster.create({
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'EnvoyFilter',
      metadata: { name: 'someone-elses', namespace: 'istio-system' },
      spec: { configPatches: [] },
    });
    await lead();
    const [first, ...rest] = translated.EnvoyFilter;
    assert.ok(first !== undefined);
    const changed: DesiredObject = {
      ...first,
      spec: { ...(first.spec as object), priority: 10 },
    };
    const stored = cluster.api.get(
      'networking.istio.io',
      'envoyfilters',
      first.metadata.namespace,
      first.metadata.name,
    );
    const from = cluster.api.requests.length;
    desired = {
      ...translated,
      EnvoyFilter: [changed, ...rest.slice(1)],
      ConfigMap: translated.ConfigMap.slice(1),
    };
    await round();
    const writes = writesSince(from);
    assert.deepEqual(
      writes.map(w => `${w.method} ${w.path.split('/').slice(-3).join('/')}`),
      [
        `PUT ${first.metadata.namespace}/envoyfilters/${first.metadata.name}`,
        `DELETE ${rest[0]!.metadata.namespace}/envoyfilters/${rest[0]!.metadata.name}`,
        `DELETE ${translated.ConfigMap[0]!.metadata.namespace}/configmaps/${BOOTSTRAP_CONFIG_MAP}`,
      ],
    );
    assert.equal(writes[0]?.query['fieldManager'], FIELD_MANAGER);
    const replaced = cluster.api.get(
      'networking.istio.io',
      'envoyfilters',
      first.metadata.namespace,
      first.metadata.name,
    );
    assert.equal((replaced?.['spec'] as { priority?: number }).priority, 10);
    assert.equal(replaced?.metadata['uid'], stored?.metadata['uid'], 'replaced in place, not recreated');
    assert.ok(envoyFilters('istio-system').includes('someone-elses'));
    assert.ok(!envoyFilters(rest[0]!.metadata.namespace).includes(rest[0]!.metadata.name));
    writer.stop();
  });

  test('a hand edit is undone; the original’s unlabelled ConfigMap is adopted', async () => {
    desired = translated;
    await lead();
    const [filter] = translated.EnvoyFilter;
    const path = [
      'networking.istio.io',
      'envoyfilters',
      filter!.metadata.namespace,
      filter!.metadata.name,
    ] as const;
    const current = cluster.api.get(...path)!;
    cluster.api.createDirect({ ...current, spec: { configPatches: [] } });
    // The original's ConfigMap: same name, no label, its own (older) text.
    cluster.api.createDirect({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: BOOTSTRAP_CONFIG_MAP, namespace: 'pay' },
      data: { [BOOTSTRAP_KEY]: '{}' },
    });
    await round();
    assert.deepEqual(cluster.api.get(...path)?.['spec'], filter!.spec);
    const adopted = cluster.api.get('', 'configmaps', 'pay', BOOTSTRAP_CONFIG_MAP);
    assert.equal((adopted?.metadata['labels'] as Record<string, string> | undefined)?.['manager'], 'Aeraki');
    assert.deepEqual(adopted?.['data'], translated.ConfigMap.find(c => c.metadata.namespace === 'pay')?.data);
    assert.equal(writer.last?.updated, 2);
    writer.stop();
  });

  test('an inactive writer (a follower) writes nothing', async () => {
    desired = { ...translated, EnvoyFilter: [] };
    const from = cluster.api.requests.length;
    writer.changed();
    writer.setActive(false);
    writer.changed();
    await new Promise(resolve => setTimeout(resolve, 100));
    assert.deepEqual(writesSince(from), []);
  });
});
