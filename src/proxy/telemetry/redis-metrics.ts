/**
 * The Redis proxy's stats in Prometheus form, Envoy's names with the stat prefix and command as
 * labels: per listener `envoy_redis_downstream_*` and `envoy_redis_splitter_*`, per command
 * `envoy_redis_command_{total,success,error,error_fault,delay_fault}` and the latency histogram
 * `envoy_redis_command_latency` (ms); per upstream cluster, with `enableCommandStats`,
 * `envoy_cluster_upstream_commands_{total,success,failure}` and `…_latency_ms_sum`, and the
 * redirections and topology refreshes (`envoy_cluster_redis_*`).
 */
import type { RedisListener } from '../../redis/listener/redis-listener.js';
import type { RedisUpstreamCluster } from '../../redis/upstream/upstream-cluster.js';
import { ScrapedMetric, statsMetrics, type Labels, type Sample } from './prometheus.js';

/** What the Redis metrics are read from. */
export interface RedisMetricsSource {
  readonly listeners: Iterable<RedisListener>;
  readonly clusters: Iterable<RedisUpstreamCluster>;
}

const COMMAND_COUNTERS = [
  ['total', 'Commands.'],
  ['success', 'Commands answered without an error.'],
  ['error', 'Commands answered with an error (or partly, for split commands).'],
  ['errorFault', 'Commands given an injected error.'],
  ['delayFault', 'Commands given an injected delay.'],
] as const;

const UPSTREAM_COUNTERS = [
  ['total', 'Commands sent to the cluster.'],
  ['success', 'Commands the cluster answered without an error.'],
  ['failure', 'Commands the cluster answered with an error or did not answer.'],
] as const;

export function redisMetrics(source: RedisMetricsSource): ScrapedMetric[] {
  const listeners = [...source.listeners].map(l => ({
    labels: { listener: l.name, stat_prefix: l.state.resource.statPrefix } as Labels,
    listener: l,
  }));
  const metrics = statsMetrics(
    'envoy_redis_',
    'Redis listener stat',
    listeners.map(({ labels, listener }) => ({ labels, stats: listener.stats })),
  );
  for (const [field, help] of COMMAND_COUNTERS) {
    const name = `envoy_redis_command_${field === 'errorFault' ? 'error_fault' : field === 'delayFault' ? 'delay_fault' : field}`;
    metrics.push(
      new ScrapedMetric(name, help, 'counter', () =>
        listeners.flatMap(({ labels, listener }) =>
          [...listener.stats.commands].map(([command, stats]) => ({
            labels: { ...labels, command },
            value: stats[field],
          })),
        ),
      ),
    );
  }
  metrics.push(
    new ScrapedMetric(
      'envoy_redis_command_latency',
      'Command latency in milliseconds (delay faults included).',
      'histogram',
      () => {
        const out: Sample[] = [];
        for (const { labels, listener } of listeners) {
          for (const [command, stats] of listener.stats.commands) {
            const h = stats.latency;
            const l = { ...labels, command };
            const cumulative = h.cumulative();
            h.bounds.forEach((bound, i) => {
              out.push({
                metricName: 'envoy_redis_command_latency_bucket',
                labels: { ...l, le: bound },
                value: cumulative[i]!,
              });
            });
            out.push({
              metricName: 'envoy_redis_command_latency_bucket',
              labels: { ...l, le: '+Inf' },
              value: h.count,
            });
            out.push({ metricName: 'envoy_redis_command_latency_sum', labels: l, value: h.sum });
            out.push({ metricName: 'envoy_redis_command_latency_count', labels: l, value: h.count });
          }
        }
        return out;
      },
    ),
  );
  const clusters = [...source.clusters];
  for (const [field, help] of UPSTREAM_COUNTERS) {
    metrics.push(
      new ScrapedMetric(`envoy_cluster_upstream_commands_${field}`, help, 'counter', () =>
        clusters.flatMap(c =>
          [...c.commandStats].map(([command, stats]) => ({
            labels: { envoy_cluster_name: c.name, command },
            value: stats[field],
          })),
        ),
      ),
    );
  }
  metrics.push(
    new ScrapedMetric(
      'envoy_cluster_upstream_commands_latency_ms_sum',
      'Sum of command latencies in milliseconds.',
      'counter',
      () =>
        clusters.flatMap(c =>
          [...c.commandStats].map(([command, stats]) => ({
            labels: { envoy_cluster_name: c.name, command },
            value: stats.latencyMsSum,
          })),
        ),
    ),
  );
  metrics.push(
    ...statsMetrics(
      'envoy_cluster_redis_',
      'Redis upstream cluster stat',
      clusters.map(c => ({ labels: { envoy_cluster_name: c.name }, stats: c.redisStats })),
    ),
  );
  return metrics;
}
