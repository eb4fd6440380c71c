/** The rate-limit rules of MetaRouter validation: what each message tells the user. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetaRouterSpec } from '../../../../src/api/meta-router.js';
import { validateMetaRouter } from '../../../../src/api/validation/meta-router.js';

function messages(spec: Omit<MetaRouterSpec, 'hosts'>): string[] {
  return validateMetaRouter({ hosts: ['hello.demo.svc.cluster.local'], ...spec }, 'demo').map(
    i => `${i.severity} ${i.path.join('.')}: ${i.message}`,
  );
}

const GLOBAL = {
  match: {},
  domain: 'production',
  rateLimitService: 'outbound|8081||ratelimit.demo.svc.cluster.local',
  descriptors: [{ property: 'method', descriptorKey: 'method' }],
};

describe('MetaRouter rate-limit validation', () => {
  test('valid limits raise nothing (and are no longer reported as not applied)', () => {
    assert.deepEqual(
      messages({
        localRateLimit: { tokenBucket: { maxTokens: 5, tokensPerFill: 5, fillInterval: '50ms' } },
        globalRateLimit: { ...GLOBAL, requestTimeout: '100ms', denyOnFail: true },
      }),
      [],
    );
  });

  test('token buckets: fill interval at least 50ms, at least one token, at least one per fill', () => {
    assert.deepEqual(
      messages({
        localRateLimit: {
          conditions: [
            {
              match: { attributes: { method: { exact: 'sayHello' } } },
              tokenBucket: { maxTokens: 0, tokensPerFill: 0, fillInterval: '10ms' },
            },
          ],
        },
      }),
      [
        'error spec.localRateLimit.conditions.0.tokenBucket.maxTokens: maxTokens must be at least 1, not 0',
        'error spec.localRateLimit.conditions.0.tokenBucket.tokensPerFill: tokensPerFill must be at least 1, not 0',
        'error spec.localRateLimit.conditions.0.tokenBucket.fillInterval: fillInterval must be at least 50ms, not 10ms',
      ],
    );
    assert.deepEqual(messages({ localRateLimit: {} }), [
      'error spec.localRateLimit: localRateLimit needs a tokenBucket or conditions',
    ]);
  });

  test('global: a cluster name for the service, a positive timeout, complete descriptors', () => {
    assert.deepEqual(
      messages({
        globalRateLimit: {
          ...GLOBAL,
          rateLimitService: 'ratelimit.demo.svc.cluster.local:8081',
          requestTimeout: '0s',
          descriptors: [],
        },
      }),
      [
        "error spec.globalRateLimit.rateLimitService: rateLimitService 'ratelimit.demo.svc.cluster.local:8081' must be a cluster name outbound|<port>|<subset>|<host>, e.g. outbound|8081||rate-limit-server.ns.svc.cluster.local",
        'error spec.globalRateLimit.requestTimeout: requestTimeout must be more than 0; omit it for the default 20ms',
        'error spec.globalRateLimit.descriptors: descriptors must not be empty',
      ],
    );
    assert.deepEqual(
      messages({
        globalRateLimit: { ...GLOBAL, domain: '', descriptors: [{ property: 'method', descriptorKey: '' }] },
      }),
      [
        'error spec.globalRateLimit.domain: domain must not be empty',
        'error spec.globalRateLimit.descriptors.0.descriptorKey: descriptorKey must not be empty',
      ],
    );
  });
});
