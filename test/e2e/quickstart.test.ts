/**
 * The README's quickstart (`npm run quickstart`) runs both examples end to end behind one
 * `aeraki up examples/`: every version of the Thrift and of the Dubbo service answers through the
 * proxy without errors, it stops cleanly after --duration, and Ctrl-C stops everything it started.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { canConnect, repoRoot, runningFromSource } from './harness/index.js';

/** The proxy listeners and backend ports of examples/thrift and examples/dubbo. */
const EXAMPLE_ADDRESSES = [
  { host: '127.0.10.1', port: 9090 },
  { host: '127.0.0.1', port: 19091 },
  { host: '127.0.0.1', port: 19092 },
  { host: '127.0.20.1', port: 20880 },
  { host: '127.0.0.1', port: 20891 },
  { host: '127.0.0.1', port: 20892 },
  { host: '127.0.10.3', port: 6379 },
  { host: '127.0.0.1', port: 16381 },
  { host: '127.0.0.1', port: 16382 },
  { host: '127.0.0.1', port: 16383 },
];

interface Run {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  readonly output: () => { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
}

/** Starts the quickstart in a process group of its own, as a terminal would run it. */
function startQuickstart(args: readonly string[]): Run {
  const root = repoRoot();
  const entry = runningFromSource()
    ? ['--import', 'tsx', join(root, 'scripts/quickstart.ts')]
    : [join(root, 'dist/scripts/quickstart.js')];
  const child = spawn(
    process.execPath,
    [...entry, ...args, '--admin', '127.0.0.1:0', '--control-plane-admin', '127.0.0.1:0'],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 35000);
  const exited = new Promise<number | null>(resolve =>
    child.once('exit', code => {
      clearTimeout(killer);
      resolve(code);
    }),
  );
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** The final counts of one protocol: `<Title>: N requests through the proxy: v1 a (x%), v2 b (y%); errors e`. */
function summaryOf(
  stdout: string,
  title: string,
): { line: string; counts: Record<string, number>; errors: number } {
  const match = new RegExp(`^${title}: (\\d+) requests through the proxy: (.*); errors (\\d+)$`, 'm').exec(
    stdout,
  );
  assert.ok(match !== null, `no ${title} summary line in:\n${stdout}`);
  const counts = Object.fromEntries(
    [...(match[2] ?? '').matchAll(/([\w-]+) (\d+) \(/g)].map(m => [m[1], Number(m[2])]),
  ) as Record<string, number>;
  return { line: match[0], counts, errors: Number(match[3]) };
}

/** The PID of the `aeraki up` the quickstart started, from its startup lines. */
function aerakiPid(stdout: string): number {
  const match = /aeraki up examples\/ is ready \(pid (\d+)\)/.exec(stdout);
  assert.ok(match !== null, `no 'aeraki up … is ready (pid N)' line in:\n${stdout}`);
  return Number(match[1]);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function assertAllStopped(stdout: string): Promise<void> {
  assert.equal(isRunning(aerakiPid(stdout)), false, 'aeraki up still runs');
  for (const { host, port } of EXAMPLE_ADDRESSES) {
    assert.equal(await canConnect(host, port), false, `${host}:${port} still accepts connections`);
  }
}

test(
  'quickstart --duration 4 shows Thrift and Dubbo calls reaching v1 and v2, Redis keys split by prefix',
  { timeout: 40000 },
  async () => {
    const run = startQuickstart(['--duration', '4']);
    const code = await run.exited;
    const { stdout, stderr } = run.output();
    assert.equal(code, 0, `quickstart exited with ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`);

    // Not a terminal: one plain progress line per protocol per second, then a summary.
    for (const title of ['Thrift', 'Dubbo']) {
      const progress = stdout
        .split('\n')
        .filter(l => new RegExp(`^\\[\\d+s\\] ${title}: \\d+ requests`).test(l));
      assert.ok(progress.length >= 3, `${title} progress lines:\n${stdout}`);
    }
    // examples/thrift/metarouter.yaml sends 80% to v2; examples/dubbo/metarouter.yaml 80% to v1.
    const thrift = summaryOf(stdout, 'Thrift');
    assert.ok(
      (thrift.counts.v1 ?? 0) > 0 && (thrift.counts.v2 ?? 0) > 0,
      `both versions answered: ${thrift.line}`,
    );
    assert.ok((thrift.counts.v2 ?? 0) > (thrift.counts.v1 ?? 0), `v2 (80%) got more than v1: ${thrift.line}`);
    assert.equal(thrift.errors, 0, thrift.line);
    const dubbo = summaryOf(stdout, 'Dubbo');
    assert.ok(
      (dubbo.counts.v1 ?? 0) > 0 && (dubbo.counts.v2 ?? 0) > 0,
      `both versions answered: ${dubbo.line}`,
    );
    assert.ok((dubbo.counts.v1 ?? 0) > (dubbo.counts.v2 ?? 0), `v1 (80%) got more than v2: ${dubbo.line}`);
    assert.equal(dubbo.errors, 0, dubbo.line);
    assert.deepEqual(Object.keys(thrift.counts).sort(), ['v1', 'v2'], thrift.line);
    assert.deepEqual(Object.keys(dubbo.counts).sort(), ['v1', 'v2'], dubbo.line);
    // examples/redis/redisservice.yaml: user: and session: keys to their stores, the rest (cart:) to
    // the default one; the clients write the three kinds in turn and find each key on its store.
    const redis = summaryOf(stdout, 'Redis');
    assert.equal(redis.errors, 0, redis.line);
    assert.deepEqual(
      Object.keys(redis.counts).sort(),
      ['default-store', 'sessions-store', 'users-store'],
      redis.line,
    );
    const stores = Object.values(redis.counts);
    assert.ok(Math.max(...stores) - Math.min(...stores) <= 12, `a third of the keys each: ${redis.line}`);

    // It tells a newcomer which YAML sets each split.
    assert.match(
      stdout,
      /Thrift: +examples\/thrift\/metarouter\.yaml \(route traffic-split: v1 20%, v2 80%\)/,
    );
    assert.match(stdout, /Dubbo: +examples\/dubbo\/metarouter\.yaml \(route canary-split: v1 80%, v2 20%\)/);
    assert.match(
      stdout,
      /Redis: +examples\/redis\/redisservice\.yaml \(user:\* → users-store, session:\* → sessions-store/,
    );
    await assertAllStopped(stdout);
  },
);

test('Ctrl-C stops the quickstart and everything it started, exit code 0', { timeout: 40000 }, async () => {
  const run = startQuickstart([]);
  const deadline = Date.now() + 25000;
  while (!/^\[\d+s\] Dubbo: /m.test(run.output().stdout)) {
    assert.ok(Date.now() < deadline, `no progress line:\n${run.output().stdout}\n${run.output().stderr}`);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  // A terminal's Ctrl-C signals the whole foreground process group, `aeraki up` included.
  process.kill(-run.child.pid!, 'SIGINT');
  const code = await run.exited;
  const { stdout, stderr } = run.output();
  assert.equal(code, 0, `quickstart exited with ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  assert.equal(summaryOf(stdout, 'Thrift').errors, 0, stdout);
  assert.equal(summaryOf(stdout, 'Dubbo').errors, 0, stdout);
  await assertAllStopped(stdout);
});
