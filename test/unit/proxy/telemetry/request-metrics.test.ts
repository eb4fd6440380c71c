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
  // Two services on one endpoint: only the cluster tells them apart.
  const d = request('l1', 'outbound|9090||other.ns.svc.cluster.local', '10.0.0.1:9090', 'v1');
  // Another endpoint of a's cluster.
  const e = request('l1', 'outbound|9090|v1|svc.ns.svc.cluster.local', '10.0.0.3:9090', 'v3');
  // No route, so no cluster: the listener's service names the series.
  const noRoute = (listener: string, service: string) =>
    request(listener, '', '', 'unknown', {
      statPrefix: `outbound|9090||${service}.ns.svc.cluster.local`,
      localReplyKind: 'no-route',
      response: undefined,
    });
  // Each request after one that differs from it in one key only, somewhere.
  const order = [a, a, e, b, a, c, failed, b, d, b, c, a, d, failed];
  order.push(noRoute('l1', 'svc'), noRoute('l3', 'third'));
  for (const r of order) metrics.record(r, r.startTime + 3);
  const counts = [...metrics.series()].map(s => ({
    service: s.labels['destination_service_name'],
    version: s.labels['destination_version'],
    code: s.labels['response_code'],
    flags: s.labels['response_flags'],
    requests: s.requests,
    durations: s.duration.count,
  }));
  assert.deepEqual(
    counts.sort((x, y) =>
      `${x.service}${x.version}${x.code}`.localeCompare(`${y.service}${y.version}${y.code}`),
    ),
    [
      { service: 'other', version: 'v1', code: '0', flags: '-', requests: 2, durations: 2 },
      { service: 'svc', version: 'unknown', code: '1', flags: 'NR', requests: 1, durations: 1 },
      { service: 'svc', version: 'v1', code: '0', flags: '-', requests: 6, durations: 6 },
      { service: 'svc', version: 'v1', code: '1', flags: 'UT', requests: 2, durations: 2 },
      { service: 'svc', version: 'v2', code: '0', flags: '-', requests: 3, durations: 3 },
      { service: 'svc', version: 'v3', code: '0', flags: '-', requests: 1, durations: 1 },
      { service: 'third', version: 'unknown', code: '1', flags: 'NR', requests: 1, durations: 1 },
    ],
  );
});
