/**
 * Turns benchmark runs into the human tables (one section per protocol), the ratios between targets
 * and the verdict against the performance goals (DESIGN.md, Performance).
 */
import type { RunResult, Shape } from './load.js';

/**
 * The goals the proxy is judged by, at 32 connections or more; the moonshot is reported but not a
 * goal. Memory goals are in MB (10⁶ bytes), as the issues state them; RSS is measured in MiB.
 */
export const GOALS = {
  minThroughputVsHaproxy: 0.8,
  maxP99VsHaproxy: 1.5,
  /** One worker against one HAProxy thread at these shapes: the stricter goals of its tail. */
  byShape: {
    '32x1': { maxP99VsHaproxy: 1.2 },
    '32x8': { minThroughputVsHaproxy: 0.85, maxP99VsHaproxy: 1.3 },
  } as Readonly<Record<string, { minThroughputVsHaproxy?: number; maxP99VsHaproxy?: number }>>,
  maxRssMB: 100,
  moonshotThroughputVsHaproxy: 1.0,
} as const;

/**
 * The goals of aeraki with several workers against HAProxy with as many threads: throughput by shape
 * (connections × depth), and the peak RSS of all its processes together.
 */
export const WORKER_GOALS = {
  minThroughputVsHaproxy: { '32x1': 1.0, '32x8': 0.85 } as Readonly<Record<string, number>>,
  maxRssMB: 250,
} as const;

/** `mb` MB (10⁶ bytes) in MiB (2²⁰ bytes). */
function mibOfMB(mb: number): number {
  return (mb * 1e6) / 2 ** 20;
}

/** The peak memory of each aeraki (by the protocols it served), in MiB. */
export interface AerakiMemory {
  /**
   * Its processes' RSS summed: the larger of the highest sum the 250 ms samples saw and the sum of
   * each process's VmHWM (an upper bound: the processes may have peaked at different moments, the
   * primary while it loaded its config, the workers under load).
   */
  readonly peakRssMb: Record<string, number>;
  /** The highest sum of its processes' RSS the 250 ms samples saw. */
  readonly sampledRssMb: Record<string, number>;
  /** The most its processes held together with each physical page counted once, sampled under load. */
  readonly distinctMb: Record<string, number>;
}

const NO_MEMORY: AerakiMemory = { peakRssMb: {}, sampledRssMb: {}, distinctMb: {} };

/** The target names of aeraki with `workers` workers and of HAProxy with as many threads. */
export function workerTargets(workers: number): { aeraki: string; haproxy: string } {
  return workers === 1
    ? { aeraki: 'aeraki', haproxy: 'haproxy' }
    : { aeraki: `aeraki-${workers}w`, haproxy: `haproxy-${workers}t` };
}

/**
 * Codecs judged by the proxy's CPU per call against another protocol's in the same run: the memcached
 * plugin against the built-in Thrift codec, the declarative memcached codec against the plugin.
 */
export const CODEC_COST_GOALS = [
  { protocol: 'memcached', baseline: 'thrift', limit: 1.2 },
  { protocol: 'mcyaml', baseline: 'memcached', limit: 1.3 },
] as const;

/** The proxy's CPU time per call of a run, in µs. */
export function proxyCpuPerCallUs(run: RunResult): number | undefined {
  const cpu = run.cpu['proxy'];
  const calls = run.rps * run.duration_s;
  if (cpu === undefined || Number.isNaN(cpu.user) || calls <= 0) return undefined;
  return ((cpu.user + cpu.sys) * 1e6) / calls;
}

/** The median runs of one protocol and shape. */
export interface ShapeResults {
  /** The protocol's name: thrift, dubbo. */
  protocol: string;
  shape: Shape;
  /** By target name: direct, haproxy, aeraki. */
  runs: Record<string, RunResult>;
}

export interface Ratios {
  protocol: string;
  shape: string;
  /** aeraki's workers and HAProxy's threads. */
  workers: number;
  haproxyVsDirectRps?: number;
  aerakiVsDirectRps?: number;
  aerakiVsHaproxyRps?: number;
  aerakiVsHaproxyP99?: number;
}

export interface Verdict {
  check: string;
  value: number;
  limit: number;
  pass: boolean;
  /** A stretch target, reported as reached or not; it never fails the verdict. */
  moonshot?: boolean;
}

export function shapeName(shape: Shape): string {
  return `${shape.conns}x${shape.depth}`;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

/** The ratios of every protocol and shape, for each worker count (aeraki N workers vs HAProxy N threads). */
export function ratios(results: ShapeResults[], workerCounts: readonly number[] = [1]): Ratios[] {
  return results.flatMap(({ protocol, shape, runs }) =>
    workerCounts.map(workers => {
      const { aeraki, haproxy } = workerTargets(workers);
      return {
        protocol,
        shape: shapeName(shape),
        workers,
        haproxyVsDirectRps: ratio(runs[haproxy]?.rps, runs['direct']?.rps),
        aerakiVsDirectRps: ratio(runs[aeraki]?.rps, runs['direct']?.rps),
        aerakiVsHaproxyRps: ratio(runs[aeraki]?.rps, runs[haproxy]?.rps),
        aerakiVsHaproxyP99: ratio(runs[aeraki]?.p99_us, runs[haproxy]?.p99_us),
      };
    }),
  );
}

/**
 * Goal checks for every protocol and shape with 32 or more connections, plus the peak RSS of each
 * aeraki process (by the protocols it served; with workers, summed over its processes), and with
 * workers the peak of its processes' memory with each physical page counted once (the node binary's
 * pages, which the summed RSS counts once per process); then the throughput moonshots.
 */
export function verdicts(
  all: Ratios[],
  results: ShapeResults[],
  memory: AerakiMemory = NO_MEMORY,
): Verdict[] {
  const out: Verdict[] = [];
  const moonshots: Verdict[] = [];
  for (const r of all) {
    const result = results.find(x => x.protocol === r.protocol && shapeName(x.shape) === r.shape);
    const shape = result?.shape;
    if (shape === undefined || shape.conns < 32) continue;
    const { aeraki } = workerTargets(r.workers);
    const name =
      r.workers === 1 ? `${r.protocol} ${r.shape}` : `${r.protocol} ${r.shape} ${r.workers} workers`;
    const run = result?.runs[aeraki];
    if (run !== undefined) {
      const errors = run.errors + run.conn_failures;
      out.push({ check: `${name} aeraki errors`, value: errors, limit: 0, pass: errors === 0 });
    }
    if (r.workers > 1) {
      const limit = WORKER_GOALS.minThroughputVsHaproxy[r.shape];
      if (r.aerakiVsHaproxyRps !== undefined && limit !== undefined) {
        out.push({
          check: `${name} throughput aeraki/haproxy (${r.workers} threads)`,
          value: r.aerakiVsHaproxyRps,
          limit,
          pass: r.aerakiVsHaproxyRps >= limit,
        });
      }
      continue;
    }
    const strict = GOALS.byShape[r.shape];
    if (r.aerakiVsHaproxyRps !== undefined) {
      const limit = strict?.minThroughputVsHaproxy ?? GOALS.minThroughputVsHaproxy;
      out.push({
        check: `${name} throughput aeraki/haproxy`,
        value: r.aerakiVsHaproxyRps,
        limit,
        pass: r.aerakiVsHaproxyRps >= limit,
      });
      const moonshot = GOALS.moonshotThroughputVsHaproxy;
      moonshots.push({
        check: `${name} throughput aeraki/haproxy`,
        value: r.aerakiVsHaproxyRps,
        limit: moonshot,
        pass: r.aerakiVsHaproxyRps >= moonshot,
        moonshot: true,
      });
    }
    if (r.aerakiVsHaproxyP99 !== undefined) {
      const limit = strict?.maxP99VsHaproxy ?? GOALS.maxP99VsHaproxy;
      out.push({
        check: `${name} p99 aeraki/haproxy`,
        value: r.aerakiVsHaproxyP99,
        limit,
        pass: r.aerakiVsHaproxyP99 <= limit,
      });
    }
  }
  for (const goal of CODEC_COST_GOALS) {
    for (const r of results) {
      if (r.protocol !== goal.protocol || r.shape.conns < 32) continue;
      const base = results.find(
        b => b.protocol === goal.baseline && shapeName(b.shape) === shapeName(r.shape),
      );
      const own = r.runs['aeraki'] === undefined ? undefined : proxyCpuPerCallUs(r.runs['aeraki']);
      const theirs = base?.runs['aeraki'] === undefined ? undefined : proxyCpuPerCallUs(base.runs['aeraki']);
      const value = ratio(own, theirs);
      if (value === undefined) continue;
      out.push({
        check: `${goal.protocol} ${shapeName(r.shape)} proxy CPU per call / ${goal.baseline}`,
        value,
        limit: goal.limit,
        pass: value <= goal.limit,
      });
    }
  }
  for (const [label, rssMb] of Object.entries(memory.peakRssMb)) {
    // Labels of several workers end in "(N workers)"; their processes together have a larger budget.
    const several = label.endsWith('workers)');
    const goalMB = several ? WORKER_GOALS.maxRssMB : GOALS.maxRssMB;
    const limit = Math.round(mibOfMB(goalMB) * 10) / 10;
    const unit = `MiB; ${goalMB} MB = ${limit} MiB`;
    out.push({
      check: `${label} aeraki peak RSS${several ? ' summed over processes' : ''} (${unit})`,
      value: rssMb,
      limit,
      pass: rssMb <= limit,
    });
    const distinctMb = memory.distinctMb[label];
    if (several && distinctMb !== undefined) {
      out.push({
        check: `${label} aeraki peak memory, each page once (${unit})`,
        value: distinctMb,
        limit,
        pass: distinctMb <= limit,
      });
    }
  }
  return [...out, ...moonshots];
}

function cpuPct(run: RunResult, role: string): string {
  const cpu = run.cpu[role];
  if (cpu === undefined || Number.isNaN(cpu.user)) return '-';
  // `other` is a difference of samples taken a few ms apart, so it can dip just below zero.
  return `${Math.max(0, Math.round((100 * (cpu.user + cpu.sys)) / run.duration_s))}`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map(w => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const fmt = (n: number | undefined, digits = 2) => (n === undefined ? '-' : n.toFixed(digits));

/** A protocol as the report names it. */
export interface ReportSection {
  name: string;
  title: string;
}

function runsTable(results: ShapeResults[]): string {
  const rows: string[][] = [];
  for (const { shape, runs } of results) {
    for (const [target, run] of Object.entries(runs)) {
      rows.push([
        shapeName(shape),
        target,
        Math.round(run.rps).toLocaleString('en-US'),
        run.p50_us.toFixed(0),
        run.p99_us.toFixed(0),
        run.p999_us.toFixed(0),
        String(run.errors + run.conn_failures),
        cpuPct(run, 'client'),
        cpuPct(run, 'server'),
        cpuPct(run, 'proxy'),
        cpuPct(run, 'other'),
        fmt(target === 'direct' ? undefined : proxyCpuPerCallUs(run), 1),
      ]);
    }
  }
  return table(
    [
      'shape',
      'target',
      'rps',
      'p50 µs',
      'p99 µs',
      'p99.9 µs',
      'errors',
      'cpu% client',
      'server',
      'proxy',
      'other',
      'proxy µs/call',
    ],
    rows,
  );
}

function ratiosTable(all: Ratios[]): string {
  return table(
    [
      'shape',
      'workers',
      'haproxy/direct rps',
      'aeraki/direct rps',
      'aeraki/haproxy rps',
      'aeraki/haproxy p99',
    ],
    all.map(r => [
      r.shape,
      String(r.workers),
      fmt(r.haproxyVsDirectRps),
      fmt(r.aerakiVsDirectRps),
      fmt(r.aerakiVsHaproxyRps),
      fmt(r.aerakiVsHaproxyP99),
    ]),
  );
}

/** The human-readable report: the runs and ratios of each protocol, then the verdict and the notes. */
export function renderText(
  sections: readonly ReportSection[],
  results: ShapeResults[],
  all: Ratios[],
  checks: Verdict[],
  notes: string[],
  memory: AerakiMemory = NO_MEMORY,
): string {
  const out: string[] = [];
  for (const { name, title } of sections) {
    if (out.length > 0) out.push('');
    out.push(
      `${title}:`,
      '',
      runsTable(results.filter(r => r.protocol === name)),
      '',
      ratiosTable(all.filter(r => r.protocol === name)),
    );
  }
  const rss = Object.entries(memory.peakRssMb).map(([label, mb]) => {
    const sampled = memory.sampledRssMb[label];
    const detail = sampled === undefined || sampled >= mb ? '' : ` (${sampled.toFixed(1)} in the samples)`;
    return `${label} ${mb.toFixed(1)} MiB${detail}`;
  });
  if (rss.length > 0) out.push('', `aeraki peak RSS (summed over its processes): ${rss.join(', ')}`);
  const distinct = Object.entries(memory.distinctMb).map(([label, mb]) => `${label} ${mb.toFixed(1)} MiB`);
  if (distinct.length > 0) {
    out.push(`aeraki peak memory (its processes together, each physical page once): ${distinct.join(', ')}`);
  }
  const goals = checks.filter(c => c.moonshot !== true);
  const moonshots = checks.filter(c => c.moonshot === true);
  const value = (c: Verdict) => (Number.isInteger(c.value) ? String(c.value) : fmt(c.value));
  if (goals.length > 0) {
    out.push('', 'verdict:');
    for (const c of goals) {
      const op = c.check.includes('throughput') ? '>=' : '<=';
      out.push(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.check} = ${value(c)} (goal ${op} ${c.limit})`);
    }
  }
  if (moonshots.length > 0) {
    out.push('', 'moonshot (not a goal):');
    for (const c of moonshots) {
      out.push(`  ${c.pass ? 'reached' : 'not yet'}  ${c.check} = ${value(c)} (moonshot >= ${c.limit})`);
    }
  }
  if (notes.length > 0) out.push('', 'notes:', ...notes.map(n => `  - ${n}`));
  return out.join('\n');
}
