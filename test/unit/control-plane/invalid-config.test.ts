/**
 * Every validation rule, located: each directory under test/fixtures/config/invalid is loaded as one
 * config, and the issues must be exactly those announced by `# expect: <severity> <rule> <field>`
 * comments (several separated by `;`, field `-` for none) on the lines they are reported at.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../src/control-plane/index.js';
import { listYamlFiles } from '../../../src/control-plane/sources/file-source.js';
import { CONFIG_FIXTURES } from './fixtures.js';

const INVALID = join(CONFIG_FIXTURES, 'invalid');

function expectations(files: readonly string[]): string[] {
  const expected: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((text, i) => {
        const marker = /# expect: (.*)$/.exec(text);
        if (marker === null) return;
        for (const entry of (marker[1] ?? '').split(';')) {
          const [severity, rule, field] = entry.trim().split(/\s+/);
          expected.push(`${file}:${i + 1} ${severity} ${rule} ${field === '-' ? '' : field}`);
        }
      });
  }
  return expected.sort();
}

describe('invalid configs report each broken rule at its file, line and field', () => {
  for (const name of readdirSync(INVALID).sort()) {
    test(name, async () => {
      const dir = join(INVALID, name);
      const files = await listYamlFiles(dir, []);
      const loaded = await loadConfig(dir);
      const actual = loaded.issues.map(i => `${i.file}:${i.line} ${i.severity} ${i.rule} ${i.field}`).sort();
      assert.deepEqual(actual, expectations(files));
      for (const issue of loaded.issues) {
        assert.ok(issue.message.length > 0, 'every issue has a message');
        assert.ok(issue.column >= 1, 'columns are 1-based');
      }
    });
  }
});
