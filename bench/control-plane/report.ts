/**
 * The human-readable report: one table for the pipeline stages per config size, one for the proxy
 * runs, the goals, and the control plane's hottest functions when profiled.
 */
import type { BenchResult, EditResult, ProxyResult, ServiceResult } from './results.js';

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)));
  // Figures right-aligned, words left-aligned.
  const numeric = header.map((_, i) => rows.every(r => /^[-\d.,/ ()+]*$/.test(r[i] ?? '')));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map(w => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v.toFixed(0));
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function editStat(edits: readonly EditResult[], pick: (e: EditResult) => number | null): string {
  const values = edits.map(pick).filter((v): v is number => v !== null);
  if (values.length === 0) return '-';
  if (values.length === 1) return ms(values[0]);
  return `${ms(median(values))} / ${ms(Math.max(...values))}`;
}

/** CPU medians of stages, in brackets (older results have none). */
function cpu(...stages: readonly { readonly cpuMedianMs?: number }[]): string {
  if (stages.some(s => s.cpuMedianMs === undefined)) return '';
  return `[${ms(stages.reduce((sum, s) => sum + s.cpuMedianMs!, 0))} CPU]`;
}

function stageRows(services: readonly ServiceResult[]): string[][] {
  return services.map(s => {
    const p = s.inProcess;
    const cp = s.controlPlane;
    return [
      String(s.services),
      `${s.config.files}/${s.config.documents}/${mb(s.config.bytes)}`,
      p === undefined ? '-' : `${ms(p.load.medianMs)} (${ms(p.load.firstMs)}) ${cpu(p.load)}`,
      p === undefined ? '-' : `${ms(p.translate.medianMs)} (${ms(p.translate.firstMs)}) ${cpu(p.translate)}`,
      p === undefined
        ? '-'
        : `${ms(p.encode.medianMs)} + ${ms(p.snapshot.medianMs)} ${cpu(p.encode, p.snapshot)}`,
      p === undefined ? '-' : p.sizes.map(t => t.resources).join('/'),
      p === undefined ? '-' : mb(p.fullStateBytes),
      cp === undefined || cp.startupMs === null
        ? '-'
        : `${ms(cp.startupMs)} (${cp.startupCpuS?.toFixed(1) ?? '-'} s CPU)`,
      cp === undefined ? '-' : cp.idleRssMb.toFixed(0),
      cp === undefined ? '-' : cp.peakRssMb.toFixed(0),
    ];
  });
}

function proxyRows(services: readonly ServiceResult[]): string[][] {
  const rows: string[][] = [];
  for (const s of services) {
    for (const p of s.proxies) rows.push(proxyRow(s.services, p));
  }
  return rows;
}

function proxyRow(services: number, p: ProxyResult): string[] {
  const acked = p.edits.length === 0 ? '-' : `${Math.min(...p.edits.map(e => e.ackedProxies))}`;
  const unaffected = p.edits.reduce((n, e) => n + e.unaffectedResponses, 0);
  return [
    String(services),
    String(p.proxies),
    p.namespaces === 0 ? p.transport : `${p.transport}, ${p.namespaces} ns`,
    p.syncMs === null ? `timeout (${p.syncedProxies} synced)` : ms(p.syncMs),
    mb(p.syncBytes),
    `${p.syncControlPlaneCpuS.toFixed(1)} + ${p.syncBenchCpuS.toFixed(1)}`,
    String(p.edits.length),
    editStat(p.edits, e => e.publishMs),
    editStat(p.edits, e => e.firstResponseMs),
    editStat(p.edits, e => e.allAckedMs),
    p.edits.length === 0 ? '-' : `${acked}/${p.edits[0]!.affectedProxies}`,
    p.edits.length === 0 || p.edits[0]!.unaffectedProxies === 0
      ? '-'
      : `${unaffected}/${p.edits[0]!.unaffectedProxies}`,
    p.edits.length === 0 ? '-' : mb(p.edits[0]!.bytesReceived),
    p.edits.length === 0 ? '-' : p.edits.map(e => e.controlPlaneCpuS.toFixed(1)).join(','),
    p.edits.length === 0 ? '-' : p.edits.map(e => e.benchCpuS.toFixed(1)).join(','),
    p.rssAfterSyncMb === 0 ? '-' : p.rssAfterSyncMb.toFixed(0),
    p.maxRssMb.toFixed(0),
  ];
}

export function formatReport(result: BenchResult): string {
  const out: string[] = [];
  out.push(`command: ${result.command}`);
  out.push(
    `machine: ${result.machine.cpus} cores, load average at start ${result.machine.loadAverage.map(l => l.toFixed(2)).join(' ')}, node ${result.machine.node}; other processes used ${(result.otherCpuShare * 100).toFixed(0)}% of the machine's CPU during the run`,
  );
  out.push('');
  out.push(
    'Pipeline (in-process: median of runs, first run in parentheses, median CPU in brackets; times in ms)',
  );
  out.push(
    table(
      [
        'services',
        'files/docs/MB',
        'load+validate',
        'translate',
        'encode+snapshot',
        'CDS/EDS/LDS/RDS',
        'state MB',
        'cp startup',
        'cp RSS idle MiB',
        'cp RSS peak MiB',
      ],
      stageRows(result.services),
    ),
  );
  out.push('');
  out.push(
    `Proxies speaking ${result.options['api'] === 'sotw' ? 'state-of-the-world' : 'delta'} ADS (edit → …: median / max over edits, ms; sync = connect in waves until every stream ACKed all four types; unaffected resp = responses the proxies that do not see the edited service received, over all edits)`,
  );
  out.push(
    table(
      [
        'services',
        'proxies',
        'xDS',
        'sync ms',
        'sync MB',
        'sync CPU s cp + bench',
        'edits',
        'edit→published',
        'edit→1st resp',
        'edit→all ACKed',
        'ACKed/affected',
        'unaffected resp/proxies',
        'MB/edit',
        'cp CPU s/edit',
        'bench CPU s/edit',
        'RSS synced MiB',
        'RSS max MiB',
      ],
      proxyRows(result.services),
    ),
  );
  const errors = result.services.flatMap(s => [
    ...(s.controlPlane?.error === undefined ? [] : [`${s.services} services: ${s.controlPlane.error}`]),
    ...s.proxies.flatMap(p =>
      p.error === undefined
        ? []
        : [`${s.services} services × ${p.proxies} proxies (${p.transport}): ${p.error}`],
    ),
  ]);
  if (errors.length > 0) {
    out.push('');
    out.push('Problems:');
    for (const e of errors) out.push(`  ${e}`);
  }
  out.push('');
  out.push('Goals');
  out.push(
    table(
      ['goal', 'measured', 'status'],
      result.goals.map(g => [g.goal, g.measured, g.status]),
    ),
  );
  for (const s of result.services) {
    for (const phase of s.profile ?? []) {
      out.push('');
      out.push(
        `Control plane CPU at ${s.services} services, ${phase.phase}: ${ms(phase.busyMs)} ms busy (GC ${ms(phase.gcMs)} ms) in ${ms(phase.wallMs)} ms wall`,
      );
      const rows: string[][] = [];
      for (let i = 0; i < Math.max(phase.inclusive.length, phase.self.length); i++) {
        const inc = phase.inclusive[i];
        const self = phase.self[i];
        rows.push([
          inc === undefined ? '' : `${inc.name} ${inc.location}`,
          inc === undefined ? '' : ms(inc.ms),
          self === undefined ? '' : `${self.name} ${self.location}`,
          self === undefined ? '' : ms(self.ms),
        ]);
      }
      out.push(table(['inclusive', 'ms', 'self', 'ms'], rows));
    }
  }
  out.push('');
  out.push(`total ${(result.totalMs / 1000).toFixed(0)} s`);
  return out.join('\n');
}
