import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata } from '../../../../src/codec/index.js';
import type { RequestContext } from '../../../../src/filters/filter.js';
import { LocalRateLimitFilter } from '../../../../src/filters/local-ratelimit/local-ratelimit-filter.js';

interface Reply {
  kind: string;
  message: string;
}

function requestFor(method: string, replies: Reply[], startTime = 0): RequestContext {
  const metadata = new Metadata();
  metadata.set('method', method);
  const ctx = {
    request: { metadata },
    startTime,
    sendLocalReply: (kind: string, message: string) => replies.push({ kind, message }),
  };
  return ctx as unknown as RequestContext;
}

describe('LocalRateLimitFilter', () => {
  test('condition bucket 2/60s inside default 5/60s: exactly 2 of 10 sayHello pass', () => {
    const filter = new LocalRateLimitFilter(
      {
        tokenBucket: { maxTokens: 5, tokensPerFill: 5, fillIntervalMs: 60_000 },
        conditions: [
          {
            match: [{ name: 'method', kind: 'exact', value: 'sayHello' }],
            tokenBucket: { maxTokens: 2, tokensPerFill: 2, fillIntervalMs: 60_000 },
          },
        ],
      },
      () => 0,
    );
    const replies: Reply[] = [];
    let passed = 0;
    for (let i = 0; i < 10; i++)
      if (filter.onRequest(requestFor('sayHello', replies)) === 'continue') passed++;
    assert.equal(passed, 2);
    assert.equal(replies.length, 8);
    assert.equal(replies[0]?.kind, 'over-limit');
    assert.match(replies[0]?.message ?? '', /local rate limit: sayHello has been rate limited/);
    assert.deepEqual(filter.stats, { ok: 2, rate_limited: 8 });
    // Other methods draw from the default bucket.
    let others = 0;
    for (let i = 0; i < 10; i++) if (filter.onRequest(requestFor('ping', replies)) === 'continue') others++;
    assert.equal(others, 5);
  });

  test('no bucket configured means no limit', () => {
    const filter = new LocalRateLimitFilter({ conditions: [] });
    const replies: Reply[] = [];
    for (let i = 0; i < 20; i++) assert.equal(filter.onRequest(requestFor('x', replies)), 'continue');
    assert.equal(replies.length, 0);
  });

  test('buckets refill by the time requests were decoded: tokensPerFill per fillInterval, up to maxTokens', () => {
    const filter = new LocalRateLimitFilter(
      { tokenBucket: { maxTokens: 3, tokensPerFill: 2, fillIntervalMs: 1000 }, conditions: [] },
      () => 0,
    );
    const replies: Reply[] = [];
    const passed = (at: number, count: number): number => {
      let ok = 0;
      for (let i = 0; i < count; i++) if (filter.onRequest(requestFor('x', replies, at)) === 'continue') ok++;
      return ok;
    };
    assert.equal(passed(0, 5), 3, 'starts full');
    assert.equal(passed(999, 5), 0, 'no refill before the interval');
    assert.equal(passed(1000, 5), 2, 'one fill');
    assert.equal(passed(10_000, 5), 3, 'never more than maxTokens');
  });

  test('buckets live in the store the filter is given', () => {
    const taken: number[] = [];
    const filter = new LocalRateLimitFilter(
      {
        tokenBucket: { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 1000 },
        conditions: [
          {
            match: [{ name: 'method', kind: 'exact', value: 'sayHello' }],
            tokenBucket: { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 1000 },
          },
        ],
      },
      () => 0,
      buckets => {
        assert.equal(buckets.length, 2, 'conditions first, the default bucket last');
        return { tryTake: (index: number) => (taken.push(index), true) };
      },
    );
    filter.onRequest(requestFor('sayHello', []));
    filter.onRequest(requestFor('ping', []));
    assert.deepEqual(taken, [0, 1]);
  });

  test('a store that answers later: the request waits, then continues or gets the over-limit reply', () => {
    const pending: { granted: (ok: boolean) => void }[] = [];
    const filter = new LocalRateLimitFilter(
      { tokenBucket: { maxTokens: 1, tokensPerFill: 1, fillIntervalMs: 1000 }, conditions: [] },
      () => 0,
      () => ({
        tryTake: (_index, _now, waiter, context) => {
          pending.push({ granted: ok => waiter!.tokenDecided(context, ok) });
          return undefined;
        },
      }),
    );
    const replies: Reply[] = [];
    let continued = 0;
    const ctx = (): RequestContext =>
      Object.assign(requestFor('sayHello', replies), {
        continueDecoding: () => continued++,
      }) as RequestContext;
    assert.equal(filter.onRequest(ctx()), 'stop');
    assert.equal(filter.onRequest(ctx()), 'stop');
    pending[0]!.granted(true);
    pending[1]!.granted(false);
    assert.equal(continued, 1);
    assert.equal(replies.length, 1);
    assert.equal(replies[0]!.kind, 'over-limit');
    assert.deepEqual(filter.stats, { ok: 1, rate_limited: 1 });
  });
});
