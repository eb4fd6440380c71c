/**
 * Every process the benchmark starts is registered here, so that all of them are stopped by PID on a
 * normal end, on an error and on Ctrl-C. Nothing is killed by name.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { processTree } from './proc-stats.js';

const running = new Set<ChildProcess>();

/** Starts a process and registers it for clean-up. */
export function startProcess(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const timer = new Promise<false>(resolve => setTimeout(resolve, ms, false).unref());
  return Promise.race([once(child, 'exit').then(() => true), timer]);
}

/**
 * Stops a process: SIGTERM (or `signal`), then SIGKILL after `graceMs`. Descendants it forked (proxy
 * workers) that outlive it are killed by PID too.
 */
export async function stopProcess(child: ChildProcess, graceMs = 3000, signal: NodeJS.Signals = 'SIGTERM') {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const descendants = processTree(pid).slice(1);
  child.kill(signal);
  if (!(await exited(child, graceMs))) {
    child.kill('SIGKILL');
    await exited(child, 1000);
  }
  for (const p of descendants) {
    if (alive(p)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

/** Stops every registered process. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map(child => stopProcess(child)));
}

/**
 * Makes Ctrl-C, SIGTERM and any exit stop every registered process, and then run `afterStop` once
 * (e.g. to remove temporary files): whether the bench ends normally, throws or is interrupted.
 */
export function installCleanupHandlers(afterStop: () => void = () => {}): void {
  let cleaned = false;
  const cleanUp = (): void => {
    if (cleaned) return;
    cleaned = true;
    afterStop();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nbench: ${signal}, stopping the processes it started\n`);
    void stopAll()
      .then(cleanUp)
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    cleanUp();
  });
}
