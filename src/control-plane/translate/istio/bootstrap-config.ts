/**
 * The bootstrap override that gives Envoy sidecars running Aeraki's MetaProtocol proxy image the
 * cluster their RDS subscriptions name (`aeraki-xds`), as the original's ConfigMap
 * `aeraki-bootstrap-config` (key `custom_bootstrap.json`) does:
 *
 * ```json
 * { "static_resources": { "clusters": [ {
 *     "name": "aeraki-xds", "type": "STRICT_DNS", "connect_timeout": "1s",
 *     "max_requests_per_connection": 1,
 *     "circuit_breakers": { "thresholds": [ {max_connections, max_pending_requests, max_requests: 100000},
 *                                          {priority: HIGH, the same} ] },
 *     "http2_protocol_options": {},
 *     "upstream_connection_options": { "tcp_keepalive": { "keepalive_time": 300 } },
 *     "load_assignment": { "cluster_name": "aeraki-xds", "endpoints": [ { "lb_endpoints": [ { "endpoint":
 *         { "address": { "socket_address": { "address": <xds host>, "port_value": <xds port> } } } } ] } ] },
 *     "transport_socket": …   // only with tls: UpstreamTlsContext with istio-agent's SDS secrets
 *                             // ROOTCA (validation) and default (client certificate) on sds-grpc
 * } ] } }
 * ```
 *
 * Pods opt in with the annotation `sidecar.istio.io/bootstrapOverride: aeraki-bootstrap-config`, so
 * the ConfigMap must exist in every namespace whose pods Istio injects: namespaces labelled
 * `istio-injection=enabled`, or with an `istio.io/rev` label unless `istio-injection=disabled`.
 */
import type { KubeObject } from '../../sources/kubernetes/kube-client.js';
import { MANAGER_LABEL } from './envoy-filter.js';

export const BOOTSTRAP_CONFIG_MAP = 'aeraki-bootstrap-config';
export const BOOTSTRAP_KEY = 'custom_bootstrap.json';

export interface BootstrapOptions {
  /** The cluster's name: what the EnvoyFilters' RDS config sources name (`aeraki-xds`). */
  readonly xdsCluster: string;
  /** Where sidecars reach this control plane's xDS port (its Service's DNS name). */
  readonly xdsAddress: string;
  readonly xdsPort: number;
  /**
   * Connect with TLS using istio-agent's SDS certificates (ROOTCA to check the server, the
   * workload's own as client certificate), as the original does; for an xDS port that serves TLS.
   */
  readonly tls: boolean;
}

export interface ConfigMapObject {
  readonly apiVersion: 'v1';
  readonly kind: 'ConfigMap';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly data: Readonly<Record<string, string>>;
}

const UNLIMITED = 100_000;

/** The bootstrap override's JSON text. */
export function bootstrapJson(options: BootstrapOptions): string {
  const limits = { max_connections: UNLIMITED, max_pending_requests: UNLIMITED, max_requests: UNLIMITED };
  const cluster: Record<string, unknown> = {
    name: options.xdsCluster,
    type: 'STRICT_DNS',
    connect_timeout: '1s',
    max_requests_per_connection: 1,
    circuit_breakers: { thresholds: [limits, { priority: 'HIGH', ...limits }] },
    http2_protocol_options: {},
    upstream_connection_options: { tcp_keepalive: { keepalive_time: 300 } },
    load_assignment: {
      cluster_name: options.xdsCluster,
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: {
                address: { socket_address: { address: options.xdsAddress, port_value: options.xdsPort } },
              },
            },
          ],
        },
      ],
    },
  };
  if (options.tls) {
    cluster['transport_socket'] = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        common_tls_context: {
          validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: agentSds() },
          tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: agentSds() }],
        },
      },
    };
  }
  return `${JSON.stringify({ static_resources: { clusters: [cluster] } }, null, 2)}\n`;
}

/** istio-agent's SDS server, as Istio's own bootstrap names it. */
function agentSds(): object {
  return {
    api_config_source: {
      api_type: 'GRPC',
      grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }],
      set_node_on_first_message_only: true,
      transport_api_version: 'V3',
    },
    initial_fetch_timeout: '0s',
    resource_api_version: 'V3',
  };
}

/** True when Istio injects the namespace's pods (and so they may ask for the override). */
export function isInjectedNamespace(namespace: KubeObject): boolean {
  const labels = namespace.metadata?.labels ?? {};
  if (namespace.metadata?.deletionTimestamp !== undefined) return false;
  const injection = labels['istio-injection'];
  if (injection === 'enabled') return true;
  return injection !== 'disabled' && labels['istio.io/rev'] !== undefined;
}

/** The ConfigMaps wanted: one per injected namespace, sorted by namespace. */
export function bootstrapConfigMaps(
  namespaces: readonly KubeObject[],
  options: BootstrapOptions,
): ConfigMapObject[] {
  const text = bootstrapJson(options);
  return namespaces
    .filter(isInjectedNamespace)
    .map(ns => ns.metadata?.name ?? '')
    .filter(name => name !== '')
    .sort()
    .map(namespace => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: BOOTSTRAP_CONFIG_MAP, namespace, labels: { ...MANAGER_LABEL } },
      data: { [BOOTSTRAP_KEY]: text },
    }));
}
