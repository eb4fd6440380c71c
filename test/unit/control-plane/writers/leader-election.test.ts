/**
 * Leader election on a Lease of the API stand-in, with the real client: one leader among three
 * electors; a leader that stops releases the Lease and another leads at once; a leader that vanishes
 * without releasing is replaced only after a lease duration.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { KubeClient } from '../../../../src/control-plane/sources/kubernetes/kube-client.js';
import { LeaderElector } from '../../../../src/control-plane/writers/leader-election.js';
import { TestCluster } from '../../../kubernetes-stand-in/index.js';

const LEASE_MS = 1000;
let cluster: TestCluster;

before(async () => {
  cluster = await TestCluster.start({ aerakiCrds: false });
  cluster.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'aeraki-system' } });
});
after(async () => {
  await cluster.stop();
});

function elector(identity: string, events: string[]): LeaderElector {
  return new LeaderElector({
    client: KubeClient.load({ kubeconfig: cluster.kubeconfigPath }),
    logger: pino({ enabled: false }),
    namespace: 'aeraki-system',
    name: 'test-leader',
    identity,
    leaseDurationMs: LEASE_MS,
    retryPeriodMs: 100,
    onStartedLeading: () => events.push(`${identity} leads`),
    onStoppedLeading: () => events.push(`${identity} stops`),
  });
}

async function until(condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(10);
  }
  return Date.now() - started;
}

test('one leader at a time; a released Lease is taken at once, an abandoned one after its duration', async () => {
  const events: string[] = [];
  const electors = ['a', 'b', 'c'].map(id => elector(id, events));
  for (const e of electors) e.start();
  await until(() => electors.some(e => e.isLeader), 2000);
  await sleep(500);
  assert.equal(electors.filter(e => e.isLeader).length, 1);
  const first = electors.find(e => e.isLeader)!;
  const lease = cluster.api.get('coordination.k8s.io', 'leases', 'aeraki-system', 'test-leader');
  assert.equal((lease?.['spec'] as { holderIdentity: string }).holderIdentity, first.state().identity);

  // Stopped: the Lease is released, so the next takes it within a retry period or two.
  await first.stop();
  const rest = electors.filter(e => e !== first);
  const released = await until(() => rest.some(e => e.isLeader), 2000);
  assert.ok(released < LEASE_MS, `a released Lease was taken after ${released} ms`);

  // Abandoned (its process gone, nothing released): the other waits a whole lease duration.
  const second = rest.find(e => e.isLeader)!;
  const third = rest.find(e => e !== second)!;
  const lastRenew = Date.now();
  (second as unknown as { stopped: boolean }).stopped = true; // stops renewing, as if killed
  await until(() => third.isLeader, LEASE_MS * 3);
  const waited = Date.now() - lastRenew;
  assert.ok(waited >= LEASE_MS - 150, `took over after ${waited} ms, before the lease ran out`);
  const transitions = cluster.api.get('coordination.k8s.io', 'leases', 'aeraki-system', 'test-leader')?.[
    'spec'
  ] as {
    leaseTransitions: number;
  };
  assert.equal(transitions.leaseTransitions, 2);
  await third.stop();
  assert.deepEqual(events.filter(e => e.endsWith('leads')).length, 3);
});
