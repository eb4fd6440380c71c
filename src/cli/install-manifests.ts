/**
 * What `aeraki install` puts in a cluster, as plain Kubernetes objects (the same objects are kept as
 * YAML under deploy/kubernetes/, and a test keeps the two in sync and checks them against
 * Kubernetes' own schemas):
 *
 * - the Aeraki CRDs (crds.ts), a namespace, a service account;
 * - least-privilege RBAC: read-only on what the control plane reads, status writes on the Aeraki
 *   kinds only, TokenReviews (create only) to authenticate proxies, Leases in its own namespace, its
 *   webhook configuration and certificate Secret by name;
 * - the control plane: a Deployment of 2 replicas (every one serves xDS; a Lease elects the one that
 *   writes), probes, resources, a non-root read-only container, a PodDisruptionBudget, a Service for
 *   xDS and the admission webhook, and the ValidatingWebhookConfiguration; xDS is served on the TLS
 *   port only (the plaintext one stays on the pod's loopback), with the certificate of the
 *   webhook's Secret (one certificate for the Service's names);
 * - a proxy gateway: a Deployment of `aeraki proxy` listening on every address of its pod, its node
 *   identity and labels from the downward API, authenticating on the TLS port with a projected service-account
 *   token of its own service account (audience istio-ca) and verifying the control plane with the
 *   Secret's ca.crt;
 * - in Istio mode (`istio`), the control plane runs with `--istio`, serves plaintext xDS on port 15010
 *   of the pod's addresses for the Envoy sidecars' bootstrap as the original does (asked for with
 *   `--plaintext-insecure`, logged as a warning), and may write what that mode
 *   writes: EnvoyFilters and VirtualServices (only those labelled `manager: Aeraki` are touched, but
 *   RBAC cannot select by label), ServiceEntries (their addresses), and ConfigMaps in every
 *   namespace (the sidecars' bootstrap ConfigMap `aeraki-bootstrap-config`).
 */
import { AERAKI_KINDS, WATCHED_KINDS } from '../control-plane/sources/kubernetes/kinds.js';
import { AERAKI_LABELS, aerakiCrds } from '../control-plane/sources/kubernetes/crds.js';

export interface InstallOptions {
  /** Where the control plane and gateway run (default `aeraki-system`). */
  readonly namespace: string;
  /** The container image of aeraki (control plane and proxy alike). */
  readonly image: string;
  /** Control-plane replicas (default 2). */
  readonly replicas?: number;
  /** Include the proxy gateway (default true). */
  readonly gateway?: boolean;
  /** Istio mode, with Istio's root namespace (default: off). */
  readonly istio?: { readonly rootNamespace: string };
}

/** Istio's default root namespace. */
export const DEFAULT_ISTIO_ROOT_NAMESPACE = 'istio-system';

export type Manifest = Record<string, unknown> & {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
  };
};

export const DEFAULT_NAMESPACE = 'aeraki-system';
/** The control plane's Service, and its pods' label. */
export const CONTROL_PLANE_NAME = 'aeraki';
export const LEASE_NAME = 'aeraki-leader';
export const WEBHOOK_SECRET_NAME = 'aeraki-webhook-tls';
export const GATEWAY_NAME = 'aeraki-gateway';
/** Where the gateway finds its projected token and the control plane's CA. */
const XDS_TOKEN_DIR = '/var/run/secrets/tokens';
const XDS_CA_DIR = '/var/run/secrets/aeraki-ca';
const PODINFO_DIR = '/etc/podinfo';
export const WEBHOOK_NAME = 'validation.aeraki.io';
export const XDS_TLS_PORT = 15012;
/**
 * The plaintext xDS port, which Envoy sidecars' bootstrap (`aeraki-xds` cluster) reaches in Istio
 * mode, as they reach the original's: served on the pod's addresses only in that mode.
 */
export const XDS_PORT = 15010;
/** The audience of the tokens proxies authenticate with (istiod's). */
export const TOKEN_AUDIENCE = 'istio-ca';
export const ADMIN_PORT = 15011;
export const WEBHOOK_PORT = 15017;

/** The ValidatingWebhookConfiguration's name, as the original's (`aeraki-<namespace>`). */
export function webhookConfigurationName(namespace: string): string {
  return `aeraki-${namespace}`;
}

const labels = (component: string): Record<string, string> => ({
  ...AERAKI_LABELS,
  'app.kubernetes.io/component': component,
});

const restricted = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

const downwardEnv = [
  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
  { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
];

/** The resources the control plane reads, by API group (Secrets apart: see below). */
function readGroups(): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const kind of WATCHED_KINDS) {
    if (kind.role === 'referenced-secret') continue;
    const list = groups.get(kind.group) ?? [];
    list.push(kind.plural);
    groups.set(kind.group, list);
  }
  return groups;
}

function clusterRole(): Manifest {
  const rules: Record<string, unknown>[] = [];
  for (const [group, resources] of readGroups())
    rules.push({ apiGroups: [group], resources, verbs: ['get', 'list', 'watch'] });
  // Secrets only where a kind refers to them; then only read, each watched by name.
  if (AERAKI_KINDS.some(k => k.secretReferences !== undefined))
    rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] });
  const statusGroups = new Map<string, string[]>();
  for (const kind of AERAKI_KINDS) {
    const list = statusGroups.get(kind.group) ?? [];
    list.push(`${kind.plural}/status`);
    statusGroups.set(kind.group, list);
  }
  for (const [group, resources] of statusGroups)
    rules.push({ apiGroups: [group], resources, verbs: ['get', 'update', 'patch'] });
  // Proxies' service-account tokens are checked with TokenReviews: create is all that API has.
  rules.push({ apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] });
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'aeraki', labels: labels('control-plane') },
    rules,
  };
}

/** What Istio mode writes (see the file comment). */
function istioClusterRole(): Manifest {
  const write = ['create', 'update', 'patch', 'delete'];
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'aeraki-istio', labels: labels('control-plane') },
    rules: [
      {
        apiGroups: ['networking.istio.io'],
        resources: ['envoyfilters'],
        verbs: ['get', 'list', 'watch', ...write],
      },
      { apiGroups: ['networking.istio.io'], resources: ['virtualservices'], verbs: write },
      { apiGroups: ['networking.istio.io'], resources: ['serviceentries'], verbs: ['update', 'patch'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', ...write] },
    ],
  };
}

export function installManifests(options: InstallOptions): Manifest[] {
  const ns = options.namespace;
  const webhookConfig = webhookConfigurationName(ns);
  const selector = { 'app.kubernetes.io/name': 'aeraki', 'app.kubernetes.io/component': 'control-plane' };
  const gatewaySelector = { 'app.kubernetes.io/name': 'aeraki', 'app.kubernetes.io/component': 'gateway' };
  const apiGroups = [...new Set(AERAKI_KINDS.map(k => k.group))];
  const manifests: Manifest[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ...AERAKI_LABELS } } },
    ...(aerakiCrds() as unknown as Manifest[]),
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'aeraki', namespace: ns, labels: labels('control-plane') },
    },
    clusterRole(),
    ...(options.istio === undefined ? [] : [istioClusterRole()]),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'aeraki-webhook', labels: labels('control-plane') },
      rules: [
        {
          apiGroups: ['admissionregistration.k8s.io'],
          resources: ['validatingwebhookconfigurations'],
          resourceNames: [webhookConfig],
          verbs: ['get', 'update', 'patch'],
        },
      ],
    },
    ...['aeraki', 'aeraki-webhook', ...(options.istio === undefined ? [] : ['aeraki-istio'])].map(
      (role): Manifest => ({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: role, labels: labels('control-plane') },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name: 'aeraki', namespace: ns }],
      }),
    ),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'aeraki', namespace: ns, labels: labels('control-plane') },
      rules: [
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        // create cannot be limited by name; reading and replacing can.
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: [WEBHOOK_SECRET_NAME],
          verbs: ['get', 'update'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'aeraki', namespace: ns, labels: labels('control-plane') },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'aeraki' },
      subjects: [{ kind: 'ServiceAccount', name: 'aeraki', namespace: ns }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'aeraki-control-plane', namespace: ns, labels: labels('control-plane') },
      spec: {
        replicas: options.replicas ?? 2,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: { ...labels('control-plane') } },
          spec: {
            serviceAccountName: 'aeraki',
            securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 },
            containers: [
              {
                name: 'control-plane',
                image: options.image,
                args: [
                  'control-plane',
                  '--kubernetes',
                  '--tls-listen',
                  `0.0.0.0:${XDS_TLS_PORT}`,
                  '--tls-secret',
                  `$(POD_NAMESPACE)/${WEBHOOK_SECRET_NAME}`,
                  '--token-audience',
                  TOKEN_AUDIENCE,
                  '--admin',
                  `0.0.0.0:${ADMIN_PORT}`,
                  '--leader-elect',
                  '--lease',
                  `$(POD_NAMESPACE)/${LEASE_NAME}`,
                  '--webhook-listen',
                  `0.0.0.0:${WEBHOOK_PORT}`,
                  '--webhook-secret',
                  `$(POD_NAMESPACE)/${WEBHOOK_SECRET_NAME}`,
                  '--webhook-configuration',
                  webhookConfig,
                  '--webhook-service',
                  `${CONTROL_PLANE_NAME}.$(POD_NAMESPACE).svc`,
                  ...(options.istio === undefined
                    ? []
                    : [
                        '--istio',
                        '--root-namespace',
                        options.istio.rootNamespace,
                        '--listen',
                        `0.0.0.0:${XDS_PORT}`,
                        '--plaintext-insecure',
                        '--xds-address',
                        `${CONTROL_PLANE_NAME}.$(POD_NAMESPACE):${XDS_PORT}`,
                      ]),
                ],
                env: downwardEnv,
                ports: [
                  ...(options.istio === undefined ? [] : [{ name: 'grpc-xds', containerPort: XDS_PORT }]),
                  { name: 'grpc-xds-tls', containerPort: XDS_TLS_PORT },
                  { name: 'http-admin', containerPort: ADMIN_PORT },
                  { name: 'https-webhook', containerPort: WEBHOOK_PORT },
                ],
                readinessProbe: { httpGet: { path: '/ready', port: ADMIN_PORT }, periodSeconds: 5 },
                // Alive is not ready: a replica waiting for the API server must not be restarted for it.
                livenessProbe: {
                  tcpSocket: { port: ADMIN_PORT },
                  initialDelaySeconds: 10,
                  periodSeconds: 10,
                },
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } },
                securityContext: restricted,
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'aeraki-control-plane', namespace: ns, labels: labels('control-plane') },
      spec: { minAvailable: 1, selector: { matchLabels: selector } },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: CONTROL_PLANE_NAME, namespace: ns, labels: labels('control-plane') },
      spec: {
        selector,
        ports: [
          ...(options.istio === undefined
            ? []
            : [{ name: 'grpc-xds', port: XDS_PORT, targetPort: XDS_PORT }]),
          { name: 'grpc-xds-tls', port: XDS_TLS_PORT, targetPort: XDS_TLS_PORT },
          { name: 'https-webhook', port: 443, targetPort: WEBHOOK_PORT },
        ],
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: webhookConfig, labels: labels('control-plane') },
      webhooks: [
        {
          name: WEBHOOK_NAME,
          // The control plane fills in caBundle with the CA of the certificate it serves.
          clientConfig: {
            service: { name: CONTROL_PLANE_NAME, namespace: ns, path: '/validate', port: 443 },
          },
          rules: [
            {
              apiGroups: apiGroups,
              apiVersions: [...new Set(AERAKI_KINDS.map(k => k.crdVersion))],
              operations: ['CREATE', 'UPDATE'],
              resources: AERAKI_KINDS.map(k => k.plural),
              scope: '*',
            },
          ],
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 10,
        },
      ],
    },
  ];
  if (options.gateway !== false) {
    manifests.push(
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: GATEWAY_NAME, namespace: ns, labels: labels('gateway') },
        // Its token is mounted only as the projected one, for the control plane.
        automountServiceAccountToken: false,
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: GATEWAY_NAME, namespace: ns, labels: labels('gateway') },
        spec: {
          replicas: 1,
          selector: { matchLabels: gatewaySelector },
          template: {
            metadata: { labels: { ...labels('gateway') } },
            spec: {
              serviceAccountName: GATEWAY_NAME,
              automountServiceAccountToken: false,
              securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 },
              volumes: [
                // A token for the control plane only (not the API server), renewed by the kubelet.
                {
                  name: 'xds-token',
                  projected: {
                    sources: [
                      {
                        serviceAccountToken: {
                          path: 'istio-token',
                          audience: TOKEN_AUDIENCE,
                          expirationSeconds: 43200,
                        },
                      },
                    ],
                  },
                },
                // Only the CA of the control plane's certificate, not its key.
                {
                  name: 'xds-ca',
                  secret: { secretName: WEBHOOK_SECRET_NAME, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
                },
                // Its labels, which Sidecars' workloadSelectors match, kept current by the kubelet.
                {
                  name: 'podinfo',
                  downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
                },
              ],
              containers: [
                {
                  name: 'proxy',
                  image: options.image,
                  args: [
                    'proxy',
                    '--xds',
                    `${CONTROL_PLANE_NAME}.$(POD_NAMESPACE).svc:${XDS_TLS_PORT}`,
                    '--xds-ca',
                    `${XDS_CA_DIR}/ca.crt`,
                    '--xds-token-file',
                    `${XDS_TOKEN_DIR}/istio-token`,
                    '--labels-file',
                    `${PODINFO_DIR}/labels`,
                    '--node-id',
                    'router~$(POD_IP)~$(POD_NAME).$(POD_NAMESPACE)~$(POD_NAMESPACE).svc.cluster.local',
                    '--listen-address',
                    '0.0.0.0',
                    '--admin',
                    '0.0.0.0:15000',
                  ],
                  env: downwardEnv,
                  volumeMounts: [
                    { name: 'xds-token', mountPath: XDS_TOKEN_DIR, readOnly: true },
                    { name: 'xds-ca', mountPath: XDS_CA_DIR, readOnly: true },
                    { name: 'podinfo', mountPath: PODINFO_DIR, readOnly: true },
                  ],
                  ports: [{ name: 'http-admin', containerPort: 15000 }],
                  readinessProbe: { httpGet: { path: '/ready', port: 15000 }, periodSeconds: 5 },
                  livenessProbe: { tcpSocket: { port: 15000 }, initialDelaySeconds: 5, periodSeconds: 10 },
                  resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '512Mi' } },
                  securityContext: restricted,
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: GATEWAY_NAME, namespace: ns, labels: labels('gateway') },
        spec: {
          selector: gatewaySelector,
          // The ports of the services the gateway exposes: edit to match (9090: the examples' Thrift).
          ports: [{ name: 'tcp-metaprotocol-thrift', port: 9090, targetPort: 9090 }],
        },
      },
    );
  }
  return manifests;
}
