/**
 * `aeraki control-plane` as a child process, as users run it: started by PID, watched through its
 * JSON log lines (ready, config published, errors) and its /proc memory figures, stopped by PID.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { treeCpu, treePeakRssMb, treeRssMb, type CpuTime } from '../proc-stats.js';
import { startProcess, stopProcess } from '../processes.js';
import { launcherEnvironment, launcherNodeFlags } from '../../test/e2e/harness/launcher-flags.js';

/** The repository root (the directory holding `bin/aeraki`), from sources or from `dist/`. */
export function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'bin', 'aeraki')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('bin/aeraki not found above the benchmark');
    dir = parent;
  }
}

/** A free loopback port (the kernel picks it; the child binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A `config published` log line: when the child handed a new snapshot to its ADS server. */
export interface PublishEvent {
  /** Wall-clock time (ms since the epoch) of the log line. */
  readonly at: number;
  readonly version: string;
}

export interface ControlPlaneProcessOptions {
  readonly configDir: string;
  readonly port: number;
  /** Write a V8 CPU profile of the child into this directory when it exits. */
  readonly cpuProfileDir?: string;
  /** Extra node flags for the child. */
  readonly nodeFlags?: readonly string[];
  /** The child is killed, and the benchmark told, when its RSS passes this. */
  readonly maxRssMb: number;
  /** Serve the TLS xDS port too, on loopback at `port`, with these files (PEM). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string; readonly port: number };
}

/** A running control plane. */
export class ControlPlaneProcess {
  readonly publishes: PublishEvent[] = [];
  readonly errors: string[] = [];
  private readonly child: ChildProcess;
  private readonly sampler: NodeJS.Timeout;
  private readonly ready: Promise<void>;
  private phaseMaxRss = 0;
  private runMaxRss = 0;
  private lastPeakRss = 0;
  /** The last lines the child wrote to stderr (a crash's reason). */
  private stderrTail = '';
  private publishWaiters: Array<() => void> = [];
  /** Set when the child was killed for using too much memory. */
  overLimit: string | undefined;

  constructor(private readonly options: ControlPlaneProcessOptions) {
    const root = repositoryRoot();
    const bin = join(root, 'bin', 'aeraki');
    // Run as `aeraki control-plane` would: with the node flags and the memory allocator bin/aeraki
    // gives that command.
    const flags = [...launcherNodeFlags(bin, 'control-plane'), ...(options.nodeFlags ?? [])];
    if (options.cpuProfileDir !== undefined)
      flags.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
    this.child = startProcess(
      process.execPath,
      [
        ...flags,
        bin,
        'control-plane',
        '--config-dir',
        options.configDir,
        '--listen',
        `127.0.0.1:${options.port}`,
        '--log-level',
        'info',
        ...(options.tls === undefined
          ? []
          : [
              '--tls-cert',
              options.tls.cert,
              '--tls-key',
              options.tls.key,
              '--tls-ca',
              options.tls.ca,
              '--tls-listen',
              `127.0.0.1:${options.tls.port}`,
            ]),
      ],
      { cwd: root, env: { ...process.env, ...launcherEnvironment(bin, 'control-plane') } },
    );
    this.ready = new Promise((resolve, reject) => {
      const lines = createInterface({ input: this.child.stdout! });
      lines.on('line', line => {
        let entry: { msg?: string; level?: number; time?: string; version?: string };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          return;
        }
        if (entry.msg === 'ready') resolve();
        if (entry.msg === 'config published') {
          this.publishes.push({ at: Date.parse(entry.time ?? ''), version: entry.version ?? '' });
          for (const wake of this.publishWaiters) wake();
          this.publishWaiters = [];
        }
        if ((entry.level ?? 0) >= 50 && this.errors.length < 20) this.errors.push(line);
      });
      this.child.stderr!.on('data', (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-16_000);
      });
      this.child.once('exit', () =>
        reject(new Error(`control plane ${this.exitReason()} before it was ready`)),
      );
    });
    this.ready.catch(() => {});
    this.sampler = setInterval(() => this.sample(), 200);
    this.sampler.unref();
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Resolves when the child logs `ready` (config loaded and published, xDS listening). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** Resolves at the next `config published` line. */
  nextPublish(): Promise<void> {
    return new Promise(resolve => this.publishWaiters.push(resolve));
  }

  /** Resident set now, in MiB. */
  rssMb(): number {
    return treeRssMb(this.pid);
  }

  /**
   * Peak resident set since the child started, in MiB: VmHWM while it runs; after it died, the last
   * VmHWM read or the highest RSS sampled.
   */
  peakRssMb(): number {
    if (!this.exited) this.sample();
    return Math.max(this.lastPeakRss, this.runMaxRss);
  }

  /** Why the child is gone: killed by the benchmark, or its exit status and last stderr line. */
  exitReason(): string {
    if (this.overLimit !== undefined) return this.overLimit;
    const status = this.child.signalCode ?? this.child.exitCode;
    const lines = this.stderrTail
      .split('\n')
      .map(l => l.trim())
      .filter(l => l !== '');
    // A V8 crash prints its reason, then a native stack trace: the reason is what matters.
    const fatal = lines.find(l => /FATAL ERROR|out of memory|Error:/.test(l));
    const last = fatal ?? lines.slice(-3).join(' | ');
    return `exited (${status ?? 'running'})${last === '' ? '' : `: ${last}`}`;
  }

  cpu(): CpuTime {
    return treeCpu(this.pid);
  }

  /** Highest RSS sampled since the last call (every 200 ms), in MiB; starts a new phase. */
  takePhaseMaxRssMb(): number {
    this.sample();
    const max = this.phaseMaxRss;
    this.phaseMaxRss = 0;
    return max;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** SIGTERM, then SIGKILL after `graceMs` (a CPU profile needs time to be written). */
  async stop(graceMs = 5000): Promise<void> {
    clearInterval(this.sampler);
    await stopProcess(this.child, graceMs);
  }

  private sample(): void {
    if (this.exited) return;
    const rss = treeRssMb(this.pid);
    if (rss > this.phaseMaxRss) this.phaseMaxRss = rss;
    if (rss > this.runMaxRss) this.runMaxRss = rss;
    this.lastPeakRss = Math.max(this.lastPeakRss, treePeakRssMb(this.pid));
    if (rss > this.options.maxRssMb && this.overLimit === undefined) {
      this.overLimit = `passed the RSS limit (${Math.round(rss)} MiB > ${this.options.maxRssMb} MiB) and was killed`;
      this.child.kill('SIGKILL');
    }
  }
}
