/**
 * `npm run bench:overload`: the proxy attacked as a hostile or broken peer would, beside a service
 * that a well-behaved client keeps calling. For each attack it reports the proxy's peak RSS, its RSS
 * a few seconds after the attack ended, and the control client's latency (p99, max) and failures
 * during the attack; for aeraki also the slowest admin API answer (`GET /ready`). The same attacks go
 * through HAProxy in TCP mode as the baseline. Never part of the tests; see bench/README.md.
 *
 * Three services sit behind each proxy, with real Apache Thrift servers (the victim's in a process of
 * its own):
 *   deaf     an upstream that accepts connections and never reads them
 *   victim   a HelloService (its `blob(size)` answers a small call with `size` bytes)
 *   control  a HelloService the control client calls every 50-100 ms (`sayHello`)
 *
 * Attacks (each for --duration seconds):
 *   flood     8 connections write sayHello calls to `deaf` as fast as the proxy takes them
 *   slow      4 clients each ask `victim` for 256 replies of 1 MiB and never read a byte
 *   partial   100 connections each send a frame to `deaf` declaring 16 MiB, stop 100 bytes short, stall
 *   idle      5,000 connections to `deaf` that send nothing, and 2,000 that stall mid-frame
 * and last, `sigterm`: SIGTERM to the proxy during a flood, and how long it takes to exit.
 *
 * Options: --targets aeraki,haproxy  --attacks flood,slow,partial,idle,sigterm  --duration S (10)
 *          --aeraki-bin PATH (an older build, to compare)  --up-args "..." (extra `aeraki up` flags)
 *          --json  --keep (keep the work directory: configs, logs)
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  AttackProcess,
  ControlCaller,
  rssBytes,
  RssSampler,
  startDeafServer,
  startHelloServer,
  startHelloServerProcess,
  type AttackSpec,
} from '../test/e2e/harness/index.js';
import { launcherEnvironment, launcherNodeFlags } from '../test/e2e/harness/launcher-flags.js';
import { installCleanupHandlers, startProcess, stopAll, stopProcess } from './processes.js';
import { repoRoot } from './repo-root.js';
import { freePort, haproxyVersion } from './targets.js';

const ATTACKS = ['flood', 'slow', 'partial', 'idle', 'sigterm'] as const;
type AttackName = (typeof ATTACKS)[number];
const SERVICES = ['deaf', 'victim', 'control'] as const;
type Service = (typeof SERVICES)[number];
const MiB = 1024 * 1024;

interface Options {
  targets: string[];
  attacks: AttackName[];
  durationS: number;
  aerakiBin: string;
  upArgs: string[];
  json: boolean;
  keep: boolean;
}

function parseOptions(root: string): Options {
  const { values } = parseArgs({
    options: {
      targets: { type: 'string', default: 'aeraki,haproxy' },
      attacks: { type: 'string', default: ATTACKS.join(',') },
      duration: { type: 'string', default: '10' },
      'aeraki-bin': { type: 'string' },
      'up-args': { type: 'string', default: '' },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  const targets = values.targets.split(',').map(t => t.trim());
  for (const t of targets) if (t !== 'aeraki' && t !== 'haproxy') throw new Error(`unknown target '${t}'`);
  const attacks = values.attacks.split(',').map(a => a.trim()) as AttackName[];
  for (const a of attacks) if (!ATTACKS.includes(a)) throw new Error(`unknown attack '${a}'`);
  const durationS = Number(values.duration);
  if (!(durationS > 0)) throw new Error(`bad --duration: ${values.duration}`);
  return {
    targets,
    attacks,
    durationS,
    aerakiBin: values['aeraki-bin'] ?? join(root, 'bin', 'aeraki'),
    upArgs: values['up-args'].split(' ').filter(a => a !== ''),
    json: values.json,
    keep: values.keep,
  };
}

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** A proxy in front of the three services. */
interface ProxyUnderTest {
  readonly name: string;
  readonly process: ChildProcess;
  readonly services: Record<Service, Endpoint>;
  /** `host:port` of aeraki's admin API. */
  readonly admin?: string;
}

/** What one attack did to one proxy. */
interface AttackResult {
  target: string;
  attack: AttackName;
  baselineRssMb: number;
  peakRssMb: number;
  /** RSS a few seconds after the attack ended. */
  afterRssMb: number;
  controlCalls: number;
  controlErrors: number;
  controlP99Ms: number;
  controlMaxMs: number;
  /** Slowest `GET /ready` during the attack (aeraki), or -1 when it never answered in 5 s. */
  adminMaxMs?: number;
  /** Attack connections the proxy closed by itself. */
  closedByProxy: number;
  /** For `sigterm`: ms from the signal to the exit (-1 = not within 20 s). */
  exitMs?: number;
}

async function startAerakiUp(
  opts: Options,
  work: string,
  upstreams: Record<Service, Endpoint>,
): Promise<ProxyUnderTest> {
  const address = '127.0.51.1';
  const ports = {} as Record<Service, number>;
  for (const s of SERVICES) ports[s] = await freePort(address);
  const configDir = join(work, 'aeraki-config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    join(configDir, 'services.yaml'),
    SERVICES.map(
      s => `apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: ${s}, namespace: default}
spec:
  hosts: [${s}.overload.svc.cluster.local]
  addresses: [${address}]
  ports: [{number: ${ports[s]}, name: tcp-metaprotocol-thrift-${s}, protocol: TCP}]
  location: MESH_INTERNAL
  resolution: STATIC
  endpoints: [{address: ${upstreams[s].host}, ports: {tcp-metaprotocol-thrift-${s}: ${upstreams[s].port}}}]
`,
    ).join('---\n'),
  );
  const child = startProcess(
    process.execPath,
    [
      ...launcherNodeFlags(opts.aerakiBin, 'up'),
      opts.aerakiBin,
      'up',
      configDir,
      '--admin',
      '127.0.0.1:0',
      '--control-plane-admin',
      '127.0.0.1:0',
      '--no-watch',
      // One proxy process, so that its RSS and its answers are one event loop's (the default is one worker per CPU).
      '--workers',
      '1',
      ...opts.upArgs,
    ],
    { env: { ...process.env, ...launcherEnvironment(opts.aerakiBin, 'up') } },
  );
  const logFile = createWriteStream(join(work, 'aeraki.log'));
  child.stderr?.pipe(logFile);
  const admin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('aeraki up: no ready line within 20 s')), 20_000);
    child.once('exit', code => reject(new Error(`aeraki up exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', line => {
      logFile.write(`${line}\n`);
      if (!line.includes('"msg":"ready"')) return;
      clearTimeout(timer);
      resolve(String((JSON.parse(line) as { admin: string }).admin));
    });
  });
  const services = {} as Record<Service, Endpoint>;
  for (const s of SERVICES) services[s] = { host: address, port: ports[s] };
  return { name: 'aeraki', process: child, services, admin };
}

async function startHaproxyTcp(work: string, upstreams: Record<Service, Endpoint>): Promise<ProxyUnderTest> {
  const host = '127.0.0.1';
  // maxconn 8000: the idle attack's 7,000 connections, within this machine's fd limit of 20,000.
  const cfg = ['global', '  nbthread 1', '  maxconn 8000', 'defaults', '  mode tcp'];
  cfg.push('  timeout connect 5s', '  timeout client 120s', '  timeout server 120s');
  const services = {} as Record<Service, Endpoint>;
  for (const s of SERVICES) {
    const port = await freePort(host);
    services[s] = { host, port };
    cfg.push(`frontend ${s}_in`, `  bind ${host}:${port}`, `  default_backend ${s}_out`);
    cfg.push(`backend ${s}_out`, `  server s1 ${upstreams[s].host}:${upstreams[s].port}`);
  }
  const file = join(work, 'haproxy.cfg');
  writeFileSync(file, `${cfg.join('\n')}\n`);
  const child = startProcess('haproxy', ['-f', file, '-db']);
  const logFile = createWriteStream(join(work, 'haproxy.log'));
  child.stdout?.pipe(logFile);
  child.stderr?.pipe(logFile);
  await sleep(500);
  if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}`);
  return { name: 'haproxy', process: child, services };
}

/** Polls `GET /ready` every 200 ms; reports the slowest answer (-1 if one took over 5 s). */
class AdminProbe {
  maxMs = 0;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(private readonly admin: string) {
    this.loop = this.run();
  }

  async stop(): Promise<number> {
    this.stopped = true;
    await this.loop;
    return this.maxMs;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const started = performance.now();
      try {
        await fetch(`http://${this.admin}/ready`, { signal: AbortSignal.timeout(5000) });
        if (this.maxMs >= 0) this.maxMs = Math.max(this.maxMs, performance.now() - started);
      } catch {
        this.maxMs = -1;
      }
      await sleep(200);
    }
  }
}

/** The attack processes of `name` against `proxy`. */
function specs(name: AttackName, proxy: ProxyUnderTest, durationMs: number): AttackSpec[] {
  const deaf = proxy.services.deaf;
  switch (name) {
    case 'flood':
    case 'sigterm':
      return [{ kind: 'flood', ...deaf, connections: 8, durationMs }];
    case 'slow':
      return [{ kind: 'slow-readers', ...proxy.services.victim, clients: 4, requests: 256, blobBytes: MiB }];
    case 'partial':
      return [
        {
          kind: 'stalled-writers',
          ...deaf,
          connections: 100,
          declaredBytes: 16 * MiB,
          sentBytes: 16 * MiB - 100,
        },
      ];
    case 'idle':
      return [
        { kind: 'idle', ...deaf, connections: 5000 },
        { kind: 'stalled-writers', ...deaf, connections: 2000, declaredBytes: 1000, sentBytes: 100 },
      ];
  }
}

async function runAttack(name: AttackName, proxy: ProxyUnderTest, durationS: number): Promise<AttackResult> {
  const pid = proxy.process.pid!;
  const baseline = rssBytes(pid);
  const control = await ControlCaller.start(proxy.services.control.host, proxy.services.control.port);
  const sampler = new RssSampler(pid);
  const probe = proxy.admin === undefined ? undefined : new AdminProbe(proxy.admin);
  const started = Date.now();
  const attacks = await Promise.all(
    specs(name, proxy, durationS * 1000).map(spec => AttackProcess.start(spec)),
  );
  let exitMs: number | undefined;
  if (name === 'sigterm') await sleep(Math.min(3000, durationS * 1000));
  else await sleep(Math.max(0, durationS * 1000 - (Date.now() - started)));
  // The control client and the probe stop first: for sigterm, they measured the flood until the signal.
  const report = await control.stop();
  const adminMaxMs = await probe?.stop();
  if (name === 'sigterm') {
    const signalled = Date.now();
    proxy.process.kill('SIGTERM');
    const exited = await Promise.race([
      once(proxy.process, 'exit').then(() => true),
      sleep(20_000).then(() => false),
    ]);
    exitMs = exited ? Date.now() - signalled : -1;
  }
  const counts = await Promise.all(attacks.map(a => a.stop()));
  const closedByProxy = counts.reduce((n, c) => n + c.closedByPeer, 0);
  const peak = sampler.stop();
  await sleep(name === 'sigterm' ? 0 : 5000);
  const after = rssBytes(pid);
  const mb = (bytes: number) => Math.round(bytes / MiB);
  return {
    target: proxy.name,
    attack: name,
    baselineRssMb: mb(baseline),
    peakRssMb: mb(peak),
    afterRssMb: mb(after),
    controlCalls: report.latenciesMs.length + report.errors.length,
    controlErrors: report.errors.length,
    controlP99Ms: Math.round(report.p99Ms),
    controlMaxMs: Math.round(report.maxMs),
    ...(adminMaxMs === undefined ? {} : { adminMaxMs: Math.round(adminMaxMs) }),
    closedByProxy,
    ...(exitMs === undefined ? {} : { exitMs }),
  };
}

function renderTable(results: readonly AttackResult[]): string {
  const header = [
    'target',
    'attack',
    'rss base',
    'rss peak',
    'rss after',
    'control p99',
    'control max',
    'control errors',
    'admin max',
    'closed by proxy',
    'exit',
  ];
  const rows = results.map(r => [
    r.target,
    r.attack,
    `${r.baselineRssMb} MB`,
    `${r.peakRssMb} MB`,
    r.attack === 'sigterm' ? '-' : `${r.afterRssMb} MB`,
    `${r.controlP99Ms} ms`,
    `${r.controlMaxMs} ms`,
    `${r.controlErrors}/${r.controlCalls}`,
    r.adminMaxMs === undefined ? '-' : r.adminMaxMs < 0 ? 'timeout' : `${r.adminMaxMs} ms`,
    String(r.closedByProxy),
    r.exitMs === undefined ? '-' : r.exitMs < 0 ? 'no exit in 20 s' : `${r.exitMs} ms`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), line(widths.map(w => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const root = repoRoot();
  const opts = parseOptions(root);
  const work = mkdtempSync(join(tmpdir(), 'aeraki-bench-overload-'));
  installCleanupHandlers(() => {
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  });
  const deaf = await startDeafServer();
  const stack = { protocol: 'binary', transport: 'framed' } as const;
  // In a process of its own: the gigabyte of replies it makes must not slow the control client here.
  const victim = await startHelloServerProcess({ tag: 'victim', stack });
  const control = await startHelloServer({ tag: 'control', stack });
  const upstreams: Record<Service, Endpoint> = { deaf, victim, control };
  const results: AttackResult[] = [];
  try {
    for (const target of opts.targets) {
      if (target === 'haproxy' && haproxyVersion() === undefined) {
        log('bench:overload: haproxy is not installed (scripts/setup.sh); skipping it');
        continue;
      }
      // sigterm ends the proxy: it runs last, on a fresh one like every attack.
      for (const attack of opts.attacks) {
        if (target === 'haproxy' && attack === 'sigterm') continue;
        const proxy =
          target === 'aeraki'
            ? await startAerakiUp(opts, work, upstreams)
            : await startHaproxyTcp(work, upstreams);
        log(`bench:overload: ${target} (pid ${proxy.process.pid}): ${attack} for ${opts.durationS} s`);
        const result = await runAttack(attack, proxy, opts.durationS);
        log(`bench:overload:   ${JSON.stringify(result)}`);
        results.push(result);
        await stopProcess(proxy.process, 5000);
        control.reset();
      }
    }
  } finally {
    await stopAll();
    await Promise.all([deaf.close(), victim.close(), control.close()]);
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ durationS: opts.durationS, results }, null, 2)}\n`);
  else process.stdout.write(`${renderTable(results)}\n`);
  return 0;
}

main().then(
  code => process.exit(code),
  (err: unknown) => {
    log(`bench:overload: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
