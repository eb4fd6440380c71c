/**
 * What one benchmark run measured (also the `--json` output), and the goals checked against it.
 */
import type { InProcessResult } from './in-process.js';
import type { PhaseProfile } from './profile-phases.js';

/** One edit of a MetaRouter file, followed until every proxy ACKed the new route version. */
export interface EditResult {
  /** File written → the control plane logged `config published` (watch, reload, translate, encode). */
  readonly publishMs: number | null;
  /** File written → the first proxy received the new RouteConfiguration version. */
  readonly firstResponseMs: number | null;
  /** File written → the last proxy received it. */
  readonly lastResponseMs: number | null;
  /** File written → the last proxy ACKed it; null when not all did within the time limit. */
  readonly allAckedMs: number | null;
  readonly ackedProxies: number;
  /** Bytes the proxies received for this edit, all proxies together. */
  readonly bytesReceived: number;
  /** CPU seconds of the control plane and of the benchmark process (the simulated proxies). */
  readonly controlPlaneCpuS: number;
  readonly benchCpuS: number;
}

/** One count of simulated proxies against one control plane. */
export interface ProxyResult {
  readonly proxies: number;
  /** Connecting the proxies added for this step (in waves) until all are synced; null on timeout. */
  readonly syncMs: number | null;
  readonly syncedProxies: number;
  /** Bytes received by all proxies while syncing. */
  readonly syncBytes: number;
  readonly syncControlPlaneCpuS: number;
  /** Control plane RSS once synced, and the highest sampled during this step. */
  readonly rssAfterSyncMb: number;
  readonly maxRssMb: number;
  readonly edits: readonly EditResult[];
  readonly error?: string;
}

export interface ControlPlaneResult {
  /** Spawn → `ready` (config loaded, translated, published; xDS listening). */
  readonly startupMs: number | null;
  /** RSS one second after ready, no proxy connected. */
  readonly idleRssMb: number;
  /** VmHWM at the end of the run: the peak over everything measured. */
  readonly peakRssMb: number;
  readonly cpuS: number;
  readonly errors: readonly string[];
  readonly error?: string;
}

export interface ServiceResult {
  readonly services: number;
  readonly config: { readonly files: number; readonly documents: number; readonly bytes: number };
  readonly generateMs: number;
  readonly inProcess?: InProcessResult;
  readonly controlPlane?: ControlPlaneResult;
  readonly proxies: readonly ProxyResult[];
  /** The control plane's CPU per phase, with --cpu-prof. */
  readonly profile?: readonly PhaseProfile[];
}

export interface GoalCheck {
  readonly goal: string;
  readonly measured: string;
  readonly status: 'pass' | 'FAIL' | 'not measured';
}

export interface BenchResult {
  readonly command: string;
  readonly machine: { readonly cpus: number; readonly loadAverage: readonly number[]; readonly node: string };
  readonly options: Readonly<Record<string, unknown>>;
  readonly services: readonly ServiceResult[];
  readonly goals: readonly GoalCheck[];
  /** CPU share of other processes on the machine during the run (other agents, the OS). */
  readonly otherCpuShare: number;
  readonly totalMs: number;
}

export const GOAL_TRANSLATE_MS = 1000;
export const GOAL_UPDATE_MS = 2000;
export const GOAL_RSS_MB = 500;

function worstEdit(p: ProxyResult): number | null {
  if (p.edits.length === 0 || p.edits.some(e => e.allAckedMs === null)) return null;
  return Math.max(...p.edits.map(e => e.allAckedMs ?? 0));
}

export function checkGoals(services: readonly ServiceResult[]): GoalCheck[] {
  const at10k = services.find(s => s.services === 10_000);
  const goals: GoalCheck[] = [];

  const translate = at10k?.inProcess?.translate.medianMs;
  goals.push({
    goal: `10,000 services translate in < ${GOAL_TRANSLATE_MS} ms`,
    measured: translate === undefined ? '-' : `${translate.toFixed(0)} ms`,
    status: translate === undefined ? 'not measured' : translate < GOAL_TRANSLATE_MS ? 'pass' : 'FAIL',
  });

  // Every config size against which 1,000 proxies were run (or tried).
  const withThousand = services.flatMap(s => {
    const p = s.proxies.find(x => x.proxies === 1000);
    return p === undefined ? [] : [{ s, p }];
  });
  if (withThousand.length === 0) {
    goals.push({
      goal: `1,000 proxies updated in < ${GOAL_UPDATE_MS} ms`,
      measured: '-',
      status: 'not measured',
    });
  }
  for (const { s, p } of withThousand) {
    const worst = worstEdit(p);
    const attempted = p.edits.length > 0;
    // A control plane that died before the proxies were updated failed the goal.
    const died = s.controlPlane?.error !== undefined;
    goals.push({
      goal: `1,000 proxies updated in < ${GOAL_UPDATE_MS} ms (at ${s.services} services)`,
      measured:
        worst !== null
          ? `${worst.toFixed(0)} ms (worst of ${p.edits.length})`
          : attempted
            ? 'not all proxies ACKed in time'
            : `not updated: ${(p.error ?? 'proxies never synced').slice(0, 160)}`,
      status:
        worst === null
          ? attempted || died
            ? 'FAIL'
            : 'not measured'
          : worst < GOAL_UPDATE_MS
            ? 'pass'
            : 'FAIL',
    });
  }

  const cp = at10k?.controlPlane;
  goals.push({
    goal: `control-plane RSS < ${GOAL_RSS_MB} MB at 10,000 services (peak, proxies connected)`,
    measured:
      cp === undefined
        ? '-'
        : `${cp.peakRssMb.toFixed(0)} MiB peak, ${cp.idleRssMb.toFixed(0)} MiB idle${cp.error === undefined ? '' : ' (control plane died)'}`,
    status: cp === undefined ? 'not measured' : cp.peakRssMb < GOAL_RSS_MB ? 'pass' : 'FAIL',
  });
  return goals;
}
