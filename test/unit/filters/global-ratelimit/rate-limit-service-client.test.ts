/**
 * The rate-limit service client against a real gRPC server (the test suite's stand-in for Envoy's
 * reference service): decoding of the verdicts, one channel per cluster, the deadline, and failures.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RateLimitCode,
  RateLimitServiceChannels,
  type RateLimitRequestMessage,
} from '../../../../src/filters/global-ratelimit/rate-limit-service-client.js';
import { ClusterManager } from '../../../../src/upstream/cluster-manager.js';
import { cluster as clusterResource } from '../../resource-fixtures.js';
import {
  startRateLimitService,
  type RateLimitServiceStandIn,
} from '../../../e2e/harness/rate-limit-service.js';

const CLUSTER = 'outbound|8081||rls.test';
const REQUEST: RateLimitRequestMessage = {
  domain: 'production',
  descriptors: [{ entries: [{ key: 'method', value: 'sayHello' }] }],
};

let rls: RateLimitServiceStandIn;
const clusters = new ClusterManager();
const channels = new RateLimitServiceChannels(clusters);

function applyEndpoints(port: number): void {
  clusters.apply(
    [clusterResource(CLUSTER)],
    [{ clusterName: CLUSTER, endpoints: [{ address: '127.0.0.1', port, labels: {}, weight: 1 }] }],
  );
}

function ask(cluster = CLUSTER, timeoutMs = 1000): Promise<{ failure: string | undefined; code: number }> {
  return new Promise(resolve =>
    channels.shouldRateLimit(cluster, REQUEST, timeoutMs, (failure, code) => resolve({ failure, code })),
  );
}

before(async () => {
  rls = await startRateLimitService({
    domain: 'production',
    descriptors: [{ key: 'method', value: 'sayHello', rateLimit: { unit: 'hour', requestsPerUnit: 5 } }],
  });
  applyEndpoints(rls.port);
});

after(async () => {
  channels.close();
  clusters.drainAll();
  await rls.stop();
});

describe('RateLimitServiceChannels', () => {
  test('5 per hour: the first 5 calls are OK, the next 5 OVER_LIMIT, all with the sent descriptors', async () => {
    rls.reset();
    channels.prepare(CLUSTER);
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { failure, code } = await ask();
      assert.equal(failure, undefined);
      codes.push(code);
    }
    assert.deepEqual(codes, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    assert.deepEqual(rls.requests[0], {
      domain: 'production',
      descriptors: [[{ key: 'method', value: 'sayHello' }]],
    });
  });

  test('the channel survives a config update that keeps the endpoints', async () => {
    rls.reset();
    await ask();
    const before = (channels as unknown as { channels: Map<string, { client: unknown }> }).channels.get(
      CLUSTER,
    );
    applyEndpoints(rls.port);
    await ask();
    const afterUpdate = (channels as unknown as { channels: Map<string, { client: unknown }> }).channels.get(
      CLUSTER,
    );
    assert.ok(before !== undefined && afterUpdate !== undefined);
    assert.equal(afterUpdate.client, before.client);
  });

  test('an answer later than the deadline is a failure', async () => {
    rls.reset();
    rls.delayMs = 200;
    try {
      const { failure, code } = await ask(CLUSTER, 30);
      assert.match(failure ?? '', /deadline/i);
      assert.equal(code, RateLimitCode.UNKNOWN);
    } finally {
      rls.delayMs = 0;
    }
  });

  test('an unknown cluster fails, asynchronously, with a reason', async () => {
    let synchronous = true;
    const pending = new Promise<string | undefined>(resolve =>
      channels.shouldRateLimit('outbound|1||nowhere', REQUEST, 100, failure => {
        assert.equal(synchronous, false);
        resolve(failure);
      }),
    );
    synchronous = false;
    assert.equal(await pending, "cluster 'outbound|1||nowhere' is unknown");
  });
});
