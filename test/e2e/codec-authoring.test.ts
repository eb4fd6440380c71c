/**
 * The authoring kit from nothing to routed traffic: `aeraki codec init` writes a plugin to a
 * temporary folder, its own `npm test` builds it and passes the codec test kit (as node:test and as
 * `aeraki codec test`), and `aeraki up --plugin` routes its demo protocol by method between its two
 * demo servers, as its README says.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort, runAeraki, startAeraki, testAddress, waitForTcp } from './harness/index.js';

const ADDRESS = testAddress(73);
const work = mkdtempSync(join(tmpdir(), 'aeraki-codec-init-'));
const dir = join(work, 'acme');
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** Runs `command args` in `cwd` to completion; resolves with its exit code and output. */
function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise(resolve => {
    // Not as a child of this test run: node --test would skip the plugin's own tests.
    const env = { ...process.env };
    delete env['NODE_TEST_CONTEXT'];
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.once('exit', code => resolve({ code, output }));
  });
}

describe('aeraki codec init, from nothing to a routed protocol', () => {
  test('init writes the plugin; a name that cannot be a protocol and a folder in use are refused', async () => {
    const result = await runAeraki(['codec', 'init', 'acme', dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /Wrote a codec plugin for 'acme' to .*acme:\n {2}\.gitignore\n {2}README\.md\n/,
    );
    for (const file of [
      'src/codec.ts',
      'src/index.ts',
      'test/codec.test.ts',
      'fixtures/call.yaml',
      'config/acme.yaml',
    ]) {
      assert.ok(readFileSync(join(dir, file), 'utf8').length > 0, file);
    }
    const again = await runAeraki(['codec', 'init', 'acme', dir]);
    assert.equal(again.code, 2, 'bad usage');
    assert.match(again.stderr, /exists and is not empty/);
    const badName = await runAeraki(['codec', 'init', 'my-proto', join(work, 'bad')]);
    assert.equal(badName.code, 2, 'bad usage');
    assert.match(badName.stderr, /NAME 'my-proto' must be lower-case letters, digits and _/);
  });

  test('its npm test builds it and passes the codec test kit', async () => {
    const result = await run('npm', ['test'], dir);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /# pass 19\n# fail 0/);
    assert.match(result.output, /2 fixtures, 19 checks: all passed/);
  });

  test('aeraki up --plugin routes its demo protocol by method', async () => {
    const [v1Port, v2Port, port] = [await freePort(), await freePort(), await freePort(ADDRESS)];
    const configFile = join(dir, 'config/acme.yaml');
    writeFileSync(
      configFile,
      readFileSync(configFile, 'utf8')
        .replaceAll('127.0.60.1', ADDRESS)
        .replaceAll('9100', String(port))
        .replaceAll('9101', String(v1Port))
        .replaceAll('9102', String(v2Port)),
    );
    for (const [name, p] of [
      ['v1', v1Port],
      ['v2', v2Port],
    ] as const) {
      const server = spawn(process.execPath, ['demo/server.mjs', name, String(p)], {
        cwd: dir,
        stdio: 'ignore',
      });
      children.push(server);
      await waitForTcp('127.0.0.1', p, 5000);
    }
    const aeraki = await startAeraki(join(dir, 'config'), {
      extraArgs: ['--plugin', dir],
      listeners: [{ host: ADDRESS, port }],
    });
    try {
      const hello = await run(process.execPath, ['demo/client.mjs', `${ADDRESS}:${port}`, 'sayHello'], dir);
      assert.equal(hello.output, 'reply to sayHello: v2: hello world\n');
      const other = await run(process.execPath, ['demo/client.mjs', `${ADDRESS}:${port}`, 'other'], dir);
      assert.equal(other.output, 'reply to other: v1: hello world\n');
    } finally {
      await aeraki.stop();
    }
  });
});
