/**
 * Turns benchmark runs into the human table, the ratios between targets and the verdict against the
 * performance goals (DESIGN.md, Performance).
 */
import type { RunResult, Shape } from './load.js';

/** The goals the proxy is judged by, at 32 connections. */
export const GOALS = { minThroughputVsHaproxy: 0.8, maxP99VsHaproxy: 1.5, maxRssMb: 100 } as const;

export interface ShapeResults {
  shape: Shape;
  /** By target name: direct, haproxy, aeraki. */
  runs: Record<string, RunResult>;
}

export interface Ratios {
  shape: string;
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
}

export function shapeName(shape: Shape): string {
  return `${shape.conns}x${shape.depth}`;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

export function ratios(results: ShapeResults[]): Ratios[] {
  return results.map(({ shape, runs }) => ({
    shape: shapeName(shape),
    haproxyVsDirectRps: ratio(runs['haproxy']?.rps, runs['direct']?.rps),
    aerakiVsDirectRps: ratio(runs['aeraki']?.rps, runs['direct']?.rps),
    aerakiVsHaproxyRps: ratio(runs['aeraki']?.rps, runs['haproxy']?.rps),
    aerakiVsHaproxyP99: ratio(runs['aeraki']?.p99_us, runs['haproxy']?.p99_us),
  }));
}

/** Goal checks for every shape with 32 or more connections, plus peak RSS. */
export function verdicts(all: Ratios[], results: ShapeResults[], aerakiPeakRssMb?: number): Verdict[] {
  const out: Verdict[] = [];
  all.forEach((r, i) => {
    const shape = results[i]?.shape;
    if (shape === undefined || shape.conns < 32) return;
    const errors = results[i]?.runs['aeraki']?.errors;
    if (errors !== undefined)
      out.push({ check: `${r.shape} aeraki errors`, value: errors, limit: 0, pass: errors === 0 });
    if (r.aerakiVsHaproxyRps !== undefined) {
      const limit = GOALS.minThroughputVsHaproxy;
      out.push({
        check: `${r.shape} throughput aeraki/haproxy`,
        value: r.aerakiVsHaproxyRps,
        limit,
        pass: r.aerakiVsHaproxyRps >= limit,
      });
    }
    if (r.aerakiVsHaproxyP99 !== undefined) {
      const limit = GOALS.maxP99VsHaproxy;
      out.push({
        check: `${r.shape} p99 aeraki/haproxy`,
        value: r.aerakiVsHaproxyP99,
        limit,
        pass: r.aerakiVsHaproxyP99 <= limit,
      });
    }
  });
  if (aerakiPeakRssMb !== undefined) {
    const limit = GOALS.maxRssMb;
    out.push({
      check: 'aeraki peak RSS (MiB)',
      value: aerakiPeakRssMb,
      limit,
      pass: aerakiPeakRssMb <= limit,
    });
  }
  return out;
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

/** The human-readable report. */
export function renderText(
  results: ShapeResults[],
  all: Ratios[],
  checks: Verdict[],
  notes: string[],
  aerakiPeakRssMb?: number,
): string {
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
      ]);
    }
  }
  const out = [
    table(
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
      ],
      rows,
    ),
    '',
    table(
      ['shape', '', 'haproxy/direct rps', 'aeraki/direct rps', 'aeraki/haproxy rps', 'aeraki/haproxy p99'],
      all.map(r => [
        r.shape,
        '',
        fmt(r.haproxyVsDirectRps),
        fmt(r.aerakiVsDirectRps),
        fmt(r.aerakiVsHaproxyRps),
        fmt(r.aerakiVsHaproxyP99),
      ]),
    ),
  ];
  if (aerakiPeakRssMb !== undefined) out.push('', `aeraki peak RSS: ${aerakiPeakRssMb.toFixed(1)} MiB`);
  if (checks.length > 0) {
    out.push('', 'verdict:');
    for (const c of checks) {
      const op = c.check.includes('throughput') ? '>=' : '<=';
      const value = Number.isInteger(c.value) ? String(c.value) : fmt(c.value);
      out.push(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.check} = ${value} (goal ${op} ${c.limit})`);
    }
  }
  if (notes.length > 0) out.push('', 'notes:', ...notes.map(n => `  - ${n}`));
  return out.join('\n');
}
