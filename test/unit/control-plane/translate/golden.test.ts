/**
 * Golden translation tests: each directory under test/fixtures/config/golden holds a config and the
 * `expected.json` it must produce (issues located by file, line, field and rule, and the whole proxy
 * snapshot). Regenerate with `UPDATE_GOLDEN=1`, then review every changed line by hand before committing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig, translate } from '../../../../src/control-plane/index.js';
import { CONFIG_FIXTURES } from '../fixtures.js';

const GOLDEN = join(CONFIG_FIXTURES, 'golden');
const update = process.env['UPDATE_GOLDEN'] === '1';

async function actualFor(dir: string): Promise<unknown> {
  const loaded = await loadConfig(dir);
  const issues = loaded.issues.map(i => ({
    severity: i.severity,
    file: relative(dir, i.file),
    line: i.line,
    field: i.field,
    rule: i.rule,
  }));
  return JSON.parse(JSON.stringify({ issues, snapshot: translate(loaded.config) })) as unknown;
}

async function writeGolden(file: string, value: unknown): Promise<void> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(JSON.stringify(value), { ...options, filepath: file }));
}

describe('golden translations', () => {
  for (const name of readdirSync(GOLDEN).sort()) {
    test(name, async () => {
      const dir = join(GOLDEN, name);
      const expectedFile = join(dir, 'expected.json');
      const actual = await actualFor(dir);
      if (update) await writeGolden(expectedFile, actual);
      const expected = JSON.parse(readFileSync(expectedFile, 'utf8')) as unknown;
      assert.deepEqual(actual, expected);
      const { issues } = actual as { issues: { severity: string }[] };
      assert.equal(
        issues.filter(i => i.severity === 'error').length,
        0,
        'golden configs must be free of errors',
      );
    });
  }
});
