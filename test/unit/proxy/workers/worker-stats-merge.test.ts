import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  combineStateMetrics,
  sumPrometheusText,
  sumWorkerJson,
  type JsonMetric,
} from '../../../../src/proxy/workers/worker-stats-merge.js';

describe('sumPrometheusText', () => {
  test('adds samples with the same name and labels; each family keeps its header once and its samples together', () => {
    const a = [
      '# HELP istio_requests_total Requests.',
      '# TYPE istio_requests_total counter',
      'istio_requests_total{code="0"} 3',
      '# TYPE up gauge',
      'up 1',
      '',
    ].join('\n');
    const b = [
      '# HELP istio_requests_total Requests.',
      '# TYPE istio_requests_total counter',
      'istio_requests_total{code="0"} 4',
      'istio_requests_total{code="2"} 1',
      '# TYPE up gauge',
      'up 1',
      '',
    ].join('\n');
    assert.equal(
      sumPrometheusText([a, b]),
      [
        '# HELP istio_requests_total Requests.',
        '# TYPE istio_requests_total counter',
        'istio_requests_total{code="0"} 7',
        'istio_requests_total{code="2"} 1',
        '# TYPE up gauge',
        'up 2',
        '',
      ].join('\n'),
    );
  });

  test('histograms add bucket by bucket; a start time is the earliest, not a sum', () => {
    const worker = (count: number, start: number) =>
      [
        '# TYPE d histogram',
        `d_bucket{le="1"} ${count}`,
        `d_bucket{le="+Inf"} ${count}`,
        `d_sum ${count * 0.5}`,
        `d_count ${count}`,
        '# TYPE process_start_time_seconds gauge',
        `process_start_time_seconds ${start}`,
      ].join('\n');
    const sum = sumPrometheusText([worker(2, 200), worker(3, 100)]);
    assert.match(sum, /^d_bucket\{le="\+Inf"\} 5$/m);
    assert.match(sum, /^d_sum 2.5$/m);
    assert.match(sum, /^d_count 5$/m);
    assert.match(sum, /^process_start_time_seconds 100$/m);
  });

  test("the primary's own samples replace the workers'", () => {
    const worker =
      '# TYPE envoy_cluster_manager_cds_update_success counter\nenvoy_cluster_manager_cds_update_success 0\n';
    const sum = sumPrometheusText(
      [worker, worker],
      new Map([['envoy_cluster_manager_cds_update_success', 3]]),
    );
    assert.match(sum, /^envoy_cluster_manager_cds_update_success 3$/m);
  });
});

test('gauges of the config (rejected listeners, cluster members) are taken once, not added', () => {
  const worker = (healthy: number) =>
    [
      '# TYPE aeraki_listener_rejected gauge',
      'aeraki_listener_rejected{listener="l",code="AERAKI_ERR_LISTEN_FAILED"} 1',
      '# TYPE envoy_cluster_membership_total gauge',
      'envoy_cluster_membership_total{envoy_cluster_name="c"} 3',
      '# TYPE envoy_cluster_membership_healthy gauge',
      `envoy_cluster_membership_healthy{envoy_cluster_name="c"} ${healthy}`,
    ].join('\n');
  const sum = sumPrometheusText([worker(3), worker(2)]);
  assert.match(sum, /^aeraki_listener_rejected\{listener="l",code="AERAKI_ERR_LISTEN_FAILED"\} 1$/m);
  assert.match(sum, /^envoy_cluster_membership_total\{envoy_cluster_name="c"\} 3$/m);
  assert.match(sum, /^envoy_cluster_membership_healthy\{envoy_cluster_name="c"\} 2$/m);
});

test("/stats JSON: states are the highest worker's (overload), amounts add", () => {
  const worker = (active: number, requests: number): JsonMetric[] => [
    {
      name: 'aeraki_overload_action_active',
      values: [
        { labels: { action: 'stop_accepting_connections' }, value: active },
        { labels: { action: 'stop_accepting_requests' }, value: 0 },
      ],
    },
    { name: 'envoy_meta_protocol_request', values: [{ labels: { listener: 'l' }, value: requests }] },
  ];
  const one = [worker(1, 3), worker(0, 4)];
  const some = sumWorkerJson(one, new Set()) as JsonMetric[];
  combineStateMetrics(some, one);
  assert.equal(some[0]!.values[0]!.value, 0, 'one worker still accepts connections');
  const docs = [worker(1, 3), worker(1, 4)];
  const summed = sumWorkerJson(docs, new Set()) as JsonMetric[];
  combineStateMetrics(summed, docs);
  assert.deepEqual(summed, [
    {
      name: 'aeraki_overload_action_active',
      values: [
        { labels: { action: 'stop_accepting_connections' }, value: 1 },
        { labels: { action: 'stop_accepting_requests' }, value: 0 },
      ],
    },
    { name: 'envoy_meta_protocol_request', values: [{ labels: { listener: 'l' }, value: 7 }] },
  ]);
});

describe('sumWorkerJson', () => {
  test('named elements match by name, hosts by address; counts add, settings come from the first', () => {
    const worker = (rq: number, active: number, ejected: boolean) => [
      {
        name: 'outbound|9090||a',
        circuitBreakers: { maxRequests: 1024 },
        hosts: [{ address: '10.0.0.1:9090', activeRequests: active, ejected, labels: { version: 'v1' } }],
        stats: { rqTotal: rq },
      },
    ];
    assert.deepEqual(
      sumWorkerJson([worker(3, 1, false), worker(4, 2, true)], new Set(['circuitBreakers', 'labels'])),
      [
        {
          name: 'outbound|9090||a',
          circuitBreakers: { maxRequests: 1024 },
          hosts: [{ address: '10.0.0.1:9090', activeRequests: 3, ejected: true, labels: { version: 'v1' } }],
          stats: { rqTotal: 7 },
        },
      ],
    );
  });

  test('a tap counts once it is in every worker; a host is healthy when no worker ejected it', () => {
    const worker = (taps: number, healthy: boolean) => [
      { name: 'l', taps, hosts: [{ address: '10.0.0.1:9090', healthy, ejected: !healthy }] },
    ];
    assert.deepEqual(sumWorkerJson([worker(1, true), worker(0, false)], new Set()), [
      { name: 'l', taps: 0, hosts: [{ address: '10.0.0.1:9090', healthy: false, ejected: true }] },
    ]);
    assert.deepEqual(sumWorkerJson([worker(1, true), worker(1, true)], new Set()), [
      { name: 'l', taps: 1, hosts: [{ address: '10.0.0.1:9090', healthy: true, ejected: false }] },
    ]);
  });

  test('samples of a metric (prom-client JSON) match by their labels, not by position', () => {
    const a = [{ name: 'r', values: [{ labels: { code: '0' }, value: 1 }] }];
    const b = [
      {
        name: 'r',
        values: [
          { labels: { code: '1' }, value: 5 },
          { labels: { code: '0' }, value: 2 },
        ],
      },
    ];
    assert.deepEqual(sumWorkerJson([a, b], new Set(['labels'])), [
      {
        name: 'r',
        values: [
          { labels: { code: '0' }, value: 3 },
          { labels: { code: '1' }, value: 5 },
        ],
      },
    ]);
  });

  test('an element only one worker has is kept', () => {
    assert.deepEqual(
      sumWorkerJson(
        [
          [{ name: 'a', n: 1 }],
          [
            { name: 'b', n: 2 },
            { name: 'a', n: 1 },
          ],
        ],
        new Set(),
      ),
      [
        { name: 'a', n: 2 },
        { name: 'b', n: 2 },
      ],
    );
  });
});
