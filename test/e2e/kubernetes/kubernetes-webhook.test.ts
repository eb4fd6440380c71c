/**
 * The admission webhook, called by the API stand-in as the real API server calls webhooks (HTTPS,
 * AdmissionReview v1, trusting only the configuration's caBundle), with the webhook configuration of
 * `aeraki install`: the control plane makes its certificate, stores it in a Secret and writes the CA
 * into the caBundle; kubectl then gets a bad MetaRouter refused with the message `aeraki validate`
 * prints for the same YAML, warnings as kubectl warnings, and a good one through.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { installManifests, webhookConfigurationName } from '../../../src/cli/install-manifests.js';
import { freePort, runAeraki, toYaml } from '../harness/index.js';
import { TestCluster } from '../../kubernetes-stand-in/index.js';
import { startKubeControlPlane, type KubeControlPlane } from './kube-mesh.js';

const NS = 'aeraki-system';
let cluster: TestCluster;
let controlPlane: KubeControlPlane | undefined;
let webhookPort = 0;
const dir = mkdtempSync(join(tmpdir(), 'aeraki-webhook-'));
/** A filter plugin the control plane loads (--plugin), so the webhook checks MetaRouters' filter configs. */
const PLUGIN = join(dir, 'quota-filter.mjs');
const QUOTA = 'aeraki.meta_protocol.filters.quota';
writeFileSync(
  PLUGIN,
  `import { defineFilter, filterName, z } from 'aeraki/filter';
export default {
  sdkVersion: '^1.1.0',
  filters: [
    defineFilter({
      name: filterName('quota'),
      configSchema: z.object({ limit: z.number().int().positive() }),
      create: () => ({ name: filterName('quota'), onRequest: () => 'continue' }),
    }),
  ],
};
`,
);

const BAD = {
  apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
  kind: 'MetaRouter',
  metadata: { name: 'bad', namespace: 'default' },
  spec: {
    hosts: ['hello.default.svc.cluster.local'],
    routes: [
      {
        name: 'split',
        route: [
          { destination: { host: 'hello.default.svc.cluster.local', subset: 'v1' }, weight: 60 },
          { destination: { host: 'hello.default.svc.cluster.local', subset: 'v2' }, weight: 30 },
        ],
      },
    ],
  },
};

before(
  async () => {
    webhookPort = await freePort('127.0.0.1');
    cluster = await TestCluster.start({
      resolveService: (namespace, name) => {
        assert.equal(`${name}.${namespace}`, `aeraki.${NS}`);
        return `https://127.0.0.1:${webhookPort}`;
      },
    });
    cluster.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const webhook = installManifests({ namespace: NS, image: 'aeraki:test' }).find(
      m => m.kind === 'ValidatingWebhookConfiguration',
    )!;
    cluster.create(webhook);
    controlPlane = await startKubeControlPlane(
      cluster,
      [
        '--webhook-listen',
        `127.0.0.1:${webhookPort}`,
        '--webhook-service',
        `aeraki.${NS}.svc`,
        '--webhook-secret',
        `${NS}/aeraki-webhook-tls`,
        '--webhook-configuration',
        webhookConfigurationName(NS),
        '--plugin',
        PLUGIN,
      ],
      'admission webhook serving',
    );
    // The caBundle is written once the control plane leads (alone: at once).
    const deadline = Date.now() + 10000;
    for (;;) {
      const config = cluster.api.get(
        'admissionregistration.k8s.io',
        'validatingwebhookconfigurations',
        undefined,
        webhookConfigurationName(NS),
      );
      const hooks = (config?.['webhooks'] ?? []) as Array<{ clientConfig?: { caBundle?: string } }>;
      if (hooks.every(h => (h.clientConfig?.caBundle ?? '') !== '') && hooks.length > 0) break;
      if (Date.now() > deadline) throw new Error('the caBundle was not written');
      await sleep(50);
    }
  },
  { timeout: 60000 },
);

after(
  async () => {
    await controlPlane?.process.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  },
  { timeout: 20000 },
);

test('the certificate is kept in the Secret, and the caBundle is its CA', () => {
  const secret = cluster.api.get('', 'secrets', NS, 'aeraki-webhook-tls');
  assert.equal(secret?.['type'], 'kubernetes.io/tls');
  const data = secret?.['data'] as Record<string, string>;
  const config = cluster.api.get(
    'admissionregistration.k8s.io',
    'validatingwebhookconfigurations',
    undefined,
    webhookConfigurationName(NS),
  );
  const hooks = config?.['webhooks'] as Array<{ clientConfig: { caBundle: string } }>;
  assert.equal(hooks[0]!.clientConfig.caBundle, data['ca.crt']);
  assert.match(Buffer.from(data['tls.crt']!, 'base64').toString('utf8'), /BEGIN CERTIFICATE/);
});

test('a bad MetaRouter is refused with the message aeraki validate gives', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, toYaml([BAD]));
  const validate = await runAeraki(['validate', file, '--json']);
  assert.equal(validate.code, 1);
  const errors = (
    JSON.parse(validate.stdout) as {
      errors: Array<{ message: string; field: string; rule: string; kind: string; name: string }>;
    }
  ).errors;
  assert.equal(errors.length, 1);
  const expected = `${errors[0]!.message} (MetaRouter default/bad, field ${errors[0]!.field}, rule ${errors[0]!.rule})`;

  const applied = await cluster.kubectl(['apply', '-f', file]);
  assert.notEqual(applied.code, 0);
  assert.ok(
    applied.stderr.includes(`admission webhook "validation.aeraki.io" denied the request: ${expected}`),
    applied.stderr,
  );
  assert.equal(cluster.api.get('metaprotocol.aeraki.io', 'metarouters', 'default', 'bad'), undefined);
  // The text aeraki validate prints for a person carries the same message, rule and field.
  const human = await runAeraki(['validate', file]);
  assert.ok(
    human.stdout.includes(
      `error: ${errors[0]!.message} (MetaRouter default/bad, document 1, field ${errors[0]!.field}, rule ${errors[0]!.rule})`,
    ),
    human.stdout,
  );
});

test('warnings come back as kubectl warnings, and the object is created', async () => {
  const warned = {
    ...BAD,
    metadata: { name: 'warned', namespace: 'default' },
    spec: {
      hosts: ['hello.default.svc.cluster.local'],
      routes: [
        { name: 'first', route: [{ destination: { host: 'hello.default.svc.cluster.local' } }] },
        { name: 'never', route: [{ destination: { host: 'hello.default.svc.cluster.local' } }] },
      ],
    },
  };
  const applied = await cluster.kubectl(['apply', '-f', '-'], { input: toYaml([warned]) });
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(
    applied.stderr,
    /Warning: .*has no match, so the routes after it are never used.*rule unreachable-route/,
  );
  assert.ok(cluster.api.get('metaprotocol.aeraki.io', 'metarouters', 'default', 'warned') !== undefined);
});

test('an edit that breaks a rule is refused too, and the object stays as it was', async () => {
  const good = {
    ...BAD,
    metadata: { name: 'good', namespace: 'default' },
    spec: {
      ...BAD.spec,
      routes: [{ name: 'all', route: [{ destination: { host: 'hello.default.svc.cluster.local' } }] }],
    },
  };
  const created = await cluster.kubectl(['apply', '-f', '-'], { input: toYaml([good]) });
  assert.equal(created.code, 0, created.stderr);
  const edit = await cluster.kubectl(['apply', '-f', '-'], {
    input: toYaml([{ ...BAD, metadata: good.metadata }]),
  });
  assert.notEqual(edit.code, 0);
  assert.match(edit.stderr, /denied the request: .*rule weights-sum-100/);
  const stored = cluster.api.get('metaprotocol.aeraki.io', 'metarouters', 'default', 'good');
  assert.equal((stored?.['spec'] as { routes: Array<{ name: string }> }).routes[0]!.name, 'all');
});

test("a MetaRouter filter's config is checked against the filter's schema, as aeraki validate --plugin does", async () => {
  const routed = (name: string, filters: unknown[]) => ({
    ...BAD,
    metadata: { name, namespace: 'default' },
    spec: {
      hosts: ['hello.default.svc.cluster.local'],
      routes: [{ name: 'all', route: [{ destination: { host: 'hello.default.svc.cluster.local' } }] }],
      filters,
    },
  });
  const file = join(dir, 'quota.yaml');
  writeFileSync(file, toYaml([routed('quota', [{ name: QUOTA, config: { limit: -1 } }])]));
  const validate = await runAeraki(['validate', file, '--plugin', PLUGIN, '--json']);
  assert.equal(validate.code, 1, validate.stderr);
  // Alone, the file also misses its ServiceEntry: the webhook judges that as a warning (kubectl
  // apply -f dir applies objects one by one), an object's own errors as a refusal.
  const error = (
    JSON.parse(validate.stdout) as { errors: Array<{ message: string; field: string; rule: string }> }
  ).errors.find(e => e.rule === 'filter-config');
  assert.ok(error !== undefined, validate.stdout);
  const applied = await cluster.kubectl(['apply', '-f', file]);
  assert.notEqual(applied.code, 0);
  assert.ok(
    applied.stderr.includes(
      `denied the request: ${error.message} (MetaRouter default/quota, field ${error.field}, rule filter-config)`,
    ),
    applied.stderr,
  );
  assert.equal(cluster.api.get('metaprotocol.aeraki.io', 'metarouters', 'default', 'quota'), undefined);
  // An object with a warning of its own (a route after a catch-all) is judged by its filters too.
  const warnedToo = routed('quota', [{ name: QUOTA, config: { limit: -1 } }]);
  warnedToo.spec.routes = [
    { name: 'first', route: [{ destination: { host: 'hello.default.svc.cluster.local' } }] },
    { name: 'never', route: [{ destination: { host: 'hello.default.svc.cluster.local' } }] },
  ];
  const refusedToo = await cluster.kubectl(['apply', '-f', '-'], { input: toYaml([warnedToo]) });
  assert.notEqual(refusedToo.code, 0);
  assert.match(refusedToo.stderr, /denied the request: .*rule filter-config/);

  const good = await cluster.kubectl(['apply', '-f', '-'], {
    input: toYaml([routed('quota', [{ name: QUOTA, config: { limit: 10 } }])]),
  });
  assert.equal(good.code, 0, good.stderr);
  // A filter no plugin of the control plane brings: a warning, since a proxy with it serves it.
  const unknown = await cluster.kubectl(['apply', '-f', '-'], {
    input: toYaml([routed('elsewhere', [{ name: 'aeraki.meta_protocol.filters.elsewhere' }])]),
  });
  assert.equal(unknown.code, 0, unknown.stderr);
  assert.match(
    unknown.stderr,
    /Warning: filter 'aeraki\.meta_protocol\.filters\.elsewhere' is not known here.*rule filter-unknown/,
  );
});
