import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The repository's root directory: the nearest ancestor of this file holding the `aeraki` package.json.
 * Works the same from test/e2e/harness/ (run with tsx) and from dist/test/e2e/harness/ (compiled).
 */
export function repoRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown };
      if (pkg.name === 'aeraki') return (cached = dir);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no aeraki package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** True when this code runs from TypeScript sources (tsx), false when it runs compiled from dist/. */
export function runningFromSource(): boolean {
  return import.meta.url.endsWith('.ts');
}
