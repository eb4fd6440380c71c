/**
 * The proxy's metrics in Prometheus form, through prom-client's registry: Istio's standard request
 * metrics, the MetaProtocol listener stats (`envoy_meta_protocol_*`), the upstream cluster stats
 * (`envoy_cluster_*`, Envoy's names), listener updates and rejections (`envoy_listener_manager_*`,
 * `envoy_cluster_manager_cds_*`, `aeraki_listener_rejected`), the access log's losses
 * (`aeraki_access_log_*`), the Redis proxy's (`envoy_redis_*`, redis-metrics.ts), and the process's own
 * (memory, CPU, event-loop lag).
 *
 * The request path only adds to plain numbers (see RequestMetrics, ListenerStats, ClusterStats);
 * values are read here when scraped, so prom-client's per-observation label hashing never runs per
 * request.
 */
import { collectProcessMetrics, Registry, type Metric } from '../../net/prom-client.js';
import type { Cluster } from '../../upstream/cluster.js';
import { listenerFilterStats, shortFilterName } from '../filter-stats.js';
import type { UpdateCounters } from '../../xds/ads-client.js';
import { TypeUrls } from '../../xds/type-urls.js';
import type { Listener } from '../listener.js';
import type { ListenerManagerStats, ListenerRejection } from '../proxy.js';
import type { OverloadManager } from '../overload/overload-manager.js';
import type { AccessLogStats } from './access-log.js';
import type { FixedHistogram } from './histogram.js';
import { redisMetrics, type RedisMetricsSource } from './redis-metrics.js';
import type { RequestMetrics, RequestSeries } from './request-metrics.js';

export type Labels = Record<string, string | number>;
export interface Sample {
  readonly metricName?: string;
  readonly labels: Labels;
  readonly value: number;
}

/** What the exporter reads from the proxy at scrape time. */
export interface MetricsSource {
  readonly requestMetrics: RequestMetrics | undefined;
  readonly listeners: () => Iterable<Listener>;
  readonly clusters: () => Iterable<Cluster>;
  /** The access log's losses; undefined when there is no access log. */
  readonly accessLog?: () => AccessLogStats | undefined;
  /** Listener updates: Envoy's `listener_manager.*` counters, rejected listeners, xDS updates per type. */
  readonly listenerManager?: () => ListenerManagerSource;
  /** The overload manager: its resources' pressure, its actions, the bytes held for connections. */
  readonly overload?: () => OverloadManager;
  /** The Redis listeners and clusters (see redis-metrics.ts); absent = none. */
  readonly redis?: () => RedisMetricsSource;
}

/** What the listener-manager metrics are read from. */
export interface ListenerManagerSource {
  readonly stats: ListenerManagerStats;
  readonly rejected: readonly ListenerRejection[];
  /** Per type URL: DiscoveryResponses received, ACKed and NACKed. */
  readonly updates: Readonly<Record<string, Readonly<UpdateCounters>>>;
}

/** Envoy's stat prefix of each subscription whose update counters are exported. */
const SUBSCRIPTION_PREFIXES: Readonly<Record<string, string>> = {
  [TypeUrls.listener]: 'envoy_listener_manager_lds_',
  [TypeUrls.cluster]: 'envoy_cluster_manager_cds_',
};

/**
 * A metric whose samples are computed when scraped. prom-client's registry reads any object with
 * these fields and `get()`; its own classes would count per observation, which the hot path avoids.
 */
export class ScrapedMetric {
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    private readonly samples: () => Sample[],
  ) {}

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.samples(),
    });
  }

  reset(): void {}
  collect(): void {}
}

function histogramSamples(
  name: string,
  series: Iterable<RequestSeries>,
  pick: (s: RequestSeries) => FixedHistogram,
): Sample[] {
  const out: Sample[] = [];
  for (const s of series) {
    const h = pick(s);
    const cumulative = h.cumulative();
    h.bounds.forEach((bound, i) => {
      out.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: bound }, value: cumulative[i]! });
    });
    out.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: h.count });
    out.push({ metricName: `${name}_sum`, labels: s.labels, value: h.sum });
    out.push({ metricName: `${name}_count`, labels: s.labels, value: h.count });
  }
  return out;
}

/** `cxTotal` → `cx_total`. */
function snake(name: string): string {
  return name.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`);
}

/**
 * One metric per numeric field of the stats objects (`…Active` fields are gauges, the rest
 * counters), so a counter added to ListenerStats or ClusterStats is exported without touching this
 * file. Nested records of numbers (`localReply: {timeout: 3, …}`) become one metric with the key as
 * the `reason` label.
 */
export function statsMetrics(
  prefix: string,
  kind: string,
  objects: Iterable<{ labels: Labels; stats: object }>,
): ScrapedMetric[] {
  const byField = new Map<string, Sample[]>();
  const add = (field: string, sample: Sample): void => {
    let samples = byField.get(field);
    if (samples === undefined) byField.set(field, (samples = []));
    samples.push(sample);
  };
  for (const { labels, stats } of objects) {
    let fields: [string, unknown][];
    try {
      fields = Object.entries(stats);
    } catch {
      continue; // a plugin filter's stats object whose getter throws: left out, the scrape goes on
    }
    for (const [field, value] of fields) {
      if (typeof value === 'number') add(field, { labels, value });
      else if (typeof value === 'object' && value !== null) {
        for (const [reason, count] of Object.entries(value as Record<string, unknown>)) {
          if (typeof count === 'number') add(field, { labels: { ...labels, reason }, value: count });
        }
      }
    }
  }
  return [...byField].map(([field, samples]) => {
    // A plugin filter's counter names are its own: anything a metric name cannot hold becomes `_`.
    const name = `${prefix}${snake(field)}`.replace(/[^A-Za-z0-9_:]/g, '_');
    return new ScrapedMetric(
      name,
      `${kind} ${field}`,
      field.endsWith('Active') ? 'gauge' : 'counter',
      () => samples,
    );
  });
}

/** The overload manager's state (Envoy's `overload.*` stats, with labels instead of names). */
function overloadMetrics(overload: OverloadManager): ScrapedMetric[] {
  return [
    new ScrapedMetric(
      'aeraki_overload_pressure',
      'Use of each watched resource against its limit (1 = the limit), at the latest check.',
      'gauge',
      () => Object.entries(overload.pressure).map(([resource, value]) => ({ labels: { resource }, value })),
    ),
    new ScrapedMetric(
      'aeraki_overload_action_active',
      'Whether the overload manager sheds load this way now (1) or not (0).',
      'gauge',
      () =>
        (['stop_accepting_connections', 'stop_accepting_requests'] as const).map(action => ({
          labels: { action },
          value: overload.active(action) ? 1 : 0,
        })),
    ),
    new ScrapedMetric(
      'aeraki_buffered_bytes',
      'Bytes the proxy holds for connections: incomplete frames, requests in flight, and all of them with replies queued for clients (total, at the latest check).',
      'gauge',
      () => [
        { labels: { kind: 'incomplete_frames' }, value: overload.incompleteFrameBytes },
        { labels: { kind: 'requests_in_flight' }, value: overload.inFlightRequestBytes },
        { labels: { kind: 'total' }, value: overload.bufferedBytes },
      ],
    ),
  ];
}

/** Renders the proxy's metrics; one per proxy, kept for its process metrics' state. */
export class ProxyMetricsExporter {
  private readonly processRegistry = new Registry();

  constructor(private readonly source: MetricsSource) {
    collectProcessMetrics(this.processRegistry);
  }

  get contentType(): string {
    return this.processRegistry.contentType;
  }

  /** The Prometheus text exposition. */
  async text(): Promise<string> {
    return this.registry().metrics();
  }

  /** The same as JSON (prom-client's shape), for people and scripts. */
  async json(): Promise<unknown> {
    return this.registry().getMetricsAsJSON();
  }

  private registry(): Registry {
    const scraped = new Registry();
    const register = (metric: ScrapedMetric): void =>
      // ScrapedMetric has every member the registry reads; prom-client's type only lists its own classes.
      scraped.registerMetric(metric as unknown as Metric);
    const requests = this.source.requestMetrics;
    if (requests !== undefined) {
      const series = [...requests.series()];
      register(
        new ScrapedMetric(
          'istio_requests_total',
          'Requests, by source and destination (Istio standard metric).',
          'counter',
          () => series.map(s => ({ labels: s.labels, value: s.requests })),
        ),
      );
      const histograms: [string, string, (s: RequestSeries) => FixedHistogram][] = [
        ['istio_request_duration_milliseconds', 'Request duration in milliseconds.', s => s.duration],
        ['istio_request_bytes', 'Request size in bytes.', s => s.requestBytes],
        ['istio_response_bytes', 'Response size in bytes.', s => s.responseBytes],
      ];
      for (const [name, help, pick] of histograms) {
        register(new ScrapedMetric(name, help, 'histogram', () => histogramSamples(name, series, pick)));
      }
    }
    const listeners = [...this.source.listeners()].map(l => ({
      labels: {
        listener: l.name,
        protocol: l.state.resource.protocol,
        stat_prefix: l.state.resource.statPrefix,
      },
      stats: l.stats,
      state: l.state,
    }));
    for (const metric of statsMetrics('envoy_meta_protocol_', 'MetaProtocol listener stat', listeners))
      register(metric);
    // Filter counters (rate limits, plugin filters): envoy_meta_protocol_<filter>_<counter>, per listener.
    const byFilter = new Map<string, { labels: Labels; stats: object }[]>();
    for (const { labels, state } of listeners) {
      for (const [name, stats] of Object.entries(listenerFilterStats(state))) {
        const short = shortFilterName(name);
        byFilter.set(short, [...(byFilter.get(short) ?? []), { labels, stats }]);
      }
    }
    for (const [short, objects] of byFilter) {
      for (const metric of statsMetrics(`envoy_meta_protocol_${short}_`, `${short} filter stat`, objects)) {
        // A plugin filter's counter whose name a listener stat already has (filter `request`, counter
        // `active`) is left out: /listeners still shows it, and the scrape stays whole.
        if (scraped.getSingleMetric(metric.name) === undefined) register(metric);
      }
    }
    const clusters = [...this.source.clusters()];
    const cluster = (c: Cluster): Labels => ({ envoy_cluster_name: c.name });
    for (const metric of statsMetrics(
      'envoy_cluster_upstream_',
      'Upstream cluster stat',
      clusters.map(c => ({ labels: cluster(c), stats: c.stats })),
    )) {
      register(metric);
    }
    const gauges: [string, string, (c: Cluster) => number][] = [
      ['envoy_cluster_membership_total', 'Endpoints of the cluster.', c => c.hosts.length],
      [
        'envoy_cluster_membership_healthy',
        'Endpoints that may take requests.',
        c => c.hosts.filter(h => h.healthy).length,
      ],
    ];
    for (const [name, help, value] of gauges) {
      register(
        new ScrapedMetric(name, help, 'gauge', () =>
          clusters.map(c => ({ labels: cluster(c), value: value(c) })),
        ),
      );
    }
    const redis = this.source.redis?.();
    if (redis !== undefined) for (const metric of redisMetrics(redis)) register(metric);
    const listenerManager = this.source.listenerManager?.();
    if (listenerManager !== undefined)
      for (const metric of listenerManagerMetrics(listenerManager)) register(metric);
    const overload = this.source.overload?.();
    if (overload !== undefined) for (const metric of overloadMetrics(overload)) register(metric);
    const accessLog = this.source.accessLog?.();
    if (accessLog !== undefined) {
      register(
        new ScrapedMetric(
          'aeraki_access_log_dropped_total',
          'Requests not written to the access log because its worker or the disk was behind.',
          'counter',
          () => [{ labels: {}, value: accessLog.dropped }],
        ),
      );
      register(
        new ScrapedMetric(
          'aeraki_access_log_write_failures_total',
          'Access-log writes that failed (their lines are lost).',
          'counter',
          () => [{ labels: {}, value: accessLog.writeFailures }],
        ),
      );
    }
    return Registry.merge([this.processRegistry, scraped]);
  }
}

/**
 * The xDS update counters as samples (name → value), as {@link listenerManagerMetrics} exposes them:
 * what the primary of a proxy with workers, which holds the xDS connection, reports for the proxy.
 */
export function xdsUpdateSamples(
  updates: Readonly<Record<string, Readonly<UpdateCounters>>>,
): Map<string, number> {
  const samples = new Map<string, number>();
  for (const [typeUrl, prefix] of Object.entries(SUBSCRIPTION_PREFIXES)) {
    const counters = updates[typeUrl] ?? { attempt: 0, success: 0, rejected: 0 };
    for (const field of ['attempt', 'success', 'rejected'] as const) {
      samples.set(`${prefix}update_${field}`, counters[field]);
    }
  }
  return samples;
}

/**
 * Envoy's names: `listener_manager.listener_create_{success,failure}`, `listener_manager.lds.update_*`,
 * `cluster_manager.cds.update_*`; and one gauge per listener the proxy rejects, labelled with the
 * error code, so an alert can name it.
 */
function listenerManagerMetrics(source: ListenerManagerSource): ScrapedMetric[] {
  const { stats } = source;
  const metrics = [
    new ScrapedMetric(
      'envoy_listener_manager_listener_create_success',
      'Listener versions built and bound.',
      'counter',
      () => [{ labels: {}, value: stats.listenerCreateSuccess }],
    ),
    new ScrapedMetric(
      'envoy_listener_manager_listener_create_failure',
      'Listener versions that could not be built or bound (failed bind retries included).',
      'counter',
      () => [{ labels: {}, value: stats.listenerCreateFailure }],
    ),
    new ScrapedMetric(
      'aeraki_listener_rejected',
      'Listeners of the config in force that do not run as given (1 each), by error code.',
      'gauge',
      () => source.rejected.map(r => ({ labels: { listener: r.name, code: r.code }, value: 1 })),
    ),
  ];
  for (const [typeUrl, prefix] of Object.entries(SUBSCRIPTION_PREFIXES)) {
    const counters = source.updates[typeUrl] ?? { attempt: 0, success: 0, rejected: 0 };
    for (const [field, help] of [
      ['attempt', 'responses received'],
      ['success', 'responses applied whole (ACKed)'],
      ['rejected', 'responses NACKed (their valid parts applied)'],
    ] as const) {
      metrics.push(
        new ScrapedMetric(`${prefix}update_${field}`, `xDS ${help}.`, 'counter', () => [
          { labels: {}, value: counters[field] },
        ]),
      );
    }
  }
  return metrics;
}
