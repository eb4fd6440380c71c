/**
 * `aeraki codec test` and `aeraki validate --plugin` run as real processes: exit codes and what they
 * print. (`aeraki codec init` is followed from scaffold to routed traffic in test/e2e/codec-authoring.)
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { repoRoot, runAeraki } from '../../e2e/harness/index.js';

const root = repoRoot();
const memcachedPlugin = join(root, 'plugins/memcached');
const memcachedFixtures = join(root, 'plugins/memcached/fixtures');
const work = mkdtempSync(join(tmpdir(), 'aeraki-codec-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('aeraki codec test', () => {
  test('prints a report per fixture and exits 0 when every check passes', async () => {
    const result = await runAeraki(['codec', 'test', memcachedPlugin, '--fixtures', memcachedFixtures]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^aeraki\.meta_protocol\.codec\.memcached \(.*plugins\/memcached\/dist\/index\.js\)/,
    );
    assert.match(result.stdout, /FIXTURE +SIDE +MESSAGES +RESULT/);
    assert.match(result.stdout, /quiet batch \(setq, getkq, getq, addq, noop\) +downstream +5 +9 checks ok/);
    assert.match(result.stdout, /\(random input\) +both +ok/);
    assert.match(result.stdout, /10 fixtures, 91 checks: all passed\n$/);
  });

  test('names each broken rule and exits 1; --json says the same', async () => {
    // The declarative description has no names for the quiet commands and forwards QUIT.
    const description = join(root, 'plugins/declarative/memcached.yaml');
    const result = await runAeraki(['codec', 'test', description, '--fixtures', memcachedFixtures]);
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /quit and stat are answered by the proxy +downstream +2 +4 of 9 checks failed/,
    );
    assert.match(
      result.stdout,
      /\[quit and stat are answered by the proxy \/ whole\] one chunk: message 0: type request, expected heartbeat/,
    );
    const json = await runAeraki(['codec', 'test', description, '--fixtures', memcachedFixtures, '--json']);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as {
      ok: boolean;
      codec: string;
      fixtures: { name: string; failures: { check: string }[] }[];
    };
    assert.equal(report.ok, false);
    assert.equal(report.codec, 'aeraki.meta_protocol.codec.memcached');
    const quit = report.fixtures.find(f => f.name.startsWith('quit'))!;
    assert.deepEqual([...new Set(quit.failures.map(f => f.check))].sort(), [
      'byte-by-byte',
      'split',
      'truncated',
      'whole',
    ]);
  });

  test('bad usage and a broken plugin: a clear error', async () => {
    const usage = await runAeraki(['codec', 'test', memcachedPlugin]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /expected MODULE and --fixtures DIR/);
    const broken = join(work, 'broken.mjs');
    writeFileSync(broken, 'export default { codecs: "memcached" };\n');
    const result = await runAeraki(['codec', 'test', broken, '--fixtures', memcachedFixtures]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /plugin '.*broken\.mjs': codecs must be an array of codec factories, got string "memcached" \[AERAKI_ERR_PLUGIN_INVALID\]/,
    );
  });
});

describe('aeraki validate --plugin', () => {
  const config = join(work, 'config');
  const applicationProtocol = (spec: string) => `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: ApplicationProtocol
metadata:
  name: memcached
spec:
  protocol: memcached
${spec}`;

  test("the plugins' codecs count as known: no codec-unknown warning", async () => {
    rmSync(config, { recursive: true, force: true });
    mkdirSync(config, { recursive: true });
    writeFileSync(
      join(config, 'ap.yaml'),
      applicationProtocol('  codec: aeraki.meta_protocol.codec.memcached\n'),
    );
    const without = await runAeraki(['validate', config]);
    assert.equal(without.code, 0);
    assert.match(
      without.stdout,
      /warning: codec 'aeraki\.meta_protocol\.codec\.memcached' is not known here/,
    );
    const withPlugin = await runAeraki(['validate', config, '--plugin', memcachedPlugin]);
    assert.equal(withPlugin.code, 0, withPlugin.stdout + withPlugin.stderr);
    assert.match(withPlugin.stdout, /ok, 1 object valid, 0 warnings/);
  });

  /** An ApplicationProtocol with a declarative codec whose length field is `lengthField`. */
  const declarative = (lengthField: string) =>
    applicationProtocol(`  codec: aeraki.meta_protocol.codec.declarative
  declarativeCodec:
    fields:
      size: { offset: 0, size: 4 }
    length: { field: ${lengthField} }
    messageType: [{ type: request }]
`);

  test('a declarative codec whose description does not compile: an error at its field, with file and line', async () => {
    writeFileSync(join(config, 'ap.yaml'), declarative('sise'));
    const result = await runAeraki(['validate', config]);
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /ap\.yaml:11:15: error: 'sise' is not a field \(fields: size\) \(ApplicationProtocol memcached, document 1, field spec\.declarativeCodec\.length\.field, rule declarative-codec-invalid\)/,
    );
    writeFileSync(join(config, 'ap.yaml'), declarative('size'));
    const noIds = await runAeraki(['validate', config]);
    assert.equal(noIds.code, 1);
    assert.match(
      noIds.stdout,
      /set multiplexing: false \(ApplicationProtocol memcached, .*rule declarative-codec-multiplexing\)/,
    );
  });
});
