/**
 * FileSource.watch follows a directory however it is written: in place, renamed over, by `sed -i`,
 * as a Kubernetes ConfigMap volume (symlinks through a swapped `..data`), with files and folders
 * added and removed; the last of a burst of edits wins.
 */
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileSource, type FileSourceOptions } from '../../../../src/control-plane/sources/file-source.js';
import type { SourceSnapshot, SourceWatch } from '../../../../src/control-plane/sources/config-source.js';
import { ConfigMapVolume, renameOver, sedInPlace, writeInPlace } from '../../../e2e/harness/config-edits.js';
import { configDir } from '../temp-config.js';

const doc = (name: string): string =>
  `apiVersion: metaprotocol.aeraki.io/v1alpha1\nkind: ApplicationProtocol\nmetadata:\n  name: ${name}\nspec:\n  protocol: ${name}\n  codec: aeraki.meta_protocol.codec.${name}\n`;

/** The bound: a change is served within a second, however it was written. */
const PICKED_UP_MS = 1000;

/** No periodic re-scan: what these tests see, the file-system events told. */
const EVENTS_ONLY: FileSourceOptions = { rescanIntervalMs: 0 };

function names(snapshot: SourceSnapshot): string[] {
  return snapshot.documents.map(d => String((d.data as { metadata: { name: string } }).metadata.name));
}

/** Records what a watch delivers, and waits for a snapshot that satisfies a condition. */
class Deliveries {
  readonly snapshots: SourceSnapshot[] = [];
  readonly watch: SourceWatch;
  private wake: () => void = () => {};

  constructor(source: FileSource) {
    this.watch = source.watch(snapshot => {
      this.snapshots.push(snapshot);
      this.wake();
    });
  }

  get last(): SourceSnapshot | undefined {
    return this.snapshots.at(-1);
  }

  /** Resolves once the last snapshot delivered gives `expected` names; rejects after `ms`. */
  async until(expected: readonly string[], ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const last = this.last;
      if (last !== undefined && JSON.stringify(names(last)) === JSON.stringify(expected)) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = last === undefined ? 'nothing' : JSON.stringify(names(last));
        throw new Error(`expected ${JSON.stringify(expected)} within ${ms} ms; last delivered: ${seen}`);
      }
      await Promise.race([new Promise<void>(resolve => (this.wake = resolve)), sleep(left)]);
    }
  }
}

async function watching(
  dir: string,
  options: FileSourceOptions,
  body: (deliveries: Deliveries) => Promise<void>,
): Promise<void> {
  const source = new FileSource(dir, options);
  await source.list();
  const deliveries = new Deliveries(source);
  try {
    await body(deliveries);
  } finally {
    deliveries.watch.close();
  }
}

describe('FileSource.watch', () => {
  test('the last of 200 rename-over edits 20 ms apart wins within a second', async () => {
    const dir = configDir({ 'a.yaml': doc('edit-0') });
    const staging = configDir({});
    await watching(dir, EVENTS_ONLY, async deliveries => {
      for (let i = 1; i <= 200; i++) {
        await renameOver(join(dir, 'a.yaml'), doc(`edit-${i}`), staging);
        await sleep(20);
      }
      await deliveries.until(['edit-200'], PICKED_UP_MS);
      // Followed all along, not only at the end: a reload at least every few hundred milliseconds.
      assert.ok(deliveries.snapshots.length >= 5, `${deliveries.snapshots.length} reloads`);
    });
  });

  test('edits in place are followed', async () => {
    const dir = configDir({ 'a.yaml': doc('a0') });
    await watching(dir, EVENTS_ONLY, async deliveries => {
      for (let i = 1; i <= 3; i++) {
        await writeInPlace(join(dir, 'a.yaml'), doc(`a${i}`));
        await deliveries.until([`a${i}`], PICKED_UP_MS);
      }
    });
  });

  test('sed -i is followed, edit after edit', async () => {
    const dir = configDir({ 'a.yaml': doc('first') });
    await watching(dir, EVENTS_ONLY, async deliveries => {
      await sedInPlace(join(dir, 'a.yaml'), 's/first/second/g');
      await deliveries.until(['second'], PICKED_UP_MS);
      await sedInPlace(join(dir, 'a.yaml'), 's/second/third/g');
      await deliveries.until(['third'], PICKED_UP_MS);
    });
  });

  test('a ConfigMap volume: every swap of ..data is followed, added and removed keys too, hidden entries never read', async () => {
    const dir = configDir({});
    const volume = await ConfigMapVolume.create(dir, { 'a.yaml': doc('a1') });
    await watching(dir, EVENTS_ONLY, async deliveries => {
      for (let i = 2; i <= 6; i++) {
        await volume.update({ 'a.yaml': doc(`a${i}`) });
        await deliveries.until([`a${i}`], PICKED_UP_MS);
      }
      await volume.update({ 'a.yaml': doc('a6'), 'b.yaml': doc('b1') });
      await deliveries.until(['a6', 'b1'], PICKED_UP_MS);
      await volume.update({ 'b.yaml': doc('b2') });
      await deliveries.until(['b2'], PICKED_UP_MS);
      assert.deepEqual(
        deliveries.last?.documents.map(d => d.file),
        [join(dir, 'b.yaml')],
      );
    });
  });

  test('a ConfigMap volume with a nested key: the visible folder link is followed across swaps', async () => {
    const dir = configDir({});
    const volume = await ConfigMapVolume.create(dir, { 'routes/r.yaml': doc('r1') });
    await watching(dir, EVENTS_ONLY, async deliveries => {
      await volume.update({ 'routes/r.yaml': doc('r2') });
      await deliveries.until(['r2'], PICKED_UP_MS);
      await volume.update({ 'routes/r.yaml': doc('r3') });
      await deliveries.until(['r3'], PICKED_UP_MS);
    });
  });

  test('folders and files added, renamed in, and removed are followed', async () => {
    const dir = configDir({ 'a.yaml': doc('a') });
    await watching(dir, EVENTS_ONLY, async deliveries => {
      mkdirSync(join(dir, 'sub/deeper'), { recursive: true });
      writeFileSync(join(dir, 'sub/deeper/b.yaml'), doc('b'));
      await deliveries.until(['a', 'b'], PICKED_UP_MS);
      // A file edited inside a folder created after the watch started.
      await renameOver(join(dir, 'sub/deeper/b.yaml'), doc('b2'));
      await deliveries.until(['a', 'b2'], PICKED_UP_MS);
      // A whole folder built elsewhere and renamed in.
      const staging = configDir({ 'c.yaml': doc('c') });
      renameSync(staging, join(dir, 'staged'));
      await deliveries.until(['a', 'c', 'b2'], PICKED_UP_MS);
      await renameOver(join(dir, 'staged/c.yaml'), doc('c2'));
      await deliveries.until(['a', 'c2', 'b2'], PICKED_UP_MS);
      rmSync(join(dir, 'sub'), { recursive: true });
      await deliveries.until(['a', 'c2'], PICKED_UP_MS);
      rmSync(join(dir, 'a.yaml'));
      await deliveries.until(['c2'], PICKED_UP_MS);
    });
  });

  test('a folder removed and made again under the same name is still followed', async () => {
    const dir = configDir({ 'sub/a.yaml': doc('a1') });
    await watching(dir, EVENTS_ONLY, async deliveries => {
      for (let i = 2; i <= 4; i++) {
        rmSync(join(dir, 'sub'), { recursive: true });
        mkdirSync(join(dir, 'sub'));
        writeFileSync(join(dir, 'sub/a.yaml'), doc(`a${i}`));
        await deliveries.until([`a${i}`], PICKED_UP_MS);
        await writeInPlace(join(dir, 'sub/a.yaml'), doc(`a${i}-edited`));
        await deliveries.until([`a${i}-edited`], PICKED_UP_MS);
      }
    });
  });

  test('a root that is a symlink swapped to another folder is followed, and so is that folder', async () => {
    const parent = configDir({ 'one/a.yaml': doc('one'), 'two/a.yaml': doc('two') });
    symlinkSync(join(parent, 'one'), join(parent, 'current'));
    await watching(join(parent, 'current'), EVENTS_ONLY, async deliveries => {
      symlinkSync(join(parent, 'two'), join(parent, 'next'));
      renameSync(join(parent, 'next'), join(parent, 'current'));
      await deliveries.until(['two'], PICKED_UP_MS);
      await writeInPlace(join(parent, 'two/a.yaml'), doc('two-edited'));
      await deliveries.until(['two-edited'], PICKED_UP_MS);
    });
  });

  test('a single file as the root is followed when renamed over', async () => {
    const dir = configDir({ 'one.yaml': doc('one-0') });
    await watching(join(dir, 'one.yaml'), EVENTS_ONLY, async deliveries => {
      for (let i = 1; i <= 3; i++) {
        await renameOver(join(dir, 'one.yaml'), doc(`one-${i}`));
        await deliveries.until([`one-${i}`], PICKED_UP_MS);
      }
    });
  });
});

describe('FileSource periodic re-scan', () => {
  test('catches a rename-over with the file-system events turned off', async () => {
    const dir = configDir({ 'a.yaml': doc('a1') });
    await watching(dir, { fsEvents: false, rescanIntervalMs: 200 }, async deliveries => {
      await renameOver(join(dir, 'a.yaml'), doc('a2'));
      await deliveries.until(['a2'], PICKED_UP_MS);
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub/b.yaml'), doc('b'));
      await deliveries.until(['a2', 'b'], PICKED_UP_MS);
    });
  });

  test('with the events off and no re-scan, nothing is seen (the test above relies on the re-scan)', async () => {
    const dir = configDir({ 'a.yaml': doc('a1') });
    await watching(dir, { fsEvents: false, rescanIntervalMs: 0 }, async deliveries => {
      await renameOver(join(dir, 'a.yaml'), doc('a2'));
      await sleep(500);
      assert.equal(deliveries.snapshots.length, 0);
    });
  });

  test('reports the directories watched', async () => {
    const dir = configDir({ 'a.yaml': doc('a'), 'sub/b.yaml': doc('b') });
    const source = new FileSource(dir, EVENTS_ONLY);
    await source.list();
    const deliveries = new Deliveries(source);
    try {
      const deadline = Date.now() + PICKED_UP_MS;
      // The root, its parent (for the root's own name) and sub/.
      while (source.watchStatus().directories < 3) {
        assert.ok(Date.now() < deadline, JSON.stringify(source.watchStatus()));
        await sleep(10);
      }
      assert.deepEqual(source.watchStatus(), {
        events: true,
        directories: 3,
        failures: [],
        rescanIntervalMs: 0,
      });
    } finally {
      deliveries.watch.close();
    }
    assert.equal(source.watchStatus().events, false);
  });
});
