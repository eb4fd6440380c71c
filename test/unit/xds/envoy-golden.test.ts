/**
 * Envoy encoding of every golden translation (test/fixtures/config/golden/<case>/expected.json): the
 * snapshot encodes to the resources in `envoy.json` next to it (Envoy v3 JSON, snake_case, `@type`
 * on every Any), and those resources decode back to the same snapshot. Regenerate with
 * `UPDATE_GOLDEN=1`, then review every changed line by hand.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  decodeResources,
  decodeSnapshot,
  encodeSnapshot,
  resourceFromJson,
  resourceToJson,
  type ProxySnapshot,
} from '../../../src/xds/index.js';
import { CONFIG_FIXTURES } from '../control-plane/fixtures.js';

const GOLDEN = join(CONFIG_FIXTURES, 'golden');
const update = process.env['UPDATE_GOLDEN'] === '1';

async function writeGolden(file: string, value: unknown): Promise<void> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(JSON.stringify(value), { ...options, filepath: file }));
}

describe('Envoy encoding of the golden snapshots', () => {
  for (const name of readdirSync(GOLDEN).sort()) {
    test(name, async () => {
      const dir = join(GOLDEN, name);
      const { snapshot } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
        snapshot: ProxySnapshot;
      };
      const resources = encodeSnapshot(snapshot);
      const actual = JSON.parse(JSON.stringify(resources.map(resourceToJson))) as unknown;
      const envoyFile = join(dir, 'envoy.json');
      if (update) await writeGolden(envoyFile, actual);
      const expected = JSON.parse(readFileSync(envoyFile, 'utf8')) as Record<string, unknown>[];
      assert.deepEqual(actual, expected);

      // Back from the golden JSON: same wire bytes, same snapshot.
      const fromJson = expected.map(resourceFromJson);
      assert.deepEqual(
        fromJson.map(r => [r.typeUrl, r.name, Buffer.from(r.value).toString('base64')]),
        resources.map(r => [r.typeUrl, r.name, Buffer.from(r.value).toString('base64')]),
      );
      const decoded = decodeSnapshot(snapshot.version, fromJson);
      assert.deepEqual(decoded.errors, []);
      assert.deepEqual(decoded.snapshot, snapshot);
      assert.deepEqual(decodeResources(resources).errors, []);
    });
  }
});
