/**
 * `aeraki control-plane`'s xDS ports: the plaintext one only on loopback unless asked for, the TLS
 * one from three files or (Kubernetes) a Secret, never half of either.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xdsPorts } from '../../../src/cli/xds-security-options.js';

const defaults = { listen: '127.0.0.1:15010', 'plaintext-insecure': false, 'tls-listen': '0.0.0.0:15012' };
const files = { 'tls-cert': 'tls.crt', 'tls-key': 'tls.key', 'tls-ca': 'ca.crt' };

test('the plaintext port stays on loopback unless --plaintext-insecure, which marks it exposed', () => {
  assert.deepEqual(xdsPorts(defaults).plaintext, { host: '127.0.0.1', port: 15010, exposed: false });
  assert.throws(() => xdsPorts({ ...defaults, listen: '0.0.0.0:15010' }), /only on loopback/);
  const exposed = xdsPorts({ ...defaults, listen: '0.0.0.0:15010', 'plaintext-insecure': true });
  assert.equal(exposed.plaintext?.exposed, true);
});

test('the TLS port from all three files, or from a Secret, never a mix', () => {
  const fromFiles = xdsPorts({ ...defaults, ...files }).tls;
  assert.ok(fromFiles !== undefined && 'files' in fromFiles);
  assert.equal(fromFiles.port, 15012);
  assert.deepEqual(fromFiles.trustDomains, ['cluster.local']);
  const fromSecret = xdsPorts({ ...defaults, 'tls-secret': 'aeraki-system/aeraki-webhook-tls' }).tls;
  assert.ok(fromSecret !== undefined && 'secret' in fromSecret);
  assert.equal(fromSecret.secret, 'aeraki-system/aeraki-webhook-tls');
  assert.throws(() => xdsPorts({ ...defaults, 'tls-cert': 'tls.crt' }), /needs all of/);
  assert.throws(() => xdsPorts({ ...defaults, ...files, 'tls-secret': 'a/b' }), /not both/);
});

test('--listen off needs the TLS port', () => {
  assert.throws(() => xdsPorts({ ...defaults, listen: 'off' }), /needs the TLS port/);
  assert.equal(xdsPorts({ ...defaults, ...files, listen: 'off' }).plaintext, undefined);
});
