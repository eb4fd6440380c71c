/**
 * prom-client's registry and metric classes, and the process metrics of its `collectDefaultMetrics`,
 * loaded from the modules that hold them instead of from its index, for the proxy's and the control
 * plane's registries.
 *
 * The index also loads the Pushgateway client (and with it node's https, tls, crypto and zlib),
 * the cluster aggregator, and the module of the CPU counters, which loads @opentelemetry/api for
 * exemplars (which aeraki does not turn on): together about 6 MiB of RSS in every process that
 * serves metrics (each proxy worker, the primary, the control plane). The CPU counters are made here
 * as prom-client makes them (same names, same help, the same Counter class), without that import.
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

const require = createRequire(import.meta.url);

export const Registry = require('prom-client/lib/registry') as typeof PromClient.Registry;
export type Registry = PromClient.Registry;
export const Counter = require('prom-client/lib/counter') as typeof PromClient.Counter;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export const Gauge = require('prom-client/lib/gauge') as typeof PromClient.Gauge;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export const Histogram = require('prom-client/lib/histogram') as typeof PromClient.Histogram;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;
export type { Metric } from 'prom-client';

/** A default metric's module: it registers its metrics in the registry given. */
type DefaultMetric = (registry: Registry, config: { eventLoopMonitoringPrecision: number }) => void;

/** prom-client's default metrics (lib/defaultMetrics.js), in its order, less `processCpuTotal`. */
const DEFAULT_METRICS = [
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'eventLoopLag',
  ...(typeof process.getActiveResourcesInfo === 'function' ? ['processResources'] : []),
  'processHandles',
  'processRequests',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
  'gc',
];

/**
 * Registers in `registry` the metrics prom-client's `collectDefaultMetrics` registers with its
 * defaults (the process's CPU time, memory, open files, event-loop lag, handles, heap spaces, GC
 * durations, node's version).
 */
export function collectProcessMetrics(registry: Registry): void {
  processCpu(registry);
  const config = { eventLoopMonitoringPrecision: 10 };
  for (const name of DEFAULT_METRICS) {
    (require(`prom-client/lib/metrics/${name}`) as DefaultMetric)(registry, config);
  }
}

/** `process_cpu_*_seconds_total`: the user counter's collect, run when scraped, sets all three. */
function processCpu(registry: Registry): void {
  let last = process.cpuUsage();
  const registers = [registry];
  new Counter({
    name: 'process_cpu_user_seconds_total',
    help: 'Total user CPU time spent in seconds.',
    registers,
    collect() {
      const now = process.cpuUsage();
      const userUs = now.user - last.user;
      const systemUs = now.system - last.system;
      last = now;
      this.inc(userUs / 1e6);
      system.inc(systemUs / 1e6);
      total.inc((userUs + systemUs) / 1e6);
    },
  });
  const system = new Counter({
    name: 'process_cpu_system_seconds_total',
    help: 'Total system CPU time spent in seconds.',
    registers,
  });
  const total = new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers,
  });
}
