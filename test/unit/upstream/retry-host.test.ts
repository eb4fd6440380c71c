import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Cluster } from '../../../src/upstream/cluster.js';
import { hashString } from '../../../src/upstream/hash.js';
import { chooseRetryHost } from '../../../src/upstream/retry-host.js';
import type { LbPolicy } from '../../../src/xds/resources.js';
import { cluster as clusterResource } from '../resource-fixtures.js';

function cluster(lbPolicy: LbPolicy, ports: number[]): Cluster {
  return new Cluster(
    clusterResource('c', { lbPolicy }),
    ports.map(port => ({ address: '127.0.0.1', port, labels: {}, weight: 1 })),
  );
}

describe('chooseRetryHost', () => {
  for (const policy of ['ROUND_ROBIN', 'RANDOM', 'LEAST_REQUEST', 'RING_HASH', 'MAGLEV'] as const) {
    test(`${policy}: never the host that just failed when there are others`, () => {
      const c = cluster(policy, [1, 2, 3]);
      const key = hashString('sayHello');
      for (let i = 0; i < 50; i++) {
        const failed = c.chooseHost(key)!;
        const retry = chooseRetryHost(c, key, failed);
        assert.ok(retry !== undefined && retry !== failed, `retry went to ${retry?.key}`);
      }
    });
  }

  test('a hashing balancer falls back to the next healthy host in the list', () => {
    const c = cluster('RING_HASH', [1, 2, 3]);
    const key = hashString('k');
    const failed = c.chooseHost(key)!;
    const next = c.hosts[(c.hosts.indexOf(failed) + 1) % 3]!;
    next.healthy = false;
    const retry = chooseRetryHost(c, key, failed)!;
    assert.notEqual(retry, failed);
    assert.equal(retry.healthy, true);
  });

  test('a single host is retried itself; no host gives none', () => {
    const one = cluster('ROUND_ROBIN', [1]);
    assert.equal(chooseRetryHost(one, undefined, one.hosts[0]), one.hosts[0]);
    assert.equal(chooseRetryHost(cluster('ROUND_ROBIN', []), undefined, undefined), undefined);
  });

  test('all other hosts unhealthy: still another host rather than the failed one', () => {
    const c = cluster('ROUND_ROBIN', [1, 2]);
    c.hosts[1]!.healthy = false;
    assert.equal(chooseRetryHost(c, undefined, c.hosts[0]), c.hosts[1]);
  });
});
