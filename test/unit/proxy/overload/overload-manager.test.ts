import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OverloadManager } from '../../../../src/proxy/overload/overload-manager.js';
import { DEFAULT_PROXY_LIMITS, type ProxyLimits } from '../../../../src/proxy/proxy-limits.js';

const MiB = 1024 * 1024;

function manager(limits: Partial<ProxyLimits>, queued = () => 0, collect?: () => void): OverloadManager {
  return new OverloadManager({ ...DEFAULT_PROXY_LIMITS, ...limits }, queued, undefined, collect);
}

describe('OverloadManager', () => {
  test('incomplete-frame bytes are reserved up to the cap, and given back', () => {
    const m = manager({ maxIncompleteFrameBytes: 100 });
    assert.equal(m.holdIncomplete(60), true);
    assert.equal(m.holdIncomplete(41), false, 'over the cap: nothing reserved');
    assert.equal(m.incompleteFrameBytes, 60);
    assert.equal(m.holdIncomplete(40), true);
    m.releaseIncomplete(100);
    assert.equal(m.incompleteFrameBytes, 0);
  });

  test('buffered bytes: connections refused from 90 %, requests from 95 %, both back below', () => {
    let queued = 0;
    const m = manager({ maxBufferedBytes: 1000 }, () => queued);
    m.inFlightRequestBytes = 500;
    queued = 399;
    m.refresh();
    assert.deepEqual([m.acceptingConnections, m.acceptingRequests], [true, true]);
    queued = 400;
    m.refresh();
    assert.equal(m.bufferedBytes, 900);
    assert.deepEqual([m.acceptingConnections, m.acceptingRequests], [false, true]);
    assert.equal(m.active('stop_accepting_connections'), true);
    m.incompleteFrameBytes = 50;
    m.refresh();
    assert.deepEqual([m.acceptingConnections, m.acceptingRequests], [false, false]);
    assert.equal(m.active('stop_accepting_requests'), true);
    m.inFlightRequestBytes = 0;
    m.refresh();
    assert.deepEqual([m.acceptingConnections, m.acceptingRequests], [true, true]);
    assert.equal(m.pressure.buffered, 0.45);
  });

  test('heap: over its limit everything new is refused; 0 buffered bytes means not watched', () => {
    const m = manager({ maxHeapBytes: 1024, maxBufferedBytes: 0 }, () => 10 ** 12);
    m.refresh();
    assert.ok(m.pressure.heap > 1);
    assert.equal(m.pressure.buffered, 0);
    assert.deepEqual([m.acceptingConnections, m.acceptingRequests], [false, false]);
  });

  test('garbage buffers far beyond what is held are collected once steady, at most every 10 s', () => {
    let collections = 0;
    const m = manager(
      {},
      () => 0,
      () => collections++,
    );
    // 40 MiB of Buffers the manager does not account for: to it, garbage of gone peers.
    const unaccounted = Buffer.alloc(40 * MiB, 1);
    m.refresh(100_000);
    m.refresh(100_250);
    assert.equal(collections, 1);
    m.refresh(100_500);
    m.refresh(110_000);
    assert.equal(collections, 1, 'not again within 10 s');
    m.refresh(110_300);
    assert.equal(collections, 2);
    assert.equal(m.collections, 2);
    assert.equal(unaccounted[0], 1);
  });
});
