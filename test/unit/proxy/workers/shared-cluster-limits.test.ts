/**
 * The parts of a cluster's circuit-breaker limits that the workers of one proxy hold: the primary
 * and the workers' sides wired through in-memory channels that keep each direction's order (as the
 * IPC channel does) while the test chooses which channel delivers next.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClusterStats } from '../../../../src/upstream/cluster-stats.js';
import type { BreakerShare } from '../../../../src/upstream/circuit-breaker.js';
import {
  PrimaryClusterLimits,
  WorkerClusterPeers,
  evenPart,
} from '../../../../src/proxy/workers/shared-cluster-limits.js';
import type { PrimaryMessage, WorkerMessage } from '../../../../src/proxy/workers/worker-messages.js';
import { cluster as clusterResource } from '../../resource-fixtures.js';

const NAME = 'outbound|9090||limited.svc';

/** A proxy of `n` workers whose messages wait in FIFO channels until delivered. */
function setup(n: number, limits = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 5 }) {
  const toWorker: PrimaryMessage[][] = Array.from({ length: n }, () => []);
  const toPrimary: WorkerMessage[][] = Array.from({ length: n }, () => []);
  const primary = new PrimaryClusterLimits(n, (index, message) => toWorker[index]!.push(message));
  const stats = Array.from({ length: n }, () => new ClusterStats());
  const workers = Array.from({ length: n }, (_, i) => {
    const peers = new WorkerClusterPeers(message => toPrimary[i]!.push(message), {
      hostEjectedElsewhere: () => {},
    });
    peers.close();
    return peers;
  });
  for (let i = 0; i < n; i++) primary.workerUp(i);
  primary.plan([{ ...clusterResource(NAME), circuitBreakers: limits }], 1);
  for (let i = 0; i < n; i++) workers[i]!.update(primary.sharesFor(i));
  const shares = workers.map((w, i) => w.breakerShare(NAME, stats[i]!)!);
  /** Delivers one message on the channel `channel` (workers' inboxes first, then the primary's). */
  const deliver = (channel: number): boolean => {
    if (channel < n) {
      const message = toWorker[channel]!.shift();
      if (message === undefined) return false;
      workers[channel]!.onMessage(message);
      return true;
    }
    const from = channel - n;
    const message = toPrimary[from]!.shift();
    if (message === undefined) return false;
    primary.onMessage(from, message);
    return true;
  };
  const deliverAll = (): void => {
    for (let busy = true; busy;) {
      busy = false;
      for (let c = 0; c < 2 * n; c++) if (deliver(c)) busy = true;
    }
  };
  /** Admits one request on worker `w` as the breaker does; false when it is over the worker's part. */
  const admit = (w: number): boolean => {
    const share: BreakerShare = shares[w]!;
    const s = stats[w]!;
    s.rqActive++;
    const mine = share.limits.maxRequests;
    if (s.rqActive >= mine && mine < limits.maxRequests) share.short('maxRequests');
    if (s.rqActive <= mine) return true;
    s.rqActive--;
    return false;
  };
  return { primary, workers, shares, stats, deliver, deliverAll, admit, toWorker, toPrimary };
}

describe('circuit-breaker limits shared by workers', () => {
  test('a limit is cut into even parts; the remainder goes to the first workers', () => {
    assert.deepEqual(
      [0, 1, 2].map(i => evenPart(5, 3, i)),
      [2, 2, 1],
    );
    assert.deepEqual(
      [0, 1].map(i => evenPart(1, 2, i)),
      [1, 0],
    );
    const { shares } = setup(2);
    assert.deepEqual(
      shares.map(s => s.limits.maxRequests),
      [3, 2],
    );
  });

  test('a worker that used up its part gets the part the other does not use, and no more', () => {
    const { admit, deliverAll, shares, stats } = setup(2);
    assert.equal(admit(1), true);
    assert.equal(admit(1), true, 'its part of 2 is in use now; it asks for more');
    assert.equal(admit(1), false, 'refused before the answer');
    admit(0); // worker 0 uses 1 of its 3
    deliverAll();
    assert.deepEqual(
      shares.map(s => s.limits.maxRequests),
      [1, 4],
      'worker 0 gave back the 2 it did not use',
    );
    assert.equal(admit(1), true);
    assert.equal(admit(1), true);
    assert.equal(admit(1), false, 'the proxy has its 5 in flight');
    assert.equal(admit(0), false);
    assert.equal(stats[0]!.rqActive + stats[1]!.rqActive, 5);
  });

  test('a worker that is gone leaves its part free; its replacement gets its even part back', () => {
    const { primary, workers, shares } = setup(2);
    primary.workerDown(1);
    primary.workerUp(1);
    workers[1]!.update(primary.sharesFor(1));
    assert.deepEqual(
      shares.map(s => s.limits.maxRequests),
      [3, 2],
    );
  });

  test('new limits cut anew; messages of the old limits are ignored', () => {
    const { primary, workers, shares, admit, deliver, deliverAll, stats } = setup(2);
    admit(1);
    admit(1); // asks
    deliver(3); // the primary takes the question and asks worker 0 to release
    primary.plan(
      [
        {
          ...clusterResource(NAME),
          circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 8 },
        },
      ],
      2,
    );
    for (let i = 0; i < 2; i++) workers[i]!.update(primary.sharesFor(i));
    deliverAll();
    assert.deepEqual(
      shares.map(s => s.limits.maxRequests),
      [4, 4],
    );
    assert.equal(stats[1]!.rqActive, 2);
  });

  test('whatever order the channels deliver in, the workers never hold more than the limit', () => {
    const LIMIT = 7;
    for (let seed = 1; seed <= 50; seed++) {
      let state = seed;
      const random = (n: number): number => {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        return state % n;
      };
      const { admit, deliver, shares, stats, deliverAll } = setup(3, {
        maxConnections: 1024,
        maxPendingRequests: 1024,
        maxRequests: LIMIT,
      });
      for (let step = 0; step < 400; step++) {
        const action = random(4);
        const w = random(3);
        if (action === 0) admit(w);
        else if (action === 1 && stats[w]!.rqActive > 0) stats[w]!.rqActive--;
        else deliver(random(6));
        const held = shares.reduce((sum, s) => sum + s.limits.maxRequests, 0);
        assert.ok(held <= LIMIT, `seed ${seed} step ${step}: workers hold ${held} of ${LIMIT}`);
        const active = stats.reduce((sum, s) => sum + s.rqActive, 0);
        assert.ok(active <= LIMIT, `seed ${seed} step ${step}: ${active} in flight`);
      }
      deliverAll();
      const held = shares.reduce((sum, s) => sum + s.limits.maxRequests, 0);
      assert.ok(held <= LIMIT);
    }
  });
});
