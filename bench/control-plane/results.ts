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
  /** Proxies that see the edited MetaRouter (followed until they ACKed), and the others. */
  readonly affectedProxies: number;
  readonly unaffectedProxies: number;
  /** Responses of any type the unaffected proxies received from the edit until a second after the last ACK. */
  readonly unaffectedResponses: number;
}

/** How the simulated proxies reach the control plane: plaintext, or TLS with client certificates. */
export type Transport = 'plaintext' | 'mtls';

/** One count of simulated proxies against one control plane. */
export interface ProxyResult {
  readonly proxies: number;
  readonly transport: Transport;
  /** Namespaces the proxies are spread over (0: they name none and see the whole mesh). */
  readonly namespaces: number;
  /** Connecting the proxies added for this step (in waves) until all are synced; null on timeout. */
  readonly syncMs: number | null;
  readonly syncedProxies: number;
  /** Bytes received by all proxies while syncing. */
  readonly syncBytes: number;
  readonly syncControlPlaneCpuS: number;
  /** CPU seconds of the benchmark process (the simulated proxies) while syncing. */
  readonly syncBenchCpuS: number;
  /** Control plane RSS once synced, and the highest sampled during this step. */
  readonly rssAfterSyncMb: number;
  readonly maxRssMb: number;
  readonly edits: readonly EditResult[];
  readonly error?: string;
}

export interface ControlPlaneResult {
  /** Spawn → `ready` (config loaded, translated, published; xDS listening). */
  readonly startupMs: number | null;
  /** CPU seconds the control plane had used when ready (the same on a busy machine as on an idle one). */
  readonly startupCpuS: number | null;
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
  readonly status: 'pass' | 'FAIL' | 'not measured' | 'reported';
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
/** Cold start: loaded, validated and translated; and the control plane ready to serve. */
export const GOAL_LOAD_TRANSLATE_MS = 3000;
export const GOAL_READY_MS = 5000;
/** Scoped proxies: 1,000 in 10 namespaces synced; an edit ACKed by every proxy it affects. */
export const GOAL_SCOPED_SYNC_MS = 15_000;
export const GOAL_SCOPED_UPDATE_MS = 1000;

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

  const inProcess = at10k?.inProcess;
  const loadTranslate =
    inProcess === undefined ? undefined : inProcess.load.medianMs + inProcess.translate.medianMs;
  goals.push({
    goal: `10,000 services loaded, validated and translated in < ${GOAL_LOAD_TRANSLATE_MS} ms (in-process)`,
    measured:
      loadTranslate === undefined || inProcess === undefined
        ? '-'
        : `${loadTranslate.toFixed(0)} ms (${(inProcess.load.cpuMedianMs + inProcess.translate.cpuMedianMs).toFixed(0)} ms of CPU)`,
    status:
      loadTranslate === undefined ? 'not measured' : loadTranslate < GOAL_LOAD_TRANSLATE_MS ? 'pass' : 'FAIL',
  });
  const ready = at10k?.controlPlane?.startupMs ?? undefined;
  const readyCpu = at10k?.controlPlane?.startupCpuS ?? undefined;
  goals.push({
    goal: `control plane ready to serve 10,000 services in < ${GOAL_READY_MS} ms`,
    measured:
      ready === undefined ? '-' : `${ready.toFixed(0)} ms (${readyCpu?.toFixed(1) ?? '-'} s of its CPU)`,
    status: ready === undefined ? 'not measured' : ready < GOAL_READY_MS ? 'pass' : 'FAIL',
  });

  // Every config size against which 1,000 proxies seeing the whole mesh were run (or tried).
  const withThousand = services.flatMap(s => {
    const p = s.proxies.find(x => x.proxies === 1000 && x.namespaces === 0);
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

  goals.push(...scopedGoals(at10k));

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

/** The goals of proxies spread over namespaces, at 10,000 services. */
function scopedGoals(at10k: ServiceResult | undefined): GoalCheck[] {
  const scoped = (at10k?.proxies ?? []).filter(p => p.proxies === 1000 && p.namespaces > 0);
  if (scoped.length === 0) return [];
  const goals: GoalCheck[] = [];
  const plain = scoped.find(p => p.transport === 'plaintext');
  const mtls = scoped.find(p => p.transport === 'mtls');
  for (const p of scoped) {
    goals.push({
      goal: `1,000 proxies in ${p.namespaces} namespaces synced in < ${GOAL_SCOPED_SYNC_MS} ms (${p.transport})`,
      measured:
        p.syncMs === null ? `not synced: ${(p.error ?? '').slice(0, 120)}` : `${p.syncMs.toFixed(0)} ms`,
      status: p.syncMs === null ? 'FAIL' : p.syncMs < GOAL_SCOPED_SYNC_MS ? 'pass' : 'FAIL',
    });
    const worst = worstEdit(p);
    const affected = p.edits[0]?.affectedProxies ?? 0;
    goals.push({
      goal: `an edit ACKed by every affected proxy in < ${GOAL_SCOPED_UPDATE_MS} ms (${p.transport})`,
      measured:
        worst === null
          ? p.edits.length === 0
            ? '-'
            : 'not all ACKed in time'
          : `${worst.toFixed(0)} ms (worst of ${p.edits.length}; ${affected} affected)`,
      status:
        worst === null
          ? p.edits.length === 0
            ? 'not measured'
            : 'FAIL'
          : worst < GOAL_SCOPED_UPDATE_MS
            ? 'pass'
            : 'FAIL',
    });
    const unaffected = p.edits.reduce((n, e) => n + e.unaffectedResponses, 0);
    goals.push({
      goal: `unaffected proxies receive nothing (${p.transport})`,
      measured:
        p.edits.length === 0
          ? '-'
          : `${unaffected} responses to ${p.edits[0]!.unaffectedProxies} proxies over ${p.edits.length} edits`,
      status: p.edits.length === 0 ? 'not measured' : unaffected === 0 ? 'pass' : 'FAIL',
    });
  }
  if (plain?.syncMs != null && mtls?.syncMs != null) {
    goals.push({
      goal: 'cost of TLS with client certificates on the sync of 1,000 proxies',
      measured: `${mtls.syncMs.toFixed(0)} vs ${plain.syncMs.toFixed(0)} ms plaintext (×${(mtls.syncMs / plain.syncMs).toFixed(2)}); CPU of the control plane ${mtls.syncControlPlaneCpuS.toFixed(1)} vs ${plain.syncControlPlaneCpuS.toFixed(1)} s, of the proxies ${mtls.syncBenchCpuS.toFixed(1)} vs ${plain.syncBenchCpuS.toFixed(1)} s`,
      status: 'reported',
    });
  }
  return goals;
}
