/**
 * `npm run bench`: framed binary Thrift and Dubbo (Hessian2) through no proxy, HAProxy (TCP mode, one
 * thread) and `aeraki up` (one worker), driven by lean C clients against lean C servers, for several
 * load shapes. Prints a table per protocol, the ratios between targets and a verdict against the goals.
 * See bench/README.md.
 *
 * Options (each also as an environment variable):
 *   --protocols LIST  thrift,dubbo,memcached,mcyaml (BENCH_PROTOCOLS, default thrift,dubbo,memcached;
 *                     mcyaml is memcached through the declarative codec)
 *   --duration S      measured seconds per run (BENCH_DURATION, default 5)
 *   --warmup S        warm-up seconds before each run (BENCH_WARMUP, default 1)
 *   --shapes LIST     CONNSxDEPTH,... (BENCH_SHAPES, default 1x1,32x1,32x8)
 *   --targets LIST    direct,haproxy,pipe,aeraki (BENCH_TARGETS, default direct,haproxy,aeraki;
 *                     pipe is a bare Node socket.pipe proxy, the cost of one Node hop)
 *   --rounds N        repeat every run N times, interleaved; keep the median by rps (BENCH_ROUNDS, default 1)
 *   --workers LIST    aeraki worker counts, each against HAProxy with as many threads (BENCH_WORKERS,
 *                     default 1; e.g. 1,2: aeraki 1 worker vs HAProxy 1 thread, 2 workers vs 2 threads)
 *   --payload BYTES   size of the sayHello string argument, both protocols (BENCH_PAYLOAD, default 100)
 *   --shared-aeraki   serve every protocol from one aeraki process (as one sidecar would) instead of
 *                     one aeraki process per protocol
 *   --cpu-prof        profile aeraki with node --cpu-prof; print its top functions by self time
 *   --json            print machine-readable results instead of the table
 *   --keep            keep the temporary directory (configs, logs, profiles)
 *   --aeraki-bin PATH the aeraki entry to run (BENCH_AERAKI_BIN, default bin/aeraki; e.g. to A/B two builds)
 *   --aeraki-command up|proxy  how aeraki runs (BENCH_AERAKI_COMMAND, default up): `aeraki up DIR`, the
 *                     control plane in the primary, or `aeraki proxy --config` alone on the static config
 *                     translated from the same documents, as a sidecar runs it
 *   --node-flags STR  extra node flags for aeraki, space-separated (BENCH_NODE_FLAGS; e.g. GC tuning)
 *   --pages-interval MS  how often to count the physical pages of each aeraki's processes together,
 *                     each page once (BENCH_PAGES_INTERVAL, default 1000; 0: never): the peak memory
 *                     reported beside the peak summed RSS (sampled every 250 ms), see resident-pages.ts
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { summariseProfiles } from './cpu-profile.js';
import type { HotFunction } from './cpu-profile.js';
import { runLoad } from './load.js';
import type { RunResult, Shape } from './load.js';
import { buildNative } from './native-build.js';
import type { NativePrograms } from './native-build.js';
import { processTree, treePeakRssMb, treeRssMb } from './proc-stats.js';
import { installCleanupHandlers, stopAll, stopProcess } from './processes.js';
import { DEFAULT_PROTOCOLS, parseProtocols } from './protocols.js';
import type { Protocol } from './protocols.js';
import { repoRoot } from './repo-root.js';
import { pagesToMb, residentPages } from './resident-pages.js';
import { ratios, renderText, shapeName, verdicts, workerTargets } from './report.js';
import type { AerakiMemory, ShapeResults } from './report.js';
import { haproxyVersion, startAeraki, startHaproxy, startPipeProxy, startServer } from './targets.js';
import type { Target } from './targets.js';

/** Every target, in the order they run; `pipe` (a bare Node socket.pipe proxy) only when asked for. */
const TARGETS = ['direct', 'haproxy', 'pipe', 'aeraki'] as const;
const DEFAULT_TARGETS = 'direct,haproxy,aeraki';
/** CPU (% of one core) taken by processes outside the benchmark above which a run is flagged noisy. */
const NOISY_OTHER_CPU_PCT = 25;

interface Options {
  /** `up` (the control plane in the primary) or `proxy` (alone, on a static config). */
  aerakiCommand: 'up' | 'proxy';
  protocols: Protocol[];
  durationS: number;
  warmupS: number;
  shapes: Shape[];
  targets: string[];
  rounds: number;
  /** aeraki worker counts, each against HAProxy with as many threads. */
  workers: number[];
  payload: number;
  sharedAeraki: boolean;
  cpuProf: boolean;
  json: boolean;
  keep: boolean;
  aerakiBin: string | undefined;
  nodeFlags: string[];
  /** Milliseconds between two counts of the aeraki processes' distinct resident pages; 0: none. */
  pagesIntervalMs: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      protocols: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      shapes: { type: 'string' },
      targets: { type: 'string' },
      rounds: { type: 'string' },
      workers: { type: 'string' },
      payload: { type: 'string' },
      'shared-aeraki': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'aeraki-bin': { type: 'string' },
      'aeraki-command': { type: 'string' },
      'node-flags': { type: 'string' },
      'pages-interval': { type: 'string' },
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
  const workers = (values.workers ?? env['BENCH_WORKERS'] ?? '1').split(',').map(w => {
    const n = Number(w.trim());
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`bad --workers '${w}': expected counts like 1,2`);
    return n;
  });
  const aerakiCommand = values['aeraki-command'] ?? env['BENCH_AERAKI_COMMAND'] ?? 'up';
  if (aerakiCommand !== 'up' && aerakiCommand !== 'proxy') {
    throw new Error(`bad --aeraki-command '${aerakiCommand}': expected up or proxy`);
  }
  return {
    aerakiCommand,
    protocols: parseProtocols(values.protocols ?? env['BENCH_PROTOCOLS'] ?? DEFAULT_PROTOCOLS),
    durationS: num(values.duration ?? env['BENCH_DURATION'], 5, 'duration'),
    warmupS: num(values.warmup ?? env['BENCH_WARMUP'], 1, 'warmup'),
    shapes,
    targets,
    rounds: Math.max(1, Math.floor(num(values.rounds ?? env['BENCH_ROUNDS'], 1, 'rounds'))),
    workers: [...new Set(workers)],
    payload: Math.floor(num(values.payload ?? env['BENCH_PAYLOAD'], 100, 'payload')),
    sharedAeraki: values['shared-aeraki'],
    cpuProf: values['cpu-prof'],
    json: values.json,
    keep: values.keep,
    aerakiBin: values['aeraki-bin'] ?? env['BENCH_AERAKI_BIN'],
    nodeFlags: (values['node-flags'] ?? env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter(f => f !== ''),
    pagesIntervalMs: num(values['pages-interval'] ?? env['BENCH_PAGES_INTERVAL'], 1000, 'pages-interval'),
  };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Every target's name in report order: HAProxy and aeraki once per worker count. */
function targetNames(opts: Options): string[] {
  const names: string[] = [];
  for (const t of TARGETS) {
    if (t === 'haproxy' || t === 'aeraki') {
      for (const w of opts.workers)
        names.push(t === 'haproxy' ? workerTargets(w).haproxy : workerTargets(w).aeraki);
    } else names.push(t);
  }
  return names;
}

function median(runs: RunResult[]): RunResult {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Every target of every protocol, by protocol name then target name. */
type TargetsByProtocol = Map<string, Map<string, Target>>;

/** A running `aeraki up` process and what the bench learns about it. */
interface AerakiProcess {
  /** The protocols it serves, joined by '+': `thrift`, `dubbo` or `thrift+dubbo`. */
  label: string;
  target: Target;
  profDir: string;
  /** Highest summed RSS of its processes seen by the 250 ms sampler. */
  rssSampledMb: number;
  /** Highest count of its processes' distinct resident pages, in MiB (each physical page once). */
  distinctSampledMb: number;
}

interface Started {
  targets: TargetsByProtocol;
  servers: Map<string, Target>;
  aerakis: AerakiProcess[];
  aerakiFailed: boolean;
}

/** Starts the C servers, then the proxies in front of them; returns what to drive. */
async function startTargets(
  opts: Options,
  native: Map<string, NativePrograms>,
  work: string,
  root: string,
  notes: string[],
): Promise<Started> {
  const targets: TargetsByProtocol = new Map();
  const servers = new Map<string, Target>();
  for (const protocol of opts.protocols) {
    const server = await startServer(native.get(protocol.name)!.server, '127.0.0.1');
    servers.set(protocol.name, server);
    targets.set(protocol.name, new Map());
    if (opts.targets.includes('direct')) targets.get(protocol.name)!.set('direct', server);
    log(`bench: C ${protocol.name} server on ${server.host}:${server.port} (pid ${server.process.pid})`);
  }
  const add = (name: string, byProtocol: Map<string, Target>) => {
    for (const [protocol, target] of byProtocol) targets.get(protocol)!.set(name, target);
  };

  if (opts.targets.includes('haproxy')) {
    const version = haproxyVersion();
    if (version === undefined) {
      notes.push(
        'haproxy is not installed (run scripts/setup.sh); HAProxy runs skipped, no ratios against it',
      );
      log('bench: haproxy NOT FOUND, skipping it');
    } else {
      for (const threads of opts.workers) {
        const name = workerTargets(threads).haproxy;
        const haproxy = await startHaproxy(work, servers, threads);
        add(name, haproxy);
        for (const [protocol, t] of haproxy) {
          log(
            `bench: ${version}, ${threads} thread(s), ${protocol} on ${t.host}:${t.port} (pid ${t.process.pid})`,
          );
        }
      }
    }
  }

  if (opts.targets.includes('pipe')) {
    for (const [protocol, server] of servers) {
      const pipe = await startPipeProxy(server);
      targets.get(protocol)!.set('pipe', pipe);
      log(`bench: node pipe proxy, ${protocol} on ${pipe.host}:${pipe.port} (pid ${pipe.process.pid})`);
    }
  }

  const aerakis: AerakiProcess[] = [];
  let aerakiFailed = false;
  if (opts.targets.includes('aeraki')) {
    // One process per protocol by default, so that each protocol is measured as its own sidecar.
    const groups = opts.sharedAeraki ? [opts.protocols] : opts.protocols.map(p => [p]);
    for (const workers of opts.workers)
      for (const group of groups) {
        const name = workerTargets(workers).aeraki;
        const label = group.map(p => p.name).join('+') + (workers === 1 ? '' : ` (${workers} workers)`);
        const fileLabel = label.replace(/ \((\d+) workers\)$/, '-$1w');
        const profDir = join(work, `cpu-prof-${fileLabel}`);
        try {
          const byProtocol = await startAeraki({
            command: opts.aerakiCommand,
            bin: opts.aerakiBin ?? join(root, 'bin', 'aeraki'),
            dir: work,
            label: fileLabel,
            upstreams: new Map(group.map(p => [p, servers.get(p.name)!])),
            workers,
            ...pluginSetup(group, root),
            nodeArgs: [
              ...opts.nodeFlags,
              ...(opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
            ],
          });
          add(name, byProtocol);
          for (const [protocol, t] of byProtocol) {
            log(
              `bench: aeraki ${opts.aerakiCommand}, ${workers} worker(s), ${protocol} on ${t.host}:${t.port} (pid ${t.process.pid})`,
            );
          }
          const target = byProtocol.values().next().value as Target;
          aerakis.push({ label, target, profDir, rssSampledMb: 0, distinctSampledMb: 0 });
        } catch (err) {
          aerakiFailed = true;
          notes.push(`aeraki (${label}) could not start: ${(err as Error).message}`);
          log(`bench: aeraki (${label}) could not start, skipping it: ${(err as Error).message}`);
        }
      }
  }
  return { targets, servers, aerakis, aerakiFailed };
}

/** The ApplicationProtocols and `aeraki up` flags of the protocols whose codecs are not built in. */
function pluginSetup(
  group: readonly Protocol[],
  root: string,
): { extraConfig?: () => string; upArgs?: string[] } {
  const configs = group.flatMap(p => (p.aeraki === undefined ? [] : [p.aeraki.config(root)]));
  // Each plugin once, even when several protocols need it.
  const lists = new Map(
    group.flatMap(p => (p.aeraki === undefined ? [] : [p.aeraki.args(root)])).map(a => [a.join('\0'), a]),
  );
  const args = [...lists.values()].flat();
  return {
    ...(configs.length === 0 ? {} : { extraConfig: () => configs.join('---\n') }),
    ...(args.length === 0 ? {} : { upArgs: args }),
  };
}

function exited(target: Target): boolean {
  return target.process.exitCode !== null || target.process.signalCode !== null;
}

async function main(): Promise<number> {
  const opts = parseOptions();
  const root = repoRoot();
  const work = mkdtempSync(join(tmpdir(), 'aeraki-bench-'));
  installCleanupHandlers(() => {
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  });
  const notes: string[] = [];
  const memory: AerakiMemory = { peakRssMb: {}, sampledRssMb: {}, distinctMb: {} };
  let pagesCpuMs = 0;
  let pagesSamples = 0;
  const hot: Record<string, HotFunction[]> = {};
  let failed = false;
  let aerakis: AerakiProcess[] = [];
  try {
    log(`bench: building C clients and servers (gcc -O2)`);
    const native = buildNative(join(root, 'bench', 'native'), opts.protocols);
    const started = await startTargets(opts, native, work, root, notes);
    const { targets, servers } = started;
    aerakis = started.aerakis;
    failed = started.aerakiFailed;

    const rssTimer =
      aerakis.length === 0
        ? undefined
        : setInterval(() => {
            for (const a of aerakis)
              a.rssSampledMb = Math.max(a.rssSampledMb, treeRssMb(a.target.process.pid!));
          }, 250);
    // Counting pages reads the page tables (about 1 ms of CPU per process), so less often, and only
    // those of the aeraki under load (the one whose process `driven` is): an idle one holds less.
    let driven: Target['process'] | undefined;
    const pagesTimer =
      aerakis.length === 0 || opts.pagesIntervalMs === 0
        ? undefined
        : setInterval(() => {
            const a = aerakis.find(x => x.target.process === driven);
            if (a === undefined) return;
            const before = process.cpuUsage();
            let pages;
            try {
              pages = residentPages(processTree(a.target.process.pid!));
            } catch (err) {
              // E.g. not root: the kernel gives no page frame numbers. The rest of the bench goes on.
              notes.push(`the aerakis' distinct pages were not counted: ${(err as Error).message}`);
              clearInterval(pagesTimer);
              return;
            }
            a.distinctSampledMb = Math.max(a.distinctSampledMb, pagesToMb(pages.distinctPages));
            const spent = process.cpuUsage(before);
            pagesCpuMs += (spent.user + spent.system) / 1000;
            pagesSamples++;
          }, opts.pagesIntervalMs);

    const collected = new Map<string, RunResult[]>();
    for (let round = 1; round <= opts.rounds; round++) {
      for (const protocol of opts.protocols) {
        const server = servers.get(protocol.name)!;
        const loadgen = native.get(protocol.name)!.loadgen;
        for (const shape of opts.shapes) {
          for (const [name, target] of targets.get(protocol.name)!) {
            const label =
              `${protocol.name} ${shapeName(shape)} ${name}` + (opts.rounds > 1 ? ` (round ${round})` : '');
            const watch: Record<string, number> = { server: server.process.pid! };
            if (target !== server) watch['proxy'] = target.process.pid!;
            driven = target.process;
            try {
              const run = await runLoad({
                loadgen,
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
              const key = `${protocol.name}/${shapeName(shape)}/${name}`;
              collected.set(key, [...(collected.get(key) ?? []), run]);
            } catch (err) {
              failed = true;
              notes.push(`${label}: ${(err as Error).message}`);
              log(`bench: ${label}: FAILED: ${(err as Error).message}`);
            }
            if (exited(target)) {
              failed = true;
              notes.push(
                `${name} exited during ${label} (${target.process.exitCode ?? target.process.signalCode})`,
              );
              // A proxy process may serve several protocols: drop it from each.
              for (const byName of targets.values()) {
                if (byName.get(name)?.process === target.process) byName.delete(name);
              }
            }
          }
        }
      }
    }

    if (rssTimer !== undefined) clearInterval(rssTimer);
    if (pagesTimer !== undefined) clearInterval(pagesTimer);
    for (const a of aerakis) {
      if (!exited(a.target)) {
        memory.peakRssMb[a.label] = Math.max(a.rssSampledMb, treePeakRssMb(a.target.process.pid!));
        memory.sampledRssMb[a.label] = a.rssSampledMb;
        if (a.distinctSampledMb > 0) memory.distinctMb[a.label] = a.distinctSampledMb;
      }
    }
    if (pagesSamples > 0) {
      log(
        `bench: counting distinct pages took ${(pagesCpuMs / pagesSamples).toFixed(1)} ms of CPU per ` +
          `sample of the aeraki under load (${pagesSamples} samples, ${opts.pagesIntervalMs} ms apart)`,
      );
    }
    if (opts.cpuProf) {
      for (const a of aerakis) {
        // The profile is written when the process exits cleanly, so stop it before reading.
        await stopProcess(a.target.process, 10_000, 'SIGINT');
        hot[a.label] = existsSync(a.profDir) ? summariseProfiles(a.profDir, root) : [];
        if (hot[a.label]!.length === 0) {
          notes.push(`no CPU profile was written for aeraki (${a.label}) (did it exit cleanly on SIGINT?)`);
        }
      }
    }

    const results: ShapeResults[] = opts.protocols.flatMap(protocol =>
      opts.shapes.map(shape => {
        const runs: Record<string, RunResult> = {};
        for (const name of targetNames(opts)) {
          const list = collected.get(`${protocol.name}/${shapeName(shape)}/${name}`);
          if (list !== undefined) runs[name] = median(list);
        }
        return { protocol: protocol.name, shape, runs };
      }),
    );
    const all = ratios(results, opts.workers);
    const checks = verdicts(all, results, memory);
    if (opts.json) {
      const out = {
        options: { ...opts, protocols: opts.protocols.map(p => p.name) },
        results: results.map(r => ({ protocol: r.protocol, shape: shapeName(r.shape), runs: r.runs })),
        ratios: all,
        aerakiPeakRssMb: memory.peakRssMb,
        aerakiSampledRssMb: memory.sampledRssMb,
        aerakiPeakDistinctMb: memory.distinctMb,
        verdict: checks,
        cpuProfile: opts.cpuProf ? hot : undefined,
        notes,
      };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      process.stdout.write(`${renderText(opts.protocols, results, all, checks, notes, memory)}\n`);
      for (const [label, functions] of Object.entries(hot)) {
        if (functions.length === 0) continue;
        process.stdout.write(`\naeraki (${label}) CPU profile, top functions by self time:\n`);
        for (const h of functions) {
          process.stdout.write(`  ${h.selfPct.toFixed(1).padStart(5)}%  ${h.name}  ${h.location}\n`);
        }
      }
    }
    if (failed && aerakis.length > 0) opts.keep = true;
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
