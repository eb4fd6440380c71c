import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig, translate } from '../../../../src/control-plane/index.js';
import { lbPolicy } from '../../../../src/control-plane/translate/clusters.js';
import { attributeMatchers } from '../../../../src/control-plane/translate/routes.js';
import { canonicalJson } from '../../../../src/control-plane/translate/snapshot-version.js';
import { configDir, serviceEntry } from '../temp-config.js';

const router = (
  name: string,
  host: string,
  subset: string,
): string => `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: ${name}, namespace: demo}
spec:
  hosts: [${host}]
  routes:
    - name: ${name}
      route:
        - destination: {host: ${host}, subset: ${subset}}
`;
const rule = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: hello, namespace: demo}
spec:
  host: hello.demo.svc.cluster.local
  subsets:
    - {name: v1, labels: {version: v1}}
    - {name: v2, labels: {version: v2}}
`;

describe('translate', () => {
  test('is deterministic: file layout and document order do not change the snapshot or its version', async () => {
    const se = serviceEntry({ name: 'hello', host: 'hello.demo.svc.cluster.local', address: '127.0.0.9' });
    const one = await loadConfig(
      configDir({ 'all.yaml': [se, rule, router('r', 'hello.demo.svc.cluster.local', 'v1')].join('---\n') }),
    );
    const two = await loadConfig(
      configDir({
        'z/router.yaml': router('r', 'hello.demo.svc.cluster.local', 'v1'),
        'a/rule.yaml': rule,
        'se.yml': se,
      }),
    );
    assert.deepEqual(translate(two.config), translate(one.config));
    assert.match(translate(one.config).version, /^[0-9a-f]{16}$/);
  });

  test('any change of content changes the version', async () => {
    const se = serviceEntry({ name: 'hello', host: 'hello.demo.svc.cluster.local', address: '127.0.0.9' });
    const v1 = await loadConfig(
      configDir({ 'c.yaml': [se, rule, router('r', 'hello.demo.svc.cluster.local', 'v1')].join('---\n') }),
    );
    const v2 = await loadConfig(
      configDir({ 'c.yaml': [se, rule, router('r', 'hello.demo.svc.cluster.local', 'v2')].join('---\n') }),
    );
    assert.notEqual(translate(v1.config).version, translate(v2.config).version);
  });

  test('of several MetaRouters for one host, the first by namespace/name is used, whatever the file order', async () => {
    const se = serviceEntry({ name: 'hello', host: 'hello.demo.svc.cluster.local', address: '127.0.0.9' });
    const loaded = await loadConfig(
      configDir({
        'a.yaml': [se, rule, router('zeta', 'hello.demo.svc.cluster.local', 'v2')].join('---\n'),
        'b.yaml': router('alpha', 'hello.demo.svc.cluster.local', 'v1'),
      }),
    );
    assert.deepEqual(
      loaded.issues.map(i => [i.rule, i.name]),
      [['metarouter-conflict', 'demo/zeta']],
    );
    const table = translate(loaded.config).routes[0];
    assert.deepEqual(
      table?.routes.map(r => r.name),
      ['alpha'],
    );
  });

  test("an ApplicationProtocol's codecConfig reaches the listeners of its protocol", async () => {
    const se = serviceEntry({ name: 'hello', host: 'hello.demo.svc.cluster.local', address: '127.0.0.9' });
    const protocol = `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: ApplicationProtocol
metadata: {name: thrift}
spec: {protocol: thrift, codec: aeraki.meta_protocol.codec.thrift, codecConfig: {maxHeaders: 32, validateRequests: true}}
`;
    const plain = translate((await loadConfig(configDir({ 'se.yaml': se }))).config);
    assert.equal(plain.listeners[0]?.codecConfig, undefined);
    const loaded = await loadConfig(configDir({ 'se.yaml': se, 'protocol.yaml': protocol }));
    assert.deepEqual(loaded.issues, []);
    const snapshot = translate(loaded.config);
    assert.deepEqual(snapshot.listeners[0]?.codecConfig, { maxHeaders: 32, validateRequests: true });
    assert.notEqual(snapshot.version, plain.version);
  });

  test('port names select MetaProtocol case-insensitively; other ports get nothing', async () => {
    const loaded = await loadConfig(
      configDir({
        'se.yaml': [
          serviceEntry({ name: 'a', host: 'a.demo', address: '127.0.0.9', portName: 'tcp-Thrift-x' }),
          serviceEntry({
            name: 'b',
            host: 'b.demo',
            address: '127.0.0.9',
            port: 9091,
            portName: 'TCP-DUBBO',
          }),
          serviceEntry({
            name: 'c',
            host: 'c.demo',
            address: '127.0.0.9',
            port: 9092,
            portName: 'tcp-redis',
          }),
          serviceEntry({ name: 'd', host: 'd.demo', address: '127.0.0.9', port: 9093, portName: 'http-web' }),
        ].join('---\n'),
      }),
    );
    assert.deepEqual(loaded.issues, []);
    const snapshot = translate(loaded.config);
    assert.deepEqual(
      snapshot.listeners.map(l => [l.name, l.protocol, l.codec]),
      [
        ['127.0.0.9_9090', 'thrift', 'aeraki.meta_protocol.codec.thrift'],
        ['127.0.0.9_9091', 'dubbo', 'aeraki.meta_protocol.codec.dubbo'],
      ],
    );
  });

  test('a config with errors still translates without throwing, leaving out what cannot be built', async () => {
    const loaded = await loadConfig(
      configDir({
        'se.yaml': [
          serviceEntry({
            name: 'bare',
            host: 'bare.demo',
            address: '127.0.0.9',
            portName: 'tcp-metaprotocol',
          }),
          serviceEntry({
            name: 'unknown',
            host: 'u.demo',
            address: '127.0.0.9',
            port: 9091,
            portName: 'tcp-metaprotocol-nope',
          }),
          serviceEntry({ name: 'ok', host: 'ok.demo', address: '127.0.0.9', port: 9092 }),
          router('r', 'ok.demo', 'missing'),
        ].join('---\n'),
      }),
    );
    assert.deepEqual(
      loaded.issues.filter(i => i.severity === 'error').map(i => i.rule),
      ['metaprotocol-port-name', 'unknown-application-protocol', 'destination-subset-unknown'],
    );
    const snapshot = translate(loaded.config);
    assert.deepEqual(
      snapshot.listeners.map(l => l.name),
      ['127.0.0.9_9092'],
    );
    assert.deepEqual(
      snapshot.endpoints.find(e => e.clusterName === 'outbound|9092|missing|ok.demo')?.endpoints,
      [],
    );
  });

  test('a MetaRouter without routes (rate limits only) leaves the default route', async () => {
    const loaded = await loadConfig(
      configDir({
        'c.yaml': [
          serviceEntry({ name: 'ok', host: 'ok.demo', address: '127.0.0.9' }),
          `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: limits, namespace: demo}
spec:
  hosts: [ok.demo]
  localRateLimit:
    tokenBucket: {maxTokens: 5, fillInterval: 60s}
`,
        ].join('---\n'),
      }),
    );
    const routes = translate(loaded.config).routes[0]?.routes;
    assert.deepEqual(
      routes?.map(r => [r.name, r.action]),
      [['default', { cluster: 'outbound|9090||ok.demo' }]],
    );
  });

  test('short destination hosts resolve in the MetaRouter namespace', async () => {
    const loaded = await loadConfig(
      configDir({
        'c.yaml': [
          serviceEntry({ name: 'hello', host: 'hello.demo.svc.cluster.local', address: '127.0.0.9' }),
          rule,
          router('r', 'hello', 'v2'),
        ].join('---\n'),
      }),
    );
    assert.deepEqual(loaded.issues, []);
    const route = translate(loaded.config).routes[0]?.routes[0];
    assert.deepEqual(route?.action, { cluster: 'outbound|9090|v2|hello.demo.svc.cluster.local' });
  });
});

describe('attributeMatchers', () => {
  test('sorts by attribute name and maps presence forms', () => {
    assert.deepEqual(
      attributeMatchers({
        attributes: {
          zeta: { exact: 'z' },
          alpha: {},
          mid: { regex: '*' },
          beta: { exact: '' },
          gamma: { prefix: 'g' },
          delta: { regex: '^d.*$' },
        },
      }),
      [
        { name: 'alpha', kind: 'present' },
        { name: 'beta', kind: 'present' },
        { name: 'delta', kind: 'regex', value: '^d.*$' },
        { name: 'gamma', kind: 'prefix', value: 'g' },
        { name: 'mid', kind: 'present' },
        { name: 'zeta', kind: 'exact', value: 'z' },
      ],
    );
    assert.deepEqual(attributeMatchers(undefined), []);
  });
});

describe('lbPolicy', () => {
  test('maps DestinationRule load balancers to Envoy policies', () => {
    assert.equal(lbPolicy(undefined), 'ROUND_ROBIN');
    assert.equal(lbPolicy({ simple: 'UNSPECIFIED' }), 'ROUND_ROBIN');
    assert.equal(lbPolicy({ simple: 'ROUND_ROBIN' }), 'ROUND_ROBIN');
    assert.equal(lbPolicy({ simple: 'LEAST_CONN' }), 'LEAST_REQUEST');
    assert.equal(lbPolicy({ simple: 'LEAST_REQUEST' }), 'LEAST_REQUEST');
    assert.equal(lbPolicy({ simple: 'RANDOM' }), 'RANDOM');
    assert.equal(lbPolicy({ simple: 'PASSTHROUGH' }), 'ROUND_ROBIN');
    assert.equal(lbPolicy({ consistentHash: { httpHeaderName: 'method' } }), 'RING_HASH');
    assert.equal(lbPolicy({ consistentHash: { httpHeaderName: 'method', maglev: {} } }), 'MAGLEV');
  });
});

describe('canonicalJson', () => {
  test('does not depend on key order and drops undefined members', () => {
    assert.equal(
      canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] }),
      canonicalJson({ a: [{ d: 2 }], b: 1 }),
    );
    assert.equal(canonicalJson({ b: 1, a: 'x' }), '{"a":"x","b":1}');
  });
});
