/**
 * A reload reads again only the files that changed and hands over the very documents (and their
 * validation) of the others; whatever the edit, the config it gives equals a fresh load of the tree.
 */
import assert from 'node:assert/strict';
import { renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ConfigIssue } from '../../../../src/api/index.js';
import { buildConfig } from '../../../../src/control-plane/model/build-config.js';
import type { ConfigSet, LoadedConfig } from '../../../../src/control-plane/model/config-set.js';
import type { SourceSnapshot } from '../../../../src/control-plane/sources/config-source.js';
import { FileSource } from '../../../../src/control-plane/sources/file-source.js';
import { ConfigMapVolume } from '../../../e2e/harness/config-edits.js';
import { configDir, serviceEntry } from '../temp-config.js';

const protocol = (name: string): string =>
  `apiVersion: metaprotocol.aeraki.io/v1alpha1\nkind: ApplicationProtocol\nmetadata:\n  name: ${name}\nspec:\n  protocol: ${name}\n  codec: aeraki.meta_protocol.codec.${name}\n`;

/** Two services per file, each document of them checked on its own and against the others. */
const services = (prefix: string, port = 9090): string =>
  [0, 1]
    .map(i => serviceEntry({ name: `${prefix}-${i}`, host: `${prefix}-${i}.demo.svc`, port }))
    .join('---\n');

const FILES: Readonly<Record<string, string>> = {
  'a.yaml': services('a'),
  'b.yaml': services('b'),
  'nested/c.yaml': services('c'),
  'protocols.yaml': `${protocol('thrift')}---\n${protocol('dubbo')}`,
};

/** An hour ago: past the window in which a file is read again whatever its stat says. */
function age(dir: string, names: Iterable<string>): void {
  const old = new Date(Date.now() - 3_600_000);
  for (const name of names) utimesSync(join(dir, name), old, old);
}

/** What a loaded config is, without its functions: every object with its origin, and the issues. */
function comparable(loaded: LoadedConfig): unknown {
  const config: Record<string, unknown> = {};
  for (const [kind, objects] of Object.entries(loaded.config as ConfigSet)) {
    config[kind] = (objects as ConfigSet['serviceEntries']).map(o => ({
      key: o.key,
      namespace: o.namespace,
      resource: o.resource,
      file: o.origin.file,
      documentIndex: o.origin.documentIndex,
      resourceVersion: o.origin.resourceVersion,
      spec: o.origin.locate(['spec']),
    }));
  }
  return { config, issues: loaded.issues };
}

/** Reloads `source` and checks the result against a fresh source's load of the same tree. */
async function reloadMatchesFresh(
  source: FileSource,
): Promise<{ snapshot: SourceSnapshot; loaded: LoadedConfig }> {
  const snapshot = await source.list();
  const fresh = await new FileSource(source.root).list();
  assert.deepEqual(snapshot.files, fresh.files);
  assert.equal(snapshot.version, fresh.version);
  const loaded = buildConfig(snapshot);
  assert.deepEqual(comparable(loaded), comparable(buildConfig(fresh)));
  return { snapshot, loaded };
}

function documentsOf(snapshot: SourceSnapshot, file: string): SourceSnapshot['documents'] {
  return snapshot.documents.filter(d => d.file === file);
}

function errors(loaded: LoadedConfig): ConfigIssue[] {
  return loaded.issues.filter(i => i.severity === 'error');
}

describe('FileSource incremental reload', () => {
  test('an edited file is read again; the others keep their documents', async () => {
    const dir = configDir(FILES);
    age(dir, Object.keys(FILES));
    const source = new FileSource(dir);
    const before = await source.list();
    writeFileSync(join(dir, 'b.yaml'), services('b', 9191));
    const { snapshot, loaded } = await reloadMatchesFresh(source);
    const a = join(dir, 'a.yaml');
    assert.deepEqual(documentsOf(snapshot, a), documentsOf(before, a));
    assert.equal(documentsOf(snapshot, a)[0], documentsOf(before, a)[0], 'a.yaml is not parsed again');
    assert.notEqual(
      documentsOf(snapshot, join(dir, 'b.yaml'))[0],
      documentsOf(before, join(dir, 'b.yaml'))[0],
    );
    const b0 = loaded.config.serviceEntries.find(o => o.key === 'demo/b-0');
    assert.equal(b0?.resource.spec.ports?.[0]?.number, 9191);
  });

  test('a renamed file is known by its new path, moved in sort order', async () => {
    const dir = configDir(FILES);
    age(dir, Object.keys(FILES));
    const source = new FileSource(dir);
    await source.list();
    renameSync(join(dir, 'a.yaml'), join(dir, 'z.yaml'));
    const { snapshot, loaded } = await reloadMatchesFresh(source);
    assert.equal(snapshot.files.at(-1), join(dir, 'z.yaml'));
    assert.equal(
      loaded.config.serviceEntries.find(o => o.key === 'demo/a-0')?.origin.file,
      join(dir, 'z.yaml'),
    );
  });

  test('a deleted file takes its documents with it', async () => {
    const dir = configDir(FILES);
    age(dir, Object.keys(FILES));
    const source = new FileSource(dir);
    await source.list();
    rmSync(join(dir, 'nested/c.yaml'));
    const { loaded } = await reloadMatchesFresh(source);
    assert.deepEqual(
      loaded.config.serviceEntries.map(o => o.key),
      ['demo/a-0', 'demo/a-1', 'demo/b-0', 'demo/b-1'],
    );
  });

  test('a ConfigMap volume: a swap of ..data replaces, adds and drops files', async () => {
    const dir = configDir({});
    const volume = await ConfigMapVolume.create(dir, { 'a.yaml': services('a'), 'b.yaml': services('b') });
    const source = new FileSource(dir);
    await reloadMatchesFresh(source);
    // The same size and content in a.yaml, through a new directory: a new file all the same.
    await volume.update({ 'a.yaml': services('a'), 'b.yaml': services('b', 9191), 'c.yaml': services('c') });
    const { loaded } = await reloadMatchesFresh(source);
    assert.equal(
      loaded.config.serviceEntries.find(o => o.key === 'demo/b-0')?.resource.spec.ports?.[0]?.number,
      9191,
    );
    await volume.update({ 'c.yaml': services('c') });
    const last = await reloadMatchesFresh(source);
    assert.deepEqual(
      last.loaded.config.serviceEntries.map(o => o.key),
      ['demo/c-0', 'demo/c-1'],
    );
    assert.deepEqual(
      (await readdir(dir)).filter(name => !name.startsWith('..')),
      ['c.yaml'],
    );
  });

  test('a bad edit names file, document and field; the good edit after it loads as a fresh load does', async () => {
    const dir = configDir(FILES);
    age(dir, Object.keys(FILES));
    const source = new FileSource(dir);
    const good = buildConfig(await source.list());
    assert.deepEqual(errors(good), []);
    // The second document of b.yaml gets a port out of range; the first stays as it was.
    const bad = `${serviceEntry({ name: 'b-0', host: 'b-0.demo.svc' })}---\n${serviceEntry({ name: 'b-1', host: 'b-1.demo.svc', port: 70000 })}`;
    writeFileSync(join(dir, 'b.yaml'), bad);
    const rejected = await reloadMatchesFresh(source);
    const [error, ...more] = errors(rejected.loaded);
    assert.deepEqual(more, []);
    assert.equal(error?.file, join(dir, 'b.yaml'));
    assert.equal(error?.documentIndex, 1);
    assert.equal(error?.name, 'demo/b-1');
    assert.match(error?.field ?? '', /ports/);
    writeFileSync(join(dir, 'b.yaml'), services('b', 9191));
    const accepted = await reloadMatchesFresh(source);
    assert.deepEqual(errors(accepted.loaded), []);
    assert.equal(accepted.loaded.config.serviceEntries.length, good.config.serviceEntries.length);
  });
});
