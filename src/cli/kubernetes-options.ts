/**
 * The options of `aeraki control-plane --kubernetes` (the runtime they set up is in
 * kubernetes-runtime.ts, loaded only when asked for: client-node takes a while to import).
 */
export const KUBERNETES_USAGE = `  --kubernetes        read config from the Kubernetes API (in-cluster config in a pod, else
                      --kubeconfig, $KUBECONFIG or ~/.kube/config) and write each Aeraki
                      object's status
  --kubeconfig FILE   the kubeconfig to use with --kubernetes
  --context NAME      its context (default: the current one)
  --cluster-domain D  the cluster's DNS domain, for Services' host names (default cluster.local)
  --leader-elect      several replicas: all serve xDS, the holder of a Lease writes status
  --lease NS/NAME     the Lease (default $POD_NAMESPACE/aeraki-leader, else aeraki-system/…)
  --lease-duration D  how long an unrenewed Lease stays held (default 15s)
  --identity NAME     this replica in the Lease (default $POD_NAME, else <hostname>-<pid>)
  --webhook-listen HOST:PORT
                      serve the admission webhook (HTTPS, POST /validate) for the Aeraki kinds
  --webhook-service NAME.NS.svc
                      the webhook's Service: the names its certificate is made for
  --webhook-secret NS/NAME
                      keep the certificate in this Secret (every replica serves the same one);
                      without it each replica makes its own
  --webhook-configuration NAME
                      the ValidatingWebhookConfiguration whose caBundle the leader sets
  --istio             Istio mode, for Envoy sidecars and gateways that run Aeraki's MetaProtocol
                      proxy image: the leader also writes their EnvoyFilters and gateway
                      VirtualServices (labelled manager: Aeraki), the bootstrap ConfigMap
                      aeraki-bootstrap-config in every injected namespace, and addresses
                      (240.240.x.y) into ServiceEntries that have none; every replica serves
                      their RDS (RouteDiscoveryService on the xDS port)
  --root-namespace NS Istio's root namespace (default istio-system)
  --namespace-scope   put a service's EnvoyFilters in its own namespace, not the root namespace
  --xds-cluster NAME  the sidecars' bootstrap cluster for RDS (default aeraki-xds)
  --xds-address HOST:PORT
                      where sidecars reach this xDS port, written into the bootstrap ConfigMap
                      (default aeraki.$POD_NAMESPACE:15010)
  --bootstrap-tls     the sidecars connect with TLS using istio-agent's certificates (SDS), for an
                      xDS port that serves TLS; default plaintext
`;

export const KUBERNETES_OPTIONS = {
  kubernetes: { type: 'boolean', default: false },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'cluster-domain': { type: 'string', default: 'cluster.local' },
  'leader-elect': { type: 'boolean', default: false },
  lease: { type: 'string' },
  'lease-duration': { type: 'string', default: '15s' },
  identity: { type: 'string' },
  'webhook-listen': { type: 'string' },
  'webhook-service': { type: 'string', default: 'aeraki.aeraki-system.svc' },
  'webhook-secret': { type: 'string' },
  'webhook-configuration': { type: 'string' },
  istio: { type: 'boolean', default: false },
  'root-namespace': { type: 'string', default: 'istio-system' },
  'namespace-scope': { type: 'boolean', default: false },
  'xds-cluster': { type: 'string', default: 'aeraki-xds' },
  'xds-address': { type: 'string' },
  'bootstrap-tls': { type: 'boolean', default: false },
} as const;
