import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { TakeTokenMessage } from '../../../../src/proxy/workers/worker-messages.js';
import {
  PrimaryTokenBuckets,
  WorkerTokenBuckets,
} from '../../../../src/proxy/workers/shared-token-buckets.js';
import type { ListenerResource } from '../../../../src/xds/resources.js';
import { localRateLimitScope } from '../../../../src/proxy/listener-rate-limits.js';

const BUCKET = { maxTokens: 2, tokensPerFill: 2, fillIntervalMs: 60_000 };

/** Workers wired to one primary as the IPC channel would, answers delivered later. */
function proxyOf(workers: number): {
  stores: WorkerTokenBuckets[];
  primary: PrimaryTokenBuckets;
  flush(): void;
} {
  const primary = new PrimaryTokenBuckets();
  const queue: (() => void)[] = [];
  const stores: WorkerTokenBuckets[] = [];
  for (let i = 0; i < workers; i++) {
    const store: WorkerTokenBuckets = new WorkerTokenBuckets((m: TakeTokenMessage) =>
      queue.push(() => store.decided(primary.take(m))),
    );
    stores.push(store);
  }
  return { stores, primary, flush: () => queue.splice(0).forEach(f => f()) };
}

function recorder(): {
  answers: [unknown, boolean][];
  tokenDecided(context: unknown, granted: boolean): void;
} {
  const answers: [unknown, boolean][] = [];
  return { answers, tokenDecided: (context, granted) => answers.push([context, granted]) };
}

describe('shared token buckets', () => {
  test('two workers draw from one bucket: 2 of 10 takes are granted, wherever they come from', () => {
    const { stores, flush } = proxyOf(2);
    const waiter = recorder();
    const buckets = stores.map(s => s.storeFor('l\n{}')([BUCKET], 0));
    for (let i = 0; i < 10; i++) assert.equal(buckets[i % 2]!.tryTake(0, 1000, waiter, i), undefined);
    flush();
    assert.equal(waiter.answers.length, 10);
    assert.equal(waiter.answers.filter(([, granted]) => granted).length, 2);
  });

  test('another scope (listener or config) has buckets of its own; retain drops the ones gone', () => {
    const { stores, primary, flush } = proxyOf(1);
    const waiter = recorder();
    const limit = { conditions: [], tokenBucket: BUCKET };
    const scope = localRateLimitScope('l1', JSON.stringify(limit));
    const store = stores[0]!.storeFor(scope)([BUCKET], 0);
    for (let i = 0; i < 3; i++) store.tryTake(0, 0, waiter, i);
    stores[0]!.storeFor('other')([BUCKET], 0).tryTake(0, 0, waiter, 'other');
    flush();
    assert.deepEqual(
      waiter.answers.map(([, g]) => g),
      [true, true, false, true],
    );
    // The listener stays with the same limit: its bucket stays empty.
    primary.retain([{ name: 'l1', localRateLimit: limit } as unknown as ListenerResource]);
    store.tryTake(0, 0, waiter, 'again');
    flush();
    assert.equal(waiter.answers.at(-1)?.[1], false);
  });

  test('a worker whose primary is gone refuses the takes still waiting', () => {
    const store = new WorkerTokenBuckets(() => {});
    const waiter = recorder();
    store.storeFor('s')([BUCKET], 0).tryTake(0, 0, waiter, 'ctx');
    store.refuseAll();
    assert.deepEqual(waiter.answers, [['ctx', false]]);
  });
});
