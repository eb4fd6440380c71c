/**
 * Translation of the per-route policy extensions (the golden case thrift-fault-retry-timeout shows a
 * whole snapshot): defaults and the Istio retryOn values that mean nothing here.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig, translate } from '../../../../src/control-plane/index.js';
import type { RouteResource } from '../../../../src/xds/resources.js';
import { configDir, serviceEntry } from '../temp-config.js';

const HOST = 'hello.demo.svc.cluster.local';

async function routeFor(routeYaml: string): Promise<{ route: RouteResource; rules: string[] }> {
  const router = `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: r, namespace: demo}
spec:
  hosts: [${HOST}]
  routes:
    - name: policy
${routeYaml}
      route:
        - destination: {host: ${HOST}}
`;
  const se = serviceEntry({ name: 'hello', host: HOST, address: '127.0.0.9' });
  const loaded = await loadConfig(configDir({ 'c.yaml': [se, router].join('---\n') }));
  const route = translate(loaded.config).routes[0]?.routes[0];
  assert.ok(route !== undefined);
  return { route, rules: loaded.issues.map(i => `${i.severity} ${i.rule}`) };
}

describe('route policy translation', () => {
  test('a percentage left out means every request', async () => {
    const { route } = await routeFor(`      fault:
        delay: {fixedDelay: 1.5s}
        abort: {errorKind: timeout}`);
    assert.deepEqual(route.fault, {
      delay: { fixedDelayMs: 1500, percent: 100 },
      abort: { errorKind: 'timeout', percent: 100 },
    });
  });

  test('retryOn defaults to connect-failure; Istio-only values are dropped with a warning', async () => {
    const plain = await routeFor(`      retries: {attempts: 3}`);
    assert.deepEqual(plain.route.retryPolicy, { attempts: 3, retryOn: ['connect-failure'] });
    assert.deepEqual(plain.rules, []);
    const istio = await routeFor(
      `      retries: {attempts: 2, perTryTimeout: 2s, retryOn: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,reset,reset"}`,
    );
    assert.deepEqual(istio.route.retryPolicy, {
      attempts: 2,
      perTryTimeoutMs: 2000,
      retryOn: ['connect-failure', 'reset'],
    });
    assert.deepEqual(istio.rules, [
      'warning retry-on-ignored',
      'warning retry-on-ignored',
      'warning retry-on-ignored',
      'warning retry-on-ignored',
    ]);
  });

  test('routes without the extensions translate as before', async () => {
    const { route } = await routeFor(`      timeout: 3s`);
    assert.equal(route.timeoutMs, 3000);
    assert.equal('fault' in route, false);
    assert.equal('retryPolicy' in route, false);
  });
});
