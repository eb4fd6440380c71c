/**
 * Fixture files for the codec test kit: hex with comments, text, binary files, lists; mistakes name
 * the file and the field.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadCodecFixtureFile, loadCodecFixtures } from '../../../src/codec/index.js';
import { AerakiError, ErrorCodes } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'aeraki-fixtures-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('codec fixture files', () => {
  test('hex with comments, text, a binary file and lists, in file-name order', async () => {
    file(
      'b.yaml',
      'name: hex\nhex: |\n  0a0b  # two bytes\n  0c\nexpect: [{ type: request, requestId: 7, metadata: { m: x } }]\n',
    );
    file('frame.bin', Buffer.from([1, 2, 3]));
    file(
      'a.yaml',
      'fixtures:\n  - { text: "get k\\r\\n", expect: [{ type: request }] }\n  - { file: frame.bin, side: upstream, config: { max: 1 }, carriesMutation: true, expect: [{ type: response, requestId: "18446744073709551615", status: error, length: 3 }] }\n',
    );
    file('notes.txt', 'ignored');
    const fixtures = await loadCodecFixtures(dir);
    assert.deepEqual(
      fixtures.map(f => [f.name, f.bytes.toString('hex'), f.side ?? 'downstream']),
      [
        ['a #1', Buffer.from('get k\r\n').toString('hex'), 'downstream'],
        ['a #2', '010203', 'upstream'],
        ['hex', '0a0b0c', 'downstream'],
      ],
    );
    assert.deepEqual(fixtures[1]!.expect, [
      { type: 'response', requestId: 2n ** 64n - 1n, status: 'error', length: 3 },
    ]);
    assert.deepEqual(fixtures[1]!.config, { max: 1 });
    assert.equal(fixtures[1]!.carriesMutation, true);
    assert.deepEqual(fixtures[2]!.expect, [{ type: 'request', requestId: 7, metadata: { m: 'x' } }]);
  });

  test('mistakes name the file and the field', async () => {
    const cases: [string, RegExp][] = [
      ['hex: 0a0\nexpect: []\n', /bad-1\.yaml: hex: not pairs of hex digits/],
      ['hex: 0a\ntext: x\nexpect: []\n', /give exactly one of hex, text and file/],
      ['hex: 0a\nexpect: [{ type: reply }]\n', /expect\[0\]\.type must be one of request, oneway, response/],
      ['hex: 0a\nexpect: [{ type: request, id: 1 }]\n', /expect\[0\]: unknown field 'id'/],
      [
        'fixtures:\n  - { hex: 0a, expect: [], side: left }\n',
        /fixtures\[0\]: side must be downstream or upstream/,
      ],
      ['hex: 0a\n', /expect must be a list/],
    ];
    for (const [i, [content, pattern]] of cases.entries()) {
      await assert.rejects(loadCodecFixtureFile(file(`bad-${i + 1}.yaml`, content)), (err: unknown) => {
        assert.ok(err instanceof AerakiError && err.code === ErrorCodes.CONFIG_INVALID);
        assert.match(err.message, pattern);
        return true;
      });
    }
    await assert.rejects(loadCodecFixtures(join(dir, 'none')), /cannot read fixtures/);
  });
});
