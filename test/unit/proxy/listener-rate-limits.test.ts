import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ListenerRateLimits } from '../../../src/proxy/listener-rate-limits.js';
import { ClusterManager } from '../../../src/upstream/cluster-manager.js';
import type { ListenerResource } from '../../../src/xds/resources.js';

const LISTENER: ListenerResource = {
  name: '127.0.0.10_9090',
  address: '127.0.0.10',
  port: 9090,
  protocol: 'thrift',
  codec: 'aeraki.meta_protocol.codec.thrift',
  routeConfigName: 'svc_9090',
  statPrefix: 'outbound|9090||svc',
  idleTimeoutMs: 0,
  requestTimeoutMs: 15000,
  multiplexing: true,
  localRateLimit: {
    tokenBucket: { maxTokens: 5, tokensPerFill: 5, fillIntervalMs: 60_000 },
    conditions: [],
  },
  globalRateLimit: {
    match: [],
    domain: 'production',
    timeoutMs: 20,
    failureModeDeny: false,
    rateLimitCluster: 'outbound|8081||rls',
    descriptors: [{ property: 'method', descriptorKey: 'method' }],
  },
};

describe('ListenerRateLimits', () => {
  test('chain order is local, then global; no rate limit gives no filters', () => {
    const limits = new ListenerRateLimits(new ClusterManager());
    try {
      assert.deepEqual(
        limits.filtersFor(LISTENER).map(f => f.name),
        ['aeraki.meta_protocol.filters.local_ratelimit', 'aeraki.meta_protocol.filters.ratelimit'],
      );
      const { localRateLimit: _l, globalRateLimit: _g, ...plain } = LISTENER;
      assert.deepEqual(limits.filtersFor({ ...plain, name: 'other' }), []);
    } finally {
      limits.close();
    }
  });

  test('an update that keeps the rate-limit config keeps the filters, hence the buckets', () => {
    const limits = new ListenerRateLimits(new ClusterManager());
    try {
      const [local, global] = limits.filtersFor(LISTENER);
      const again = limits.filtersFor({ ...LISTENER, routeConfigName: 'other_9090', requestTimeoutMs: 1 });
      assert.equal(again[0], local);
      assert.equal(again[1], global);
    } finally {
      limits.close();
    }
  });

  test('a changed config gets a new filter with fresh buckets; the other filter is kept', () => {
    const limits = new ListenerRateLimits(new ClusterManager());
    try {
      const [local, global] = limits.filtersFor(LISTENER);
      const changed = limits.filtersFor({
        ...LISTENER,
        localRateLimit: {
          ...LISTENER.localRateLimit!,
          tokenBucket: { maxTokens: 6, tokensPerFill: 5, fillIntervalMs: 60_000 },
        },
      });
      assert.notEqual(changed[0], local);
      assert.equal(changed[1], global);
    } finally {
      limits.close();
    }
  });

  test('a listener that goes away loses its buckets', () => {
    const limits = new ListenerRateLimits(new ClusterManager());
    try {
      const [local] = limits.filtersFor(LISTENER);
      limits.retain([]);
      assert.notEqual(limits.filtersFor(LISTENER)[0], local);
    } finally {
      limits.close();
    }
  });
});
