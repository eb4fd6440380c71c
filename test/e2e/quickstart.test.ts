/**
 * The README's quickstart (`npm run quickstart`) runs the example end to end: both versions of the
 * service answer through the proxy, and it stops cleanly after --duration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, runningFromSource } from './harness/index.js';

test('quickstart --duration 4 shows calls reaching v1 and v2', { timeout: 40000 }, async () => {
  const root = repoRoot();
  const entry = runningFromSource()
    ? ['--import', 'tsx', join(root, 'scripts/quickstart.ts')]
    : [join(root, 'dist/scripts/quickstart.js')];
  const child = spawn(process.execPath, [...entry, '--duration', '4', '--admin', '127.0.0.1:0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const killer = setTimeout(() => child.kill('SIGKILL'), 35000);
  const code = await new Promise<number | null>(resolve => child.once('exit', c => resolve(c)));
  clearTimeout(killer);

  assert.equal(code, 0, `quickstart exited with ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  // Not a terminal: one plain progress line per second, then a summary.
  const progress = stdout.split('\n').filter(l => /^\[\d+s\] requests=\d+/.test(l));
  assert.ok(progress.length >= 3, `progress lines:\n${stdout}`);
  const summary = /(\d+) requests through the proxy: (.*); errors (\d+)/.exec(stdout);
  assert.ok(summary !== null, `summary line:\n${stdout}`);
  const counts = Object.fromEntries(
    [...(summary[2] ?? '').matchAll(/(\w+) (\d+) \(/g)].map(m => [m[1], Number(m[2])]),
  ) as Record<string, number>;
  assert.ok((counts.v1 ?? 0) > 0 && (counts.v2 ?? 0) > 0, `both versions answered: ${summary[0]}`);
  assert.ok((counts.v2 ?? 0) > (counts.v1 ?? 0), `v2 (80%) got more than v1 (20%): ${summary[0]}`);
  assert.equal(summary[3], '0', 'no errors');
});
