import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestMetrics } from '../../../../src/proxy/telemetry/request-metrics.js';
import { finishedRequest, metadata } from './finished-requests.js';

const ok = { status: 'ok', metadata: metadata({}), bytes: Buffer.alloc(5) };

function request(listener: string, cluster: string, host: string, version: string, extra = {}) {
  return finishedRequest({
    listenerName: listener,
    clusterName: cluster,
    upstreamHost: host,
    upstreamLabels: { version },
    statPrefix: cluster,
    response: ok,
    ...extra,
  });
}

test('each request is counted in the series of its listener, cluster, endpoint and outcome, in any order', () => {
  const metrics = new RequestMetrics();
  const a = request('l1', 'outbound|9090|v1|svc.ns.svc.cluster.local', '10.0.0.1:9090', 'v1');
  const b = request('l1', 'outbound|9090|v2|svc.ns.svc.cluster.local', '10.0.0.2:9090', 'v2');
  // Another listener for the same service and endpoint: the same labels, so the same series.
  const c = request('l2', 'outbound|9090|v1|svc.ns.svc.cluster.local', '10.0.0.1:9090', 'v1');
  const failed = request('l1', 'outbound|9090|v1|svc.ns.svc.cluster.local', '10.0.0.1:9090', 'v1', {
    localReplyKind: 'timeout',
    response: undefined,
  });
  const order = [a, a, b, a, c, failed, b, b, c, a, failed];
  for (const r of order) metrics.record(r, r.startTime + 3);
  const counts = [...metrics.series()].map(s => ({
    version: s.labels['destination_version'],
    code: s.labels['response_code'],
    flags: s.labels['response_flags'],
    requests: s.requests,
    durations: s.duration.count,
  }));
  assert.deepEqual(
    counts.sort((x, y) => `${x.version}${x.code}`.localeCompare(`${y.version}${y.code}`)),
    [
      { version: 'v1', code: '0', flags: '-', requests: 6, durations: 6 },
      { version: 'v1', code: '1', flags: 'UT', requests: 2, durations: 2 },
      { version: 'v2', code: '0', flags: '-', requests: 3, durations: 3 },
    ],
  );
});
