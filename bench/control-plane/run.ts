/**
 * `npm run bench:control-plane`: the control plane at scale. For each config size it generates N
 * services as YAML, times load + validate, translation and xDS encoding in-process, then runs
 * `aeraki control-plane` as a child process, connects M simulated proxies (ADS streams on loopback),
 * edits one MetaRouter file and measures how long until every proxy has ACKed the new routes, with the
 * child's RSS from /proc. Prints a table and checks the goals of the control-plane issue. Not a test.
 * See bench/control-plane/README.md.
 *
 * Options:
 *   --services LIST    config sizes (default 1000,10000)
 *   --proxies LIST     simulated proxy counts, run in increasing order against one control plane per
 *                      size (default 100,1000)
 *   --edits N          MetaRouter edits per proxy count (default 3; fewer once edits take > 30 s)
 *   --wave N           proxies connected at a time while syncing (default 100)
 *   --channels N       HTTP/2 connections the proxies share (default 4)
 *   --api API          how the proxies speak ADS: delta (default, as `aeraki proxy`) or sotw
 *   --runs N           in-process repeats per stage (default 3; one when a stage takes > 20 s)
 *   --timeout-s S      limit of each wait: startup, one wave's sync, one edit (default 900)
 *   --max-rss-mb MB    kill the control plane above this RSS (default 8192)
 *   --cpu-prof         profile the control plane (node --cpu-prof) and print its hottest functions
 *   --skip-in-process  do not time the stages in-process
 *   --keep             keep the temporary directory (config, profiles)
 *   --json             print the results as JSON instead of tables
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { XdsApi } from '../../src/xds/ads-client.js';
import { TypeUrls } from '../../src/xds/index.js';
import { cpuDelta, machineCpu } from '../proc-stats.js';
import { installCleanupHandlers, stopAll } from '../processes.js';
import { ControlPlaneProcess, freePort, repositoryRoot } from './control-plane-process.js';
import { generateConfig, namespaceOf, NAMESPACES, type GeneratedConfig } from './generate-config.js';
import { TestCa } from '../../test/e2e/harness/certificates.js';
import { measureInChildProcess } from './in-process-child.js';
import { monotonicUs, profilePhases, type PhaseProfile, type PhaseWindow } from './profile-phases.js';
import { formatReport } from './report.js';
import {
  checkGoals,
  type BenchResult,
  type ControlPlaneResult,
  type EditResult,
  type ProxyResult,
  type ServiceResult,
  type Transport,
} from './results.js';
import { ProxyFleet, type FleetTls, type SimulatedProxy } from './simulated-proxies.js';

interface Options {
  services: number[];
  proxies: number[];
  edits: number;
  wave: number;
  channels: number;
  api: XdsApi;
  runs: number;
  timeoutMs: number;
  maxRssMb: number;
  cpuProf: boolean;
  skipInProcess: boolean;
  keep: boolean;
  json: boolean;
  /** Services exported per namespace, proxies spread over the namespaces. */
  scoped: boolean;
  /** A control plane per transport, the same proxies against each. */
  xds: Transport[];
}

/** The certificates of a TLS run: the CA, the control plane's, and one client per namespace. */
interface Pki {
  readonly ca: string;
  readonly server: { readonly cert: string; readonly key: string };
  readonly fleet: FleetTls;
}

/** Edits stop repeating once one proxy count has spent this long on them. */
const EDIT_BUDGET_MS = 30_000;
/** In-process stages stop repeating once they have spent this long. */
const STAGE_BUDGET_MS = 20_000;
/** Pause between edits, so that two edits never fall into one debounce window. */
const EDIT_PAUSE_MS = 1000;
/** After the last affected proxy ACKed, how long the unaffected ones are still watched. */
const UNAFFECTED_WATCH_MS = 1000;

function transports(value: string): Transport[] {
  return value.split(',').map(v => {
    const t = v.trim();
    if (t === 'plaintext' || t === 'mtls') return t;
    throw new Error(`bad --xds: ${value} (plaintext, mtls, or both)`);
  });
}

function xdsApi(value: string): XdsApi {
  if (value === 'delta' || value === 'sotw') return value;
  throw new Error(`bad --api: ${value} (delta or sotw)`);
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      services: { type: 'string', default: '1000,10000' },
      proxies: { type: 'string', default: '100,1000' },
      edits: { type: 'string', default: '3' },
      wave: { type: 'string', default: '100' },
      channels: { type: 'string', default: '4' },
      api: { type: 'string', default: 'delta' },
      runs: { type: 'string', default: '3' },
      'timeout-s': { type: 'string', default: '900' },
      'max-rss-mb': { type: 'string', default: '8192' },
      'cpu-prof': { type: 'boolean', default: false },
      'skip-in-process': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      scoped: { type: 'boolean', default: false },
      xds: { type: 'string', default: 'plaintext' },
    },
  });
  const list = (value: string, name: string): number[] =>
    value.split(',').map(v => {
      const n = Number(v.trim());
      if (!Number.isInteger(n) || n <= 0) throw new Error(`bad --${name}: ${value}`);
      return n;
    });
  const positive = (value: string, name: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`bad --${name}: ${value}`);
    return n;
  };
  const xds = transports(values.xds);
  if (xds.includes('mtls') && !values.scoped)
    throw new Error('--xds mtls needs --scoped: the client certificates of the proxies are per namespace');
  return {
    services: list(values.services, 'services'),
    proxies: list(values.proxies, 'proxies').sort((a, b) => a - b),
    edits: Math.floor(positive(values.edits, 'edits')),
    wave: Math.floor(positive(values.wave, 'wave')),
    channels: Math.floor(positive(values.channels, 'channels')),
    api: xdsApi(values.api),
    runs: Math.floor(positive(values.runs, 'runs')),
    timeoutMs: positive(values['timeout-s'], 'timeout-s') * 1000,
    maxRssMb: positive(values['max-rss-mb'], 'max-rss-mb'),
    cpuProf: values['cpu-prof'],
    skipInProcess: values['skip-in-process'],
    keep: values.keep,
    json: values.json,
    scoped: values.scoped,
    xds,
  };
}

/** Progress goes to stderr, so that stdout holds only the report (or the JSON). */
function progress(line: string): void {
  process.stderr.write(`bench:control-plane: ${line}\n`);
}

class Timeout extends Error {}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** `promise`, or a Timeout after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Timeout(`${what}: no result within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `done` every 50 ms until true, or a Timeout; also fails when the control plane died. */
async function until(done: () => boolean, ms: number, what: string, cp: ControlPlaneProcess): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (cp.exited) {
      await sleep(200); // let its last stderr lines arrive
      throw new Error(`control plane ${cp.exitReason()} during ${what}`);
    }
    if (performance.now() > deadline) throw new Timeout(`${what}: not done within ${ms / 1000} s`);
    await sleep(50);
  }
}

function benchCpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function cpuS(cp: ControlPlaneProcess): number {
  const c = cp.cpu();
  return c.user + c.sys;
}

/** Connects proxies up to `target` in waves and waits until all are synced. */
async function syncProxies(
  fleet: ProxyFleet,
  target: number,
  cp: ControlPlaneProcess,
  options: Options,
  windows: PhaseWindow[],
): Promise<
  Pick<
    ProxyResult,
    'syncMs' | 'syncedProxies' | 'syncBytes' | 'syncControlPlaneCpuS' | 'syncBenchCpuS' | 'error'
  >
> {
  const bytes0 = fleet.bytesReceived;
  const cpu0 = cpuS(cp);
  const benchCpu0 = benchCpuS();
  const t0 = performance.now();
  const startUs = monotonicUs();
  try {
    while (fleet.size < target) {
      fleet.add(Math.min(options.wave, target - fleet.size));
      await until(
        () => fleet.syncedCount() === fleet.size,
        options.timeoutMs,
        `syncing ${fleet.size} proxies`,
        cp,
      );
      progress(`  ${fleet.size} proxies synced after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    windows.push({ phase: `sync to ${target} proxies`, startUs, endUs: monotonicUs() });
    return {
      syncMs: performance.now() - t0,
      syncedProxies: fleet.size,
      syncBytes: fleet.bytesReceived - bytes0,
      syncControlPlaneCpuS: cpuS(cp) - cpu0,
      syncBenchCpuS: benchCpuS() - benchCpu0,
    };
  } catch (err) {
    windows.push({ phase: `sync to ${target} proxies`, startUs, endUs: monotonicUs() });
    return {
      syncMs: null,
      syncedProxies: fleet.syncedCount(),
      syncBytes: fleet.bytesReceived - bytes0,
      syncControlPlaneCpuS: cpuS(cp) - cpu0,
      syncBenchCpuS: benchCpuS() - benchCpu0,
      error: `${(err as Error).message}${fleet.failedCount > 0 ? `; ${fleet.failedCount} streams failed, e.g. ${fleet.failed[0]}` : ''}`,
    };
  }
}

/**
 * Edits service 0's MetaRouter and follows the new route version to every proxy that sees it (all of
 * them unless the services are scoped), counting what the others receive meanwhile.
 */
async function measureEdit(
  config: GeneratedConfig,
  v1Weight: number,
  fleet: ProxyFleet,
  cp: ControlPlaneProcess,
  options: Options,
  windows: PhaseWindow[],
): Promise<EditResult> {
  const rds = TypeUrls.routeConfiguration;
  const baseline = fleet.ackedVersions(rds);
  if ([...baseline.values()].includes('')) throw new Error('a proxy has no route version yet');
  const affected = new Set<SimulatedProxy>();
  const unaffected = new Map<SimulatedProxy, number>();
  for (const p of fleet.all) {
    if (p.namespace === undefined || config.editedVisibleTo.includes(p.namespace)) affected.add(p);
    else unaffected.set(p, p.responses);
  }
  const publishesBefore = cp.publishes.length;
  const bytes0 = fleet.bytesReceived;
  const cpCpu0 = cpuS(cp);
  const benchCpu0 = benchCpuS();
  fleet.resetSeen();
  const acks = fleet.allAcked(rds, (v, p) => v !== baseline.get(p) && v !== '', affected);
  const wall0 = Date.now();
  const t0 = performance.now();
  const startUs = monotonicUs();
  await writeFile(config.editedFile, config.editedContent(v1Weight));
  let ackTimes: number[] | undefined;
  void acks.done.then(times => (ackTimes = times));
  try {
    await until(() => ackTimes !== undefined, options.timeoutMs, 'edit → all ACKed', cp);
  } catch (err) {
    if (!(err instanceof Timeout)) throw err;
  }
  // A push to the unaffected proxies would come with or soon after the affected ones'.
  if (unaffected.size > 0) await sleep(UNAFFECTED_WATCH_MS);
  windows.push({ phase: `edits with ${fleet.size} proxies`, startUs, endUs: monotonicUs() });
  const publish = cp.publishes[publishesBefore];
  const first = affected.values().next().value;
  const version = first?.progress.get(rds)?.acked;
  const seen = version === undefined ? {} : fleet.seen(rds, version);
  let unaffectedResponses = 0;
  for (const [p, before] of unaffected) unaffectedResponses += p.responses - before;
  return {
    publishMs: publish === undefined ? null : publish.at - wall0,
    firstResponseMs: seen.first === undefined ? null : seen.first - t0,
    lastResponseMs: seen.last === undefined ? null : seen.last - t0,
    allAckedMs: ackTimes === undefined ? null : Math.max(...ackTimes) - t0,
    ackedProxies: acks.count(),
    bytesReceived: fleet.bytesReceived - bytes0,
    controlPlaneCpuS: cpuS(cp) - cpCpu0,
    benchCpuS: benchCpuS() - benchCpu0,
    affectedProxies: affected.size,
    unaffectedProxies: unaffected.size,
    unaffectedResponses,
  };
}

async function runControlPlane(
  config: GeneratedConfig,
  work: string,
  options: Options,
  transport: Transport,
  pki: Pki | undefined,
  split: { v1Weight: number },
): Promise<{
  controlPlane: ControlPlaneResult;
  proxies: ProxyResult[];
  profileDir?: string;
  windows: PhaseWindow[];
}> {
  const port = await freePort();
  const tlsPort = transport === 'mtls' ? await freePort() : undefined;
  const windows: PhaseWindow[] = [];
  const spawnUs = monotonicUs();
  const profileDir = options.cpuProf ? join(work, `cpu-prof-${config.services}-${transport}`) : undefined;
  const cp = new ControlPlaneProcess({
    configDir: config.dir,
    port,
    maxRssMb: options.maxRssMb,
    ...(profileDir === undefined ? {} : { cpuProfileDir: profileDir }),
    ...(tlsPort === undefined || pki === undefined
      ? {}
      : { tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca, port: tlsPort } }),
  });
  const proxies: ProxyResult[] = [];
  const t0 = performance.now();
  let startupMs: number | null = null;
  let startupCpuS: number | null = null;
  let idleRssMb = 0;
  let error: string | undefined;
  let fleet: ProxyFleet | undefined;
  try {
    await within(cp.whenReady(), options.timeoutMs, 'control plane startup');
    startupMs = performance.now() - t0;
    startupCpuS = cpuS(cp);
    windows.push({
      phase: 'startup (load, translate, encode, listen)',
      startUs: spawnUs,
      endUs: monotonicUs(),
    });
    progress(
      `control plane ready after ${(startupMs / 1000).toFixed(1)} s, ${startupCpuS.toFixed(1)} s of CPU (pid ${cp.pid}, port ${tlsPort ?? port}, ${transport})`,
    );
    await sleep(1000);
    idleRssMb = cp.rssMb();
    fleet = new ProxyFleet({
      target: `127.0.0.1:${tlsPort ?? port}`,
      channels: options.channels,
      api: options.api,
      ...(options.scoped ? { namespaces: Array.from({ length: NAMESPACES }, (_, n) => namespaceOf(n)) } : {}),
      ...(transport === 'mtls' && pki !== undefined ? { tls: pki.fleet } : {}),
    });
    for (const count of options.proxies) {
      cp.takePhaseMaxRssMb();
      progress(
        `connecting ${count} proxies (${transport}${options.scoped ? `, ${NAMESPACES} namespaces` : ''})`,
      );
      const sync = await syncProxies(fleet, count, cp, options, windows);
      const rssAfterSyncMb = cp.rssMb();
      const edits: EditResult[] = [];
      let editError: string | undefined;
      if (sync.error === undefined) {
        const started = performance.now();
        try {
          while (edits.length < options.edits) {
            await sleep(EDIT_PAUSE_MS);
            // The file as the last edit (of any control plane of this size) left it, flipped.
            split.v1Weight = split.v1Weight === 80 ? 20 : 80;
            const edit = await measureEdit(config, split.v1Weight, fleet, cp, options, windows);
            edits.push(edit);
            progress(
              `  edit ${edits.length}: published ${edit.publishMs ?? '-'} ms, all ${edit.ackedProxies} ACKed ${edit.allAckedMs?.toFixed(0) ?? 'timeout'} ms`,
            );
            if (edit.allAckedMs === null || performance.now() - started > EDIT_BUDGET_MS) break;
          }
        } catch (err) {
          editError = (err as Error).message;
          progress(`error: ${editError}`);
        }
      }
      const error = sync.error ?? editError;
      proxies.push({
        ...sync,
        proxies: count,
        transport,
        namespaces: options.scoped ? NAMESPACES : 0,
        rssAfterSyncMb,
        maxRssMb: cp.takePhaseMaxRssMb(),
        edits,
        ...(error === undefined ? {} : { error }),
      });
      if (error !== undefined) break;
    }
  } catch (err) {
    error = (err as Error).message;
    progress(`error: ${error}`);
  }
  const peakRssMb = cp.peakRssMb();
  const cpu = cpuS(cp);
  if (cp.exited) error = `control plane ${cp.exitReason()}`;
  fleet?.close();
  await cp.stop(profileDir === undefined ? 5000 : 60_000);
  return {
    controlPlane: {
      startupMs,
      startupCpuS,
      idleRssMb,
      peakRssMb,
      cpuS: cpu,
      errors: cp.errors,
      ...(error === undefined ? {} : { error }),
    },
    proxies,
    windows,
    ...(profileDir === undefined ? {} : { profileDir }),
  };
}

async function runSize(services: number, work: string, options: Options): Promise<ServiceResult> {
  const dir = join(work, `config-${services}`);
  const g0 = performance.now();
  await mkdir(dir);
  const config = await generateConfig(dir, services, { visibility: options.scoped });
  const generateMs = performance.now() - g0;
  progress(
    `${services} services: ${config.files} files, ${config.documents} documents, ${(config.bytes / 1e6).toFixed(1)} MB`,
  );
  // In a child process, so that this process (the proxies' load generator) stays lean.
  const inProcess = options.skipInProcess
    ? undefined
    : await measureInChildProcess(dir, options.runs, STAGE_BUDGET_MS, line => progress(`  ${line}`));
  const pki = options.xds.includes('mtls') ? await makePki(join(work, 'pki')) : undefined;
  // A control plane per transport: each starts with no scope translated, as the first proxies find it.
  const runs = [];
  // Service 0's split as generated; each edit flips it, so that no edit writes what is there.
  const split = { v1Weight: 80 };
  for (const transport of options.xds)
    runs.push(await runControlPlane(config, work, options, transport, pki, split));
  const profile = runs.flatMap(run =>
    run.profileDir === undefined ? [] : (phasesSafe(run.profileDir, run.windows) ?? []),
  );
  return {
    services,
    config: { files: config.files, documents: config.documents, bytes: config.bytes },
    generateMs,
    ...(inProcess === undefined ? {} : { inProcess }),
    controlPlane: mergeControlPlanes(runs.map(r => r.controlPlane)),
    proxies: runs.flatMap(r => r.proxies),
    ...(profile.length === 0 ? {} : { profile }),
  };
}

/**
 * Several control planes of one config size as one: the first one's startup and idle memory (the
 * others' are alike), the highest peak, all CPU, every error.
 */
function mergeControlPlanes(all: readonly ControlPlaneResult[]): ControlPlaneResult {
  const first = all[0]!;
  const error = all.find(c => c.error !== undefined)?.error;
  return {
    startupMs: first.startupMs,
    startupCpuS: first.startupCpuS,
    idleRssMb: first.idleRssMb,
    peakRssMb: Math.max(...all.map(c => c.peakRssMb)),
    cpuS: all.reduce((sum, c) => sum + c.cpuS, 0),
    errors: all.flatMap(c => c.errors),
    ...(error === undefined ? {} : { error }),
  };
}

/** A CA, the control plane's certificate, and a client certificate per namespace (openssl). */
async function makePki(dir: string): Promise<Pki> {
  const ca = await TestCa.create(dir, 'bench-ca');
  const server = await ca.server();
  const clients = new Map<string, { cert: Buffer; key: Buffer }>();
  for (let n = 0; n < NAMESPACES; n++) {
    const namespace = namespaceOf(n);
    const files = await ca.client(`proxy-${namespace}`, namespace);
    clients.set(namespace, { cert: await readFile(files.cert), key: await readFile(files.key) });
  }
  return {
    ca: ca.cert,
    server,
    fleet: {
      ca: await readFile(ca.cert),
      clientFor: namespace => {
        const client = clients.get(namespace);
        if (client === undefined) throw new Error(`no client certificate for namespace ${namespace}`);
        return client;
      },
    },
  };
}

function phasesSafe(dir: string, windows: readonly PhaseWindow[]): PhaseProfile[] | undefined {
  try {
    return profilePhases(dir, repositoryRoot(), windows);
  } catch (err) {
    progress(`cannot read the CPU profile: ${(err as Error).message}`);
    return undefined;
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const work = mkdtempSync(join(tmpdir(), 'aeraki-bench-cp-'));
  const cleanup = (): void => {
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  };
  installCleanupHandlers(cleanup);
  const started = performance.now();
  const machine0 = machineCpu();
  const benchCpu0 = benchCpuS();
  const loadAverage = loadavg();
  const services: ServiceResult[] = [];
  let otherCpuS = 0;
  try {
    for (const n of options.services) {
      services.push(await runSize(n, work, options));
    }
    // Everything the machine ran minus what the benchmark and its control planes ran.
    const machine = cpuDelta(machine0, machineCpu());
    const ours = benchCpuS() - benchCpu0 + services.reduce((s, r) => s + (r.controlPlane?.cpuS ?? 0), 0);
    otherCpuS = Math.max(0, machine.user + machine.sys - ours);
  } finally {
    await stopAll();
    cleanup();
    if (options.keep) progress(`kept ${work}`);
  }
  const totalMs = performance.now() - started;
  const result: BenchResult = {
    command: `npm run bench:control-plane -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: cpus().length, loadAverage, node: process.version },
    options: { ...options },
    services,
    goals: checkGoals(services),
    otherCpuShare: otherCpuS / ((totalMs / 1000) * cpus().length),
    totalMs,
  };
  process.stdout.write(options.json ? JSON.stringify(result, null, 2) + '\n' : formatReport(result) + '\n');
}

main().then(
  () => process.exit(0),
  err => {
    process.stderr.write(`bench:control-plane: ${(err as Error).stack ?? String(err)}\n`);
    void stopAll().finally(() => process.exit(1));
  },
);
