/**
 * A "cluster" for tests: the API server stand-in, started, with Istio's CRDs (ServiceEntry,
 * DestinationRule, Gateway, VirtualService, Sidecar, EnvoyFilter: networking.istio.io
 * v1alpha3/v1beta1/v1 (EnvoyFilter: v1alpha3 only, as Istio serves it), specs free-form as far as this
 * stand-in is concerned) and optionally Aeraki's, a kubeconfig file, and `kubectl` run against it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { aerakiCrds } from '../../src/control-plane/sources/kubernetes/crds.js';
import { KubernetesApiStandIn, type StandInOptions } from './api-server.js';

/** Istio's networking CRDs, as far as the control plane reads them. */
export function istioCrds(): Record<string, unknown>[] {
  const kinds = [
    ['ServiceEntry', 'serviceentries', ['se']],
    ['DestinationRule', 'destinationrules', ['dr']],
    ['Gateway', 'gateways', ['gw']],
    ['VirtualService', 'virtualservices', ['vs']],
    ['Sidecar', 'sidecars', []],
    ['EnvoyFilter', 'envoyfilters', []],
  ] as const;
  return kinds.map(([kind, plural, shortNames]) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.networking.istio.io` },
    spec: {
      group: 'networking.istio.io',
      names: {
        kind,
        plural,
        singular: kind.toLowerCase(),
        shortNames: [...shortNames],
        categories: ['istio-io', 'networking-istio-io'],
      },
      scope: 'Namespaced',
      versions: (kind === 'EnvoyFilter' ? ['v1alpha3'] : ['v1', 'v1beta1', 'v1alpha3']).map(name => ({
        name,
        served: true,
        storage: name === 'v1' || kind === 'EnvoyFilter',
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      })),
    },
  }));
}

/** Where kubectl is: on PATH, else /usr/bin/kubectl; a clear failure when it is nowhere. */
export function kubectlPath(): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, 'kubectl');
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  if (existsSync('/usr/bin/kubectl')) return '/usr/bin/kubectl';
  throw new Error(
    'kubectl is needed by this test (a second real client of the API stand-in) and was not found on PATH or at /usr/bin/kubectl',
  );
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TestClusterOptions extends StandInOptions {
  /** Install Aeraki's CRDs (default true). */
  readonly aerakiCrds?: boolean;
}

export class TestCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'aeraki-kube-'));
  readonly kubeconfigPath = join(this.dir, 'kubeconfig');

  private constructor(readonly api: KubernetesApiStandIn) {}

  static async start(options: TestClusterOptions = {}): Promise<TestCluster> {
    const api = new KubernetesApiStandIn(options);
    await api.start(0);
    const cluster = new TestCluster(api);
    api.kubeconfig(cluster.kubeconfigPath);
    for (const crd of istioCrds()) api.createDirect(crd);
    if (options.aerakiCrds !== false) for (const crd of aerakiCrds()) api.createDirect(crd as never);
    return cluster;
  }

  /** Creates (without admission) each object, and its namespace when it has one that is missing. */
  create(...objects: readonly Record<string, unknown>[]): void {
    for (const object of objects) {
      const ns = (object['metadata'] as { namespace?: string } | undefined)?.namespace;
      if (ns !== undefined && this.api.get('', 'namespaces', undefined, ns) === undefined)
        this.api.createDirect({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      this.api.createDirect(object);
    }
  }

  /** Runs kubectl with this cluster's kubeconfig; `input` goes to its stdin. */
  kubectl(
    args: readonly string[],
    options: { input?: string; env?: Record<string, string> } = {},
  ): Promise<KubectlResult> {
    const command = kubectlPath();
    return new Promise(resolve => {
      const child = execFile(
        command,
        [...args],
        {
          env: { ...process.env, KUBECONFIG: this.kubeconfigPath, HOME: this.dir, ...options.env },
          timeout: 20000,
        },
        (err, stdout, stderr) =>
          resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
      );
      child.stdin?.end(options.input ?? '');
    });
  }

  async stop(): Promise<void> {
    await this.api.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
