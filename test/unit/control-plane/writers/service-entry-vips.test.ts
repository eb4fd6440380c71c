/**
 * ServiceEntry addresses from 240.240.0.0/16: the original's order (its unit test's figures), the
 * entries left alone, a duplicate taken from the younger entry, addresses read back from the entries
 * (a new leader reuses nothing in use and reclaims a deleted entry's address), and the write-back
 * against the API stand-in with field manager `aeraki`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { KubeClient, type KubeObject } from '../../../../src/control-plane/sources/kubernetes/kube-client.js';
import { FIELD_MANAGER } from '../../../../src/control-plane/writers/istio-objects.js';
import {
  assignVips,
  poolAddress,
  poolIndex,
  VipAllocator,
} from '../../../../src/control-plane/writers/service-entry-vips.js';
import { TestCluster } from '../../../kubernetes-stand-in/index.js';

function entry(
  name: string,
  spec: Record<string, unknown>,
  created = '2026-12-07T10:00:00Z',
  namespace = 'shop',
): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'ServiceEntry',
    metadata: { name, namespace, creationTimestamp: created },
    spec: {
      hosts: [`${name}.example`],
      ports: [{ number: 20880, name: 'tcp-metaprotocol-dubbo', protocol: 'TCP' }],
      resolution: 'STATIC',
      ...spec,
    },
  };
}

describe('pool addresses', () => {
  test('the original’s order: .0.1 first, last octet 1–254, then the next third octet', () => {
    assert.equal(poolAddress(0), '240.240.0.1');
    assert.equal(poolAddress(1), '240.240.0.2');
    assert.equal(poolAddress(253), '240.240.0.254');
    assert.equal(poolAddress(254), '240.240.1.1');
    assert.equal(poolAddress(254 * 254 + 99), '240.240.254.100');
    for (const n of [0, 253, 254, 9999, 256 * 254 - 1]) assert.equal(poolIndex(poolAddress(n)), n);
    for (const a of ['240.240.0.0', '240.240.0.255', '10.0.0.1', '240.240.300.1'])
      assert.equal(poolIndex(a), undefined, a);
  });
});

describe('assignVips', () => {
  test('entries without addresses get the lowest free ones, oldest first', () => {
    const got = assignVips([
      entry('b', {}, '2026-12-07T10:00:02Z'),
      entry('a', {}, '2026-12-07T10:00:01Z'),
      entry('held', { addresses: ['240.240.0.1'] }, '2026-12-07T09:00:00Z'),
    ]);
    assert.deepEqual(
      got.map(g => `${String(g.entry.metadata?.name)} ${g.address}`),
      ['a 240.240.0.2', 'b 240.240.0.3'],
    );
  });

  test('left alone: resolution NONE, addresses outside the pool, entries without an Aeraki port', () => {
    const got = assignVips([
      entry('none', { resolution: 'NONE' }),
      entry('own', { addresses: ['10.1.2.3'] }),
      entry('http', { ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] }),
      entry('redis', { ports: [{ number: 6379, name: 'tcp-redis', protocol: 'TCP' }] }),
    ]);
    assert.deepEqual(
      got.map(g => g.entry.metadata?.name),
      ['redis'],
    );
  });

  test('a duplicate pool address moves to the younger entry; a deleted entry’s address is free again', () => {
    const old = entry('old', { addresses: ['240.240.0.1'] }, '2026-12-07T09:00:00Z');
    const copy = entry('copy', { addresses: ['240.240.0.1'] }, '2026-12-07T11:00:00Z');
    assert.deepEqual(
      assignVips([copy, old]).map(g => `${String(g.entry.metadata?.name)} ${g.address}`),
      ['copy 240.240.0.2'],
    );
    // "old" deleted: its address is the lowest free one at once.
    assert.deepEqual(
      assignVips([entry('new', {}), entry('other', { addresses: ['240.240.0.2'] })]).map(g => g.address),
      ['240.240.0.1'],
    );
  });
});

describe('VipAllocator', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start({ aerakiCrds: false });
  });
  after(async () => {
    await cluster.stop();
  });

  test('writes the address into the entry with field manager aeraki; only while active', async () => {
    cluster.create(entry('demo', {}) as never, entry('second', {}, '2026-12-07T10:00:01Z') as never);
    const read = (): KubeObject[] =>
      cluster.api.store.list('serviceentries.networking.istio.io') as unknown as KubeObject[];
    const allocator = new VipAllocator({
      client: KubeClient.load({ kubeconfig: cluster.kubeconfigPath }),
      logger: pino({ enabled: false }),
      entries: read,
    });
    const from = cluster.api.requests.length;
    allocator.changed();
    await allocator.round();
    assert.equal(allocator.writes, 0, 'a follower writes nothing');
    allocator.setActive(true);
    await allocator.round();
    const addresses = read().map(
      e => `${String(e.metadata?.name)} ${String((e['spec'] as { addresses?: string[] }).addresses)}`,
    );
    assert.deepEqual(addresses.sort(), ['demo 240.240.0.1', 'second 240.240.0.2']);
    const writes = cluster.api.requests.slice(from).filter(r => r.method !== 'GET');
    assert.equal(writes.length, 2);
    assert.ok(writes.every(w => w.method === 'PUT' && w.query['fieldManager'] === FIELD_MANAGER));
    await allocator.round();
    assert.equal(cluster.api.requests.slice(from).filter(r => r.method !== 'GET').length, 2, 'stable');
    allocator.setActive(false);
  });
});
