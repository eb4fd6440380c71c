/**
 * bin/aeraki's launcher lines, run by sh as users run them: the proxy commands get their node flags
 * and jemalloc (Debian's libjemalloc2, which scripts/setup.sh installs) as the allocator, the control
 * plane jemalloc too; the others do not; AERAKI_NO_JEMALLOC or an LD_PRELOAD of the user's keeps it
 * out. The harness reads the same
 * lines (launcher-flags.ts) to start aeraki the same way: checked against what sh does.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { launcherEnvironment, launcherNodeFlags } from './harness/launcher-flags.js';
import { repoRoot } from './harness/repo-root.js';

const bin = join(repoRoot(), 'bin', 'aeraki');
let dir = '';
let bootstrap = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aeraki-launcher-'));
  bootstrap = join(dir, 'bootstrap.json');
  await writeFile(bootstrap, JSON.stringify({ resources: [] }));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What a proxy started by sh through bin/aeraki runs with: its mapped libraries, environment, argv. */
function startedProxy(env: NodeJS.ProcessEnv): Promise<{ maps: string; environ: string[]; argv: string[] }> {
  return started(['proxy', '--config', bootstrap, '--admin', '127.0.0.1:0'], env);
}

/** What a command started by sh through bin/aeraki runs with once ready. */
async function started(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ maps: string; environ: string[]; argv: string[] }> {
  const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const lines = createInterface({ input: child.stdout! });
    for await (const line of lines) if (line.includes('"msg":"ready"')) break;
    // sh execs node: the pid is the proxy's.
    const pid = child.pid!;
    const [maps, environ, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/maps`, 'utf8'),
      readFile(`/proc/${pid}/environ`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
    ]);
    return { maps, environ: environ.split('\0'), argv: cmdline.split('\0') };
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

function withoutAllocatorVariables(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['LD_PRELOAD'];
  delete env['MALLOC_CONF'];
  delete env['AERAKI_NO_JEMALLOC'];
  delete env['AERAKI_SEMI_SPACE_MIB'];
  return env;
}

test('the proxy runs on jemalloc with its decay settings, as the harness reads them', async () => {
  const env = withoutAllocatorVariables();
  const expected = launcherEnvironment(bin, 'proxy', env);
  assert.match(expected['LD_PRELOAD'] ?? '', /libjemalloc\.so\.2$/, 'libjemalloc2 is installed (setup.sh)');
  assert.match(expected['MALLOC_CONF'] ?? '', /dirty_decay_ms:\d+/);
  const { maps, environ, argv } = await startedProxy(env);
  assert.ok(maps.includes(expected['LD_PRELOAD']!), 'jemalloc is mapped into the proxy');
  assert.ok(environ.includes(`LD_PRELOAD=${expected['LD_PRELOAD']}`));
  assert.ok(environ.includes(`MALLOC_CONF=${expected['MALLOC_CONF']}`));
  for (const flag of launcherNodeFlags(bin, 'proxy')) assert.ok(argv.includes(flag), flag);
  assert.ok(launcherNodeFlags(bin, 'proxy').includes('--expose-gc'));
});

test("AERAKI_SEMI_SPACE_MIB sets the proxy's young generation, as the harness reads it", async () => {
  const env = { ...withoutAllocatorVariables(), AERAKI_SEMI_SPACE_MIB: '8' };
  const flags = launcherNodeFlags(bin, 'proxy', env);
  assert.ok(
    flags.includes('--min-semi-space-size=8') && flags.includes('--max-semi-space-size=8'),
    String(flags),
  );
  const { argv } = await startedProxy(env);
  for (const flag of flags) assert.ok(argv.includes(flag), flag);
  const defaults = launcherNodeFlags(bin, 'proxy', withoutAllocatorVariables());
  assert.ok(defaults.includes('--min-semi-space-size=4') && defaults.includes('--max-semi-space-size=4'));
});

test('AERAKI_NO_JEMALLOC keeps the C library allocator; other commands never preload it', async () => {
  const env = { ...withoutAllocatorVariables(), AERAKI_NO_JEMALLOC: '1' };
  assert.deepEqual(launcherEnvironment(bin, 'proxy', env), {});
  const { maps, environ } = await startedProxy(env);
  assert.equal(maps.includes('libjemalloc'), false);
  assert.equal(
    environ.some(v => v.startsWith('LD_PRELOAD=')),
    false,
  );
  assert.deepEqual(launcherEnvironment(bin, 'validate', withoutAllocatorVariables()), {});
  assert.deepEqual(launcherEnvironment(bin, 'up', { LD_PRELOAD: '/some/other.so' }), {});
});

test('the control plane runs on jemalloc too; both with one arena', async () => {
  const env = withoutAllocatorVariables();
  const expected = launcherEnvironment(bin, 'control-plane', env);
  const proxy = launcherEnvironment(bin, 'proxy', env);
  assert.equal(expected['LD_PRELOAD'], proxy['LD_PRELOAD']);
  assert.match(expected['MALLOC_CONF'] ?? '', /^narenas:1,/);
  assert.match(proxy['MALLOC_CONF'] ?? '', /^narenas:1,/);
  const configDir = await mkdtemp(join(dir, 'config-'));
  const { maps, environ, argv } = await started(
    ['control-plane', '--config-dir', configDir, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'],
    env,
  );
  assert.ok(maps.includes(expected['LD_PRELOAD']!), 'jemalloc is mapped into the control plane');
  assert.ok(environ.includes(`MALLOC_CONF=${expected['MALLOC_CONF']}`));
  for (const flag of launcherNodeFlags(bin, 'control-plane')) assert.ok(argv.includes(flag), flag);
  assert.deepEqual(
    launcherEnvironment(bin, 'control-plane', { ...env, AERAKI_NO_JEMALLOC: '1' }),
    {},
    'AERAKI_NO_JEMALLOC keeps it out',
  );
});
