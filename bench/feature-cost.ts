/**
 * `npm run bench:features`: what observability and traffic policies cost on the request path. The same
 * lean C client and server as `npm run bench` (bench/README.md), through several `aeraki up` processes
 * that differ in one feature each, measured in interleaved rounds in one run:
 *
 *   bare       request metrics off (--no-metrics): the baseline for metrics and access logs; its
 *              cost against `unchecked` is what walking each Thrift request's struct costs
 *   unchecked  bare, with the Thrift codec's validateRequests off (an ApplicationProtocol codecConfig;
 *              Dubbo bodies are walked either way, to reach the attachments)
 *   metrics    the default: Istio request metrics on
 *   traced     metrics + tracing configured at 0 % sampling
 *   policies   metrics + a local rate limit, a global rate limit and a fault on the route, configured
 *              but not triggering (a bucket that never runs dry, a global match no request has,
 *              fault percentages of one in a million)
 *   filtered   metrics + a plugin's filter (--plugin) that reads each request's method and lets it
 *              pass both ways: what a plugin filter's calls and their error scope cost
 *   logged     metrics + a JSON access log to a file (last in each round, emptied after each run:
 *              writing back its hundreds of megabytes would slow whatever runs next)
 *   sampled    the same, logging 10 % of the successful requests (--access-log-sampling 10)
 *
 * For each it prints the median throughput and the proxy's CPU time per request, and the cost of the
 * feature against its baseline: `logged` and `sampled` against `bare` (goal ≤ 10 %), `traced` (≤ 2 %),
 * `policies` (≤ 5 %) and `filtered` (≤ 5 %) against `metrics`. Proxy CPU per request is the steadier figure on a shared machine: the
 * throughput of a closed loop also moves with whatever else runs. Never part of the tests.
 *
 * Options: --protocols thrift,dubbo  --shapes 32x1,32x8  --duration S (5)  --warmup S (1)  --rounds N (3)
 *          --variants LIST (all)  --json
 *          --cpu-prof  profile each variant's proxy (node --cpu-prof) and print its top functions by self
 *                      time, to see where a feature's cost goes  --keep  keep the work directory (profiles)
 *          --node-flags STR  extra node flags for the proxies, space-separated (e.g. --trace-gc)
 *          --access-log-dir DIR  where the logged variant writes (default: the temporary directory;
 *                      /dev/shm measures tmpfs, which costs the kernel more per byte here)
 */
import { existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad, type RunResult, type Shape } from './load.js';
import { summariseProfiles, type HotFunction } from './cpu-profile.js';
import { buildNative } from './native-build.js';
import { installCleanupHandlers, stopAll, stopProcess } from './processes.js';
import { parseProtocols, type Protocol } from './protocols.js';
import { repoRoot } from './repo-root.js';
import { shapeName } from './report.js';
import { startAeraki, startServer, type AerakiService, type Target } from './targets.js';

interface Variant {
  readonly name: string;
  /** The variant it is compared with, and the largest acceptable cost. */
  readonly baseline?: { readonly name: string; readonly maxCostPct: number };
  readonly upArgs: (context: RunContext) => string[];
  /** Called after each of its runs. */
  readonly afterRun?: (context: RunContext) => void;
  readonly extraConfig?: (services: readonly AerakiService[]) => string;
}

/** The Thrift protocol bound to its codec without the walk over each request (validateRequests off). */
function uncheckedThrift(): string {
  return `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: ApplicationProtocol
metadata: {name: thrift}
spec:
  protocol: thrift
  codec: aeraki.meta_protocol.codec.thrift
  codecConfig: {validateRequests: false}
`;
}

/** A MetaRouter per service whose policies are configured but never trigger. */
function idlePolicies(services: readonly AerakiService[]): string {
  const docs = [
    `apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: bench-rate-limit-service, namespace: default}
spec:
  hosts: [rls.bench.svc.cluster.local]
  ports: [{number: 8081, name: grpc-rls, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
`,
  ];
  for (const { protocol } of services) {
    const host = `bench.${protocol.name}.svc.cluster.local`;
    docs.push(`apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: bench-${protocol.name}, namespace: default}
spec:
  hosts: [${host}]
  routes:
    - name: all
      fault:
        delay: {fixedDelay: 1ms, percentage: {value: 0.0001}}
        abort: {errorKind: unavailable, percentage: {value: 0.0001}}
      route: [{destination: {host: ${host}}}]
  localRateLimit:
    tokenBucket: {maxTokens: 1000000000, tokensPerFill: 1000000000, fillInterval: 1s}
    conditions:
      - match: {attributes: {method: {exact: neverCalled}}}
        tokenBucket: {maxTokens: 1, tokensPerFill: 1, fillInterval: 60s}
  globalRateLimit:
    domain: bench
    match: {attributes: {method: {exact: neverCalled}}}
    rateLimitService: outbound|8081||rls.bench.svc.cluster.local
    descriptors: [{property: method, descriptorKey: method}]
`);
  }
  return docs.join('---\n');
}

const PASS_FILTER = 'aeraki.meta_protocol.filters.bench_pass';

/** Writes the `filtered` variant's plugin into the work directory; returns its path. */
function passFilterPlugin(work: string): string {
  const path = join(work, 'bench-pass-filter.mjs');
  writeFileSync(
    path,
    `let seen = 0;
export default {
  sdkVersion: '^1.1.0',
  filters: [{
    name: '${PASS_FILTER}',
    create: () => ({
      name: '${PASS_FILTER}',
      onRequest(ctx) { if (ctx.request.metadata.get('method') !== undefined) seen++; return 'continue'; },
      onResponse() { return 'continue'; },
    }),
  }],
};
`,
  );
  return path;
}

/** A MetaRouter per service that runs the pass-through plugin filter. */
function passFilterRouters(services: readonly AerakiService[]): string {
  return services
    .map(({ protocol }) => {
      const host = `bench.${protocol.name}.svc.cluster.local`;
      return `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: MetaRouter
metadata: {name: bench-${protocol.name}, namespace: default}
spec:
  hosts: [${host}]
  routes: [{name: all, route: [{destination: {host: ${host}}}]}]
  filters: [{name: ${PASS_FILTER}}]
`;
    })
    .join('---\n');
}

/** What a variant's arguments may depend on. */
interface RunContext {
  readonly work: string;
  /**
   * The access log of the `logged` variant: a file in --access-log-dir (default the system's temporary
   * directory, on disk as a proxy's log would be), emptied after every run, so that its hundreds of
   * megabytes are dropped from the page cache before they are written back and slow the runs after
   * it. The kernel's cost of taking the writes is still the proxy's.
   */
  readonly accessLog: string;
}

const VARIANTS: readonly Variant[] = [
  { name: 'bare', baseline: { name: 'unchecked', maxCostPct: 5 }, upArgs: () => ['--no-metrics'] },
  { name: 'unchecked', upArgs: () => ['--no-metrics'], extraConfig: uncheckedThrift },
  { name: 'metrics', upArgs: () => [] },
  {
    name: 'traced',
    baseline: { name: 'metrics', maxCostPct: 2 },
    upArgs: () => ['--trace-sampling', '0', '--trace-otlp', 'http://127.0.0.1:9/v1/traces'],
  },
  {
    name: 'policies',
    baseline: { name: 'metrics', maxCostPct: 5 },
    upArgs: () => [],
    extraConfig: idlePolicies,
  },
  {
    name: 'filtered',
    baseline: { name: 'metrics', maxCostPct: 5 },
    upArgs: ({ work }) => ['--plugin', passFilterPlugin(work)],
    extraConfig: passFilterRouters,
  },
  {
    name: 'logged',
    baseline: { name: 'bare', maxCostPct: 10 },
    upArgs: ({ accessLog }) => ['--access-log', accessLog],
    afterRun: ({ accessLog }) => truncateSync(accessLog, 0),
  },
  {
    name: 'sampled',
    baseline: { name: 'bare', maxCostPct: 10 },
    upArgs: ({ accessLog }) => ['--access-log', accessLog, '--access-log-sampling', '10'],
    afterRun: ({ accessLog }) => truncateSync(accessLog, 0),
  },
];

interface Measured {
  readonly protocol: string;
  readonly shape: string;
  readonly variant: string;
  readonly rps: number;
  readonly p99Us: number;
  /** Proxy CPU (user + sys) per request, microseconds. */
  readonly proxyCpuUsPerRequest: number;
  /** The same, of the proxy's main thread alone: it serves every request, so it bounds throughput. */
  readonly mainCpuUsPerRequest: number;
  /** CPU (% of a core) used by processes outside the benchmark during the run. */
  readonly otherCpuPct: number;
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function profileDir(work: string, protocol: Protocol, variant: Variant): string {
  return join(work, `cpu-prof-${protocol.name}-${variant.name}`);
}

function parseShape(text: string): Shape {
  const m = /^(\d+)x(\d+)$/.exec(text.trim());
  if (m === null) throw new Error(`a shape looks like 32x8, got '${text}'`);
  return { conns: Number(m[1]), depth: Number(m[2]) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function measured(protocol: string, shape: string, variant: string, run: RunResult): Measured {
  const proxy = run.cpu['proxy'];
  const main = run.cpu['proxy-main'];
  const other = run.cpu['other'];
  return {
    protocol,
    shape,
    variant,
    rps: run.rps,
    p99Us: run.p99_us,
    proxyCpuUsPerRequest: proxy === undefined ? NaN : ((proxy.user + proxy.sys) * 1e6) / run.requests,
    mainCpuUsPerRequest: main === undefined ? NaN : ((main.user + main.sys) * 1e6) / run.requests,
    otherCpuPct: other === undefined ? 0 : (100 * (other.user + other.sys)) / run.duration_s,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      protocols: { type: 'string', default: 'thrift,dubbo' },
      shapes: { type: 'string', default: '32x1,32x8' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '3' },
      variants: { type: 'string' },
      json: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'node-flags': { type: 'string', default: '' },
      'access-log-dir': { type: 'string', default: tmpdir() },
    },
  });
  const cpuProf = values['cpu-prof'];
  const nodeFlags = values['node-flags'].split(' ').filter(flag => flag !== '');
  const protocols: Protocol[] = parseProtocols(values.protocols);
  const shapes = values.shapes.split(',').map(parseShape);
  const durationS = Number(values.duration);
  const warmupS = Number(values.warmup);
  const rounds = Number(values.rounds);
  const wanted = values.variants?.split(',').map(v => v.trim());
  const variants = VARIANTS.filter(v => wanted === undefined || wanted.includes(v.name));

  const root = repoRoot();
  const work = mkdtempSync(join(tmpdir(), 'aeraki-bench-features-'));
  const context: RunContext = {
    work,
    accessLog: join(values['access-log-dir'], `aeraki-bench-access-${process.pid}.log`),
  };
  installCleanupHandlers(() => {
    if (values.keep) log(`bench: kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
    rmSync(context.accessLog, { force: true });
  });
  log('bench: building C clients and servers (gcc -O2)');
  const native = buildNative(join(root, 'bench', 'native'), protocols);

  const results: Measured[] = [];
  const hot = new Map<string, HotFunction[]>();
  try {
    for (const protocol of protocols) {
      const programs = native.get(protocol.name)!;
      const server = await startServer(programs.server, '127.0.0.1');
      const proxies = new Map<string, Target>();
      for (const variant of variants) {
        const targets = await startAeraki({
          bin: join(root, 'bin', 'aeraki'),
          dir: work,
          label: `${protocol.name}-${variant.name}`,
          upstreams: new Map([[protocol, server]]),
          workers: 1,
          upArgs: variant.upArgs(context),
          nodeArgs: [
            ...nodeFlags,
            ...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir(work, protocol, variant)}`] : []),
          ],
          ...(variant.extraConfig === undefined ? {} : { extraConfig: variant.extraConfig }),
        });
        proxies.set(variant.name, targets.get(protocol.name)!);
        log(`bench: aeraki (${variant.name}) for ${protocol.name} is ready`);
      }
      for (let round = 1; round <= rounds; round++) {
        for (const shape of shapes) {
          for (const variant of variants) {
            const target = proxies.get(variant.name)!;
            const run = await runLoad({
              loadgen: programs.loadgen,
              host: target.host,
              port: target.port,
              shape,
              durationS,
              warmupS,
              payload: 100,
              watch: { server: server.process.pid!, proxy: target.process.pid! },
              mainThreads: { proxy: target.process.pid! },
            });
            variant.afterRun?.(context);
            const m = measured(protocol.name, shapeName(shape), variant.name, run);
            results.push(m);
            log(
              `bench: ${protocol.name} ${m.shape} ${variant.name} (round ${round}): ${Math.round(m.rps)} rps, ` +
                `${m.proxyCpuUsPerRequest.toFixed(2)} µs proxy CPU/request ` +
                `(${m.mainCpuUsPerRequest.toFixed(2)} main thread), other ${m.otherCpuPct.toFixed(0)}%` +
                (run.errors + run.conn_failures > 0
                  ? `, ${run.errors} errors, ${run.conn_failures} connection failures`
                  : ''),
            );
          }
        }
      }
      if (cpuProf) {
        for (const variant of variants) {
          // The profile is written when the process exits cleanly, so stop it before reading.
          await stopProcess(proxies.get(variant.name)!.process, 10_000, 'SIGINT');
          const dir = profileDir(work, protocol, variant);
          hot.set(
            `${protocol.name} ${variant.name}`,
            existsSync(dir) ? summariseProfiles(dir, root, 15) : [],
          );
        }
      }
      await stopAll();
    }
  } finally {
    await stopAll();
  }

  const summary = summarise(results, variants);
  if (values.json) process.stdout.write(`${JSON.stringify({ runs: results, summary }, null, 2)}\n`);
  else process.stdout.write(render(summary));
  for (const [label, functions] of hot) {
    process.stdout.write(`\nproxy (${label}) CPU profile, top functions by self time:\n`);
    if (functions.length === 0)
      process.stdout.write('  (no profile written: did it exit cleanly on SIGINT?)\n');
    for (const h of functions) {
      process.stdout.write(`  ${h.selfPct.toFixed(1).padStart(5)}%  ${h.name}  ${h.location}\n`);
    }
  }
  return 0;
}

interface Summary {
  readonly protocol: string;
  readonly shape: string;
  readonly variant: string;
  readonly rps: number;
  readonly proxyCpuUsPerRequest: number;
  readonly mainCpuUsPerRequest: number;
  readonly baseline?: string;
  /** Throughput lost against the baseline, %. */
  readonly rpsCostPct?: number;
  /** Proxy CPU per request added against the baseline, %. */
  readonly cpuCostPct?: number;
  readonly goalPct?: number;
  readonly noisy: boolean;
}

function summarise(results: readonly Measured[], variants: readonly Variant[]): Summary[] {
  const groups = new Map<string, Measured[]>();
  for (const r of results) {
    const key = `${r.protocol}|${r.shape}|${r.variant}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const med = (protocol: string, shape: string, variant: string) => {
    const runs = groups.get(`${protocol}|${shape}|${variant}`) ?? [];
    return runs.length === 0
      ? undefined
      : {
          rps: median(runs.map(r => r.rps)),
          cpu: median(runs.map(r => r.proxyCpuUsPerRequest)),
          main: median(runs.map(r => r.mainCpuUsPerRequest)),
          noisy: runs.some(r => r.otherCpuPct > 25),
        };
  };
  const out: Summary[] = [];
  for (const key of groups.keys()) {
    const [protocol, shape, name] = key.split('|') as [string, string, string];
    const variant = variants.find(v => v.name === name)!;
    const own = med(protocol, shape, name)!;
    const base = variant.baseline === undefined ? undefined : med(protocol, shape, variant.baseline.name);
    out.push({
      protocol,
      shape,
      variant: name,
      rps: own.rps,
      proxyCpuUsPerRequest: own.cpu,
      mainCpuUsPerRequest: own.main,
      noisy: own.noisy || (base?.noisy ?? false),
      ...(base === undefined || variant.baseline === undefined
        ? {}
        : {
            baseline: variant.baseline.name,
            rpsCostPct: 100 * (1 - own.rps / base.rps),
            cpuCostPct: 100 * (own.cpu / base.cpu - 1),
            goalPct: variant.baseline.maxCostPct,
          }),
    });
  }
  return out;
}

function render(summary: readonly Summary[]): string {
  const rows = [
    [
      'protocol',
      'shape',
      'variant',
      'rps',
      'proxy µs/req',
      'main µs/req',
      'vs',
      'rps cost',
      'CPU cost',
      'goal',
    ],
  ];
  for (const s of summary) {
    rows.push([
      s.protocol,
      s.shape,
      s.variant,
      String(Math.round(s.rps)),
      s.proxyCpuUsPerRequest.toFixed(2),
      s.mainCpuUsPerRequest.toFixed(2),
      s.baseline ?? '',
      s.rpsCostPct === undefined ? '' : `${s.rpsCostPct.toFixed(1)}%`,
      s.cpuCostPct === undefined ? '' : `${s.cpuCostPct.toFixed(1)}%`,
      s.goalPct === undefined
        ? ''
        : `≤ ${s.goalPct}%: ${Math.max(s.rpsCostPct ?? 0, s.cpuCostPct ?? 0) <= s.goalPct ? 'met' : 'NOT met'}${s.noisy ? ' (noisy)' : ''}`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => r[i]!.length)));
  return (
    rows
      .map(r =>
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') +
    '\n\nA cost is the throughput lost (rps) and the proxy CPU per request added (CPU) against the variant in' +
    ' "vs"; a goal is met when both are within it. "main": the main thread of' +
    ' the proxy alone, which serves every request and so bounds throughput. "noisy": other processes used > 25% of a core.\n'
  );
}

main().then(
  code => process.exit(code),
  (err: unknown) => {
    log(`bench: ${(err as Error).stack ?? String(err)}`);
    void stopAll().then(() => process.exit(1));
  },
);
