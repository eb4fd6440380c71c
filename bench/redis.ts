/**
 * `npm run bench:redis`: the Redis proxy against twemproxy (Debian `nutcracker`) and no proxy, in
 * one run on one machine. redis-benchmark (C, single-threaded) drives SET and GET with 32 connections,
 * each with 1 and with 16 commands in flight (`-P`), 100-byte values over 100,000 random keys,
 * against one redis-server, through:
 *
 * - `direct`: redis-benchmark → redis-server (the ceiling);
 * - `twemproxy`: → nutcracker (one pool, the server) → redis-server (the baseline);
 * - `aeraki`: → `aeraki proxy` (one process, a static config translated from a ServiceEntry with a
 *   `tcp-redis` port, as a sidecar would run it) → redis-server.
 *
 * Each target is measured `--rounds` times per shape, the targets taking turns, and the median round
 * is reported. Printed: requests per second and p99 latency per target and command, aeraki's ratios
 * to twemproxy (goal: throughput ≥ 1.0×, p99 ≤ 1.2×), and each proxy's peak resident memory (goal for
 * aeraki: ≤ 100 MB). Never a test: the figures depend on the machine and what else runs on it.
 *
 * Options: --requests N (per command and run, default 200000), --rounds N (default 3), --json,
 * --pipelines LIST (default 1,16), --aeraki-bin PATH (the aeraki entry to run, default bin/aeraki),
 * --compare-bin PATH (a second aeraki build, e.g. main's, measured in the same rounds as `aeraki-ref`:
 * an A/B with the targets taking turns), --node-flags STR (extra node flags for the aeraki proxies,
 * space-separated, e.g. --trace-gc), --log-dir DIR (write each proxy's stdout and stderr there),
 * --cpu-prof (profile the aeraki proxy and print its top functions by self time),
 * --compare-node-flags STR (node flags for `aeraki-ref` alone, after --node-flags: with --compare-bin
 * bin/aeraki, an A/B of one build under two sets of flags, e.g. young generation sizes).
 *
 * Also printed per shape: each proxy's CPU time (user + system, its helper threads included) per
 * command over its runs, twemproxy's too, the figure to compare on a shared machine, where throughput
 * and p99 move with whatever else runs.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { loadConfig, translate } from '../src/control-plane/index.js';
import { encodeSnapshot, resourceToJson } from '../src/xds/index.js';
import { launcherEnvironment, launcherNodeFlags } from '../test/e2e/harness/launcher-flags.js';
import { summariseProfiles } from './cpu-profile.js';
import { cpuDelta, treeCpu, treePeakRssMb, treeRssMb } from './proc-stats.js';
import { installCleanupHandlers, startProcess, stopAll, stopProcess } from './processes.js';
import { repoRoot } from './repo-root.js';
import { freePort } from './targets.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const PROXY_ADDRESS = '127.0.0.77';
const REFERENCE_ADDRESS = '127.0.0.78';
const CONNECTIONS = 32;
const COMMANDS = ['SET', 'GET'] as const;

interface Measure {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

type TargetName = 'direct' | 'twemproxy' | 'aeraki' | 'aeraki-ref';

interface Memory {
  /** Resident memory once started and answering, before any load (MiB). */
  readonly idleRssMb: number;
  readonly peakRssMb: number;
  readonly rssMb: number;
  readonly privateRssMb: number;
}

async function waitListening(host: string, port: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await run('redis-cli', ['-h', host, '-p', String(port), 'PING'], { timeout: 2000 });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nothing answers PING on ${host}:${port}`);
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }
}

/** One redis-benchmark run: SET then GET, `pipeline` commands in flight per connection. */
async function benchmark(
  host: string,
  port: number,
  pipeline: number,
  requests: number,
): Promise<Record<string, Measure>> {
  const { stdout } = await run(
    'redis-benchmark',
    [
      '-h',
      host,
      '-p',
      String(port),
      '-c',
      String(CONNECTIONS),
      '-n',
      String(requests),
      '-P',
      String(pipeline),
      '-d',
      '100',
      '-r',
      '100000',
      '-t',
      'set,get',
      '--csv',
    ],
    { timeout: 300_000 },
  );
  const out: Record<string, Measure> = {};
  for (const line of stdout.split('\n')) {
    const cells = line.split(',').map(c => c.replace(/"/g, ''));
    const [test, rps, , , p50, , p99] = cells;
    if (test === undefined || !COMMANDS.includes(test as (typeof COMMANDS)[number])) continue;
    out[test] = { rps: Number(rps), p50Ms: Number(p50), p99Ms: Number(p99) };
  }
  return out;
}

/** A process's private resident memory (RssAnon: its heap and stacks, not the shared binary), in MiB. */
function privateRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^RssAnon:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function memoryOf(pid: number, idleRssMb: number): Memory {
  return { idleRssMb, peakRssMb: treePeakRssMb(pid), rssMb: treeRssMb(pid), privateRssMb: privateRssMb(pid) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '3' },
      pipelines: { type: 'string', default: '1,16' },
      json: { type: 'boolean', default: false },
      'aeraki-bin': { type: 'string' },
      'compare-bin': { type: 'string' },
      'node-flags': { type: 'string', default: '' },
      'compare-node-flags': { type: 'string', default: '' },
      'log-dir': { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
    },
  });
  const requests = Number(values.requests);
  const rounds = Number(values.rounds);
  const pipelines = values.pipelines.split(',').map(Number);
  const nodeFlags = values['node-flags'].split(' ').filter(flag => flag !== '');
  const compareNodeFlags = values['compare-node-flags'].split(' ').filter(flag => flag !== '');
  const logDir = values['log-dir'];
  if (logDir !== undefined) mkdirSync(logDir, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'aeraki-bench-redis-'));
  installCleanupHandlers(() => rmSync(dir, { recursive: true, force: true }));
  const log = (text: string): void => void process.stderr.write(`bench:redis: ${text}\n`);

  const serverPort = await freePort(HOST);
  startProcess('redis-server', [
    '--port',
    String(serverPort),
    '--bind',
    HOST,
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ]);
  await waitListening(HOST, serverPort);

  const twemPort = await freePort(HOST);
  const twemConfig = join(dir, 'nutcracker.yml');
  writeFileSync(
    twemConfig,
    `alpha:\n  listen: ${HOST}:${twemPort}\n  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n` +
      `  server_connections: 1\n  servers:\n    - ${HOST}:${serverPort}:1\n`,
  );
  const twemproxy = startProcess('nutcracker', [
    '-c',
    twemConfig,
    '-s',
    String(await freePort(HOST)),
    '-a',
    HOST,
  ]);
  await waitListening(HOST, twemPort);
  const idle = new Map<string, number>([['twemproxy', treeRssMb(twemproxy.pid!)]]);

  // The proxy alone, as a sidecar runs it: a static config translated from a ServiceEntry.
  const startAeraki = async (
    name: TargetName,
    bin: string,
    address: string,
  ): Promise<{ process: ChildProcess; port: number; profileDir: string }> => {
    const port = await freePort(address);
    const configDir = join(dir, `config-${name}`);
    mkdirSync(configDir);
    writeFileSync(
      join(configDir, 'redis.yaml'),
      `apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: bench-redis, namespace: default}
spec:
  hosts: [bench-redis.default.svc.cluster.local]
  addresses: [${address}]
  ports: [{number: ${port}, name: tcp-redis, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: ${HOST}, ports: {tcp-redis: ${serverPort}}}]
`,
    );
    const loaded = await loadConfig(configDir);
    const bootstrap = join(dir, `bootstrap-${name}.json`);
    writeFileSync(bootstrap, JSON.stringify(encodeSnapshot(translate(loaded.config)).map(resourceToJson)));
    const profileDir = join(dir, `cpu-prof-${name}`);
    const child = startProcess(
      process.execPath,
      [
        ...launcherNodeFlags(bin, 'proxy'),
        ...nodeFlags,
        ...(name === 'aeraki-ref' ? compareNodeFlags : []),
        ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
        bin,
        'proxy',
        '--config',
        bootstrap,
        '--admin',
        `${HOST}:0`,
        // One event loop, as twemproxy has: the comparison is per core (the default is one worker per CPU).
        '--workers',
        '1',
      ],
      { env: { ...process.env, ...launcherEnvironment(bin, 'proxy') } },
    );
    if (logDir !== undefined) {
      child.stdout?.pipe(createWriteStream(join(logDir, `${name}.stdout`)));
      child.stderr?.pipe(createWriteStream(join(logDir, `${name}.stderr`)));
    } else child.stdout?.resume();
    await waitListening(address, port);
    // Settled: what it holds before any load.
    await new Promise(resolve => setTimeout(resolve, 1000));
    idle.set(name, treeRssMb(child.pid!));
    log(`${name}: ${address}:${port} (pid ${child.pid}, ${bin})`);
    return { process: child, port, profileDir };
  };
  const aeraki = await startAeraki(
    'aeraki',
    values['aeraki-bin'] ?? join(repoRoot(), 'bin', 'aeraki'),
    PROXY_ADDRESS,
  );
  const compareBin = values['compare-bin'];
  const reference =
    compareBin === undefined ? undefined : await startAeraki('aeraki-ref', compareBin, REFERENCE_ADDRESS);
  log(`redis-server :${serverPort}, twemproxy :${twemPort} (pid ${twemproxy.pid})`);

  const targets: Partial<Record<TargetName, { host: string; port: number }>> = {
    direct: { host: HOST, port: serverPort },
    twemproxy: { host: HOST, port: twemPort },
    aeraki: { host: PROXY_ADDRESS, port: aeraki.port },
    ...(reference === undefined ? {} : { 'aeraki-ref': { host: REFERENCE_ADDRESS, port: reference.port } }),
  };
  const names = Object.keys(targets) as TargetName[];
  // Warm-up: JIT and connections.
  for (const name of names) await benchmark(targets[name]!.host, targets[name]!.port, 16, 50_000);

  const results: Record<string, Partial<Record<TargetName, Record<string, Measure>>>> = {};
  /** Each aeraki proxy's p99 over twemproxy's in each round, per shape and command. */
  const p99RatiosPerRound: Record<string, Partial<Record<TargetName, Record<string, number[]>>>> = {};
  /** Median CPU µs per command of each proxy, per shape. */
  const cpuPerCommand: Record<string, Partial<Record<TargetName, number>>> = {};
  const proxyPids: Partial<Record<TargetName, number>> = {
    twemproxy: twemproxy.pid!,
    aeraki: aeraki.process.pid!,
    ...(reference === undefined ? {} : { 'aeraki-ref': reference.process.pid! }),
  };
  for (const pipeline of pipelines) {
    const runs: Partial<Record<TargetName, Record<string, Measure>[]>> = {};
    const cpuRuns: Partial<Record<TargetName, number[]>> = {};
    for (let round = 0; round < rounds; round++) {
      for (const name of names) {
        const t = targets[name]!;
        const pid = proxyPids[name];
        const before = pid === undefined ? undefined : treeCpu(pid);
        const measured = await benchmark(t.host, t.port, pipeline, requests);
        (runs[name] ??= []).push(measured);
        if (pid !== undefined && before !== undefined) {
          const used = cpuDelta(before, treeCpu(pid));
          (cpuRuns[name] ??= []).push(((used.user + used.sys) * 1e6) / (requests * COMMANDS.length));
        }
        log(
          `-P ${pipeline} round ${round + 1} ${name}: ${COMMANDS.map(c => `${c} ${Math.round(measured[c]?.rps ?? 0)} rps p99 ${measured[c]?.p99Ms} ms`).join(', ')}`,
        );
      }
    }
    const summary: Partial<Record<TargetName, Record<string, Measure>>> = {};
    for (const name of names) {
      const perCommand: Record<string, Measure> = {};
      for (const command of COMMANDS) {
        const list = runs[name]!.map(r => r[command]).filter((m): m is Measure => m !== undefined);
        perCommand[command] = {
          rps: median(list.map(m => m.rps)),
          p50Ms: median(list.map(m => m.p50Ms)),
          p99Ms: median(list.map(m => m.p99Ms)),
        };
      }
      summary[name] = perCommand;
    }
    results[`-P ${pipeline}`] = summary;
    // Each round's p99 against twemproxy's in the same round: the load other processes put on a shared
    // machine drifts between rounds, and a ratio of one round's runs is less swayed by it.
    const ratios: Partial<Record<TargetName, Record<string, number[]>>> = {};
    for (const name of names) {
      if (name === 'direct' || name === 'twemproxy') continue;
      const perCommand: Record<string, number[]> = {};
      for (const command of COMMANDS) {
        perCommand[command] = runs[name]!.map(
          (r, round) => (r[command]?.p99Ms ?? NaN) / (runs.twemproxy![round]![command]?.p99Ms ?? NaN),
        );
      }
      ratios[name] = perCommand;
    }
    p99RatiosPerRound[`-P ${pipeline}`] = ratios;
    const cpu: Partial<Record<TargetName, number>> = {};
    for (const name of names) if (cpuRuns[name] !== undefined) cpu[name] = median(cpuRuns[name]);
    cpuPerCommand[`-P ${pipeline}`] = cpu;
  }
  const memory: Partial<Record<TargetName, Memory>> = {
    twemproxy: memoryOf(twemproxy.pid!, idle.get('twemproxy')!),
    aeraki: memoryOf(aeraki.process.pid!, idle.get('aeraki')!),
    ...(reference === undefined
      ? {}
      : { 'aeraki-ref': memoryOf(reference.process.pid!, idle.get('aeraki-ref')!) }),
  };
  const profiles = [];
  if (values['cpu-prof']) {
    // The profile is written when the process exits cleanly, so stop it before reading.
    await stopProcess(aeraki.process, 10_000, 'SIGINT');
    if (existsSync(aeraki.profileDir)) profiles.push(...summariseProfiles(aeraki.profileDir, repoRoot(), 25));
  }
  await stopAll();

  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          connections: CONNECTIONS,
          requests,
          rounds,
          results,
          p99RatiosPerRound,
          cpuPerCommand,
          memory,
          profiles,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const withReference = reference !== undefined;
  const rows: string[] = [];
  rows.push(
    `Redis, ${CONNECTIONS} connections, 100-byte values, ${requests} requests per command, median of ${rounds} rounds`,
  );
  rows.push('');
  rows.push(
    '| shape | command | direct rps | twemproxy rps | aeraki rps | aeraki/twemproxy rps | twemproxy p99 ms | aeraki p99 ms | aeraki/twemproxy p99 |' +
      (withReference ? ' aeraki-ref rps | aeraki-ref p99 ms | aeraki-ref/twemproxy p99 |' : ''),
  );
  rows.push(
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- |${withReference ? ' --- | --- | --- |' : ''}`,
  );
  for (const [shape, summary] of Object.entries(results)) {
    for (const command of COMMANDS) {
      const d = summary.direct![command]!;
      const t = summary.twemproxy![command]!;
      const a = summary.aeraki![command]!;
      const r = summary['aeraki-ref']?.[command];
      rows.push(
        `| ${shape} | ${command} | ${Math.round(d.rps)} | ${Math.round(t.rps)} | ${Math.round(a.rps)} | ` +
          `${(a.rps / t.rps).toFixed(2)}× | ${t.p99Ms.toFixed(3)} | ${a.p99Ms.toFixed(3)} | ${(a.p99Ms / t.p99Ms).toFixed(2)}× |` +
          (r === undefined
            ? ''
            : ` ${Math.round(r.rps)} | ${r.p99Ms.toFixed(3)} | ${(r.p99Ms / t.p99Ms).toFixed(2)}× |`),
      );
    }
  }
  rows.push('');
  for (const [shape, perTarget] of Object.entries(p99RatiosPerRound)) {
    rows.push(
      `${shape}: p99 / twemproxy's in the same round, round by round: ` +
        Object.entries(perTarget)
          .map(
            ([name, perCommand]) =>
              `${name} ` +
              COMMANDS.map(c => `${c} ${perCommand[c]!.map(r => `${r.toFixed(2)}×`).join(' ')}`).join(', '),
          )
          .join('; '),
    );
  }
  for (const [shape, perTarget] of Object.entries(cpuPerCommand)) {
    rows.push(
      `${shape}: proxy CPU per command (SET and GET, median round) ` +
        Object.entries(perTarget)
          .map(([name, us]) => `${name} ${us.toFixed(2)} µs`)
          .join(', '),
    );
  }
  rows.push('');
  for (const [name, m] of Object.entries(memory)) {
    rows.push(
      `${name}: RSS idle ${m.idleRssMb.toFixed(1)} MiB, peak ${m.peakRssMb.toFixed(1)} MiB${name === 'aeraki' ? ' (goal ≤ 100 MB = 95.4 MiB)' : ''}, ` +
        `after the runs ${m.rssMb.toFixed(1)} MiB; private (RssAnon, without the shared node binary) ${m.privateRssMb.toFixed(1)} MiB`,
    );
  }
  if (profiles.length > 0) {
    rows.push('');
    rows.push('aeraki, top functions by self time:');
    for (const f of profiles) {
      rows.push(`  ${f.selfPct.toFixed(1).padStart(5)}%  ${f.name}  ${f.location}`);
    }
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench:redis: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
