import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashString } from '../../../src/upstream/hash.js';
import { Host } from '../../../src/upstream/host.js';
import { createLoadBalancer } from '../../../src/upstream/load-balancer.js';

function hosts(n: number): Host[] {
  return Array.from(
    { length: n },
    (_, i) => new Host({ address: '127.0.0.1', port: 1000 + i, labels: {}, weight: 1 }),
  );
}

describe('load balancers', () => {
  test('round robin visits every host in turn and skips unhealthy ones', () => {
    const hs = hosts(3);
    const lb = createLoadBalancer('ROUND_ROBIN', hs);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => lb.choose(undefined)!.port),
      [1000, 1001, 1002, 1000],
    );
    hs[1]!.healthy = false;
    const picks = new Set(Array.from({ length: 6 }, () => lb.choose(undefined)!.port));
    assert.deepEqual([...picks].sort(), [1000, 1002]);
  });

  test('least request prefers the less loaded of two', () => {
    const hs = hosts(2);
    hs[0]!.activeRequests = 10;
    const lb = createLoadBalancer('LEAST_REQUEST', hs);
    let second = 0;
    for (let i = 0; i < 1000; i++) if (lb.choose(undefined) === hs[1]) second++;
    // Host 0 wins only when both draws are host 0: probability 1/4.
    const sd = Math.sqrt(1000 * 0.25 * 0.75);
    assert.ok(Math.abs(1000 - second - 250) <= 3.29 * sd, `host0 picked ${1000 - second}`);
  });

  test('random with no hosts gives undefined', () => {
    assert.equal(createLoadBalancer('RANDOM', []).choose(undefined), undefined);
  });

  test('ring hash: same key, same host; removing a host moves only its keys', () => {
    const hs = hosts(5);
    const lb = createLoadBalancer('RING_HASH', hs);
    const keys = Array.from({ length: 500 }, (_, i) => hashString(`key-${i}`));
    const first = keys.map(k => lb.choose(k)!);
    assert.deepEqual(
      keys.map(k => lb.choose(k)!),
      first,
    );
    assert.ok(new Set(first).size === 5, 'keys spread over all hosts');
    const fewer = createLoadBalancer('RING_HASH', hs.slice(0, 4));
    for (let i = 0; i < keys.length; i++) {
      if (first[i] !== hs[4]) assert.equal(fewer.choose(keys[i])!, first[i]);
    }
  });

  test('maglev: same key, same host; removing a host remaps few other keys', () => {
    const hs = hosts(5);
    const lb = createLoadBalancer('MAGLEV', hs);
    const keys = Array.from({ length: 2000 }, (_, i) => hashString(`key-${i}`));
    const first = keys.map(k => lb.choose(k)!);
    assert.deepEqual(
      keys.map(k => lb.choose(k)!),
      first,
    );
    const counts = hs.map(h => first.filter(x => x === h).length);
    for (const c of counts) assert.ok(c > 250 && c < 550, `balanced: ${counts}`);
    const fewer = createLoadBalancer('MAGLEV', hs.slice(0, 4));
    let moved = 0;
    for (let i = 0; i < keys.length; i++)
      if (first[i] !== hs[4] && fewer.choose(keys[i]) !== first[i]) moved++;
    assert.ok(moved < keys.length * 0.1, `moved ${moved}`);
  });
});
