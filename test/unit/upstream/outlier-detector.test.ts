import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OutlierDetectionSettings } from '../../../src/xds/resources.js';
import { ClusterStats } from '../../../src/upstream/cluster-stats.js';
import { Host } from '../../../src/upstream/host.js';
import { OutlierDetector, type RequestOutcome } from '../../../src/upstream/outlier-detector.js';

const SETTINGS: OutlierDetectionSettings = {
  consecutiveErrors: 3,
  consecutiveGatewayErrors: 0,
  intervalMs: 1000,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 100,
  minHealthPercent: 0,
};

/** A detector over `n` hosts with a clock the test moves. */
function setup(n: number, settings: Partial<OutlierDetectionSettings> = {}) {
  const clock = { now: 1_000_000 };
  const stats = new ClusterStats();
  let healthChanges = 0;
  const detector = new OutlierDetector(
    { ...SETTINGS, ...settings },
    stats,
    { onHostHealthChanged: () => healthChanges++ },
    () => clock.now,
  );
  const hosts = Array.from(
    { length: n },
    (_, i) => new Host({ address: '127.0.0.1', port: 2000 + i, labels: {}, weight: 1 }, stats),
  );
  detector.setHosts(hosts);
  const report = (host: Host, outcome: RequestOutcome, times = 1): void => {
    for (let i = 0; i < times; i++) host.recordOutcome(outcome);
  };
  /** Moves the clock by `ms` and runs the interval tick, as the timer would. */
  const advance = (ms: number): void => {
    clock.now += ms;
    detector.tick();
  };
  return { clock, stats, detector, hosts, report, advance, healthChanges: () => healthChanges };
}

describe('outlier detection', () => {
  test('consecutive errors eject a host; a success in between starts the count again', () => {
    const { hosts, report, stats, healthChanges } = setup(2);
    const h = hosts[0]!;
    report(h, 'error', 2);
    report(h, 'success');
    report(h, 'error', 2);
    assert.equal(h.healthy, true, 'two errors in a row are below the threshold of 3');
    assert.equal(h.consecutiveErrors, 2);
    report(h, 'gateway-error');
    assert.equal(h.healthy, false, 'the third failure in a row ejects (gateway errors count too)');
    assert.equal(h.ejectedUntil, 1_000_000 + 30_000);
    assert.equal(stats.outlierEjectionsActive, 1);
    assert.equal(stats.outlierEjectionsTotal, 1);
    assert.equal(stats.outlierEjectionsConsecutiveErrors, 1);
    assert.equal(healthChanges(), 1, 'the cluster was told once');
    assert.equal(h.consecutiveErrors, 0, 'counters restart at ejection');
    assert.equal(hosts[1]!.healthy, true);
  });

  test('gateway errors count only failures without a reply; an error reply breaks the run', () => {
    const { hosts, report, stats } = setup(2, { consecutiveErrors: 0, consecutiveGatewayErrors: 2 });
    const h = hosts[0]!;
    report(h, 'gateway-error');
    report(h, 'error');
    report(h, 'gateway-error');
    assert.equal(h.healthy, true, 'an error reply resets the gateway count');
    report(h, 'error', 10);
    assert.equal(h.healthy, true, 'error replies alone never eject when consecutive5xxErrors is 0');
    report(h, 'gateway-error', 2);
    assert.equal(h.healthy, false);
    assert.equal(stats.outlierEjectionsConsecutiveGatewayErrors, 1);
    assert.equal(stats.outlierEjectionsConsecutiveErrors, 0);
  });

  test('a host comes back on the first interval tick after its ejection time, not before', () => {
    const { hosts, report, advance, stats } = setup(2);
    const h = hosts[0]!;
    report(h, 'error', 3);
    advance(29_000);
    assert.equal(h.healthy, false);
    advance(1_000);
    assert.equal(h.healthy, true);
    assert.equal(h.ejectedUntil, 0);
    assert.equal(stats.outlierEjectionsActive, 0);
    assert.equal(stats.outlierEjectionsTotal, 1, 'the total is a counter');
  });

  test('each ejection lasts base time × ejections so far, capped; healthy intervals forgive', () => {
    const { hosts, report, advance, clock } = setup(2, { maxEjectionMs: 80_000 });
    const h = hosts[0]!;
    const ejectFor = (): number => {
      report(h, 'error', 3);
      return h.ejectedUntil - clock.now;
    };
    assert.equal(ejectFor(), 30_000);
    advance(30_000);
    assert.equal(ejectFor(), 60_000, 'second ejection: twice the base time');
    advance(60_000);
    assert.equal(ejectFor(), 80_000, 'third: 90 s capped at max_ejection_time');
    advance(80_000);
    assert.equal(h.healthy, true);
    // The multiplier stays at its cap (3) and one is forgiven per tick spent healthy.
    advance(1000);
    advance(1000);
    assert.equal(ejectFor(), 60_000, 'two healthy ticks bring 3 ejections down to 1, then +1');
  });

  test('max ejection percent bounds ejections, but one host can always be ejected', () => {
    const { hosts, report, stats } = setup(4, { maxEjectionPercent: 10 });
    report(hosts[0]!, 'error', 3);
    assert.equal(hosts[0]!.healthy, false, '1 of 4 is 25 % > 10 %, yet the first ejection is allowed');
    report(hosts[1]!, 'error', 3);
    assert.equal(hosts[1]!.healthy, true, 'a second ejection would pass 10 %');
    assert.equal(stats.outlierEjectionsOverflow, 1);
    report(hosts[1]!, 'error');
    assert.equal(stats.outlierEjectionsOverflow, 2, 'every further failure tries again');
  });

  test('max ejection percent 50 lets 2 of 4 out, not 3', () => {
    const { hosts, report, stats } = setup(4, { maxEjectionPercent: 50 });
    for (const h of hosts) report(h, 'error', 3);
    assert.deepEqual(
      hosts.map(h => h.healthy),
      [false, false, true, true],
    );
    assert.equal(stats.outlierEjectionsActive, 2);
  });

  test('outcomes of an ejected host do not count; detaching takes every host back', () => {
    const { hosts, report, detector, stats } = setup(2);
    const h = hosts[0]!;
    report(h, 'error', 3);
    report(h, 'error', 5);
    assert.equal(h.consecutiveErrors, 0);
    detector.detach();
    assert.equal(h.healthy, true);
    assert.equal(h.detector, undefined);
    assert.equal(stats.outlierEjectionsActive, 0);
    report(h, 'error', 5);
    assert.equal(h.consecutiveErrors, 0, 'a host without a detector records nothing');
  });

  test('hosts kept across an endpoint update keep their ejection', () => {
    const { hosts, report, detector, stats } = setup(3);
    report(hosts[1]!, 'error', 3);
    detector.setHosts([hosts[1]!, hosts[2]!]);
    assert.equal(hosts[1]!.healthy, false);
    assert.equal(stats.outlierEjectionsActive, 1);
    assert.equal(hosts[0]!.detector, undefined, 'a removed host is no longer watched');
  });

  test('two workers: an ejection made by one is made by the other, counted once, and ends for both', () => {
    const a = setup(2, { maxEjectionPercent: 50 });
    const b = setup(2, { maxEjectionPercent: 50 });
    b.clock.now = a.clock.now;
    a.detector.onEjected = (host, untilMs, multiplier) =>
      b.detector.ejectedElsewhere(host.key, untilMs, multiplier);
    a.report(a.hosts[0]!, 'error', 3);
    assert.equal(b.hosts[0]!.healthy, false, 'worker b ejects the host worker a ejected');
    assert.equal(b.hosts[0]!.ejectedUntil, a.hosts[0]!.ejectedUntil);
    assert.equal(b.healthChanges(), 1, "b's cluster was told");
    assert.equal(a.stats.outlierEjectionsActive + b.stats.outlierEjectionsActive, 1, 'counted once');
    assert.equal(a.stats.outlierEjectionsTotal + b.stats.outlierEjectionsTotal, 1);
    // b counts it for maxEjectionPercent: 50 % of 2 hosts is 1, so b ejects no second host.
    b.report(b.hosts[1]!, 'error', 3);
    assert.equal(b.hosts[1]!.healthy, true);
    assert.equal(b.stats.outlierEjectionsOverflow, 1);
    // Both take it back at the same tick after its 30 s.
    a.advance(30_000);
    b.advance(30_000);
    assert.equal(a.hosts[0]!.healthy, true);
    assert.equal(b.hosts[0]!.healthy, true);
    assert.equal(b.stats.outlierEjectionsActive, 0);
  });
});
