/**
 * Summarises V8 `.cpuprofile` files (written by `node --cpu-prof`): functions ranked by self time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A function's share of the sampled time. */
export interface HotFunction {
  name: string;
  location: string;
  selfMs: number;
  selfPct: number;
}

function location(url: string, line: number, root: string): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url;
  return `${path}:${line + 1}`;
}

/** The `top` functions by self time over every .cpuprofile in `dir`; paths shown relative to `root`. */
export function summariseProfiles(dir: string, root: string, top = 20): HotFunction[] {
  const selfUs = new Map<string, { name: string; location: string; us: number }>();
  let totalUs = 0;
  for (const file of readdirSync(dir).filter(f => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map(n => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const node = byId.get(id);
      const dt = profile.timeDeltas[i] ?? 0;
      if (node === undefined || dt < 0) return;
      const frame = node.callFrame;
      const name = frame.functionName || '(anonymous)';
      const where = location(frame.url, frame.lineNumber, root);
      const key = `${name}@${where}`;
      const entry = selfUs.get(key) ?? { name, location: where, us: 0 };
      entry.us += dt;
      selfUs.set(key, entry);
      totalUs += dt;
    });
  }
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map(e => ({ name: e.name, location: e.location, selfMs: e.us / 1000, selfPct: (100 * e.us) / totalUs }));
}
