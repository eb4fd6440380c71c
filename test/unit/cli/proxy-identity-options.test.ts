/**
 * What `aeraki proxy` tells the control plane about itself (node metadata from flags and the
 * downward API) and how it connects to the TLS port: a token file read again on every connection
 * (the kubelet renews projected tokens in place), and the usage errors of incomplete credentials.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  defaultNodeId,
  parseLabels,
  proxyNodeIdentity,
  xdsConnection,
} from '../../../src/cli/proxy-identity-options.js';
import { AerakiError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'aeraki-identity-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('node identity', () => {
  test('labels from the downward API\'s file (key="value" lines, quotes escaped) and from --labels', () => {
    const file = join(dir, 'labels');
    writeFileSync(file, 'app="frontend"\npod-template-hash="7d9f"\nnote="a \\"quoted\\" value"\n');
    const identity = proxyNodeIdentity({ 'labels-file': file, labels: 'app=override,tier=web' }, {});
    assert.deepEqual(identity.metadata['LABELS'], {
      app: 'override',
      'pod-template-hash': '7d9f',
      note: 'a "quoted" value',
      tier: 'web',
    });
    assert.throws(() => parseLabels('novalue', false), AerakiError);
  });

  test('namespace and workload from the flags, else POD_NAMESPACE and POD_NAME', () => {
    const env = { POD_NAMESPACE: 'shop', POD_NAME: 'cart-7' };
    assert.deepEqual(proxyNodeIdentity({}, env), {
      namespace: 'shop',
      metadata: { NAMESPACE: 'shop', WORKLOAD_NAME: 'cart-7' },
    });
    assert.equal(proxyNodeIdentity({ namespace: 'pay' }, env).namespace, 'pay');
    assert.deepEqual(proxyNodeIdentity({}, {}), { metadata: {} });
  });

  test("the default node id is Istio's when the namespace is known", () => {
    assert.match(
      defaultNodeId('shop', { POD_NAME: 'cart-7' }),
      /^sidecar~[\d.]+~cart-7\.shop~shop\.svc\.cluster\.local$/,
    );
    assert.match(defaultNodeId(undefined, {}), /^sidecar~[^~]+~\d+$/);
  });
});

describe('TLS xDS credentials', () => {
  test('plaintext without --xds-ca; credentials without it are a usage error', () => {
    assert.equal(xdsConnection({}), undefined);
    assert.throws(() => xdsConnection({ 'xds-token-file': 'token' }), /need --xds-ca/);
    assert.throws(
      () => xdsConnection({ 'xds-ca': 'ca', 'xds-cert': 'cert' }),
      /both --xds-cert and --xds-key/,
    );
  });

  test('the token file is read again on every connection, so a renewed token is sent', () => {
    const token = join(dir, 'istio-token');
    writeFileSync(token, 'first-token\n');
    const connection = xdsConnection({ 'xds-ca': join(dir, 'ca.crt'), 'xds-token-file': token })!;
    assert.deepEqual(connection.metadata!().get('authorization'), ['Bearer first-token']);
    writeFileSync(token, 'renewed-token');
    assert.deepEqual(connection.metadata!().get('authorization'), ['Bearer renewed-token']);
    rmSync(token);
    assert.throws(() => connection.metadata!(), /cannot read --xds-token-file/);
  });
});
