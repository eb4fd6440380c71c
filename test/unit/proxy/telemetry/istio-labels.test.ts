import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  destinationLabels,
  hostOfCluster,
  responseFlags,
  serviceNameAndNamespace,
} from '../../../../src/proxy/telemetry/istio-labels.js';

test('the service host is the last part of an Aeraki cluster name', () => {
  assert.equal(hostOfCluster('outbound|9090|v1|a.ns.svc.cluster.local'), 'a.ns.svc.cluster.local');
  assert.equal(hostOfCluster('outbound|9090||a.b'), 'a.b');
});

test('name and namespace come from Kubernetes service hosts only', () => {
  assert.deepEqual(serviceNameAndNamespace('a.ns.svc.cluster.local'), { name: 'a', namespace: 'ns' });
  assert.deepEqual(serviceNameAndNamespace('org.apache.demo'), {
    name: 'org.apache.demo',
    namespace: 'unknown',
  });
});

test('destination labels from endpoint labels, with Istio fallbacks for canonical service and revision', () => {
  const labels = destinationLabels('a.ns.svc.cluster.local', { version: 'v2' });
  assert.equal(labels['destination_version'], 'v2');
  assert.equal(labels['destination_app'], 'unknown');
  assert.equal(labels['destination_canonical_service'], 'a');
  assert.equal(labels['destination_canonical_revision'], 'v2');
  assert.equal(destinationLabels('', {})['destination_service'], 'unknown');
  assert.equal(destinationLabels('x', {})['destination_canonical_revision'], 'latest');
});

test('local reply kinds map to Envoy response flags', () => {
  assert.equal(responseFlags(undefined), '-');
  assert.equal(responseFlags('no-route'), 'NR');
  assert.equal(responseFlags('connect-failure'), 'UF');
  assert.equal(responseFlags('timeout'), 'UT');
  assert.equal(responseFlags('over-limit'), 'RL');
  assert.equal(responseFlags('no-healthy-upstream', { faultDelayed: false, faultAborted: true }), 'FI');
  assert.equal(responseFlags(undefined, { faultDelayed: true, faultAborted: false }), 'DI');
  assert.equal(responseFlags('timeout', { faultDelayed: true, faultAborted: false }), 'DI,UT');
});
