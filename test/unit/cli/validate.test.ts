/**
 * `aeraki validate` run as a real process, so exit codes, stdout and stderr are what a user sees.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runAeraki, type AerakiResult } from '../../e2e/harness/index.js';
import { CONFIG_FIXTURES } from '../control-plane/fixtures.js';
import { configDir, serviceEntry } from '../control-plane/temp-config.js';

function validate(...args: string[]): Promise<AerakiResult> {
  return runAeraki(['validate', ...args]);
}

const valid = join(CONFIG_FIXTURES, 'golden', 'thrift-split');
const invalid = join(CONFIG_FIXTURES, 'invalid', 'cross-document');

describe('aeraki validate', () => {
  test('a valid directory exits 0 with a summary', async () => {
    const result = await validate(valid);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `${valid}: ok, 3 objects valid, 0 warnings\n`);
    assert.equal(result.stderr, '');
  });

  test('errors print as file:line:col lines and exit 1', async () => {
    const result = await validate(invalid);
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.ok(
      lines.includes(
        `${join(invalid, 'routers.yaml')}:13:13: error: no ServiceEntry has host 'gamma.shop.svc.cluster.local' ` +
          '(MetaRouter shop/alpha, document 1, field spec.routes[0].route[0].destination.host, rule destination-host-unknown)',
      ),
      result.stdout,
    );
    // 7 warnings of the fixture's own, and codec-unknown for its two ApplicationProtocols (brpc, brpc2).
    assert.match(lines[lines.length - 1] ?? '', /: 8 errors, 9 warnings in 4 files$/);
    assert.ok(!result.stdout.includes('\u001b['), 'no colour when stdout is not a terminal');
  });

  test('--json prints ok, errors and warnings', async () => {
    const result = await validate('--json', invalid);
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      errors: { rule: string }[];
      warnings: { rule: string }[];
    };
    assert.equal(report.ok, false);
    assert.equal(report.errors.length, 8);
    assert.equal(report.warnings.length, 9);
    assert.equal(report.warnings.filter(w => w.rule === 'codec-unknown').length, 2);
    assert.ok(report.errors.some(e => e.rule === 'address-port-conflict'));
    const clean = JSON.parse((await validate(valid, '--json')).stdout) as { ok: boolean; errors: unknown[] };
    assert.deepEqual(clean, { ok: true, errors: [], warnings: [] });
  });

  test('a missing directory is reported as an error, without a stack trace', async () => {
    const result = await validate('/nonexistent/aeraki');
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /^\/nonexistent\/aeraki:1:1: error: cannot read \/nonexistent\/aeraki: no such file/,
    );
    assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at /);
  });

  test('bad usage exits 2', async () => {
    for (const args of [[], [valid, valid], ['--bogus', valid]]) {
      const result = await validate(...args);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, /Usage: aeraki validate DIR/);
    }
    const help = await validate('--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: aeraki validate DIR/);
  });

  test('an ApplicationProtocol whose codec is not built in is a warning naming file, document and field', async () => {
    const dir = configDir({
      'acme.yaml': `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: ApplicationProtocol
metadata:
  name: acme
spec:
  protocol: acme
  codec: aeraki.meta_protocol.codec.acme
`,
      'services.yaml': [
        serviceEntry({
          name: 'acme',
          host: 'acme.demo.svc.cluster.local',
          address: '127.0.0.1',
          port: 9000,
          portName: 'tcp-metaprotocol-acme',
        }),
        serviceEntry({
          name: 'hello',
          host: 'hello.demo.svc.cluster.local',
          address: '127.0.0.1',
          port: 9090,
        }),
      ].join('---\n'),
    });
    const result = await validate(dir);
    assert.equal(result.code, 0, 'a warning: a proxy with a plugin could serve it');
    const lines = result.stdout.trimEnd().split('\n');
    assert.ok(
      lines.includes(
        `${join(dir, 'acme.yaml')}:7:3: warning: codec 'aeraki.meta_protocol.codec.acme' is not known here ` +
          '(known: aeraki.meta_protocol.codec.declarative, aeraki.meta_protocol.codec.dubbo, ' +
          'aeraki.meta_protocol.codec.thrift); a proxy without a plugin ' +
          "that registers it rejects the listeners of protocol 'acme' and serves everything else " +
          '(ApplicationProtocol acme, document 1, field spec.codec, rule codec-unknown)',
      ),
      result.stdout,
    );
    assert.match(result.stdout, /: ok, 3 objects valid, 1 warning\n$/);
  });
});
