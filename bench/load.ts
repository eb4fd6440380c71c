/**
 * Runs the C load generator once against one target and samples the CPU of the other processes
 * (server, proxy) over exactly the measured phase, which the load generator marks on stderr.
 */
import { createInterface } from 'node:readline';
import { cpuDelta, machineCpu, mainThreadCpu, treeCpu } from './proc-stats.js';
import type { CpuTime } from './proc-stats.js';
import { startProcess, stopProcess } from './processes.js';

/** A load shape: connections x calls in flight per connection. */
export interface Shape {
  conns: number;
  depth: number;
}

/** What a load generator prints (see bench/native/loadgen_loop.h). */
export interface LoadgenResult {
  /** The size of one call on the wire. */
  request_bytes: number;
  requests: number;
  errors: number;
  conn_failures: number;
  live_conns: number;
  outstanding: number;
  stalls: number;
  rps: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
  cpu_user_s: number;
  cpu_sys_s: number;
  duration_s: number;
}

/** One measured run: the load generator's figures plus the CPU of each watched process. */
export interface RunResult extends LoadgenResult {
  /**
   * CPU seconds during the measured phase: `client`, each watched process by role (`server`, `proxy`),
   * `machine` (every process) and `other` (machine minus ours: noise from elsewhere).
   */
  cpu: Record<string, CpuTime>;
}

export interface LoadOptions {
  /** The protocol's compiled load generator. */
  loadgen: string;
  host: string;
  port: number;
  shape: Shape;
  durationS: number;
  warmupS: number;
  payload: number;
  /** Processes whose CPU to sample, by role (e.g. server, proxy). */
  watch: Record<string, number>;
  /**
   * Processes whose main thread's CPU to sample as well, by role (reported as `ROLE-main`, and not
   * counted again in `other`).
   */
  mainThreads?: Record<string, number>;
}

function sampleAll(opts: LoadOptions): Record<string, CpuTime> {
  const out: Record<string, CpuTime> = {};
  for (const [role, pid] of Object.entries(opts.watch)) out[role] = treeCpu(pid);
  for (const [role, pid] of Object.entries(opts.mainThreads ?? {})) out[`${role}-main`] = mainThreadCpu(pid);
  out['machine'] = machineCpu();
  return out;
}

/** Runs one warm-up plus measurement; rejects if the load generator fails or hangs. */
export async function runLoad(opts: LoadOptions): Promise<RunResult> {
  const args = [
    opts.host,
    String(opts.port),
    String(opts.shape.conns),
    String(opts.shape.depth),
    String(opts.durationS),
    String(opts.warmupS),
    String(opts.payload),
  ];
  const child = startProcess(opts.loadgen, args);
  let stdout = '';
  let stderrOther = '';
  let before: Record<string, CpuTime> | undefined;
  let after: Record<string, CpuTime> | undefined;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  if (child.stderr !== null) {
    createInterface({ input: child.stderr }).on('line', line => {
      if (line === 'measure-start') before = sampleAll(opts);
      else if (line === 'measure-end') after = sampleAll(opts);
      else stderrOther += `${line}\n`;
    });
  }
  const deadlineMs = (opts.durationS + opts.warmupS + 15) * 1000;
  const timer = setTimeout(() => void stopProcess(child, 500, 'SIGKILL'), deadlineMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c: number | null, s: NodeJS.Signals | null) => resolve([c, s]));
  });
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(`load generator exited with ${code ?? signal}: ${stderrOther.trim() || '(no output)'}`);
  }
  const result = JSON.parse(stdout) as LoadgenResult;
  const cpu: Record<string, CpuTime> = {};
  const mainRoles = Object.keys(opts.mainThreads ?? {}).map(role => `${role}-main`);
  for (const role of [...Object.keys(opts.watch), ...mainRoles, 'machine']) {
    const b = before?.[role];
    const a = after?.[role];
    cpu[role] = b !== undefined && a !== undefined ? cpuDelta(b, a) : { user: NaN, sys: NaN };
  }
  cpu['client'] = { user: result.cpu_user_s, sys: result.cpu_sys_s };
  // What the rest of the machine (other users, the driver itself) took while this run measured.
  const ours = Object.entries(cpu).filter(([role]) => role !== 'machine' && !mainRoles.includes(role));
  const machine = cpu['machine'] ?? { user: NaN, sys: NaN };
  cpu['other'] = {
    user: machine.user - ours.reduce((sum, [, c]) => sum + c.user, 0),
    sys: machine.sys - ours.reduce((sum, [, c]) => sum + c.sys, 0),
  };
  if (stderrOther.trim() !== '') process.stderr.write(`  loadgen: ${stderrOther.trim()}\n`);
  return { ...result, cpu };
}
