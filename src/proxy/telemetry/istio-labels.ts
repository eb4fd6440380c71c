/**
 * The label values of Istio's standard request metrics (`istio_requests_total` and friends) that a
 * MetaProtocol proxy can know, with Istio's placeholders for the rest. Computed once per series, never
 * per request.
 */
import type { LocalReplyKind } from '../../codec/index.js';

/** Who this proxy is: Istio's `source_*` labels. */
export interface SourceIdentity {
  readonly workload: string;
  readonly namespace: string;
  readonly app: string;
  readonly version: string;
  readonly cluster: string;
}

export const UNKNOWN_SOURCE: SourceIdentity = {
  workload: 'unknown',
  namespace: 'unknown',
  app: 'unknown',
  version: 'unknown',
  cluster: 'unknown',
};

/** Envoy response flags for the reasons the proxy answers a request itself. */
const RESPONSE_FLAGS: Readonly<Record<string, string>> = {
  'no-route': 'NR',
  'no-cluster': 'NC',
  'no-healthy-upstream': 'UH',
  'connect-failure': 'UF',
  'upstream-reset': 'UR',
  timeout: 'UT',
  'over-limit': 'RL',
  'bad-request': 'DPE',
  'bad-response': 'UPE',
  internal: 'UMSDR',
};

/**
 * The Envoy response flags of a request: FI when a fault answered it, else the flag of the proxy's
 * local reply kind; DI added when a fault delayed it; `-` for none.
 */
export function responseFlags(
  kind: LocalReplyKind | undefined,
  fault: { readonly faultDelayed: boolean; readonly faultAborted: boolean } = NO_FAULT,
): string {
  const reply = fault.faultAborted
    ? 'FI'
    : kind === undefined
      ? ''
      : (RESPONSE_FLAGS[kind] ?? kind.toUpperCase());
  if (fault.faultDelayed) return reply === '' ? 'DI' : `DI,${reply}`;
  return reply === '' ? '-' : reply;
}

const NO_FAULT = { faultDelayed: false, faultAborted: false };

/** `outbound|<port>|<subset>|<host>` → `<host>`; anything else as it is. */
export function hostOfCluster(cluster: string): string {
  const bar = cluster.lastIndexOf('|');
  return bar < 0 ? cluster : cluster.slice(bar + 1);
}

/**
 * Istio's `destination_service_name` and `destination_service_namespace` of a host: the first two
 * labels of a Kubernetes service name (`name.namespace.svc.cluster.local`), else the host and unknown.
 */
export function serviceNameAndNamespace(host: string): { name: string; namespace: string } {
  const parts = host.split('.');
  if (parts.length >= 3 && parts[2] === 'svc') return { name: parts[0]!, namespace: parts[1]! };
  return { name: host, namespace: 'unknown' };
}

/** The destination labels of a request sent to `host` (a service host) and an endpoint with `labels`. */
export function destinationLabels(
  host: string,
  endpointLabels: Readonly<Record<string, string>>,
): Record<string, string> {
  const { name, namespace } = serviceNameAndNamespace(host);
  const app = endpointLabels['app'] ?? 'unknown';
  const version = endpointLabels['version'] ?? 'unknown';
  return {
    destination_service: host === '' ? 'unknown' : host,
    destination_service_name: host === '' ? 'unknown' : name,
    destination_service_namespace: namespace,
    destination_workload: endpointLabels['workload'] ?? 'unknown',
    destination_workload_namespace: namespace,
    destination_app: app,
    destination_version: version,
    destination_canonical_service:
      endpointLabels['service.istio.io/canonical-name'] ?? (app !== 'unknown' ? app : name),
    destination_canonical_revision:
      endpointLabels['service.istio.io/canonical-revision'] ?? (version !== 'unknown' ? version : 'latest'),
    destination_cluster: 'unknown',
  };
}

/** The source labels of this proxy. */
export function sourceLabels(source: SourceIdentity): Record<string, string> {
  return {
    source_workload: source.workload,
    source_workload_namespace: source.namespace,
    source_app: source.app,
    source_version: source.version,
    source_canonical_service: source.app !== 'unknown' ? source.app : source.workload,
    source_canonical_revision: source.version !== 'unknown' ? source.version : 'latest',
    source_cluster: source.cluster,
  };
}
