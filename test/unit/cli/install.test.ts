/**
 * `aeraki install`: the manifests under deploy/kubernetes/ are exactly what `--dry-run` prints; every
 * one is valid against Kubernetes' own schemas (kubernetes-models); the CRDs are structural and
 * accept every Aeraki object of the golden configs; RBAC asks for nothing beyond what the control
 * plane does; and applying twice to the API stand-in creates, then replaces, keeping the webhook's
 * caBundle.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { applyManifests, manifestsYaml } from '../../../src/cli/install.js';
import { DEFAULT_NAMESPACE, installManifests, type Manifest } from '../../../src/cli/install-manifests.js';
import { KubeClient } from '../../../src/control-plane/sources/kubernetes/kube-client.js';
import { FileSource } from '../../../src/control-plane/sources/file-source.js';
import {
  checkCustomResource,
  structuralProblems,
  type JsonSchemaProps,
} from '../../kubernetes-stand-in/schema.js';
import { TestCluster } from '../../kubernetes-stand-in/index.js';
import { CONFIG_FIXTURES } from '../control-plane/fixtures.js';

const DEPLOY = join(CONFIG_FIXTURES, '..', '..', '..', 'deploy', 'kubernetes');
const defaults = (): Manifest[] => installManifests({ namespace: DEFAULT_NAMESPACE, image: 'aeraki:0.1.0' });
const istioMode = (): Manifest[] =>
  installManifests({
    namespace: DEFAULT_NAMESPACE,
    image: 'aeraki:0.1.0',
    gateway: false,
    istio: { rootNamespace: 'istio-system' },
  });

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': ValidatingWebhookConfiguration,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition,
};

function validateWithModels(object: Record<string, unknown>): void {
  const key = `${String(object['apiVersion'])}/${String(object['kind'])}`;
  const Model = MODELS[key];
  assert.ok(Model !== undefined, `no kubernetes-models class for ${key}`);
  new Model(object as never).validate();
}

describe('aeraki install manifests', () => {
  test('deploy/kubernetes/aeraki.yaml is what `aeraki install --dry-run` prints', () => {
    const file = readFileSync(join(DEPLOY, 'aeraki.yaml'), 'utf8');
    assert.equal(
      file,
      manifestsYaml(defaults()),
      'regenerate: node bin/aeraki install --dry-run > deploy/kubernetes/aeraki.yaml',
    );
  });

  test('deploy/kubernetes/aeraki-istio.yaml is what `aeraki install --dry-run --istio --no-gateway` prints', () => {
    const file = readFileSync(join(DEPLOY, 'aeraki-istio.yaml'), 'utf8');
    assert.equal(
      file,
      manifestsYaml(istioMode(), ' --istio --no-gateway'),
      'regenerate: node bin/aeraki install --dry-run --istio --no-gateway > deploy/kubernetes/aeraki-istio.yaml',
    );
  });

  test('every manifest under deploy/kubernetes/ is valid against the Kubernetes schemas', () => {
    const files = [
      'aeraki.yaml',
      'aeraki-istio.yaml',
      ...readdirSync(join(DEPLOY, 'examples')).map(f => join('examples', f)),
    ];
    let count = 0;
    for (const file of files) {
      for (const doc of parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8'))) {
        const object = doc.toJS() as Record<string, unknown> | null;
        if (object === null) continue;
        validateWithModels(object);
        count++;
      }
    }
    assert.ok(count >= 30, `${count} objects`);
  });

  test('the CRDs are structural and accept every Aeraki object of the golden configs as they are', async () => {
    const crds = defaults().filter(m => m.kind === 'CustomResourceDefinition');
    const schemas = new Map<string, JsonSchemaProps>();
    for (const crd of crds) {
      const spec = crd['spec'] as {
        names: { kind: string };
        versions: Array<{ schema: { openAPIV3Schema: JsonSchemaProps } }>;
      };
      const schema = spec.versions[0]!.schema.openAPIV3Schema;
      assert.deepEqual(structuralProblems(schema), [], crd.metadata.name);
      schemas.set(spec.names.kind, schema);
    }
    let checked = 0;
    for (const name of readdirSync(join(CONFIG_FIXTURES, 'golden'))) {
      const { documents } = await new FileSource(join(CONFIG_FIXTURES, 'golden', name)).list();
      for (const document of documents) {
        const object = document.data as Record<string, unknown>;
        const schema = schemas.get(String(object['kind']));
        if (schema === undefined) continue;
        const result = checkCustomResource(schema, object);
        assert.deepEqual(result.errors, [], `${name}: ${String(object['kind'])}`);
        assert.deepEqual(result.unknown, [], `${name}: ${String(object['kind'])}`);
        checked++;
      }
    }
    assert.ok(checked >= 16, `${checked} objects checked`);
  });

  test('the original names: groups, versions, plurals, scopes', () => {
    const names = defaults()
      .filter(m => m.kind === 'CustomResourceDefinition')
      .map(m => {
        const spec = m['spec'] as { scope: string; versions: Array<{ name: string }> };
        return `${m.metadata.name} ${spec.scope} ${spec.versions.map(v => v.name).join(',')}`;
      });
    assert.deepEqual(names, [
      'applicationprotocols.metaprotocol.aeraki.io Cluster v1alpha1',
      'metarouters.metaprotocol.aeraki.io Namespaced v1alpha1',
      'redisservices.redis.aeraki.io Namespaced v1alpha1',
      'redisdestinations.redis.aeraki.io Namespaced v1alpha1',
      'dubboauthorizationpolicies.dubbo.aeraki.io Namespaced v1alpha1',
    ]);
  });

  test('RBAC: read-only on config, status of the Aeraki kinds, TokenReviews, its Leases, and its webhook and Secret by name', () => {
    const istioWrites = new Set(['envoyfilters', 'virtualservices', 'serviceentries', 'configmaps']);
    for (const role of istioMode().filter(m => m.kind === 'ClusterRole' || m.kind === 'Role')) {
      for (const rule of role['rules'] as Array<{
        apiGroups: string[];
        resources: string[];
        verbs: string[];
        resourceNames?: string[];
      }>) {
        assert.ok(
          !rule.verbs.includes('*') && !rule.resources.includes('*') && !rule.apiGroups.includes('*'),
          JSON.stringify(rule),
        );
        const writes = rule.verbs.filter(v => !['get', 'list', 'watch'].includes(v));
        if (writes.length === 0) continue;
        const tokenReviews =
          rule.apiGroups.join() === 'authentication.k8s.io' &&
          rule.resources.join() === 'tokenreviews' &&
          rule.verbs.join() === 'create';
        const allowed =
          tokenReviews ||
          rule.resources.every(r => r.endsWith('/status')) ||
          (role.metadata.name === 'aeraki-istio' && rule.resources.every(r => istioWrites.has(r))) ||
          (role.kind === 'Role' && rule.resources.every(r => r === 'leases' || r === 'secrets')) ||
          rule.resourceNames !== undefined;
        assert.ok(allowed, `${role.metadata.name}: ${JSON.stringify(rule)}`);
        if (rule.resources.includes('secrets') && rule.verbs.some(v => v !== 'create'))
          assert.deepEqual(rule.resourceNames, ['aeraki-webhook-tls']);
        if (rule.resources.includes('serviceentries')) assert.deepEqual(rule.verbs, ['update', 'patch']);
      }
    }
    assert.equal(
      defaults().filter(m => m.metadata.name === 'aeraki-istio').length,
      0,
      'no Istio write access unless --istio',
    );
    const args = (
      istioMode().find(m => m.kind === 'Deployment')?.['spec'] as {
        template: { spec: { containers: { args: string[] }[] } };
      }
    ).template.spec.containers[0]!.args;
    assert.ok(args.includes('--istio'));
  });
});

describe('xDS security in the manifests', () => {
  interface Container {
    args: string[];
    volumeMounts?: { name: string; mountPath: string }[];
  }
  interface PodSpec {
    serviceAccountName?: string;
    containers: Container[];
    volumes?: {
      name: string;
      projected?: { sources: { serviceAccountToken?: { audience: string; path: string } }[] };
      secret?: { secretName: string; items?: { key: string }[] };
    }[];
  }
  const pod = (name: string): PodSpec =>
    (
      defaults().find(m => m.kind === 'Deployment' && m.metadata.name === name)!['spec'] as {
        template: { spec: PodSpec };
      }
    ).template.spec;
  const flag = (args: readonly string[], name: string): string | undefined => {
    const i = args.indexOf(name);
    return i < 0 ? undefined : args[i + 1];
  };

  test('the control plane serves xDS on the TLS port only, with the token audience the gateway uses', () => {
    const args = pod('aeraki-control-plane').containers[0]!.args;
    assert.ok(
      !args.includes('--listen') && !args.includes('--plaintext-insecure'),
      'plaintext on loopback only',
    );
    assert.equal(flag(args, '--tls-listen'), '0.0.0.0:15012');
    assert.equal(flag(args, '--tls-secret'), '$(POD_NAMESPACE)/aeraki-webhook-tls');
    const gateway = pod('aeraki-gateway');
    const gatewayArgs = gateway.containers[0]!.args;
    assert.equal(flag(gatewayArgs, '--xds'), 'aeraki.$(POD_NAMESPACE).svc:15012');
    const token = gateway.volumes?.find(v => v.projected !== undefined)?.projected?.sources[0]
      ?.serviceAccountToken;
    assert.equal(token?.audience, flag(args, '--token-audience'));
    const mounts = new Map((gateway.containers[0]!.volumeMounts ?? []).map(m => [m.name, m.mountPath]));
    assert.equal(flag(gatewayArgs, '--xds-token-file'), `${mounts.get('xds-token')}/${token?.path}`);
    const ca = gateway.volumes?.find(v => v.secret !== undefined)?.secret;
    assert.deepEqual(
      ca?.items?.map(i => i.key),
      ['ca.crt'],
      'the CA only, not the key',
    );
    assert.equal(flag(gatewayArgs, '--xds-ca'), `${mounts.get('xds-ca')}/ca.crt`);
    // Its labels, for Sidecars' workloadSelectors, from the downward API.
    assert.equal(flag(gatewayArgs, '--labels-file'), `${mounts.get('podinfo')}/labels`);
    const account = defaults().find(
      m => m.kind === 'ServiceAccount' && m.metadata.name === gateway.serviceAccountName,
    );
    assert.equal(account?.['automountServiceAccountToken'], false, 'no token for the API server');
  });
});

describe('Dockerfile', () => {
  test('two stages; the image runs as the non-root uid of the manifests and holds what bin/aeraki loads', () => {
    const root = join(DEPLOY, '..', '..');
    const lines = readFileSync(join(root, 'Dockerfile'), 'utf8').split('\n');
    const stages = lines.filter(l => l.startsWith('FROM '));
    assert.equal(stages.length, 2);
    const final = lines.slice(lines.indexOf(stages[1]!));
    assert.ok(final.some(l => l === 'USER 10001:10001'));
    const copied = final
      .filter(l => l.startsWith('COPY --from=build '))
      .map(l => l.split(' ')[2]!.replace('/src/', ''));
    // What runs: the entry script, the compiled sources, our protos (found next to dist/), the packages.
    for (const needed of ['bin', 'dist/src', 'proto', 'node_modules', 'package.json'])
      assert.ok(copied.includes(needed), needed);
    const uids = defaults()
      .filter(m => m.kind === 'Deployment')
      .map(
        m =>
          (m['spec'] as { template: { spec: { securityContext: { runAsUser: number } } } }).template.spec
            .securityContext.runAsUser,
      );
    assert.deepEqual([...new Set(uids)], [10001]);
  });
});

describe('aeraki install against the API stand-in', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start({ aerakiCrds: false });
  });
  after(async () => {
    await cluster.stop();
  });

  test('creates everything, then replaces it keeping the caBundle the control plane wrote', async () => {
    const client = KubeClient.load({ kubeconfig: cluster.kubeconfigPath });
    const manifests = defaults();
    const created = await applyManifests(client, manifests);
    assert.equal(created.length, manifests.length);
    assert.ok(
      created.every(line => line.endsWith(' created')),
      created.join('\n'),
    );
    const kubectl = await cluster.kubectl(['get', 'metarouters', '-A']);
    assert.equal(kubectl.code, 0, `the CRDs serve their kinds: ${kubectl.stderr}`);
    const webhook = cluster.api.get(
      'admissionregistration.k8s.io',
      'validatingwebhookconfigurations',
      undefined,
      'aeraki-aeraki-system',
    );
    assert.ok(webhook !== undefined);
    const hooks = webhook['webhooks'] as Array<{ clientConfig: Record<string, unknown> }>;
    hooks[0]!.clientConfig['caBundle'] = Buffer.from('a CA').toString('base64');
    cluster.api.createDirect(webhook);
    const again = await applyManifests(client, manifests);
    assert.ok(
      again.every(line => line.endsWith(' configured')),
      again.join('\n'),
    );
    const kept = cluster.api.get(
      'admissionregistration.k8s.io',
      'validatingwebhookconfigurations',
      undefined,
      'aeraki-aeraki-system',
    );
    assert.equal(
      (kept?.['webhooks'] as typeof hooks)[0]!.clientConfig['caBundle'],
      Buffer.from('a CA').toString('base64'),
    );
  });
});
