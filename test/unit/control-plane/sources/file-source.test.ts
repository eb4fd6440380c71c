import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../../../src/control-plane/index.js';
import { FileSource } from '../../../../src/control-plane/sources/file-source.js';
import { configDir } from '../temp-config.js';

const doc = (name: string): string =>
  `apiVersion: metaprotocol.aeraki.io/v1alpha1\nkind: ApplicationProtocol\nmetadata:\n  name: ${name}\nspec:\n  protocol: ${name}\n  codec: aeraki.meta_protocol.codec.${name}\n`;

describe('FileSource.list', () => {
  test('reads *.yaml and *.yml recursively in sorted path order, skipping dot entries and other files', async () => {
    const dir = configDir({
      'b.yaml': doc('b'),
      'a/z.yml': doc('z'),
      'a/c.YAML': doc('c'),
      'notes.txt': 'not config',
      '.hidden.yaml': doc('hidden'),
      '.git/x.yaml': doc('x'),
    });
    const snapshot = await new FileSource(dir).list();
    assert.deepEqual(
      snapshot.documents.map(d => d.file),
      [join(dir, 'a/c.YAML'), join(dir, 'a/z.yml'), join(dir, 'b.yaml')],
    );
    assert.deepEqual(snapshot.issues, []);
  });

  test('follows symlinked files, as in a Kubernetes ConfigMap mount', async () => {
    const dir = configDir({ '..data/config.yaml': doc('linked') });
    symlinkSync(join(dir, '..data/config.yaml'), join(dir, 'config.yaml'));
    const snapshot = await new FileSource(dir).list();
    assert.deepEqual(
      snapshot.documents.map(d => d.file),
      [join(dir, 'config.yaml')],
    );
  });

  test('splits files on --- and numbers documents from 0, counting empty ones', async () => {
    const dir = configDir({ 'all.yaml': `${doc('a')}---\n---\n${doc('b')}` });
    const snapshot = await new FileSource(dir).list();
    assert.deepEqual(
      snapshot.documents.map(d => d.documentIndex),
      [0, 2],
    );
  });

  test('a YAML syntax error names file and line; other documents of the file still load', async () => {
    const dir = configDir({ 'bad.yaml': `${doc('a')}---\nkind: [unclosed\nfoo: bar\n---\n${doc('b')}` });
    const snapshot = await new FileSource(dir).list();
    assert.deepEqual(
      snapshot.documents.map(d => d.documentIndex),
      [0, 2],
    );
    assert.equal(snapshot.issues.length, 1);
    const issue = snapshot.issues[0];
    assert.equal(issue?.rule, 'yaml-syntax');
    assert.equal(issue?.severity, 'error');
    assert.equal(issue?.file, join(dir, 'bad.yaml'));
    assert.equal(issue?.documentIndex, 1);
    assert.ok(issue !== undefined && issue.line >= 9 && issue.line <= 10, `line ${issue?.line}`);
  });

  test('duplicate keys are syntax errors', async () => {
    const dir = configDir({ 'dup.yaml': 'kind: A\nkind: B\n' });
    const snapshot = await new FileSource(dir).list();
    assert.equal(snapshot.issues[0]?.rule, 'yaml-syntax');
    assert.equal(snapshot.issues[0]?.line, 2);
  });

  test('a missing directory is an issue, not an exception', async () => {
    const snapshot = await new FileSource('/nonexistent/aeraki-config').list();
    assert.equal(snapshot.documents.length, 0);
    assert.equal(snapshot.issues[0]?.rule, 'config-io');
    assert.equal(snapshot.issues[0]?.file, '/nonexistent/aeraki-config');
  });

  test('a single file can be the root', async () => {
    const dir = configDir({ 'one.yaml': doc('one') });
    const snapshot = await new FileSource(join(dir, 'one.yaml')).list();
    assert.equal(snapshot.documents.length, 1);
  });

  test('locates fields, and missing fields at their closest parent', async () => {
    const dir = configDir({
      'x.yaml':
        'apiVersion: v1\nkind: K\nspec:\n  routes:\n    - name: a\n      route:\n        - weight: 5\n',
    });
    const [document] = (await new FileSource(dir).list()).documents;
    assert.ok(document !== undefined);
    assert.deepEqual(document.locate(['spec', 'routes', 0, 'route', 0, 'weight']), { line: 7, column: 11 });
    assert.deepEqual(document.locate(['spec', 'routes', 0, 'match', 'attributes']), { line: 5, column: 7 });
    assert.deepEqual(document.locate([]), { line: 1, column: 1 });
  });

  test('versions change with content and only with content', async () => {
    const dir = configDir({ 'a.yaml': doc('a') });
    const source = new FileSource(dir);
    const first = await source.list();
    assert.equal((await source.list()).version, first.version);
    writeFileSync(join(dir, 'a.yaml'), doc('b'));
    const second = await source.list();
    assert.notEqual(second.version, first.version);
    assert.notEqual(second.documents[0]?.resourceVersion, first.documents[0]?.resourceVersion);
  });

  test('a file whose stat is unchanged keeps its documents; a rewrite of the same size and mtime is still seen', async () => {
    const dir = configDir({ 'a.yaml': doc('a'), 'b.yaml': doc('b') });
    // An hour old: past the window in which a file is read again whatever its stat says.
    const old = new Date(Date.now() - 3_600_000);
    for (const name of ['a.yaml', 'b.yaml']) utimesSync(join(dir, name), old, old);
    const source = new FileSource(dir);
    const first = await source.list();
    const second = await source.list();
    assert.deepEqual(second.documents, first.documents);
    assert.equal(second.documents[0], first.documents[0]);

    // Same size, mtime put back: only the inode change time tells.
    writeFileSync(join(dir, 'b.yaml'), doc('c'));
    utimesSync(join(dir, 'b.yaml'), old, old);
    const third = await source.list();
    assert.equal(third.documents[0], first.documents[0]);
    assert.equal((third.documents[1]?.data as { metadata: { name: string } }).metadata.name, 'c');
  });

  test('a file that cannot be read any more is an issue; the others still load', async () => {
    const dir = configDir({ 'a.yaml': doc('a'), 'b.yaml': doc('b') });
    const source = new FileSource(dir);
    await source.list();
    rmSync(join(dir, 'b.yaml'));
    symlinkSync(join(dir, 'missing.yaml'), join(dir, 'b.yaml'));
    const snapshot = await source.list();
    assert.deepEqual(
      snapshot.documents.map(d => d.file),
      [join(dir, 'a.yaml')],
    );
    assert.equal(snapshot.issues[0]?.rule, 'config-io');
    assert.equal(snapshot.issues[0]?.file, join(dir, 'b.yaml'));
  });
});

describe('FileSource.watch', () => {
  test('delivers one snapshot per burst of changes, after the debounce', async () => {
    const dir = configDir({ 'a.yaml': doc('a') });
    const source = new FileSource(dir, { debounceMs: 100 });
    await source.list();
    const seen: string[][] = [];
    let notify: () => void = () => {};
    const delivered = new Promise<void>(resolve => (notify = resolve));
    const watch = source.watch(snapshot => {
      seen.push(
        snapshot.documents.map(d => String((d.data as { metadata: { name: string } }).metadata.name)),
      );
      notify();
    });
    try {
      writeFileSync(join(dir, 'b.yaml'), doc('b'));
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub/c.yaml'), doc('c'));
      await delivered;
      await new Promise(resolve => setTimeout(resolve, 250));
      assert.deepEqual(seen, [['a', 'b', 'c']]);
    } finally {
      watch.close();
    }
  });
});

describe('loadConfig', () => {
  test('an empty directory gives a no-config warning', async () => {
    const dir = configDir({ 'README.md': '# nothing' });
    const loaded = await loadConfig(dir);
    assert.deepEqual(
      loaded.issues.map(i => [i.severity, i.rule]),
      [['warning', 'no-config']],
    );
  });
});

describe('FileSource parse cache', () => {
  test('a reload hands over the same documents for unchanged files and new ones for changed files', async () => {
    const dir = configDir({ 'a.yaml': doc('a'), 'b.yaml': doc('b') });
    const source = new FileSource(dir);
    const first = await source.list();
    writeFileSync(join(dir, 'b.yaml'), doc('b2'));
    const second = await source.list();
    assert.equal(second.documents[0], first.documents[0], 'a.yaml is not parsed again');
    assert.notEqual(second.documents[1], first.documents[1]);
    assert.deepEqual(
      second.documents[1]?.data,
      (await new FileSource(join(dir, 'b.yaml')).list()).documents[0]?.data,
    );
    assert.notEqual(second.version, first.version);
  });

  test('fields are still located after the syntax tree is dropped', async () => {
    const dir = configDir({ 'a.yaml': `${doc('a')}---\n${doc('b')}` });
    const [, second] = (await new FileSource(dir).list()).documents;
    assert.deepEqual(second?.locate(['spec', 'codec']), { line: 15, column: 3 });
    assert.deepEqual(second?.locate(['spec', 'missing']), { line: 13, column: 1 });
  });
});
