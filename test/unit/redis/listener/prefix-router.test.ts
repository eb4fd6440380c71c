import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrefixRouter } from '../../../../src/redis/listener/prefix-router.js';
import type { RedisRouteResource } from '../../../../src/xds/redis-resources.js';

const route = (prefix: string, cluster: string): RedisRouteResource => ({
  prefix,
  removePrefix: false,
  cluster,
  mirrors: [],
});

function clusterFor(router: PrefixRouter, key: string): string | undefined {
  const buf = Buffer.from(`xx${key}`);
  return router.match(buf, 2, buf.length)?.resource.cluster;
}

test('the longest matching prefix wins, whatever the order; the catch-all takes the rest', () => {
  // Envoy's own example: "ab" → cluster_a, "abc" → cluster_b.
  const router = new PrefixRouter(
    [route('ab', 'cluster_a'), route('abc', 'cluster_b')],
    route('', 'all'),
    false,
  );
  assert.equal(clusterFor(router, 'abc:users'), 'cluster_b');
  assert.equal(clusterFor(router, 'ab:users'), 'cluster_a');
  assert.equal(clusterFor(router, 'z:users'), 'all');
  assert.equal(clusterFor(router, 'a'), 'all');
  const noCatchAll = new PrefixRouter([route('ab', 'cluster_a')], undefined, false);
  assert.equal(clusterFor(noCatchAll, 'z:users'), undefined);
});

test('case-insensitive routes ignore ASCII case', () => {
  const router = new PrefixRouter([route('User:', 'u')], undefined, true);
  assert.equal(clusterFor(router, 'USER:1'), 'u');
  assert.equal(clusterFor(router, 'user:1'), 'u');
  assert.equal(
    new PrefixRouter([route('User:', 'u')], undefined, false).match(Buffer.from('user:1'), 0, 6),
    undefined,
  );
});
