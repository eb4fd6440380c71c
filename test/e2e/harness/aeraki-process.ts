/**
 * Runs the real `aeraki` command as a child process: compiled (`bin/aeraki`) when this harness runs
 * from dist/, from TypeScript sources through tsx when it runs from test/. Started processes are
 * stopped by PID, and any still running when the test process exits are killed then.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot, runningFromSource } from './repo-root.js';
import { canConnect } from './net-utils.js';
import { launcherEnvironment, launcherNodeFlags } from './launcher-flags.js';

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The command line that runs `aeraki <args>`; compiled, with the node flags and the environment
 * (allocator) bin/aeraki's launcher gives the command, as users run it.
 */
export function aerakiCommand(args: readonly string[]): {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
} {
  const root = repoRoot();
  const bin = join(root, 'bin/aeraki');
  const command = args[0] ?? '';
  if (runningFromSource()) {
    return {
      command: process.execPath,
      args: ['--import', 'tsx', join(root, 'src/cli/bin.ts'), ...args],
      cwd: root,
      env: process.env,
    };
  }
  return {
    command: process.execPath,
    args: [...launcherNodeFlags(bin, command), bin, ...args],
    cwd: root,
    env: { ...process.env, ...launcherEnvironment(bin, command) },
  };
}

/** How a finished `aeraki` process ended, with everything it printed. */
export interface AerakiResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `aeraki <args>` to completion (killed after `timeoutMs`). */
export async function runAeraki(args: readonly string[], timeoutMs = 15000): Promise<AerakiResult> {
  const { command, args: argv, cwd, env } = aerakiCommand(args);
  const child = spawn(command, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await new Promise(resolve => child.once('exit', (c, s) => resolve([c, s])))) as [
    number | null,
    NodeJS.Signals | null,
  ];
  clearTimeout(timer);
  running.delete(child);
  return { code, signal, stdout, stderr };
}

export interface StartAerakiOptions {
  /**
   * Extra arguments after `up DIR` (default: `--admin 127.0.0.1:0 --control-plane-admin 127.0.0.1:0`,
   * so tests never fight over 15000 and 15011).
   */
  readonly args?: readonly string[];
  /** Arguments added after the default ones (e.g. `--access-log FILE`), when `args` is not given. */
  readonly extraArgs?: readonly string[];
  /** Listener addresses that must accept connections before the proxy counts as ready. */
  readonly listeners?: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  readonly readyTimeoutMs?: number;
}

/** A running `aeraki up`. */
export class AerakiProcess {
  /** Parsed JSON log lines from stdout (non-JSON lines are kept as `{msg: line}`). */
  readonly logs: Array<Record<string, unknown>> = [];
  stderr = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  /** @internal */
  constructor(private readonly child: ChildProcess) {
    let partial = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.addLogLine(line);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      if (this.stderr.length > 64 * 1024) this.stderr = this.stderr.slice(-32 * 1024);
    });
    this.exited = new Promise(resolve =>
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        running.delete(child);
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** How the process ended, or undefined while it runs. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitInfo;
  }

  /** Whether a log line has `msg` equal to `msg`. */
  hasLog(msg: string): boolean {
    return this.logs.some(l => l.msg === msg);
  }

  /** The last lines of output, for failure messages. */
  outputTail(): string {
    const out = this.logs
      .slice(-20)
      .map(l => JSON.stringify(l))
      .join('\n');
    return `stdout (last lines):\n${out}\nstderr:\n${this.stderr.slice(-4000)}`;
  }

  /** Stops the process (SIGTERM, then SIGKILL after `graceMs`) and waits for it to exit. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exitInfo !== undefined) return;
    this.child.kill('SIGTERM');
    const killed = await Promise.race([this.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (killed) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** @internal */
  async waitExit(): Promise<void> {
    await this.exited;
  }

  private addLogLine(line: string): void {
    if (line.trim() === '') return;
    let entry: Record<string, unknown>;
    try {
      const parsed = JSON.parse(line) as unknown;
      entry =
        typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { msg: line };
    } catch {
      entry = { msg: line };
    }
    this.logs.push(entry);
    if (this.logs.length > 10000) this.logs.splice(0, 5000);
  }
}

/**
 * Starts `aeraki up <configDir>` and resolves once it is ready: it logged `"msg":"ready"` and every
 * listener in `options.listeners` accepts connections. Rejects (after stopping it) if it exits or is
 * not ready in time.
 */
export async function startAeraki(
  configDir: string,
  options: StartAerakiOptions = {},
): Promise<AerakiProcess> {
  return startAerakiCommand(
    [
      'up',
      configDir,
      ...(options.args ?? [
        '--admin',
        '127.0.0.1:0',
        '--control-plane-admin',
        '127.0.0.1:0',
        ...(options.extraArgs ?? []),
      ]),
    ],
    'ready',
    options,
  );
}

/**
 * Starts any `aeraki` command (`control-plane`, `proxy`, …) and resolves once it logged `readyMsg`
 * and every listener in `options.listeners` accepts connections (`options.args` is ignored here).
 */
export async function startAerakiCommand(
  argv: readonly string[],
  readyMsg: string,
  options: StartAerakiOptions = {},
): Promise<AerakiProcess> {
  const { command, args, cwd, env } = aerakiCommand(argv);
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const aeraki = new AerakiProcess(child);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20000);
  const listeners = options.listeners ?? [];
  const name = `aeraki ${argv[0] ?? ''}`;
  for (;;) {
    if (aeraki.exit !== undefined) {
      throw new Error(
        `${name} exited before it was ready (code ${aeraki.exit.code}, signal ${aeraki.exit.signal})\n${aeraki.outputTail()}`,
      );
    }
    if (aeraki.hasLog(readyMsg)) {
      const open = await Promise.all(listeners.map(l => canConnect(l.host, l.port)));
      if (open.every(Boolean)) return aeraki;
    }
    if (Date.now() > deadline) {
      await aeraki.stop();
      throw new Error(`${name} was not ready in time\n${aeraki.outputTail()}`);
    }
    await sleep(50);
  }
}
