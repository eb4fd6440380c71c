/**
 * Compiles the benchmark's C client and server with `gcc -O2` into bench/native/*.bin (git-ignored),
 * skipping a program whose binary is newer than its source.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of the compiled benchmark programs. */
export interface NativePrograms {
  server: string;
  loadgen: string;
}

function compile(dir: string, name: string): string {
  const source = join(dir, `${name}.c`);
  const binary = join(dir, `${name}.bin`);
  if (existsSync(binary) && statSync(binary).mtimeMs > statSync(source).mtimeMs) return binary;
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

/** Builds both programs found in `dir` (bench/native). */
export function buildNative(dir: string): NativePrograms {
  return { server: compile(dir, 'thrift_server'), loadgen: compile(dir, 'thrift_loadgen') };
}
