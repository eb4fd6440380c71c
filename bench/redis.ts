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
 * Options: --requests N (per command and run, default 200000), --rounds N (default 3), --json.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { loadConfig, translate } from '../src/control-plane/index.js';
import { encodeSnapshot, resourceToJson } from '../src/xds/index.js';
import { launcherEnvironment, launcherNodeFlags } from '../test/e2e/harness/launcher-flags.js';
import { treePeakRssMb, treeRssMb } from './proc-stats.js';
import { installCleanupHandlers, startProcess, stopAll } from './processes.js';
import { repoRoot } from './repo-root.js';
import { freePort } from './targets.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const PROXY_ADDRESS = '127.0.0.77';
const CONNECTIONS = 32;
const PIPELINES = [1, 16] as const;
const COMMANDS = ['SET', 'GET'] as const;

interface Measure {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

type TargetName = 'direct' | 'twemproxy' | 'aeraki';

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    },
  });
  const requests = Number(values.requests);
  const rounds = Number(values.rounds);
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

  // The proxy alone, as a sidecar runs it: a static config translated from a ServiceEntry.
  const aerakiPort = await freePort(PROXY_ADDRESS);
  const configDir = join(dir, 'config');
  mkdirSync(configDir);
  writeFileSync(
    join(configDir, 'redis.yaml'),
    `apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: bench-redis, namespace: default}
spec:
  hosts: [bench-redis.default.svc.cluster.local]
  addresses: [${PROXY_ADDRESS}]
  ports: [{number: ${aerakiPort}, name: tcp-redis, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: ${HOST}, ports: {tcp-redis: ${serverPort}}}]
`,
  );
  const loaded = await loadConfig(configDir);
  const bootstrap = join(dir, 'bootstrap.json');
  writeFileSync(bootstrap, JSON.stringify(encodeSnapshot(translate(loaded.config)).map(resourceToJson)));
  const bin = join(repoRoot(), 'bin', 'aeraki');
  const aeraki = startProcess(
    process.execPath,
    [...launcherNodeFlags(bin, 'proxy'), bin, 'proxy', '--config', bootstrap, '--admin', `${HOST}:0`],
    { env: { ...process.env, ...launcherEnvironment(bin, 'proxy') } },
  );
  aeraki.stdout?.resume();
  await waitListening(PROXY_ADDRESS, aerakiPort);
  log(
    `redis-server :${serverPort}, twemproxy :${twemPort} (pid ${twemproxy.pid}), aeraki ${PROXY_ADDRESS}:${aerakiPort} (pid ${aeraki.pid})`,
  );

  const targets: Record<TargetName, { host: string; port: number }> = {
    direct: { host: HOST, port: serverPort },
    twemproxy: { host: HOST, port: twemPort },
    aeraki: { host: PROXY_ADDRESS, port: aerakiPort },
  };
  // Warm-up: JIT and connections.
  for (const t of Object.values(targets)) await benchmark(t.host, t.port, 16, 50_000);

  const results: Record<string, Record<TargetName, Record<string, Measure>>> = {};
  for (const pipeline of PIPELINES) {
    const runs: Record<TargetName, Record<string, Measure>[]> = { direct: [], twemproxy: [], aeraki: [] };
    for (let round = 0; round < rounds; round++) {
      for (const name of Object.keys(targets) as TargetName[]) {
        const t = targets[name];
        const measured = await benchmark(t.host, t.port, pipeline, requests);
        runs[name].push(measured);
        log(
          `-P ${pipeline} round ${round + 1} ${name}: ${COMMANDS.map(c => `${c} ${Math.round(measured[c]?.rps ?? 0)} rps p99 ${measured[c]?.p99Ms} ms`).join(', ')}`,
        );
      }
    }
    const summary = {} as Record<TargetName, Record<string, Measure>>;
    for (const name of Object.keys(runs) as TargetName[]) {
      summary[name] = {};
      for (const command of COMMANDS) {
        const list = runs[name].map(r => r[command]).filter((m): m is Measure => m !== undefined);
        summary[name][command] = {
          rps: median(list.map(m => m.rps)),
          p50Ms: median(list.map(m => m.p50Ms)),
          p99Ms: median(list.map(m => m.p99Ms)),
        };
      }
    }
    results[`-P ${pipeline}`] = summary;
  }
  const memory = {
    aeraki: {
      peakRssMb: treePeakRssMb(aeraki.pid!),
      rssMb: treeRssMb(aeraki.pid!),
      privateRssMb: privateRssMb(aeraki.pid!),
    },
    twemproxy: {
      peakRssMb: treePeakRssMb(twemproxy.pid!),
      rssMb: treeRssMb(twemproxy.pid!),
      privateRssMb: privateRssMb(twemproxy.pid!),
    },
  };
  await stopAll();

  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ connections: CONNECTIONS, requests, rounds, results, memory }, null, 2)}\n`,
    );
    return;
  }
  const rows: string[] = [];
  rows.push(
    `Redis, ${CONNECTIONS} connections, 100-byte values, ${requests} requests per command, median of ${rounds} rounds`,
  );
  rows.push('');
  rows.push(
    '| shape | command | direct rps | twemproxy rps | aeraki rps | aeraki/twemproxy rps | twemproxy p99 ms | aeraki p99 ms | aeraki/twemproxy p99 |',
  );
  rows.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [shape, summary] of Object.entries(results)) {
    for (const command of COMMANDS) {
      const d = summary.direct[command]!;
      const t = summary.twemproxy[command]!;
      const a = summary.aeraki[command]!;
      rows.push(
        `| ${shape} | ${command} | ${Math.round(d.rps)} | ${Math.round(t.rps)} | ${Math.round(a.rps)} | ` +
          `${(a.rps / t.rps).toFixed(2)}× | ${t.p99Ms.toFixed(3)} | ${a.p99Ms.toFixed(3)} | ${(a.p99Ms / t.p99Ms).toFixed(2)}× |`,
      );
    }
  }
  rows.push('');
  rows.push(
    `peak RSS: aeraki ${memory.aeraki.peakRssMb.toFixed(1)} MB (goal ≤ 100 MB), twemproxy ${memory.twemproxy.peakRssMb.toFixed(1)} MB; ` +
      `private (RssAnon, without the shared node binary): aeraki ${memory.aeraki.privateRssMb.toFixed(1)} MB, ` +
      `twemproxy ${memory.twemproxy.privateRssMb.toFixed(1)} MB`,
  );
  process.stdout.write(`${rows.join('\n')}\n`);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench:redis: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
