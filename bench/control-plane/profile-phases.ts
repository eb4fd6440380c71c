/**
 * Where the control plane spent its CPU in each phase of the benchmark (startup, syncing proxies,
 * edits), from the `.cpuprofile` that `node --cpu-prof` writes. V8 stamps samples with the monotonic
 * clock that `process.hrtime` reads, so the benchmark's own phase boundaries cut the child's profile.
 * Functions are ranked by self time and by inclusive time (the function and everything it called),
 * which names the pipeline stage: loadConfig, translate, encodeSnapshot, AdsStream.respond, …
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
}

/** A span of the benchmark, in µs of the monotonic clock (`process.hrtime`). */
export interface PhaseWindow {
  readonly phase: string;
  readonly startUs: number;
  readonly endUs: number;
}

export interface PhaseFunction {
  readonly name: string;
  readonly location: string;
  readonly ms: number;
}

export interface PhaseProfile {
  readonly phase: string;
  readonly wallMs: number;
  /** Sampled time not idle. */
  readonly busyMs: number;
  readonly gcMs: number;
  readonly self: readonly PhaseFunction[];
  readonly inclusive: readonly PhaseFunction[];
}

/** The monotonic clock in µs, as the profile's timestamps. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Frames that are not code: left out of the rankings. */
const NOT_CODE = new Set(['(root)', '(idle)', '(program)', '(garbage collector)']);

function frameKey(node: ProfileNode, root: string): { key: string; name: string; location: string } {
  const f = node.callFrame;
  const name = f.functionName || '(anonymous)';
  const path = f.url.startsWith('file://') ? relative(root, new URL(f.url).pathname) : f.url;
  const location = path === '' ? '' : `${path}:${f.lineNumber + 1}`;
  return { key: `${name}@${location}`, name, location };
}

type Ranked = { -readonly [K in keyof PhaseFunction]: PhaseFunction[K] };

function top(map: Map<string, Ranked>, n: number): PhaseFunction[] {
  return [...map.values()].sort((a, b) => b.ms - a.ms).slice(0, n);
}

/** Self and inclusive rankings per phase (windows of one phase add up), over every profile in `dir`. */
export function profilePhases(
  dir: string,
  root: string,
  windows: readonly PhaseWindow[],
  n = 12,
): PhaseProfile[] {
  const phases = [...new Set(windows.map(w => w.phase))];
  const acc = phases.map(() => ({
    wallUs: 0,
    busyUs: 0,
    gcUs: 0,
    self: new Map<string, Ranked>(),
    inclusive: new Map<string, Ranked>(),
  }));
  for (const file of readdirSync(dir).filter(f => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map(node => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const keys = new Map(profile.nodes.map(node => [node.id, frameKey(node, root)]));
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      const dt = profile.timeDeltas[i] ?? 0;
      t += dt;
      if (dt <= 0) continue;
      const w = windows.find(win => t >= win.startUs && t < win.endUs);
      if (w === undefined) continue;
      const a = acc[phases.indexOf(w.phase)]!;
      const id = profile.samples[i]!;
      const frame = keys.get(id);
      if (frame === undefined || frame.name === '(idle)') continue;
      a.busyUs += dt;
      if (frame.name === '(garbage collector)') a.gcUs += dt;
      if (NOT_CODE.has(frame.name)) continue;
      const add = (map: Map<string, Ranked>, f: { key: string; name: string; location: string }) => {
        const entry = map.get(f.key);
        if (entry === undefined) map.set(f.key, { name: f.name, location: f.location, ms: dt / 1000 });
        else entry.ms += dt / 1000;
      };
      add(a.self, frame);
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const f = keys.get(cur);
        if (f === undefined || NOT_CODE.has(f.name) || seen.has(f.key) || byId.get(cur) === undefined)
          continue;
        seen.add(f.key);
        add(a.inclusive, f);
      }
    }
  }
  for (const win of windows) acc[phases.indexOf(win.phase)]!.wallUs += win.endUs - win.startUs;
  return phases.map((phase, i) => {
    const a = acc[i]!;
    return {
      phase,
      wallMs: a.wallUs / 1000,
      busyMs: a.busyUs / 1000,
      gcMs: a.gcUs / 1000,
      self: top(a.self, n),
      inclusive: top(a.inclusive, n),
    };
  });
}
