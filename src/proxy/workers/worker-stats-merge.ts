/**
 * The admin API of a proxy with workers answers for the whole proxy: it adds up what each worker's
 * own admin API reports. Counters and gauges add (requests, connections, bytes, memory); settings
 * (limits, thresholds, labels) are the same in every worker and are taken from the first.
 */

/** Gauges that are a moment, not an amount: the earliest worker's value stands for the proxy. */
const EARLIEST = /_start_time_seconds$/;
/**
 * Gauges that are a state, not an amount: taken once. The config is the same in every worker (each
 * runs every listener and cluster): a listener rejected in any worker is rejected, a host is healthy
 * when it is in every worker (an ejection reaches every worker). The overload manager watches each
 * worker: the proxy's pressure is the highest worker's, and it stops accepting connections or
 * requests when every worker does (until then the others still take them).
 */
const MOST = /^aeraki_listener_rejected$|^envoy_cluster_membership_total$|^aeraki_overload_pressure$/;
const LEAST = /^envoy_cluster_membership_healthy$|^aeraki_overload_action_active$/;

type Combine = 'sum' | 'min' | 'max';

interface Family {
  readonly header: string[];
  readonly samples: Map<string, number>;
  readonly combine: Combine;
}

function combineOf(name: string): Combine {
  if (EARLIEST.test(name) || LEAST.test(name)) return 'min';
  return MOST.test(name) ? 'max' : 'sum';
}

/**
 * Sums Prometheus text expositions sample by sample (same metric name and labels), keeping each
 * family's HELP and TYPE once and its samples together, as the format requires. Samples in `own`
 * (by name and labels as written, e.g. `envoy_cluster_manager_cds_update_attempt`) are the primary's
 * own figures and replace the workers'.
 */
export function sumPrometheusText(
  texts: readonly string[],
  own: ReadonlyMap<string, number> = new Map(),
): string {
  const families = new Map<string, Family>();
  const familyOf = (name: string): Family => {
    let family = families.get(name);
    if (family === undefined) {
      family = { header: [], samples: new Map(), combine: combineOf(name) };
      families.set(name, family);
    }
    return family;
  };
  for (const text of texts) {
    let current: Family | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('#')) {
        // "# HELP name …" / "# TYPE name …"
        const name = line.split(' ', 3)[2] ?? '';
        current = familyOf(name);
        if (!current.header.includes(line)) current.header.push(line);
        continue;
      }
      const space = line.lastIndexOf(' ');
      const key = line.slice(0, space);
      const value = Number(line.slice(space + 1));
      const family = current ?? familyOf(key.split('{', 1)[0]!);
      const before = family.samples.get(key);
      family.samples.set(
        key,
        before === undefined
          ? value
          : family.combine === 'min'
            ? Math.min(before, value)
            : family.combine === 'max'
              ? Math.max(before, value)
              : before + value,
      );
    }
  }
  const out: string[] = [];
  for (const family of families.values()) {
    out.push(...family.header);
    for (const [key, value] of family.samples) out.push(`${key} ${String(own.get(key) ?? value)}`);
  }
  return out.join('\n') + '\n';
}

export interface JsonMetric {
  readonly name: string;
  readonly values: { labels?: unknown; value: number }[];
}

/**
 * `/stats` (prom-client's JSON, one document per worker, already summed into `summed`): the
 * metrics that are states get, sample by sample, the lowest or highest worker's value instead of
 * the sum, as {@link sumPrometheusText} does.
 */
export function combineStateMetrics(
  summed: readonly JsonMetric[],
  docs: readonly (readonly JsonMetric[])[],
): void {
  for (const metric of summed) {
    const combine = combineOf(metric.name);
    if (combine === 'sum') continue;
    for (const sample of metric.values) {
      const labels = JSON.stringify(sample.labels ?? {});
      const values: number[] = [];
      for (const doc of docs) {
        const same = doc.find(m => m.name === metric.name);
        const value = same?.values.find(v => JSON.stringify(v.labels ?? {}) === labels)?.value;
        if (value !== undefined) values.push(value);
      }
      if (values.length > 0) sample.value = combine === 'min' ? Math.min(...values) : Math.max(...values);
    }
  }
}

/**
 * Keys of array elements that say which element of another worker's array is the same thing: a
 * name, an address, or the labels of a metric's sample.
 */
const IDENTITY_KEYS = ['name', 'address', 'labels'] as const;

/**
 * Values that hold for the proxy only when they hold in every worker: a tap opened through the
 * proxy's admin API is attached once it is attached in every worker (`taps`: the fewest), and a host
 * is healthy when no worker has it ejected (`healthy`: all).
 */
const EVERY_WORKER: ReadonlyMap<string, (a: unknown, b: unknown) => unknown> = new Map([
  ['taps', (a: unknown, b: unknown) => (typeof a === 'number' && typeof b === 'number' ? Math.min(a, b) : a)],
  ['healthy', (a: unknown, b: unknown) => (typeof a === 'boolean' && typeof b === 'boolean' ? a && b : a)],
]);

/**
 * Adds up the JSON documents of the workers: numbers add, booleans or (a host ejected in one worker
 * is ejected), strings and values under `keep` come from the first; arrays of named objects are
 * matched by name (or address, or labels), other arrays by position.
 */
export function sumWorkerJson(docs: readonly unknown[], keep: ReadonlySet<string>): unknown {
  return docs.slice(1).reduce((a, b) => sumTwo(a, b, keep), docs[0] ?? null);
}

function sumTwo(a: unknown, b: unknown, keep: ReadonlySet<string>): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a || b;
  if (Array.isArray(a) && Array.isArray(b)) return sumArrays(a, b, keep);
  if (isObject(a) && isObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [key, value] of Object.entries(b)) {
      if (!(key in out)) out[key] = value;
      else if (!keep.has(key)) {
        const combine = EVERY_WORKER.get(key);
        out[key] = combine === undefined ? sumTwo(out[key], value, keep) : combine(out[key], value);
      }
    }
    return out;
  }
  return a ?? b;
}

function sumArrays(a: unknown[], b: unknown[], keep: ReadonlySet<string>): unknown[] {
  const identity = (item: unknown): string | undefined => {
    if (!isObject(item)) return undefined;
    for (const key of IDENTITY_KEYS) {
      const value = item[key];
      if (typeof value === 'string') return `${key}=${value}`;
      if (isObject(value)) return `${key}=${JSON.stringify(value)}`;
    }
    return undefined;
  };
  if (!a.every(x => identity(x) !== undefined) || !b.every(x => identity(x) !== undefined)) {
    const length = Math.max(a.length, b.length);
    return Array.from({ length }, (_, i) => sumTwo(a[i], b[i], keep));
  }
  const out = [...a];
  const index = new Map(a.map((x, i) => [identity(x)!, i]));
  for (const item of b) {
    const at = index.get(identity(item)!);
    if (at === undefined) out.push(item);
    else out[at] = sumTwo(out[at], item, keep);
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
