/**
 * Clusters and their endpoints, built on demand: every route table asks for the clusters it uses, and
 * each MetaProtocol port asks for its own, so the snapshot holds exactly the clusters something can use.
 */
import {
  durationMs,
  type ConnectionPoolSettings,
  type DestinationRuleSpec,
  type LoadBalancerSettings,
  type OutlierDetection,
  type WorkloadEntry,
} from '../../api/index.js';
import type {
  CircuitBreakerLimits,
  ClusterResource,
  EndpointAssignmentResource,
  EndpointResource,
  LbPolicy,
  OutlierDetectionSettings,
} from '../../xds/resources.js';
import type { ConfigIndex, ServicePortRef } from '../model/config-index.js';
import { effectivePolicy } from '../model/traffic-policy.js';
import { TranslationMemo, type ClusterWants, type PortLookups } from './translation-memo.js';
import {
  DEFAULT_CIRCUIT_BREAKERS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_LB_POLICY,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MULTIPLEXED_CONNECTIONS,
  DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
  OUTLIER_DEFAULTS,
} from './defaults.js';

/** Istio's cluster name, `outbound|<port>|<subset>|<host>` (empty subset for the whole service). */
export function clusterName(port: number, subset: string, host: string): string {
  return `outbound|${port}|${subset}|${host}`;
}

interface ClusterKey {
  readonly port: number;
  readonly subset: string;
  readonly host: string;
}

/** What a scope decides about clusters (see TranslationScope). */
interface ClusterScope extends Pick<PortLookups, 'destinationRuleFor'> {
  seesServicePort(host: string, port: number): boolean;
}

export class ClusterBuilder implements ClusterWants {
  private readonly wanted = new Map<string, ClusterKey>();

  /** `scope`: only the clusters of service ports it sees are built, with its DestinationRules. */
  constructor(
    private readonly index: ConfigIndex,
    private readonly memo = new TranslationMemo(),
    private readonly scope?: ClusterScope,
  ) {}

  /** Records that a cluster is needed and returns its name. */
  want(port: number, subset: string, host: string): string {
    const name = clusterName(port, subset, host);
    if (!this.wanted.has(name)) this.wanted.set(name, { port, subset, host });
    return name;
  }

  /**
   * The wanted clusters whose service port exists (and the scope sees), with their endpoints, ordered
   * by name; `invisible` names those the scope may not see.
   */
  build(): {
    clusters: ClusterResource[];
    endpoints: EndpointAssignmentResource[];
    invisible: ReadonlySet<string>;
  } {
    const clusters: ClusterResource[] = [];
    const endpoints: EndpointAssignmentResource[] = [];
    const invisible = new Set<string>();
    const scope = this.scope;
    for (const name of [...this.wanted.keys()].sort()) {
      const key = this.wanted.get(name);
      if (key === undefined) continue;
      const ref = this.index.servicePort(key.host, key.port);
      if (ref === undefined) continue;
      if (scope !== undefined && !scope.seesServicePort(key.host, key.port)) {
        invisible.add(name);
        continue;
      }
      const rule = (scope ?? this.index).destinationRuleFor(key.host);
      const built = this.memo.cluster(name, ref.serviceEntry, ref.port, rule, () =>
        makeCluster(name, key, ref, rule?.resource.spec),
      );
      clusters.push(built.cluster);
      endpoints.push(built.endpoints);
    }
    return { clusters, endpoints, invisible };
  }
}

/** A cluster and its endpoints: the service port's endpoints the subset selects, the rule's policy. */
function makeCluster(
  name: string,
  key: ClusterKey,
  ref: ServicePortRef,
  rule: DestinationRuleSpec | undefined,
): { cluster: ClusterResource; endpoints: EndpointAssignmentResource } {
  const policy = effectivePolicy(rule, key.port, key.subset);
  const tcp = policy.connectionPool?.tcp;
  const limits = circuitBreakers(policy.connectionPool);
  const outlier = policy.outlierDetection;
  const maxRequestsPerConnection = policy.connectionPool?.http?.maxRequestsPerConnection ?? 0;
  const cluster: ClusterResource = {
    name,
    lbPolicy: lbPolicy(policy.loadBalancer),
    connectTimeoutMs: durationMs(tcp?.connectTimeout, DEFAULT_CONNECT_TIMEOUT_MS),
    idleTimeoutMs: durationMs(tcp?.idleTimeout, DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS),
    maxConnectionsPerEndpoint: 0,
    multiplexedConnections: DEFAULT_MULTIPLEXED_CONNECTIONS,
    heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
    ...(limits === undefined ? {} : { circuitBreakers: limits }),
    ...(maxRequestsPerConnection > 0 ? { maxRequestsPerConnection } : {}),
    ...(outlier === undefined ? {} : { outlierDetection: outlierDetection(outlier) }),
  };

  const spec = ref.serviceEntry.resource.spec;
  const subsetLabels =
    key.subset === '' ? {} : (rule?.subsets?.find(s => s.name === key.subset)?.labels ?? undefined);
  let entries: readonly WorkloadEntry[] = spec.endpoints ?? [];
  if (entries.length === 0 && (spec.resolution === 'DNS' || spec.resolution === 'DNS_ROUND_ROBIN')) {
    entries = [{ address: key.host }];
  }
  const selected: EndpointResource[] = [];
  // A subset the DestinationRule does not define selects nothing (the config has an error then).
  if (subsetLabels !== undefined) {
    const wanted = Object.entries(subsetLabels);
    for (const entry of entries) {
      if (entry.address === undefined || !wanted.every(([k, v]) => entry.labels?.[k] === v)) continue;
      selected.push({
        address: entry.address,
        port: entry.ports?.[ref.port.name] ?? ref.port.targetPort ?? ref.port.number,
        // The ServiceEntry's own labels, not a copy per endpoint and cluster (100,000 objects at
        // 10,000 services): neither side changes them.
        labels: entry.labels ?? NO_LABELS,
        weight: entry.weight === undefined || entry.weight === 0 ? 1 : entry.weight,
      });
    }
  }
  return { cluster, endpoints: { clusterName: name, endpoints: selected } };
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** Envoy's policy for a DestinationRule load balancer setting. */
export function lbPolicy(settings: LoadBalancerSettings | undefined): LbPolicy {
  if (settings?.consistentHash !== undefined) {
    return settings.consistentHash.maglev !== undefined ? 'MAGLEV' : 'RING_HASH';
  }
  switch (settings?.simple) {
    case 'ROUND_ROBIN':
    case 'PASSTHROUGH':
      return 'ROUND_ROBIN';
    case 'LEAST_REQUEST':
    case 'LEAST_CONN':
      return 'LEAST_REQUEST';
    case 'RANDOM':
      return 'RANDOM';
    default:
      return DEFAULT_LB_POLICY;
  }
}

/**
 * Istio's circuit breakers for a connection pool: `tcp.maxConnections`, `http.http1MaxPendingRequests`
 * and `http.http2MaxRequests` bound the whole cluster, as Envoy's `thresholds` do (not each endpoint);
 * 0 or unset means the default, Envoy's 1024 ({@link DEFAULT_CIRCUIT_BREAKERS}). When all three are
 * the defaults nothing is written: a cluster without `circuit_breakers` has exactly those.
 */
export function circuitBreakers(pool: ConnectionPoolSettings | undefined): CircuitBreakerLimits | undefined {
  const d = DEFAULT_CIRCUIT_BREAKERS;
  const limits = {
    maxConnections: pool?.tcp?.maxConnections || d.maxConnections,
    maxPendingRequests: pool?.http?.http1MaxPendingRequests || d.maxPendingRequests,
    maxRequests: pool?.http?.http2MaxRequests || d.maxRequests,
  };
  const defaults =
    limits.maxConnections === d.maxConnections &&
    limits.maxPendingRequests === d.maxPendingRequests &&
    limits.maxRequests === d.maxRequests;
  return defaults ? undefined : limits;
}

/**
 * Istio's outlier detection. `consecutive5xxErrors` counts every failure (for MetaProtocol: error
 * replies, connect failures, timeouts, resets) and defaults to Envoy's 5; `consecutiveGatewayErrors`
 * counts only the failures that are not replies and defaults to off. The deprecated
 * `consecutiveErrors` means gateway errors and turns the 5xx count off, as Istio maps it.
 */
export function outlierDetection(outlier: OutlierDetection): OutlierDetectionSettings {
  const d = OUTLIER_DEFAULTS;
  const legacy = outlier.consecutiveErrors ?? 0;
  const baseEjectionMs = durationMs(outlier.baseEjectionTime, d.baseEjectionMs);
  return {
    consecutiveErrors: outlier.consecutive5xxErrors ?? (legacy > 0 ? 0 : d.consecutiveErrors),
    consecutiveGatewayErrors: outlier.consecutiveGatewayErrors ?? legacy,
    intervalMs: durationMs(outlier.interval, d.intervalMs),
    baseEjectionMs,
    maxEjectionMs: Math.max(d.maxEjectionMs, baseEjectionMs),
    maxEjectionPercent: outlier.maxEjectionPercent || d.maxEjectionPercent,
    minHealthPercent: outlier.minHealthPercent ?? d.minHealthPercent,
  };
}
