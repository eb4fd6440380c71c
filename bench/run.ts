/**
 * `npm run bench`: framed binary Thrift through no proxy, HAProxy (TCP mode, one thread) and
 * `aeraki up` (one worker), driven by a lean C client against a lean C server, for several load
 * shapes. Prints a table, the ratios between targets and a verdict against the goals. See bench/README.md.
 *
 * Options (each also as an environment variable):
 *   --duration S      measured seconds per run (BENCH_DURATION, default 5)
 *   --warmup S        warm-up seconds before each run (BENCH_WARMUP, default 1)
 *   --shapes LIST     CONNSxDEPTH,... (BENCH_SHAPES, default 1x1,32x1,32x8)
 *   --targets LIST    direct,haproxy,pipe,aeraki (BENCH_TARGETS, default direct,haproxy,aeraki;
 *                     pipe is a bare Node socket.pipe proxy, the cost of one Node hop)
 *   --rounds N        repeat every run N times, interleaved; keep the median by rps (BENCH_ROUNDS, default 1)
 *   --payload BYTES   size of the sayHello string argument (BENCH_PAYLOAD, default 100)
 *   --cpu-prof        profile aeraki with node --cpu-prof; print its top functions by self time
 *   --json            print machine-readable results instead of the table
 *   --keep            keep the temporary directory (configs, logs, profiles)
 *   --aeraki-bin PATH the aeraki entry to run (BENCH_AERAKI_BIN, default bin/aeraki; e.g. to A/B two builds)
 *   --node-flags STR  extra node flags for aeraki, space-separated (BENCH_NODE_FLAGS; e.g. GC tuning)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summariseProfiles } from './cpu-profile.js';
import type { HotFunction } from './cpu-profile.js';
import { runLoad } from './load.js';
import type { RunResult, Shape } from './load.js';
import { buildNative } from './native-build.js';
import { treePeakRssMb, treeRssMb } from './proc-stats.js';
import { installCleanupHandlers, stopAll, stopProcess } from './processes.js';
import { ratios, renderText, shapeName, verdicts } from './report.js';
import type { ShapeResults } from './report.js';
import { haproxyVersion, startAeraki, startHaproxy, startPipeProxy, startServer } from './targets.js';
import type { Target } from './targets.js';

/** Every target, in the order they run; `pipe` (a bare Node socket.pipe proxy) only when asked for. */
const TARGETS = ['direct', 'haproxy', 'pipe', 'aeraki'] as const;
const DEFAULT_TARGETS = 'direct,haproxy,aeraki';
/** CPU (% of one core) taken by processes outside the benchmark above which a run is flagged noisy. */
const NOISY_OTHER_CPU_PCT = 25;

interface Options {
  durationS: number;
  warmupS: number;
  shapes: Shape[];
  targets: string[];
  rounds: number;
  payload: number;
  cpuProf: boolean;
  json: boolean;
  keep: boolean;
  aerakiBin: string | undefined;
  nodeFlags: string[];
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      shapes: { type: 'string' },
      targets: { type: 'string' },
      rounds: { type: 'string' },
      payload: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'aeraki-bin': { type: 'string' },
      'node-flags': { type: 'string' },
    },
  });
  const env = process.env;
  const num = (value: string | undefined, fallback: number, name: string) => {
    const n = Number(value ?? fallback);
    if (!Number.isFinite(n) || n < 0) throw new Error(`bad --${name}: ${value}`);
    return n;
  };
  const shapes = (values.shapes ?? env['BENCH_SHAPES'] ?? '1x1,32x1,32x8').split(',').map(s => {
    const match = /^(\d+)x(\d+)$/.exec(s.trim());
    if (match === null) throw new Error(`bad shape '${s}': expected CONNSxDEPTH, e.g. 32x8`);
    return { conns: Number(match[1]), depth: Number(match[2]) };
  });
  const targets = (values.targets ?? env['BENCH_TARGETS'] ?? DEFAULT_TARGETS).split(',').map(t => t.trim());
  for (const t of targets) {
    if (!(TARGETS as readonly string[]).includes(t)) throw new Error(`unknown target '${t}'`);
  }
  return {
    durationS: num(values.duration ?? env['BENCH_DURATION'], 5, 'duration'),
    warmupS: num(values.warmup ?? env['BENCH_WARMUP'], 1, 'warmup'),
    shapes,
    targets,
    rounds: Math.max(1, Math.floor(num(values.rounds ?? env['BENCH_ROUNDS'], 1, 'rounds'))),
    payload: Math.floor(num(values.payload ?? env['BENCH_PAYLOAD'], 100, 'payload')),
    cpuProf: values['cpu-prof'],
    json: values.json,
    keep: values.keep,
    aerakiBin: values['aeraki-bin'] ?? env['BENCH_AERAKI_BIN'],
    nodeFlags: (values['node-flags'] ?? env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter(f => f !== ''),
  };
}

/** The repository root, from dist/bench/run.js or (under tsx) bench/run.ts. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the benchmark');
    dir = parent;
  }
  return dir;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function median(runs: RunResult[]): RunResult {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function main(): Promise<number> {
  const opts = parseOptions();
  const root = repoRoot();
  const work = mkdtempSync(join(tmpdir(), 'aeraki-bench-'));
  installCleanupHandlers(() => {
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  });
  const notes: string[] = [];
  let aerakiPeakRssMb: number | undefined;
  let aerakiRssSampledMb = 0;
  let hot: HotFunction[] | undefined;
  let failed = false;
  let aeraki: Target | undefined;
  try {
    log(`bench: building C client and server (gcc -O2)`);
    const native = buildNative(join(root, 'bench', 'native'));
    const server = await startServer(native.server, '127.0.0.1');
    log(`bench: C thrift server on ${server.host}:${server.port} (pid ${server.process.pid})`);
    const targets = new Map<string, Target>();
    if (opts.targets.includes('direct')) targets.set('direct', server);

    if (opts.targets.includes('haproxy')) {
      const version = haproxyVersion();
      if (version === undefined) {
        notes.push(
          'haproxy is not installed (run scripts/setup.sh); HAProxy runs skipped, no ratios against it',
        );
        log('bench: haproxy NOT FOUND, skipping it');
      } else {
        const haproxy = await startHaproxy(work, server);
        targets.set('haproxy', haproxy);
        log(`bench: ${version} on ${haproxy.host}:${haproxy.port} (pid ${haproxy.process.pid})`);
      }
    }

    if (opts.targets.includes('pipe')) {
      const pipe = await startPipeProxy(server);
      targets.set('pipe', pipe);
      log(`bench: node pipe proxy on ${pipe.host}:${pipe.port} (pid ${pipe.process.pid})`);
    }

    if (opts.targets.includes('aeraki')) {
      const profDir = join(work, 'cpu-prof');
      try {
        aeraki = await startAeraki({
          bin: opts.aerakiBin ?? join(root, 'bin', 'aeraki'),
          dir: work,
          upstream: server,
          workers: 1,
          nodeArgs: [...opts.nodeFlags, ...(opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])],
        });
        targets.set('aeraki', aeraki);
        log(`bench: aeraki up on ${aeraki.host}:${aeraki.port} (pid ${aeraki.process.pid})`);
      } catch (err) {
        failed = true;
        notes.push(`aeraki could not start: ${(err as Error).message}`);
        log(`bench: aeraki could not start, skipping it: ${(err as Error).message}`);
      }
    }

    const rssTimer =
      aeraki === undefined
        ? undefined
        : setInterval(() => {
            aerakiRssSampledMb = Math.max(aerakiRssSampledMb, treeRssMb(aeraki!.process.pid!));
          }, 250);

    const collected = new Map<string, RunResult[]>();
    for (let round = 1; round <= opts.rounds; round++) {
      for (const shape of opts.shapes) {
        for (const [name, target] of targets) {
          const label = `${shapeName(shape)} ${name}${opts.rounds > 1 ? ` (round ${round})` : ''}`;
          const watch: Record<string, number> = { server: server.process.pid! };
          if (target !== server) watch['proxy'] = target.process.pid!;
          try {
            const run = await runLoad({
              loadgen: native.loadgen,
              host: target.host,
              port: target.port,
              shape,
              durationS: opts.durationS,
              warmupS: opts.warmupS,
              payload: opts.payload,
              watch,
            });
            const problems = run.errors + run.conn_failures + run.stalls;
            log(
              `bench: ${label}: ${Math.round(run.rps)} rps, p50 ${run.p50_us.toFixed(0)} µs, p99 ${run.p99_us.toFixed(0)} µs` +
                (problems > 0
                  ? `, ${run.errors} errors, ${run.conn_failures} connection failures, ${run.stalls} stalls`
                  : ''),
            );
            if (problems > 0) {
              failed = true;
              notes.push(
                `${label}: ${run.errors} errors, ${run.conn_failures} connection failures, ${run.stalls} stalls ` +
                  `(2 s without a reply), ${run.outstanding} calls outstanding at the end` +
                  (target.logFile !== undefined ? `; log: ${target.logFile}` : ''),
              );
            }
            const other = run.cpu['other'];
            const otherPct = other === undefined ? 0 : (100 * (other.user + other.sys)) / run.duration_s;
            if (otherPct > NOISY_OTHER_CPU_PCT) {
              notes.push(
                `${label}: other processes used ${otherPct.toFixed(0)}% CPU during the run; its figures are unreliable`,
              );
            }
            const key = `${shapeName(shape)}/${name}`;
            collected.set(key, [...(collected.get(key) ?? []), run]);
          } catch (err) {
            failed = true;
            notes.push(`${label}: ${(err as Error).message}`);
            log(`bench: ${label}: FAILED: ${(err as Error).message}`);
          }
          if (target.process.exitCode !== null || target.process.signalCode !== null) {
            failed = true;
            notes.push(
              `${name} exited during ${label} (${target.process.exitCode ?? target.process.signalCode})`,
            );
            targets.delete(name);
          }
        }
      }
    }

    if (rssTimer !== undefined) clearInterval(rssTimer);
    if (aeraki !== undefined && aeraki.process.exitCode === null) {
      aerakiPeakRssMb = Math.max(aerakiRssSampledMb, treePeakRssMb(aeraki.process.pid!));
    }
    if (aeraki !== undefined && opts.cpuProf) {
      // The profile is written when the process exits cleanly, so stop it before reading.
      await stopProcess(aeraki.process, 10_000, 'SIGINT');
      const profDir = join(work, 'cpu-prof');
      hot = existsSync(profDir) ? summariseProfiles(profDir, root) : [];
      if (hot.length === 0) notes.push('no CPU profile was written (did aeraki exit cleanly on SIGINT?)');
    }

    const results: ShapeResults[] = opts.shapes.map(shape => {
      const runs: Record<string, RunResult> = {};
      for (const name of TARGETS) {
        const list = collected.get(`${shapeName(shape)}/${name}`);
        if (list !== undefined) runs[name] = median(list);
      }
      return { shape, runs };
    });
    const all = ratios(results);
    const checks = verdicts(all, results, aerakiPeakRssMb);
    if (opts.json) {
      const out = {
        options: opts,
        results: results.map(r => ({ shape: shapeName(r.shape), runs: r.runs })),
        ratios: all,
        aerakiPeakRssMb,
        verdict: checks,
        cpuProfile: hot,
        notes,
      };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      process.stdout.write(`${renderText(results, all, checks, notes, aerakiPeakRssMb)}\n`);
      if (hot !== undefined && hot.length > 0) {
        process.stdout.write('\naeraki CPU profile, top functions by self time:\n');
        for (const h of hot) {
          process.stdout.write(`  ${h.selfPct.toFixed(1).padStart(5)}%  ${h.name}  ${h.location}\n`);
        }
      }
    }
    if (failed && aeraki?.logFile !== undefined) opts.keep = true;
  } finally {
    await stopAll();
    if (opts.keep) log(`bench: kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}

main().then(
  code => {
    process.exitCode = code;
  },
  async (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    await stopAll();
    process.exitCode = 1;
  },
);
