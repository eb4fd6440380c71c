/**
 * Settings of the Istio output, with the original's defaults.
 */

export interface IstioOptions {
  /** Istio's root namespace: EnvoyFilters there apply to every workload (default `istio-system`). */
  readonly rootNamespace: string;
  /**
   * Put a service's EnvoyFilters in the service's own namespace instead of the root namespace when
   * nothing else says where (the original's `--enable-envoy-filter-namespace-scope`).
   */
  readonly namespaceScope: boolean;
  /** The bootstrap cluster of the sidecars that reaches this control plane's RDS (`aeraki-xds`). */
  readonly xdsCluster: string;
}

export const DEFAULT_ISTIO_OPTIONS: IstioOptions = {
  rootNamespace: 'istio-system',
  namespaceScope: false,
  xdsCluster: 'aeraki-xds',
};
