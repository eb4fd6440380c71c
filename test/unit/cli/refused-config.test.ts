import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigIssue, Severity } from '../../../src/api/issue.js';
import { reportRefusedConfig } from '../../../src/cli/refused-config.js';
import type { ConfigLoad } from '../../../src/control-plane/control-plane.js';

function issue(severity: Severity, message: string): ConfigIssue {
  return {
    severity,
    file: 'examples/thrift/router.yaml',
    line: 7,
    column: 9,
    documentIndex: 0,
    kind: 'MetaRouter',
    name: 'demo/hello',
    field: 'spec.routes[0].route[0].weight',
    rule: 'minimum',
    message,
  };
}

function report(load: ConfigLoad): string[] {
  let out = '';
  reportRefusedConfig(load, '/cfg', 'nothing was started', text => (out += text), false);
  return out.trimEnd().split('\n');
}

test('a refused config: every issue, then the count of errors', () => {
  const lines = report({ issues: [issue('error', 'must be >= 0'), issue('warning', 'unused subset')] });
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /router\.yaml:7:9.*must be >= 0/);
  assert.match(lines[1]!, /unused subset/);
  assert.equal(lines[2], 'aeraki: 1 error(s) in /cfg; nothing was started');
});

test('a valid config that could not be served names the failure instead of "0 error(s)"', () => {
  const lines = report({
    issues: [issue('warning', 'unused subset')],
    failure: new Error("route 'r' names the missing cluster 'c'"),
  });
  assert.equal(lines.length, 2);
  assert.equal(
    lines[1],
    "aeraki: the config in /cfg is valid but could not be served: route 'r' names the missing cluster 'c'; nothing was started",
  );
});
