import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactSecrets, REDACTED } from '../../../src/xds/redact-secrets.js';

test("config dumps hide Redis passwords, ours and Envoy's, and keep everything else", () => {
  const dump = {
    clusters: [{ name: 'c', redis: { mode: 'proxy', auth: { username: 'u', password: 'p' } } }],
    redisListeners: [{ downstreamAuth: { passwords: ['a', 'b'] } }],
    envoy: { auth_password: { inline_string: 'p' }, downstream_auth_passwords: [{ inline_string: 'p' }] },
  };
  assert.deepEqual(redactSecrets(dump), {
    clusters: [{ name: 'c', redis: { mode: 'proxy', auth: { username: 'u', password: REDACTED } } }],
    redisListeners: [{ downstreamAuth: { passwords: REDACTED } }],
    envoy: { auth_password: REDACTED, downstream_auth_passwords: REDACTED },
  });
  assert.equal(dump.clusters[0]!.redis.auth.password, 'p', 'the original is left alone');
});
