import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LbPolicy } from '../../../src/xds/resources.js';
import { hashString } from '../../../src/upstream/hash.js';
import { HostSet } from '../../../src/upstream/host-set.js';
import { Host } from '../../../src/upstream/host.js';
import { createLoadBalancer, type LoadBalancer } from '../../../src/upstream/load-balancer.js';

function hosts(n: number): Host[] {
  return Array.from(
    { length: n },
    (_, i) => new Host({ address: '127.0.0.1', port: 1000 + i, labels: {}, weight: 1 }),
  );
}

/** Marks `host` ejected (or back) as outlier detection does, and tells the set and the balancer. */
function setHealth(set: HostSet, lb: LoadBalancer, host: Host, healthy: boolean): void {
  host.healthy = healthy;
  set.refresh();
  lb.onHealthChanged?.();
}

const POLICIES: readonly LbPolicy[] = ['ROUND_ROBIN', 'RANDOM', 'LEAST_REQUEST', 'RING_HASH', 'MAGLEV'];

describe('load balancers', () => {
  test('round robin visits every host in turn and skips unhealthy ones', () => {
    const hs = hosts(3);
    const set = new HostSet(hs);
    const lb = createLoadBalancer('ROUND_ROBIN', set);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => lb.choose(undefined)!.port),
      [1000, 1001, 1002, 1000],
    );
    setHealth(set, lb, hs[1]!, false);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => lb.choose(undefined)!.port),
      [1002, 1000, 1002, 1000],
    );
  });

  test('least request prefers the less loaded of two', () => {
    const hs = hosts(2);
    hs[0]!.activeRequests = 10;
    const lb = createLoadBalancer('LEAST_REQUEST', new HostSet(hs));
    let second = 0;
    for (let i = 0; i < 1000; i++) if (lb.choose(undefined) === hs[1]) second++;
    // Host 0 wins only when both draws are host 0: probability 1/4.
    const sd = Math.sqrt(1000 * 0.25 * 0.75);
    assert.ok(Math.abs(1000 - second - 250) <= 3.29 * sd, `host0 picked ${1000 - second}`);
  });

  test('random with no hosts gives undefined', () => {
    assert.equal(createLoadBalancer('RANDOM', new HostSet([])).choose(undefined), undefined);
  });

  test('ring hash: same key, same host; removing a host moves only its keys', () => {
    const hs = hosts(5);
    const lb = createLoadBalancer('RING_HASH', new HostSet(hs));
    const keys = Array.from({ length: 500 }, (_, i) => hashString(`key-${i}`));
    const first = keys.map(k => lb.choose(k)!);
    assert.deepEqual(
      keys.map(k => lb.choose(k)!),
      first,
    );
    assert.ok(new Set(first).size === 5, 'keys spread over all hosts');
    const fewer = createLoadBalancer('RING_HASH', new HostSet(hs.slice(0, 4)));
    for (let i = 0; i < keys.length; i++) {
      if (first[i] !== hs[4]) assert.equal(fewer.choose(keys[i])!, first[i]);
    }
  });

  test('maglev: same key, same host; removing a host remaps few other keys', () => {
    const hs = hosts(5);
    const lb = createLoadBalancer('MAGLEV', new HostSet(hs));
    const keys = Array.from({ length: 2000 }, (_, i) => hashString(`key-${i}`));
    const first = keys.map(k => lb.choose(k)!);
    assert.deepEqual(
      keys.map(k => lb.choose(k)!),
      first,
    );
    const counts = hs.map(h => first.filter(x => x === h).length);
    for (const c of counts) assert.ok(c > 250 && c < 550, `balanced: ${counts}`);
    const fewer = createLoadBalancer('MAGLEV', new HostSet(hs.slice(0, 4)));
    let moved = 0;
    for (let i = 0; i < keys.length; i++)
      if (first[i] !== hs[4] && fewer.choose(keys[i]) !== first[i]) moved++;
    assert.ok(moved < keys.length * 0.1, `moved ${moved}`);
  });
});

describe('load balancers and ejected hosts', () => {
  const keys = Array.from({ length: 400 }, (_, i) => hashString(`key-${i}`));

  for (const policy of POLICIES) {
    test(`${policy} never picks an ejected host, and picks it again once taken back`, () => {
      const hs = hosts(4);
      const set = new HostSet(hs);
      const lb = createLoadBalancer(policy, set);
      setHealth(set, lb, hs[2]!, false);
      const picks = keys.map(k => lb.choose(k)!);
      assert.ok(!picks.includes(hs[2]!), 'the ejected host was picked');
      assert.equal(new Set(picks).size, 3, 'every other host still gets requests');
      setHealth(set, lb, hs[2]!, true);
      assert.ok(keys.map(k => lb.choose(k)).includes(hs[2]!), 'the host taken back gets requests again');
    });

    test(`${policy} gives no host when every host is ejected and panic mode is off`, () => {
      const hs = hosts(3);
      const set = new HostSet(hs, 0);
      const lb = createLoadBalancer(policy, set);
      for (const h of hs) setHealth(set, lb, h, false);
      assert.equal(lb.choose(keys[0]), undefined);
    });

    test(`${policy} balances over every host in panic mode`, () => {
      const hs = hosts(4);
      const set = new HostSet(hs, 50);
      const lb = createLoadBalancer(policy, set);
      setHealth(set, lb, hs[0]!, false);
      assert.equal(set.panic, false, '3 of 4 healthy is above 50 %');
      setHealth(set, lb, hs[1]!, false);
      assert.equal(set.panic, false, '2 of 4 healthy is not below 50 %');
      setHealth(set, lb, hs[2]!, false);
      assert.equal(set.panic, true, '1 of 4 healthy is below 50 %');
      const picks = new Set(keys.map(k => lb.choose(k)));
      assert.equal(picks.size, 4, 'ejected hosts are used in panic mode');
    });
  }

  test('ring hash sends an ejected host’s keys to the next host on the ring, and only those', () => {
    const hs = hosts(5);
    const set = new HostSet(hs);
    const lb = createLoadBalancer('RING_HASH', set);
    const before = keys.map(k => lb.choose(k)!);
    setHealth(set, lb, hs[1]!, false);
    const during = keys.map(k => lb.choose(k)!);
    const without = createLoadBalancer('RING_HASH', new HostSet(hs.filter(h => h !== hs[1])));
    for (let i = 0; i < keys.length; i++) {
      if (before[i] !== hs[1]) assert.equal(during[i], before[i], 'a key of a healthy host moved');
      assert.equal(during[i], without.choose(keys[i]), 'same as a ring built without the host');
    }
    setHealth(set, lb, hs[1]!, true);
    assert.deepEqual(
      keys.map(k => lb.choose(k)!),
      before,
    );
  });

  test('maglev rebuilt without an ejected host keeps most other keys where they were', () => {
    const hs = hosts(5);
    const set = new HostSet(hs);
    const lb = createLoadBalancer('MAGLEV', set);
    const before = keys.map(k => lb.choose(k)!);
    setHealth(set, lb, hs[3]!, false);
    const during = keys.map(k => lb.choose(k)!);
    let moved = 0;
    for (let i = 0; i < keys.length; i++) if (before[i] !== hs[3] && during[i] !== before[i]) moved++;
    assert.ok(moved < keys.length * 0.1, `moved ${moved}`);
    // Consistent while ejected: the same key keeps its host.
    assert.deepEqual(
      keys.map(k => lb.choose(k)!),
      during,
    );
  });
});
