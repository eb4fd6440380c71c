/**
 * `npm run bench:footprint`: what an idle aeraki proxy holds in memory. Starts `aeraki control-plane
 * --config-dir examples/thrift` and `aeraki proxy --xds …` configured by it (or, with `--up`, `aeraki up
 * examples/thrift`), each as bin/aeraki starts it (its node flags and jemalloc), waits until the proxy
 * has its config, lets it idle, and prints per process: the resident set (VmRSS; the median of
 * `--samples` one second apart), of it the anonymous memory and the pages of files (mostly the node
 * binary's, shared with every other node process on the host but counted in each one's RSS), the peak
 * (VmHWM), the V8 heap in use and resident, the young generation's resident pages, and the RSS
 * without them (see measure()). With `--workers N`, the primary and each worker, and
 * their sum. Last, the row `distinct`: the processes together with each physical page counted once
 * (the union by page frame number of their resident pages, bench/resident-pages.ts; its RSS column
 * is that total, its anon and file columns the two parts), which is what they take out of RAM: the
 * sum row counts the node binary's pages once per process. The control plane of `aeraki proxy` is
 * not counted (it runs elsewhere in a mesh).
 *
 * Never a test: the figures depend on node's build and on the machine. The heap figures come from
 * bench/footprint-probe.ts, loaded into the measured processes with `node --import` and asked with
 * SIGUSR2.
 *
 * Options: --workers N (default 1), --up (measure `aeraki up`, control plane included), --idle S
 * (seconds idle before sampling, default 10), --samples N (default 5), --rounds N (default 1),
 * --aeraki-bin PATH (the aeraki entry to measure, default bin/aeraki), --compare-bin PATH (a second
 * build, e.g. main's, measured in the same rounds, the two taking turns), --json.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launcherEnvironment, launcherNodeFlags } from '../test/e2e/harness/launcher-flags.js';
import type { HeapFigures } from './footprint-probe.js';
import { processTree } from './proc-stats.js';
import { pagesToMb, residentPages } from './resident-pages.js';
import { installCleanupHandlers, startProcess, stopProcess } from './processes.js';
import { repoRoot } from './repo-root.js';
import { freePort } from './targets.js';

const HOST = '127.0.0.1';
const PROBE = fileURLToPath(new URL('./footprint-probe.js', import.meta.url));

/** One process's figures, in MiB. */
interface ProcessFootprint {
  readonly role: string;
  readonly pid: number;
  readonly rssMb: number;
  /** RSS less the young generation's resident pages, sample by sample. */
  readonly rssWithoutYoungMb: number | undefined;
  readonly anonMb: number;
  readonly fileMb: number;
  readonly hwmMb: number;
  readonly heapUsedMb: number | undefined;
  readonly heapResidentMb: number | undefined;
  readonly youngMb: number | undefined;
}

/** The processes together, each physical page counted once (bench/resident-pages.ts), in MiB. */
interface Together {
  /** Medians of the samples. */
  readonly distinctMb: number;
  /** Of it, pages of files (the node binary) and shared memory. */
  readonly distinctFileMb: number;
}

interface Run {
  readonly build: string;
  readonly processes: readonly ProcessFootprint[];
  readonly together: Together;
}

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1' },
    up: { type: 'boolean', default: false },
    idle: { type: 'string', default: '10' },
    samples: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '1' },
    'aeraki-bin': { type: 'string' },
    'compare-bin': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const root = repoRoot();
const workers = Number(values.workers);
const idleMs = Number(values.idle) * 1000;
const samples = Number(values.samples);
const rounds = Number(values.rounds);
const builds: [string, string][] = [['this', resolve(values['aeraki-bin'] ?? join(root, 'bin/aeraki'))]];
if (values['compare-bin'] !== undefined) builds.push(['compare', resolve(values['compare-bin'])]);
const examples = join(root, 'examples/thrift');
const probeDir = mkdtempSync(join(tmpdir(), 'aeraki-footprint-'));
installCleanupHandlers(() => rmSync(probeDir, { recursive: true, force: true }));

function status(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const m of readFileSync(`/proc/${pid}/status`, 'utf8').matchAll(/^(\w+):\s+(\d+) kB$/gm)) {
      out[m[1]!] = Number(m[2]) / 1024;
    }
  } catch {
    // Gone.
  }
  return out;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Starts an aeraki command as bin/aeraki would, with the probe; resolves its log lines as they come. */
function startAeraki(bin: string, command: string, args: string[]): { child: ChildProcess; lines: string[] } {
  const child = startProcess(
    process.execPath,
    [...launcherNodeFlags(bin, command), '--import', PROBE, bin, command, ...args],
    {
      env: {
        ...process.env,
        ...launcherEnvironment(bin, command),
        AERAKI_FOOTPRINT_DIR: probeDir,
      },
    },
  );
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', line => lines.push(line));
  }
  return { child, lines };
}

async function waitFor<T>(what: string, child: ChildProcess, get: () => T | undefined, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what}: the process exited`);
    const value = get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

function logField(lines: readonly string[], msg: string, field: string): unknown {
  for (const line of lines) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    return (JSON.parse(line) as Record<string, unknown>)[field];
  }
  return undefined;
}

async function ready(adminPort: number): Promise<boolean> {
  try {
    return (await fetch(`http://${HOST}:${adminPort}/ready`)).status === 200;
  } catch {
    return false;
  }
}

/** Asks the probe in each of `pids` for its heap figures. */
async function probe(pids: readonly number[]): Promise<Map<number, HeapFigures>> {
  for (const p of pids) {
    try {
      rmSync(join(probeDir, `${p}.json`), { force: true });
      process.kill(p, 'SIGUSR2');
    } catch {
      // Gone.
    }
  }
  await sleep(200);
  const out = new Map<number, HeapFigures>();
  for (const p of pids) {
    try {
      out.set(p, JSON.parse(readFileSync(join(probeDir, `${p}.json`), 'utf8')) as HeapFigures);
    } catch {
      // No probe answer.
    }
  }
  return out;
}

/**
 * Samples every process of `pid`'s tree while idle; `roleOf` names each. The young generation's
 * resident pages swing from none (V8 gives them back after the full collection an idle process
 * gets) to its whole 2 × 8 MiB (touched again by the little an idle proxy allocates), which makes
 * the RSS of one sample move by up to 16 MiB: hence the median, and the RSS without them.
 */
async function measure(
  pid: number,
  roleOf: (p: number) => string,
): Promise<{ processes: ProcessFootprint[]; together: Together }> {
  await sleep(idleMs);
  const pids = processTree(pid);
  const series = new Map<number, { rss: number[]; anon: number[]; file: number[]; heaps: HeapFigures[] }>();
  const distinct: number[] = [];
  const distinctFile: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(1000);
    const heaps = await probe(pids);
    const pages = residentPages(pids);
    distinct.push(pagesToMb(pages.distinctPages));
    distinctFile.push(pagesToMb(pages.distinctFilePages));
    for (const p of pids) {
      const s = status(p);
      const entry = series.get(p) ?? { rss: [], anon: [], file: [], heaps: [] };
      entry.rss.push(s['VmRSS'] ?? 0);
      entry.anon.push(s['RssAnon'] ?? 0);
      entry.file.push(s['RssFile'] ?? 0);
      const heap = heaps.get(p);
      if (heap !== undefined) entry.heaps.push(heap);
      series.set(p, entry);
    }
  }
  const processes = pids.map(p => {
    const r = series.get(p)!;
    const heapMedian = (f: (h: HeapFigures) => number) =>
      r.heaps.length === 0 ? undefined : median(r.heaps.map(f));
    const youngMb = heapMedian(h => h.youngPhysicalMb);
    return {
      role: roleOf(p),
      pid: p,
      rssMb: median(r.rss),
      rssWithoutYoungMb:
        r.heaps.length === r.rss.length
          ? median(r.rss.map((x, i) => x - r.heaps[i]!.youngPhysicalMb))
          : undefined,
      anonMb: median(r.anon),
      fileMb: median(r.file),
      hwmMb: status(p)['VmHWM'] ?? 0,
      heapUsedMb: heapMedian(h => h.usedMb),
      heapResidentMb: heapMedian(h => h.physicalMb),
      youngMb,
    };
  });
  return { processes, together: { distinctMb: median(distinct), distinctFileMb: median(distinctFile) } };
}

function workerFlags(): string[] {
  return workers > 1 ? ['--workers', String(workers)] : ['--workers', '1'];
}

/** `aeraki proxy --xds` against a control plane on examples/thrift. */
async function runProxy(bin: string): Promise<Omit<Run, 'build'>> {
  const xdsPort = await freePort(HOST);
  const cp = startAeraki(bin, 'control-plane', [
    '--config-dir',
    examples,
    '--listen',
    `${HOST}:${xdsPort}`,
    '--admin',
    `${HOST}:0`,
  ]);
  let proxy: ChildProcess | undefined;
  try {
    await waitFor('control plane', cp.child, () =>
      cp.lines.some(l => l.includes('"msg":"ready"')) ? true : undefined,
    );
    const started = startAeraki(bin, 'proxy', [
      '--xds',
      `${HOST}:${xdsPort}`,
      '--admin',
      `${HOST}:0`,
      ...workerFlags(),
    ]);
    proxy = started.child;
    const adminPort = await waitFor('proxy admin port', proxy, () => {
      const port = logField(started.lines, 'proxy started; waiting for config', 'admin');
      return typeof port === 'number' ? port : undefined;
    });
    const deadline = Date.now() + 30_000;
    while (!(await ready(adminPort))) {
      if (Date.now() > deadline) throw new Error(`the proxy got no config:\n${started.lines.join('\n')}`);
      await sleep(100);
    }
    const primary = proxy.pid!;
    return await measure(primary, p => (p === primary ? (workers > 1 ? 'primary' : 'proxy') : 'worker'));
  } finally {
    if (proxy !== undefined) await stopProcess(proxy);
    await stopProcess(cp.child);
  }
}

/** `aeraki up examples/thrift`. */
async function runUp(bin: string): Promise<Omit<Run, 'build'>> {
  const up = startAeraki(bin, 'up', [
    examples,
    '--admin',
    `${HOST}:0`,
    '--control-plane-admin',
    `${HOST}:0`,
    '--no-watch',
    ...workerFlags(),
  ]);
  try {
    await waitFor('aeraki up', up.child, () =>
      up.lines.some(l => l.includes('"msg":"ready"')) ? true : undefined,
    );
    const primary = up.child.pid!;
    return await measure(primary, p => (p === primary ? 'up (primary)' : 'worker'));
  } finally {
    await stopProcess(up.child);
  }
}

function fmt(x: number | undefined): string {
  return x === undefined ? '' : x.toFixed(1);
}

function printRun(run: Run): void {
  const rows = run.processes.map(p => [
    run.build,
    p.role,
    fmt(p.rssMb),
    fmt(p.rssWithoutYoungMb),
    fmt(p.anonMb),
    fmt(p.fileMb),
    fmt(p.hwmMb),
    fmt(p.heapUsedMb),
    fmt(p.heapResidentMb),
    fmt(p.youngMb),
  ]);
  if (run.processes.length > 1) {
    const sum = (f: (p: ProcessFootprint) => number | undefined) =>
      run.processes.reduce((s, p) => s + (f(p) ?? 0), 0);
    rows.push([
      run.build,
      'sum',
      fmt(sum(p => p.rssMb)),
      fmt(sum(p => p.rssWithoutYoungMb)),
      fmt(sum(p => p.anonMb)),
      fmt(sum(p => p.fileMb)),
      fmt(sum(p => p.hwmMb)),
      fmt(sum(p => p.heapUsedMb)),
      fmt(sum(p => p.heapResidentMb)),
      fmt(sum(p => p.youngMb)),
    ]);
  }
  const { distinctMb, distinctFileMb } = run.together;
  rows.push([
    run.build,
    'distinct',
    fmt(distinctMb),
    '',
    fmt(distinctMb - distinctFileMb),
    fmt(distinctFileMb),
  ]);
  for (const row of rows) {
    process.stdout.write(
      `${row[0]!.padEnd(8)} ${row[1]!.padEnd(13)} ${row
        .slice(2)
        .map(c => c.padStart(9))
        .join(' ')}\n`,
    );
  }
}

const runs: Run[] = [];
if (!values.json) {
  process.stdout.write(
    `${values.up ? 'aeraki up examples/thrift' : 'aeraki proxy --xds (control plane on examples/thrift)'}, ` +
      `--workers ${workers}, idle ${idleMs / 1000} s, median of ${samples} samples 1 s apart (MiB)\n` +
      `${'build'.padEnd(8)} ${'process'.padEnd(13)} ${[
        'RSS',
        'RSS-young',
        'anon',
        'file',
        'VmHWM',
        'heap used',
        'heap res',
        'young res',
      ]
        .map(c => c.padStart(9))
        .join(' ')}\n`,
  );
}
for (let round = 0; round < rounds; round++) {
  for (const [build, bin] of round % 2 === 0 ? builds : [...builds].reverse()) {
    const run = { build, ...(values.up ? await runUp(bin) : await runProxy(bin)) };
    runs.push(run);
    if (!values.json) printRun(run);
  }
}
if (values.json) process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
