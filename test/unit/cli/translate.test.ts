/**
 * `aeraki translate DIR --istio` run as a real process: what it prints is what the control plane
 * writes in Istio mode, in YAML a reviewer (or a GitOps pipeline) can apply.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { CONFIG_FIXTURES } from '../control-plane/fixtures.js';

const bin = new URL('../../../../bin/aeraki', import.meta.url).pathname;

async function aeraki(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>(resolve => child.on('close', resolve));
  return { code, stdout, stderr };
}

const documents = (text: string): unknown[] => parseAllDocuments(text).map(d => d.toJSON() as unknown);

describe('aeraki translate --istio', () => {
  test('prints the golden EnvoyFilters of a directory as YAML', async () => {
    const scenario = join(CONFIG_FIXTURES, 'istio', 'metaprotocol-gateway');
    const result = await aeraki('translate', join(scenario, 'config'), '--istio');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      documents(result.stdout),
      documents(readFileSync(join(scenario, 'expected.yaml'), 'utf8')),
    );
  });

  test('--root-namespace and --json', async () => {
    const dir = join(CONFIG_FIXTURES, 'istio', 'thrift', 'config');
    const result = await aeraki('translate', dir, '--istio', '--root-namespace', 'mesh-root', '--json');
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as { envoyFilters: { metadata: { namespace: string } }[] };
    assert.ok(out.envoyFilters.length > 0);
    assert.ok(out.envoyFilters.every(f => f.metadata.namespace === 'mesh-root'));
  });

  test('a config with errors prints nothing and exits 1; no --istio is a usage error', async () => {
    const invalid = join(CONFIG_FIXTURES, 'invalid', 'cross-document');
    const bad = await aeraki('translate', invalid, '--istio');
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /has errors; nothing printed/);
    const usage = await aeraki('translate', invalid);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--istio is required/);
  });
});
