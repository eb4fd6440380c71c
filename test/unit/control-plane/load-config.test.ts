import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { translate, watchConfig, type LoadedConfig } from '../../../src/control-plane/index.js';
import { configDir, serviceEntry } from './temp-config.js';

test('watchConfig loads, then delivers each settled change as a new loaded config', async () => {
  const dir = configDir({ 'se.yaml': serviceEntry({ name: 'a', host: 'a.demo', address: '127.0.0.9' }) });
  let deliver: (loaded: LoadedConfig) => void = () => {};
  const next = new Promise<LoadedConfig>(resolve => (deliver = resolve));
  const { initial, watch } = await watchConfig(dir, loaded => deliver(loaded), { debounceMs: 50 });
  try {
    assert.deepEqual(initial.issues, []);
    assert.deepEqual(
      translate(initial.config).listeners.map(l => l.name),
      ['127.0.0.9_9090'],
    );
    writeFileSync(
      join(dir, 'se.yaml'),
      serviceEntry({ name: 'a', host: 'a.demo', address: '127.0.0.9', port: 70000 }),
    );
    const changed = await next;
    assert.deepEqual(
      changed.issues.map(i => [i.rule, i.line]),
      [['out-of-range', 10]],
    );
  } finally {
    watch.close();
  }
});

test('YAML merge keys are accepted, as Kubernetes reads YAML 1.1', async () => {
  const dir = configDir({
    'c.yaml': `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: a, namespace: demo}
spec:
  host: a.demo
  subsets:
    - &base {name: v1, labels: {version: v1}}
    - <<: *base
      name: v2
---
${serviceEntry({ name: 'a', host: 'a.demo', address: '127.0.0.9' })}`,
  });
  const { watch, initial } = await watchConfig(dir, () => {});
  watch.close();
  assert.deepEqual(initial.issues, []);
  assert.deepEqual(
    initial.config.destinationRules[0]?.resource.spec.subsets?.map(s => s.name),
    ['v1', 'v2'],
  );
});
