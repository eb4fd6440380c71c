import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFieldPath } from '../../../src/api/issue.js';

test('field paths render as JSON paths', () => {
  assert.equal(
    formatFieldPath(['spec', 'routes', 0, 'route', 1, 'weight']),
    'spec.routes[0].route[1].weight',
  );
  assert.equal(
    formatFieldPath(['spec', 'endpoints', 0, 'labels', 'app.kubernetes.io/name']),
    'spec.endpoints[0].labels["app.kubernetes.io/name"]',
  );
  assert.equal(formatFieldPath(['spec', 'match', 'attributes', '']), 'spec.match.attributes[""]');
  assert.equal(formatFieldPath([]), '');
});
