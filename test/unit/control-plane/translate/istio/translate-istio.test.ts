/**
 * Istio mode: golden EnvoyFilters for the original Aeraki's end-to-end test configurations
 * (test/fixtures/config/istio/<scenario>/config → expected.yaml; regenerate with UPDATE_GOLDEN=1 and
 * review every changed line), each checked against Istio 1.18's own EnvoyFilter and VirtualService
 * schemas and with every TypedStruct value read back strictly by our protos (no unknown, mis-cased
 * or extension field).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../../../src/control-plane/index.js';
import {
  istioObjectsYaml,
  translateIstio,
  TYPED_STRUCT_TYPE_URL,
  type EnvoyFilterObject,
} from '../../../../../src/control-plane/translate/istio/index.js';
import { fromProtoJson, ProtoJsonError } from '../../../../../src/xds/proto-json.js';
import { protoRootWithIstioFilters } from '../../../../../src/xds/proto-root.js';
import { messageNameOf } from '../../../../../src/xds/type-urls.js';
import { CONFIG_FIXTURES } from '../../fixtures.js';
import { configDir } from '../../temp-config.js';
import { checkEnvoyFilter, checkVirtualService } from './istio-schemas.js';

const SCENARIOS = join(CONFIG_FIXTURES, 'istio');
const update = process.env['UPDATE_GOLDEN'] === '1';

/** Schemas of TypedStruct type URLs our proto set has under another name (same fields). */
const SCHEMA_OF: Readonly<Record<string, string>> = {
  'type.googleapis.com/envoy.extensions.filters.network.kafka_broker.v3.KafkaBroker':
    'envoy.config.filter.network.kafka_broker.v2alpha1.KafkaBroker',
};

interface TypedStructJson {
  readonly '@type': string;
  readonly type_url: string;
  readonly value: unknown;
}

/** Reads every patch value back with our protos; throws ProtoJsonError naming the field refused. */
function decodePatches(filter: EnvoyFilterObject): number {
  protoRootWithIstioFilters();
  let decoded = 0;
  for (const patch of filter.spec.configPatches) {
    const value = patch.patch.value as Record<string, unknown> | undefined;
    if (value === undefined) continue;
    if (patch.applyTo === 'CLUSTER') {
      fromProtoJson('envoy.config.cluster.v3.Cluster', value);
      decoded++;
      continue;
    }
    const typed = value['typed_config'] as TypedStructJson;
    assert.equal(typed['@type'], TYPED_STRUCT_TYPE_URL);
    fromProtoJson(SCHEMA_OF[typed.type_url] ?? messageNameOf(typed.type_url), typed.value, {
      refuseAerakiFieldsFrom: 1000,
    });
    decoded++;
  }
  return decoded;
}

/** The objects of a multi-document YAML text (the goldens are kept formatted by prettier). */
function documents(text: string): unknown[] {
  return parseAllDocuments(text).map(d => d.toJSON() as unknown);
}

async function writeGolden(file: string, yaml: string): Promise<void> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(yaml, { ...options, filepath: file }));
}

async function translateScenario(name: string) {
  const loaded = await loadConfig(join(SCENARIOS, name, 'config'));
  assert.deepEqual(
    loaded.issues.filter(i => i.severity === 'error').map(i => `${i.field}: ${i.message}`),
    [],
    'scenario configs are free of errors',
  );
  return translateIstio(loaded.config);
}

describe('Istio EnvoyFilters for the original e2e configurations', () => {
  for (const name of readdirSync(SCENARIOS).sort()) {
    test(name, async () => {
      const translation = await translateScenario(name);
      const yaml = istioObjectsYaml(translation);
      const expectedFile = join(SCENARIOS, name, 'expected.yaml');
      if (update || !existsSync(expectedFile)) await writeGolden(expectedFile, yaml);
      assert.deepEqual(documents(yaml), documents(readFileSync(expectedFile, 'utf8')));
      assert.ok(translation.envoyFilters.length > 0);
      for (const filter of translation.envoyFilters) {
        checkEnvoyFilter(filter as unknown as Record<string, unknown>);
        assert.deepEqual(filter.metadata.labels, { manager: 'Aeraki' });
        assert.ok(decodePatches(filter) > 0, `${filter.metadata.name} has a value to decode`);
      }
      for (const vs of translation.virtualServices)
        checkVirtualService(vs as unknown as Record<string, unknown>);
      assert.equal(istioObjectsYaml(await translateScenario(name)), yaml, 'deterministic');
    });
  }
});

function names(translation: { envoyFilters: readonly EnvoyFilterObject[] }): string[] {
  return translation.envoyFilters.map(f => `${f.metadata.namespace}/${f.metadata.name}`);
}

describe('Istio EnvoyFilter placement and shapes', () => {
  test("a MetaRouter's exportTo puts one copy in each namespace, none in the root namespace (TestExportToNS)", async () => {
    const translation = await translateScenario('metaprotocol-dubbo');
    const demo = names(translation).filter(n => n.includes('demoservice'));
    assert.deepEqual(demo, [
      'default/aeraki-inbound-org.apache.dubbo.samples.basic.api.demoservice-20880',
      'default/aeraki-outbound-org.apache.dubbo.samples.basic.api.demoservice-240.240.0.1-20880',
      'metaprotocol/aeraki-inbound-org.apache.dubbo.samples.basic.api.demoservice-20880',
      'metaprotocol/aeraki-outbound-org.apache.dubbo.samples.basic.api.demoservice-240.240.0.1-20880',
    ]);
    // No MetaRouter: the root namespace; the workloadSelector annotation gives the inbound selector.
    const second = translation.envoyFilters.filter(f => f.metadata.name.includes('secondservice'));
    assert.deepEqual(
      second.map(f => `${f.metadata.namespace}/${f.metadata.name}`),
      [
        'istio-system/aeraki-inbound-org.apache.dubbo.samples.basic.api.secondservice-20880',
        'istio-system/aeraki-outbound-org.apache.dubbo.samples.basic.api.secondservice-240.240.0.2-20880',
      ],
    );
    assert.deepEqual(second[0]?.spec.workloadSelector, { labels: { app: 'dubbo-sample-second-provider' } });
  });

  test('namespace scope and the ServiceEntry exportTo place filters where the service is visible', async () => {
    const entry = (exportTo: string): string => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: svc, namespace: team}
spec:
  hosts: [svc.team.svc.cluster.local]
  addresses: [10.1.0.1]
  ports: [{number: 9090, name: tcp-metaprotocol-thrift}]
${exportTo}`;
    const scoped = await loadConfig(configDir({ 'se.yaml': entry('') }));
    assert.deepEqual(names(translateIstio(scoped.config, { namespaceScope: true })), [
      'team/aeraki-outbound-svc.team.svc.cluster.local-10.1.0.1-9090',
    ]);
    const exported = await loadConfig(configDir({ 'se.yaml': entry("  exportTo: ['.', clients]") }));
    assert.deepEqual(names(translateIstio(exported.config)), [
      'clients/aeraki-outbound-svc.team.svc.cluster.local-10.1.0.1-9090',
      'team/aeraki-outbound-svc.team.svc.cluster.local-10.1.0.1-9090',
    ]);
  });

  test('every port of a service gets the filter of its own protocol (the original used the first port only)', async () => {
    const loaded = await loadConfig(
      configDir({
        'se.yaml': `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: mixed, namespace: ns}
spec:
  hosts: [mixed.ns.svc.cluster.local]
  addresses: [10.1.0.2]
  ports:
    - {number: 9092, name: tcp-kafka}
    - {number: 9090, name: tcp-metaprotocol-thrift}
    - {number: 2181, name: tcp-zookeeper-client}
`,
      }),
    );
    const translation = translateIstio(loaded.config);
    const filters = translation.envoyFilters.map(f => {
      const patch = f.spec.configPatches[0];
      return `${f.metadata.name} ${patch?.patch.operation} ${String(patch?.patch.value?.['name'])}`;
    });
    assert.deepEqual(filters, [
      'aeraki-outbound-mixed.ns.svc.cluster.local-10.1.0.2-2181 INSERT_BEFORE envoy.filters.network.zookeeper_proxy',
      'aeraki-outbound-mixed.ns.svc.cluster.local-10.1.0.2-9090 REPLACE envoy.filters.network.meta_protocol_proxy',
      'aeraki-outbound-mixed.ns.svc.cluster.local-10.1.0.2-9092 INSERT_BEFORE envoy.filters.network.kafka_broker',
    ]);
  });

  test('a service without an address is reported and the others are still written', async () => {
    const loaded = await loadConfig(
      configDir({
        'se.yaml': `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: a, namespace: ns}
spec:
  hosts: [a.ns.svc.cluster.local]
  ports: [{number: 9090, name: tcp-metaprotocol-thrift}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: b, namespace: ns}
spec:
  hosts: [b.ns.svc.cluster.local]
  addresses: [10.1.0.3]
  ports: [{number: 9090, name: tcp-metaprotocol-thrift}]
`,
      }),
    );
    const translation = translateIstio(loaded.config);
    assert.deepEqual(names(translation), [
      'istio-system/aeraki-outbound-b.ns.svc.cluster.local-10.1.0.3-9090',
    ]);
    assert.deepEqual(
      translation.issues.map(i => `${i.name} ${i.field} ${i.rule}`),
      ['ns/a spec.addresses no-address'],
    );
  });

  test('a Dubbo port without the interface annotation gets no outbound filter, with a warning', async () => {
    const loaded = await loadConfig(
      configDir({
        'se.yaml': `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: d, namespace: ns}
spec:
  hosts: [d.ns.svc.cluster.local]
  addresses: [10.1.0.4]
  ports: [{number: 20880, name: tcp-dubbo}]
`,
      }),
    );
    const translation = translateIstio(loaded.config);
    assert.deepEqual(names(translation), []);
    assert.deepEqual(
      translation.issues.map(i => i.rule),
      ['dubbo-interface-annotation'],
    );
  });
});

describe('the strict TypedStruct reading', () => {
  test('refuses lowerCamelCase field names, naming the declared spelling', () => {
    assert.throws(
      () =>
        fromProtoJson('aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy', {
          stat_prefix: 'x',
          applicationProtocol: 'dubbo',
        }),
      (err: unknown) =>
        err instanceof ProtoJsonError &&
        err.path === 'applicationProtocol' &&
        /spelled 'application_protocol'/.test(err.message),
    );
  });

  test('refuses unknown fields inside Any configs, and our extension fields when asked', () => {
    assert.throws(
      () =>
        fromProtoJson('aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy', {
          meta_protocol_filters: [
            {
              name: 'aeraki.meta_protocol.filters.istio_stats',
              config: {
                '@type':
                  'type.googleapis.com/aeraki.meta_protocol_proxy.filters.istio_stats.v1alpha.IstioStats',
                destination: 'x',
              },
            },
          ],
        }),
      (err: unknown) =>
        err instanceof ProtoJsonError && err.path === 'meta_protocol_filters[0].config.destination',
    );
    assert.throws(
      () =>
        fromProtoJson(
          'aeraki.meta_protocol_proxy.v1alpha.MetaProtocolProxy',
          { request_timeout: '1s' },
          { refuseAerakiFieldsFrom: 1000 },
        ),
      /aeraki-ts extension/,
    );
  });

  test('refuses bad durations and enum values', () => {
    assert.throws(
      () => fromProtoJson('envoy.config.cluster.v3.Cluster', { connect_timeout: '10' }),
      /connect_timeout: must be a duration/,
    );
    assert.throws(
      () => fromProtoJson('envoy.config.cluster.v3.Cluster', { lb_policy: 'MAGLEVV' }),
      /lb_policy/,
    );
  });
});
