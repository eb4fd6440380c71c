import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Host } from '../../../src/upstream/host.js';
import {
  activeRequestsOf,
  MIN_RETRY_CONCURRENCY,
  RETRY_BUDGET_PERCENT,
  RetryBudget,
} from '../../../src/upstream/retry-budget.js';

function acquireAll(budget: RetryBudget, activeRequests: number, tries: number): number {
  let granted = 0;
  for (let i = 0; i < tries; i++) if (budget.tryAcquire(activeRequests)) granted++;
  return granted;
}

describe('RetryBudget', () => {
  test("Envoy's defaults: at least 3 retries in flight, else 20% of active requests", () => {
    assert.equal(MIN_RETRY_CONCURRENCY, 3);
    assert.equal(RETRY_BUDGET_PERCENT, 20);
  });

  test('with few active requests the minimum concurrency applies', () => {
    const budget = new RetryBudget();
    assert.equal(acquireAll(budget, 0, 10), 3);
    assert.equal(acquireAll(new RetryBudget(), 14, 10), 3, '20% of 14 is 2.8, below the minimum');
  });

  test('with many active requests 20% of them may be retries in flight', () => {
    assert.equal(acquireAll(new RetryBudget(), 100, 50), 20);
    assert.equal(acquireAll(new RetryBudget(), 1000, 500), 200);
  });

  test('finished retries give their slot back; release never goes below zero', () => {
    const budget = new RetryBudget();
    assert.equal(acquireAll(budget, 0, 3), 3);
    assert.equal(budget.tryAcquire(0), false);
    budget.release();
    assert.equal(budget.inFlight, 2);
    assert.equal(budget.tryAcquire(0), true);
    for (let i = 0; i < 10; i++) budget.release();
    assert.equal(budget.inFlight, 0);
  });

  test('custom minimum and percent', () => {
    assert.equal(acquireAll(new RetryBudget(1, 50), 10, 10), 5);
    assert.equal(acquireAll(new RetryBudget(1, 50), 0, 10), 1);
  });

  test('active requests are summed over the hosts', () => {
    const hosts = [1, 2, 3].map(p => new Host({ address: '127.0.0.1', port: p, labels: {}, weight: 1 }));
    hosts[0]!.activeRequests = 4;
    hosts[2]!.activeRequests = 6;
    assert.equal(activeRequestsOf(hosts), 10);
    assert.equal(activeRequestsOf([]), 0);
  });
});
