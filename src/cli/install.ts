/**
 * `aeraki install [--dry-run]`: prints, or applies to the cluster, everything Aeraki needs on
 * Kubernetes (see install-manifests.ts).
 */
import { createRequire } from 'node:module';
import { stringify } from 'yaml';
import { AerakiError, ErrorCodes } from '../errors.js';
import { KubeApiError, KubeClient } from '../control-plane/sources/kubernetes/kube-client.js';
import { parseCommandArgs } from './args.js';
import {
  DEFAULT_ISTIO_ROOT_NAMESPACE,
  DEFAULT_NAMESPACE,
  installManifests,
  type Manifest,
} from './install-manifests.js';

const USAGE = `Usage: aeraki install [--dry-run] [options]

Installs Aeraki on Kubernetes: the CRDs of the Aeraki kinds, a namespace, least-privilege RBAC, the
control plane (a Deployment of replicas that all serve xDS, one elected to write status), its
Service, PodDisruptionBudget and admission webhook, and a proxy gateway. Objects that exist are
replaced (the webhook's caBundle and Services' cluster IPs are kept). The same manifests, with the
default options, are in deploy/kubernetes/aeraki.yaml.

Options:
  --dry-run           print the manifests (YAML) instead of applying them
  --namespace NS      where the control plane and the gateway run (default ${DEFAULT_NAMESPACE})
  --image IMAGE       the aeraki container image (default aeraki:<version>, built by the Dockerfile)
  --replicas N        control-plane replicas (default 2)
  --no-gateway        leave out the proxy gateway
  --istio             Istio mode: the control plane also writes EnvoyFilters, the sidecars'
                      bootstrap ConfigMaps and ServiceEntry addresses (and may, by RBAC); the
                      same manifests, with --no-gateway, are in deploy/kubernetes/aeraki-istio.yaml
  --root-namespace NS Istio's root namespace, with --istio (default ${DEFAULT_ISTIO_ROOT_NAMESPACE})
  --kubeconfig FILE   the cluster (default: in-cluster config, $KUBECONFIG or ~/.kube/config)
  --context NAME      the kubeconfig context to use
  -h, --help          show this help
`;

function version(): string {
  return (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
}

/** The header of the printed manifests: the command that printed them (its options besides defaults). */
export function manifestHeader(options = ''): string {
  return (
    `# Aeraki on Kubernetes: the output of \`aeraki install --dry-run${options}\` (${options === '' ? 'defaults' : 'defaults otherwise'}).\n` +
    '# A test keeps this file equal to that output: regenerate it with the command, never edit by hand.\n'
  );
}

/** The manifests as one YAML stream; `options` the non-default options, for the header. */
export function manifestsYaml(manifests: readonly Manifest[], options = ''): string {
  return manifestHeader(options) + manifests.map(m => `---\n${stringify(m, { lineWidth: 0 })}`).join('');
}

/** Where each kind the manifests contain lives in the API. */
const KIND_PATHS: Readonly<Record<string, { plural: string; namespaced: boolean }>> = {
  Namespace: { plural: 'namespaces', namespaced: false },
  CustomResourceDefinition: { plural: 'customresourcedefinitions', namespaced: false },
  ServiceAccount: { plural: 'serviceaccounts', namespaced: true },
  ClusterRole: { plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { plural: 'clusterrolebindings', namespaced: false },
  Role: { plural: 'roles', namespaced: true },
  RoleBinding: { plural: 'rolebindings', namespaced: true },
  Deployment: { plural: 'deployments', namespaced: true },
  PodDisruptionBudget: { plural: 'poddisruptionbudgets', namespaced: true },
  Service: { plural: 'services', namespaced: true },
  ValidatingWebhookConfiguration: { plural: 'validatingwebhookconfigurations', namespaced: false },
};

function pathOf(manifest: Manifest): string {
  const where = KIND_PATHS[manifest.kind];
  if (where === undefined) throw new Error(`no API path known for ${manifest.kind}`);
  const root = manifest.apiVersion.includes('/')
    ? `/apis/${manifest.apiVersion}`
    : `/api/${manifest.apiVersion}`;
  const ns = where.namespaced ? `/namespaces/${manifest.metadata.namespace ?? 'default'}` : '';
  return `${root}${ns}/${where.plural}`;
}

type Existing = Record<string, unknown> & { metadata: { resourceVersion?: string } };

/** What replacing must keep from the object in the cluster. */
function merged(manifest: Manifest, existing: Existing): Record<string, unknown> {
  const next: Record<string, unknown> = {
    ...manifest,
    metadata: { ...manifest.metadata, resourceVersion: existing.metadata.resourceVersion },
  };
  if (manifest.kind === 'Service') {
    const spec = existing['spec'] as { clusterIP?: string; clusterIPs?: string[] } | undefined;
    next['spec'] = {
      ...(manifest['spec'] as object),
      ...(spec?.clusterIP === undefined ? {} : { clusterIP: spec.clusterIP }),
      ...(spec?.clusterIPs === undefined ? {} : { clusterIPs: spec.clusterIPs }),
    };
  }
  if (manifest.kind === 'ValidatingWebhookConfiguration') {
    const old = (existing['webhooks'] ?? []) as Array<{ name: string; clientConfig?: { caBundle?: string } }>;
    next['webhooks'] = (manifest['webhooks'] as Array<{ name: string; clientConfig: object }>).map(w => {
      const caBundle = old.find(o => o.name === w.name)?.clientConfig?.caBundle;
      return caBundle === undefined ? w : { ...w, clientConfig: { ...w.clientConfig, caBundle } };
    });
  }
  return next;
}

/** Creates or replaces each manifest; returns a `kind/name created|configured` line for each. */
export async function applyManifests(client: KubeClient, manifests: readonly Manifest[]): Promise<string[]> {
  const lines: string[] = [];
  for (const manifest of manifests) {
    const collection = pathOf(manifest);
    const item = `${collection}/${encodeURIComponent(manifest.metadata.name)}`;
    const label = `${manifest.kind.toLowerCase()}/${manifest.metadata.name}`;
    let existing: Existing | undefined;
    try {
      existing = await client.request<Existing>('GET', item);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) throw err;
    }
    if (existing === undefined) {
      await client.request('POST', collection, { body: manifest });
      lines.push(`${label} created`);
    } else {
      await client.request('PUT', item, { body: merged(manifest, existing) });
      lines.push(`${label} configured`);
    }
  }
  return lines;
}

export async function installCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      'dry-run': { type: 'boolean', default: false },
      namespace: { type: 'string', default: DEFAULT_NAMESPACE },
      image: { type: 'string' },
      replicas: { type: 'string', default: '2' },
      'no-gateway': { type: 'boolean', default: false },
      istio: { type: 'boolean', default: false },
      'root-namespace': { type: 'string', default: DEFAULT_ISTIO_ROOT_NAMESPACE },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const replicas = Number(values.replicas);
  if (!Number.isInteger(replicas) || replicas < 1)
    throw new AerakiError(
      ErrorCodes.CLI_USAGE,
      `--replicas must be a whole number ≥ 1, got '${values.replicas}'`,
    );
  const manifests = installManifests({
    namespace: values.namespace,
    image: values.image ?? `aeraki:${version()}`,
    replicas,
    gateway: !values['no-gateway'],
    ...(values.istio ? { istio: { rootNamespace: values['root-namespace'] } } : {}),
  });
  if (values['dry-run']) {
    const given = [
      ...(values.istio ? [' --istio'] : []),
      ...(values['no-gateway'] ? [' --no-gateway'] : []),
    ].join('');
    process.stdout.write(manifestsYaml(manifests, given));
    return 0;
  }
  const client = KubeClient.load({
    ...(values.kubeconfig === undefined ? {} : { kubeconfig: values.kubeconfig }),
    ...(values.context === undefined ? {} : { context: values.context }),
  });
  for (const line of await applyManifests(client, manifests)) process.stdout.write(`${line}\n`);
  return 0;
}
