import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  circuitBreakers,
  lbPolicy,
  outlierDetection,
} from '../../../../src/control-plane/translate/clusters.js';

const UNLIMITED = 4_294_967_295;

describe('DestinationRule policies as Istio maps them to Envoy', () => {
  test("connection pool limits bound the cluster; 0 and unset mean Envoy's 1024; all defaults, nothing written", () => {
    assert.equal(circuitBreakers(undefined), undefined);
    assert.equal(circuitBreakers({ tcp: { connectTimeout: '1s', maxConnections: 0 } }), undefined);
    assert.equal(circuitBreakers({ tcp: { maxConnections: 1024 } }), undefined);
    assert.deepEqual(circuitBreakers({ tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1 } }), {
      maxConnections: 1,
      maxPendingRequests: 1,
      maxRequests: 1024,
    });
    assert.deepEqual(circuitBreakers({ http: { http2MaxRequests: 7, maxRequestsPerConnection: 3 } }), {
      maxConnections: 1024,
      maxPendingRequests: 1024,
      maxRequests: 7,
    });
    assert.deepEqual(circuitBreakers({ tcp: { maxConnections: UNLIMITED } }), {
      maxConnections: UNLIMITED,
      maxPendingRequests: 1024,
      maxRequests: 1024,
    });
  });

  test('outlier detection: Envoy defaults, Istio’s 0 % min health, and the deprecated consecutiveErrors', () => {
    assert.deepEqual(outlierDetection({}), {
      consecutiveErrors: 5,
      consecutiveGatewayErrors: 0,
      intervalMs: 10_000,
      baseEjectionMs: 30_000,
      maxEjectionMs: 300_000,
      maxEjectionPercent: 10,
      minHealthPercent: 0,
    });
    const legacy = outlierDetection({ consecutiveErrors: 2 });
    assert.equal(legacy.consecutiveErrors, 0, 'the deprecated field turns the 5xx count off');
    assert.equal(legacy.consecutiveGatewayErrors, 2);
    const explicit = outlierDetection({
      consecutiveErrors: 2,
      consecutive5xxErrors: 1,
      consecutiveGatewayErrors: 0,
      interval: '100ms',
      baseEjectionTime: '10m',
      maxEjectionPercent: 0,
      minHealthPercent: 40,
    });
    assert.equal(explicit.consecutiveErrors, 1, 'the explicit fields win');
    assert.equal(explicit.consecutiveGatewayErrors, 0);
    assert.equal(explicit.intervalMs, 100);
    assert.equal(explicit.maxEjectionMs, 600_000, 'the longest ejection is never below the base time');
    assert.equal(explicit.maxEjectionPercent, 10, 'Istio treats 0 as unset');
    assert.equal(explicit.minHealthPercent, 40);
  });

  test('load balancer settings', () => {
    assert.equal(lbPolicy(undefined), 'ROUND_ROBIN');
    assert.equal(lbPolicy({ simple: 'LEAST_CONN' }), 'LEAST_REQUEST');
    assert.equal(lbPolicy({ simple: 'LEAST_REQUEST' }), 'LEAST_REQUEST');
    assert.equal(lbPolicy({ simple: 'RANDOM' }), 'RANDOM');
    assert.equal(lbPolicy({ simple: 'PASSTHROUGH' }), 'ROUND_ROBIN', 'with a warning from validation');
    assert.equal(lbPolicy({ consistentHash: { httpHeaderName: 'method' } }), 'RING_HASH');
    assert.equal(lbPolicy({ consistentHash: { httpHeaderName: 'method', maglev: {} } }), 'MAGLEV');
    assert.equal(
      lbPolicy({ consistentHash: { httpHeaderName: 'method', ringHash: { minimumRingSize: 64 } } }),
      'RING_HASH',
    );
  });
});
