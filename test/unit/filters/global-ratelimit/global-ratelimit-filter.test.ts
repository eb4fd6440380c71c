import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata } from '../../../../src/codec/index.js';
import type { RequestContext } from '../../../../src/filters/filter.js';
import { GlobalRateLimitFilter } from '../../../../src/filters/global-ratelimit/global-ratelimit-filter.js';
import {
  RateLimitCode,
  type RateLimitRequestMessage,
  type RateLimitResultHandler,
  type RateLimitService,
} from '../../../../src/filters/global-ratelimit/rate-limit-service-client.js';
import type { GlobalRateLimitResource } from '../../../../src/xds/resources.js';

/** A service whose answers the test gives by hand. */
class ScriptedService implements RateLimitService {
  readonly prepared: string[] = [];
  readonly calls: Array<{
    cluster: string;
    request: RateLimitRequestMessage;
    timeoutMs: number;
    done: RateLimitResultHandler;
  }> = [];
  prepare(cluster: string): void {
    this.prepared.push(cluster);
  }
  shouldRateLimit(
    cluster: string,
    request: RateLimitRequestMessage,
    timeoutMs: number,
    done: RateLimitResultHandler,
  ): void {
    this.calls.push({ cluster, request, timeoutMs, done });
  }
}

interface Outcome {
  continued: number;
  replies: Array<{ kind: string; message: string }>;
}

function context(attributes: Record<string, string>, outcome: Outcome): RequestContext {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(attributes)) metadata.set(k, v);
  return {
    request: { metadata },
    continueDecoding: () => outcome.continued++,
    sendLocalReply: (kind: string, message: string) => outcome.replies.push({ kind, message }),
  } as unknown as RequestContext;
}

const CONFIG: GlobalRateLimitResource = {
  match: [{ name: 'method', kind: 'exact', value: 'sayHello' }],
  domain: 'production',
  timeoutMs: 100,
  failureModeDeny: false,
  rateLimitCluster: 'outbound|8081||rls',
  descriptors: [
    { property: 'method', descriptorKey: 'method' },
    { property: 'x-tenant', descriptorKey: 'tenant' },
  ],
};

describe('GlobalRateLimitFilter', () => {
  test('connects ahead of the first request and asks only about matching requests', () => {
    const service = new ScriptedService();
    const filter = new GlobalRateLimitFilter(CONFIG, service);
    assert.deepEqual(service.prepared, ['outbound|8081||rls']);
    const outcome: Outcome = { continued: 0, replies: [] };
    assert.equal(filter.onRequest(context({ method: 'ping' }, outcome)), 'continue');
    assert.equal(service.calls.length, 0);
  });

  test('sends one descriptor per configured entry the request has, with the deadline', () => {
    const service = new ScriptedService();
    const filter = new GlobalRateLimitFilter(CONFIG, service);
    const outcome: Outcome = { continued: 0, replies: [] };
    assert.equal(filter.onRequest(context({ method: 'sayHello', 'x-tenant': 'gold' }, outcome)), 'stop');
    assert.equal(filter.onRequest(context({ method: 'sayHello' }, outcome)), 'stop');
    assert.deepEqual(
      service.calls.map(c => [c.cluster, c.timeoutMs, c.request]),
      [
        [
          'outbound|8081||rls',
          100,
          {
            domain: 'production',
            descriptors: [
              { entries: [{ key: 'method', value: 'sayHello' }] },
              { entries: [{ key: 'tenant', value: 'gold' }] },
            ],
          },
        ],
        [
          'outbound|8081||rls',
          100,
          { domain: 'production', descriptors: [{ entries: [{ key: 'method', value: 'sayHello' }] }] },
        ],
      ],
    );
    assert.deepEqual(outcome, { continued: 0, replies: [] }, 'nothing happens before the answer');
  });

  test('OK resumes the chain; OVER_LIMIT answers with the over-limit reply naming the cause', () => {
    const service = new ScriptedService();
    const filter = new GlobalRateLimitFilter(CONFIG, service);
    const outcome: Outcome = { continued: 0, replies: [] };
    filter.onRequest(context({ method: 'sayHello' }, outcome));
    filter.onRequest(context({ method: 'sayHello' }, outcome));
    filter.onRequest(context({ method: 'sayHello' }, outcome));
    service.calls[0]!.done(undefined, RateLimitCode.OK);
    service.calls[1]!.done(undefined, RateLimitCode.OVER_LIMIT);
    service.calls[2]!.done(undefined, RateLimitCode.UNKNOWN);
    assert.equal(outcome.continued, 2, 'OK and UNKNOWN let the request through, as in Envoy');
    assert.deepEqual(outcome.replies, [
      {
        kind: 'over-limit',
        message:
          "aeraki: global rate limit: sayHello has been rate limited by the rate-limit service (domain 'production')",
      },
    ]);
    assert.deepEqual(filter.stats, { ok: 2, over_limit: 1, error: 0, failure_mode_allowed: 0 });
  });

  test('a failed call passes the request unless failureModeDeny is set', () => {
    for (const failureModeDeny of [false, true]) {
      const service = new ScriptedService();
      const filter = new GlobalRateLimitFilter({ ...CONFIG, failureModeDeny }, service);
      const outcome: Outcome = { continued: 0, replies: [] };
      filter.onRequest(context({ method: 'sayHello' }, outcome));
      service.calls[0]!.done('Deadline exceeded', RateLimitCode.UNKNOWN);
      if (failureModeDeny) {
        assert.equal(outcome.continued, 0);
        assert.equal(outcome.replies[0]?.kind, 'over-limit');
        assert.match(
          outcome.replies[0]?.message ?? '',
          /rate-limit service \(cluster 'outbound\|8081\|\|rls'\) did not answer: Deadline exceeded; denyOnFail rejects the request/,
        );
        assert.deepEqual(filter.stats, { ok: 0, over_limit: 0, error: 1, failure_mode_allowed: 0 });
      } else {
        assert.equal(outcome.continued, 1);
        assert.deepEqual(outcome.replies, []);
        assert.deepEqual(filter.stats, { ok: 0, over_limit: 0, error: 1, failure_mode_allowed: 1 });
      }
    }
  });

  test('an empty match selects every request; a request with none of the properties is not limited', () => {
    const service = new ScriptedService();
    const filter = new GlobalRateLimitFilter({ ...CONFIG, match: [] }, service);
    const outcome: Outcome = { continued: 0, replies: [] };
    assert.equal(filter.onRequest(context({ method: 'ping' }, outcome)), 'stop');
    assert.equal(filter.onRequest(context({ interface: 'x' }, outcome)), 'continue');
    assert.equal(service.calls.length, 1);
  });
});
