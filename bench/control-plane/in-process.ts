/**
 * The control plane's pipeline timed stage by stage in the benchmark's own process, with the library
 * functions the control plane calls: load + validate (loadConfig), translate, xDS encoding
 * (encodeSnapshot), and the snapshot the ADS server builds from it (ResourceSnapshot.from: each
 * resource wrapped as an Any once, hashed, cluster references checked).
 */
import { ResourceSnapshot } from '../../src/control-plane/cache/index.js';
import { loadConfig, translate, type LoadedConfig } from '../../src/control-plane/index.js';
import { encodeSnapshot, TypeUrls, type ProxySnapshot, type XdsResource } from '../../src/xds/index.js';

/** Timings of one stage, in ms. */
export interface StageTiming {
  /** The first run (cold: JIT not warmed up). */
  readonly firstMs: number;
  /** Median of all runs. */
  readonly medianMs: number;
  /** Median of the CPU time of the runs (all threads: the collector's helpers too). */
  readonly cpuMedianMs: number;
  readonly runs: number;
}

/** Resource count and encoded bytes of one xDS type. */
export interface TypeSize {
  readonly typeUrl: string;
  readonly resources: number;
  readonly bytes: number;
}

export interface InProcessResult {
  readonly load: StageTiming;
  readonly translate: StageTiming;
  readonly encode: StageTiming;
  readonly snapshot: StageTiming;
  readonly issues: { readonly errors: number; readonly warnings: number };
  readonly sizes: readonly TypeSize[];
  /** Bytes of one proxy's full state (what a new proxy is sent). */
  readonly fullStateBytes: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `fn` until `maxRuns` runs or `budgetMs` spent (at least once); keeps the last result. */
async function timed<T>(
  fn: () => T | Promise<T>,
  maxRuns: number,
  budgetMs: number,
): Promise<{ timing: StageTiming; result: T }> {
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  let result: T | undefined;
  const started = performance.now();
  do {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    result = await fn();
    const cpu = process.cpuUsage(cpu0);
    samples.push(performance.now() - t0);
    cpuSamples.push((cpu.user + cpu.system) / 1000);
  } while (samples.length < maxRuns && performance.now() - started < budgetMs);
  return {
    timing: {
      firstMs: samples[0]!,
      medianMs: median(samples),
      cpuMedianMs: median(cpuSamples),
      runs: samples.length,
    },
    result,
  };
}

/**
 * Times each stage up to `maxRuns` times, stopping a stage's repeats once it has used `budgetMs`
 * (a slow stage is run once).
 */
export async function measureInProcess(
  dir: string,
  maxRuns: number,
  budgetMs: number,
  progress: (line: string) => void,
): Promise<InProcessResult> {
  const load = await timed<LoadedConfig>(() => loadConfig(dir), maxRuns, budgetMs);
  progress(`load+validate ${load.timing.medianMs.toFixed(0)} ms (${load.timing.runs} runs)`);
  const loaded = load.result;
  const translated = await timed<ProxySnapshot>(() => translate(loaded.config), maxRuns, budgetMs);
  progress(`translate ${translated.timing.medianMs.toFixed(0)} ms (${translated.timing.runs} runs)`);
  const encoded = await timed<XdsResource[]>(() => encodeSnapshot(translated.result), maxRuns, budgetMs);
  progress(`encode ${encoded.timing.medianMs.toFixed(0)} ms (${encoded.timing.runs} runs)`);
  const snapshot = await timed(() => ResourceSnapshot.from(encoded.result), maxRuns, budgetMs);
  progress(`snapshot ${snapshot.timing.medianMs.toFixed(0)} ms (${snapshot.timing.runs} runs)`);

  const sizes: TypeSize[] = [];
  for (const typeUrl of [
    TypeUrls.cluster,
    TypeUrls.clusterLoadAssignment,
    TypeUrls.listener,
    TypeUrls.routeConfiguration,
  ]) {
    const entries = snapshot.result.types.get(typeUrl)?.entries;
    let bytes = 0;
    for (const e of entries?.values() ?? []) bytes += e.wire.length;
    sizes.push({ typeUrl, resources: entries?.size ?? 0, bytes });
  }
  return {
    load: load.timing,
    translate: translated.timing,
    encode: encoded.timing,
    snapshot: snapshot.timing,
    issues: {
      errors: loaded.issues.filter(i => i.severity === 'error').length,
      warnings: loaded.issues.filter(i => i.severity === 'warning').length,
    },
    sizes,
    fullStateBytes: sizes.reduce((sum, s) => sum + s.bytes, 0),
  };
}
