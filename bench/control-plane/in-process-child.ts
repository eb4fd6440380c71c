/**
 * The in-process stages (in-process.ts) run in a child process of their own. The benchmark process is
 * the simulated proxies' load generator and must stay lean: timing loadConfig, translate and encode
 * in it would leave it holding a large heap (and the garbage of several 10,000-service loads) while it
 * drives a thousand ADS streams, and slow the edits it measures.
 *
 * As a program: `node in-process-child.js DIR RUNS BUDGET_MS` prints progress lines on stderr and the
 * InProcessResult as JSON on its last stdout line.
 */
import { fileURLToPath } from 'node:url';
import { startProcess, stopProcess } from '../processes.js';
import { measureInProcess, type InProcessResult } from './in-process.js';

const self = fileURLToPath(import.meta.url);

/** Runs measureInProcess in a child process; `progress` gets its progress lines. */
export async function measureInChildProcess(
  dir: string,
  maxRuns: number,
  budgetMs: number,
  progress: (line: string) => void,
): Promise<InProcessResult> {
  const child = startProcess(process.execPath, [self, dir, String(maxRuns), String(budgetMs)]);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    const lines = stderr.split('\n');
    stderr = lines.pop() ?? '';
    for (const line of lines) progress(line);
  });
  const code = await new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
  await stopProcess(child); // a no-op once it exited; registered processes are always stopped
  if (code !== 0) throw new Error(`in-process stages failed (exit ${code}): ${stderr.trim()}`);
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as InProcessResult;
}

if (process.argv[1] === self) {
  const [dir, runs, budget] = process.argv.slice(2);
  if (dir === undefined) throw new Error('usage: in-process-child.js DIR RUNS BUDGET_MS');
  const result = await measureInProcess(dir, Number(runs ?? 3), Number(budget ?? 20_000), line =>
    process.stderr.write(`${line}\n`),
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
