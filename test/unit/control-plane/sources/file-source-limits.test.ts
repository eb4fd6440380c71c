/**
 * What a config file may be: at most the size limit (a larger one is refused unread), UTF-8, at most
 * the document limit, with aliases that do not explode. Each refusal is one error naming the file.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FileSource } from '../../../../src/control-plane/sources/file-source.js';
import { parseYamlDocuments } from '../../../../src/control-plane/sources/yaml-documents.js';
import { configDir } from '../temp-config.js';

const doc = (name: string): string =>
  `apiVersion: metaprotocol.aeraki.io/v1alpha1\nkind: ApplicationProtocol\nmetadata:\n  name: ${name}\nspec:\n  protocol: ${name}\n  codec: aeraki.meta_protocol.codec.${name}\n`;

describe('file size limit', () => {
  test('a larger file is an error naming it, its size and the limit, and is not read', async () => {
    const dir = configDir({ 'a.yaml': doc('a') });
    // Not UTF-8 either: reading it would have been a second issue.
    writeFileSync(join(dir, 'big.yaml'), Buffer.alloc(2048, 0xff));
    const snapshot = await new FileSource(dir, { maxFileBytes: 1024 }).list();
    assert.deepEqual(
      snapshot.documents.map(d => d.file),
      [join(dir, 'a.yaml')],
    );
    assert.deepEqual(
      snapshot.issues.map(i => [i.file, i.rule, i.severity]),
      [[join(dir, 'big.yaml'), 'config-file-too-large', 'error']],
    );
    assert.equal(
      snapshot.issues[0]?.message,
      `${join(dir, 'big.yaml')} is 2 KiB (2048 bytes), over the limit of 1 KiB for one config file; it was not read`,
    );
    assert.deepEqual(snapshot.files, [join(dir, 'a.yaml')]);
  });

  test('a file at the limit is read', async () => {
    const text = doc('a');
    const dir = configDir({ 'a.yaml': text });
    const snapshot = await new FileSource(dir, { maxFileBytes: Buffer.byteLength(text) }).list();
    assert.deepEqual(snapshot.issues, []);
    assert.equal(snapshot.documents.length, 1);
  });

  test('a file that grows over the limit is refused on the next listing', async () => {
    const dir = configDir({ 'a.yaml': doc('a') });
    const source = new FileSource(dir, { maxFileBytes: 1024 });
    assert.deepEqual((await source.list()).issues, []);
    writeFileSync(join(dir, 'a.yaml'), `${doc('a')}#${'x'.repeat(1024)}\n`);
    assert.deepEqual(
      (await source.list()).issues.map(i => i.rule),
      ['config-file-too-large'],
    );
  });
});

describe('UTF-8', () => {
  test('a file that is not UTF-8 is an error naming it, the byte offset, line and column', async () => {
    const dir = configDir({ 'a.yaml': doc('a') });
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from(doc('café'), 'latin1'));
    const snapshot = await new FileSource(dir).list();
    assert.equal(snapshot.documents.length, 1);
    const [issue] = snapshot.issues;
    assert.equal(issue?.rule, 'config-not-utf8');
    assert.equal(issue?.file, join(dir, 'latin1.yaml'));
    const offset = Buffer.from(doc('caf'), 'latin1').indexOf('caf') + 3;
    assert.equal(
      issue?.message,
      `${join(dir, 'latin1.yaml')} is not UTF-8: ill-formed bytes 0xe9 0x0a 0x73 0x70 at byte offset ${offset}`,
    );
    assert.deepEqual([issue?.line, issue?.column], [4, 12]);
  });
});

describe('YAML limits', () => {
  test('a file with more documents than the limit is refused whole, at the first one past it', () => {
    const parsed = parseYamlDocuments('many.yaml', `${doc('a')}---\n${doc('b')}---\n${doc('c')}`, {
      maxDocuments: 2,
    });
    assert.deepEqual(parsed.documents, []);
    assert.deepEqual(
      parsed.issues.map(i => [i.rule, i.line, i.documentIndex]),
      [['yaml-too-many-documents', 16, -1]],
    );
    assert.match(parsed.issues[0]!.message, /many\.yaml holds more than 2 documents/);
  });

  test('a million empty documents are refused quickly, by the default limit', () => {
    const parsed = parseYamlDocuments('empty.yaml', '---\n'.repeat(1_000_000));
    assert.deepEqual(
      parsed.issues.map(i => i.rule),
      ['yaml-too-many-documents'],
    );
  });

  test('aliases that expand a few lines into billions of nodes are refused', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const previous = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(',')}]`);
    }
    const parsed = parseYamlDocuments('laughs.yaml', `${doc('ok')}---\n${levels.join('\n')}\n`);
    assert.equal(parsed.documents.length, 1, 'the other document still loads');
    assert.deepEqual(
      parsed.issues.map(i => [i.rule, i.documentIndex]),
      [['yaml-alias-limit', 1]],
    );
  });

  test('nesting too deep to convert is an error, not a crash', () => {
    const deep = `a: ${'['.repeat(20000)}${']'.repeat(20000)}\n`;
    const parsed = parseYamlDocuments('deep.yaml', deep);
    assert.deepEqual(
      parsed.issues.map(i => [i.rule, i.message]),
      [['yaml-too-deep', 'YAML: the document is nested too deep to read']],
    );
  });

  test('fields of a later document are located in the file, not in the document alone', () => {
    const text = `${doc('a')}--- {kind: B, spec: {x: 1}}\n---\n# comment\n${doc('c')}`;
    const { documents } = parseYamlDocuments('f.yaml', text);
    assert.deepEqual(documents[1]?.locate(['spec', 'x']), { line: 8, column: 22 });
    assert.deepEqual(documents[2]?.locate(['spec', 'codec']), { line: 17, column: 3 });
    assert.deepEqual(documents[2]?.locate(['metadata', 'missing']), { line: 13, column: 1 });
  });
});
