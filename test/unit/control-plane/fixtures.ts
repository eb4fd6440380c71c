/**
 * Finds the config fixtures whether tests run from sources (tsx) or from `dist/`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findFixtures(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'test', 'fixtures', 'config');
    if (existsSync(join(candidate, 'golden'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('test/fixtures/config not found above the test file');
    dir = parent;
  }
}

/** `test/fixtures/config` in the source tree. */
export const CONFIG_FIXTURES = findFixtures();
