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
} as const;
