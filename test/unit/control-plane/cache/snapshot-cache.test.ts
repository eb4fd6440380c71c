/** The snapshot cache: first publish at once, later ones debounced, `*` fallback, no-op republish. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { ALL_NODES, SnapshotCache } from '../../../../src/control-plane/cache/index.js';
import { encodeSnapshot } from '../../../../src/xds/index.js';
import { sampleSnapshot } from '../../xds/sample-snapshot.js';

const snap = (port: number) => encodeSnapshot(sampleSnapshot(['a'], 'a', port));

describe('SnapshotCache', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
  afterEach(() => mock.timers.reset());

  test('the first snapshot of a key is published at once, later ones after the debounce', () => {
    const cache = new SnapshotCache({ quietPeriodMs: 100, maxDelayMs: 1000 });
    const published: string[] = [];
    cache.onPublish((key, s) => published.push(`${key}:${s?.version}`));
    const first = cache.setSnapshot(ALL_NODES, snap(1));
    assert.deepEqual(published, [`*:${first.version}`]);
    assert.equal(cache.snapshotFor('n1'), first);

    cache.setSnapshot(ALL_NODES, snap(2));
    const third = cache.setSnapshot(ALL_NODES, snap(3));
    assert.equal(cache.snapshotFor('n1'), first, 'still the old one during the quiet period');
    mock.timers.tick(100);
    assert.deepEqual(published, [`*:${first.version}`, `*:${third.version}`]);
    assert.equal(cache.snapshotFor('n1'), third);
  });

  test('publishing the same content again notifies no one', () => {
    const cache = new SnapshotCache({ quietPeriodMs: 0, maxDelayMs: 0 });
    let count = 0;
    cache.onPublish(() => count++);
    cache.setSnapshot(ALL_NODES, snap(1));
    cache.setSnapshot(ALL_NODES, snap(1));
    assert.equal(count, 1);
  });

  test('a node snapshot overrides `*` until cleared', () => {
    const cache = new SnapshotCache({ quietPeriodMs: 50, maxDelayMs: 500 });
    const shared = cache.setSnapshot(ALL_NODES, snap(1));
    const own = cache.setSnapshot('n1', snap(2));
    assert.equal(cache.snapshotFor('n1'), own);
    assert.equal(cache.snapshotFor('n2'), shared);
    assert.equal(cache.snapshotOf('n2'), undefined);
    cache.clearSnapshot('n1');
    assert.equal(cache.snapshotFor('n1'), own);
    cache.flush();
    assert.equal(cache.snapshotFor('n1'), shared);
  });

  test('close drops waiting snapshots', () => {
    const cache = new SnapshotCache({ quietPeriodMs: 50, maxDelayMs: 500 });
    const first = cache.setSnapshot(ALL_NODES, snap(1));
    cache.setSnapshot(ALL_NODES, snap(2));
    cache.close();
    mock.timers.tick(1000);
    assert.equal(cache.snapshotFor('n'), first);
  });
});
