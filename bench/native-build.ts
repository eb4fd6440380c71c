/**
 * Compiles the benchmark's C clients and servers with `gcc -O2` into bench/native/*.bin (git-ignored),
 * skipping a program whose binary is newer than its source and than every header it may include.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Protocol } from './protocols.js';

/** Paths of one protocol's compiled programs. */
export interface NativePrograms {
  server: string;
  loadgen: string;
}

/** The newest modification time of the shared headers (bench/native/*.h). */
function newestHeaderMs(dir: string): number {
  return readdirSync(dir)
    .filter(f => f.endsWith('.h'))
    .reduce((newest, f) => Math.max(newest, statSync(join(dir, f)).mtimeMs), 0);
}

function compile(dir: string, name: string, headersMs: number): string {
  const source = join(dir, `${name}.c`);
  const binary = join(dir, `${name}.bin`);
  if (existsSync(binary)) {
    const built = statSync(binary).mtimeMs;
    if (built > statSync(source).mtimeMs && built > headersMs) return binary;
  }
  try {
    execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', binary, source], {
      stdio: ['ignore', 'inherit', 'pipe'],
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error('gcc not found: run scripts/setup.sh (it installs gcc)');
    const stderr = String((err as { stderr?: unknown }).stderr ?? '');
    throw new Error(`gcc failed on ${source}:\n${stderr}`);
  }
  return binary;
}

/** Builds each protocol's server and load generator found in `dir` (bench/native). */
export function buildNative(dir: string, protocols: readonly Protocol[]): Map<string, NativePrograms> {
  const headersMs = newestHeaderMs(dir);
  return new Map(
    protocols.map(p => [
      p.name,
      { server: compile(dir, p.server, headersMs), loadgen: compile(dir, p.loadgen, headersMs) },
    ]),
  );
}
