/**
 * `node --expose-gc dist/bench/map-churn-gc.js [map|table] [ms]`: the V8 behaviour behind the proxy's
 * old slow mode (bench/README.md), without the proxy. Requests of 256 at a time are put into a
 * long-lived table of requests in flight and deleted again, as an upstream connection does; halfway,
 * one full GC runs. With a `Map` (the default), scavenges keep most of what was allocated from then
 * on and full GCs follow one another; with the proxy's InFlightTable they do not. Prints the full
 * GCs and the scavenge time after the forced one (from PerformanceObserver's `gc` entries).
 */
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { InFlightTable } from '../src/upstream/in-flight-table.js';

interface FakeRequest {
  readonly id: number;
  readonly parts: readonly { readonly i: number }[];
}

const kind = process.argv[2] ?? 'map';
const durationMs = Number(process.argv[3] ?? 4000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
if (kind !== 'map' && kind !== 'table') throw new Error(`expected map or table, not ${kind}`);

const pending = kind === 'map' ? new Map<number, FakeRequest>() : new InFlightTable<FakeRequest>();
let fullGcs = 0;
let scavengeMs = 0;
let forcedAt = Infinity;
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) {
    if (entry.startTime < forcedAt) continue;
    const gcKind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    if (gcKind === constants.NODE_PERFORMANCE_GC_MAJOR) fullGcs++;
    if (gcKind === constants.NODE_PERFORMANCE_GC_MINOR) scavengeMs += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

let nextId = 0;
const inFlight: FakeRequest[] = [];
const start = performance.now();
let requests = 0;
while (performance.now() - start < durationMs) {
  for (let k = 0; k < 256; k++) {
    const request = { id: nextId++, parts: Array.from({ length: 20 }, (_, i) => ({ i })) };
    pending.set(request.id, request);
    inFlight.push(request);
  }
  if (forcedAt === Infinity && performance.now() - start > durationMs / 2) {
    forcedAt = performance.now();
    gc();
  }
  for (let request = inFlight.pop(); request !== undefined; request = inFlight.pop()) {
    pending.delete(request.id);
    requests++;
  }
}
// The observer reports asynchronously: print once it has seen the last entries.
setTimeout(() => {
  process.stdout.write(
    `${kind}: ${requests} requests; after the forced full GC: ${fullGcs} full GCs, ` +
      `${scavengeMs.toFixed(0)} ms in scavenges\n`,
  );
}, 100);
