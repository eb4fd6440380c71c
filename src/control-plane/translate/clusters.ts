/**
 * Clusters and their endpoints, built on demand: every route table asks for the clusters it uses, and
 * each MetaProtocol port asks for its own, so the snapshot holds exactly the clusters something can use.
 */
import { durationMs, type LoadBalancerSettings, type WorkloadEntry } from '../../api/index.js';
import type {
  ClusterResource,
  EndpointAssignmentResource,
  EndpointResource,
  LbPolicy,
} from '../../xds/resources.js';
import type { ConfigIndex } from '../model/config-index.js';
import { effectivePolicy } from '../model/traffic-policy.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_LB_POLICY,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MULTIPLEXED_CONNECTIONS,
  DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
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

export class ClusterBuilder {
  private readonly wanted = new Map<string, ClusterKey>();

  constructor(private readonly index: ConfigIndex) {}

  /** Records that a cluster is needed and returns its name. */
  want(port: number, subset: string, host: string): string {
    const name = clusterName(port, subset, host);
    if (!this.wanted.has(name)) this.wanted.set(name, { port, subset, host });
    return name;
  }

  /** The wanted clusters whose service port exists, with their endpoints, ordered by name. */
  build(): { clusters: ClusterResource[]; endpoints: EndpointAssignmentResource[] } {
    const clusters: ClusterResource[] = [];
    const endpoints: EndpointAssignmentResource[] = [];
    for (const name of [...this.wanted.keys()].sort()) {
      const key = this.wanted.get(name);
      if (key === undefined) continue;
      const ref = this.index.servicePort(key.host, key.port);
      if (ref === undefined) continue;
      const rule = this.index.destinationRuleFor(key.host)?.resource.spec;
      const policy = effectivePolicy(rule, key.port, key.subset);
      const tcp = policy.connectionPool?.tcp;
      clusters.push({
        name,
        lbPolicy: lbPolicy(policy.loadBalancer),
        connectTimeoutMs: durationMs(tcp?.connectTimeout, DEFAULT_CONNECT_TIMEOUT_MS),
        idleTimeoutMs: durationMs(tcp?.idleTimeout, DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS),
        maxConnectionsPerEndpoint: tcp?.maxConnections ?? 0,
        multiplexedConnections: DEFAULT_MULTIPLEXED_CONNECTIONS,
        heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
      });

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
            labels: { ...entry.labels },
            weight: entry.weight === undefined || entry.weight === 0 ? 1 : entry.weight,
          });
        }
      }
      endpoints.push({ clusterName: name, endpoints: selected });
    }
    return { clusters, endpoints };
  }
}

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
