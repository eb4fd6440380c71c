/**
 * The control plane reports the config it serves (version, when it was read, from which files) and
 * keeps serving it when an edit is refused: too large, not UTF-8, or invalid.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { ControlPlane, type ConfigStatus } from '../../../src/control-plane/control-plane.js';
import { renameOver } from '../../e2e/harness/config-edits.js';
import { configDir, serviceEntry } from './temp-config.js';

const dir = configDir({ 'se.yaml': serviceEntry({ name: 'a', host: 'a.demo', address: '127.0.0.9' }) });
const controlPlane = new ControlPlane({
  dir,
  logger: pino({ enabled: false }),
  source: { maxFileBytes: 4096, rescanIntervalMs: 0 },
});
after(() => controlPlane.stop());

/** Waits for the status to satisfy `done` (bounded). */
async function statusWhen(done: (status: ConfigStatus) => boolean): Promise<ConfigStatus> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const status = controlPlane.configStatus();
    if (done(status)) return status;
    assert.ok(Date.now() < deadline, JSON.stringify(status));
    await sleep(20);
  }
}

test('the config served, where it came from, and refused edits while it keeps serving', async () => {
  const before = Date.now();
  const started = await controlPlane.start('127.0.0.1', 0);
  assert.ok(started.snapshot !== undefined);
  const first = controlPlane.configStatus();
  assert.equal(first.dir, dir);
  assert.equal(first.version, controlPlane.version);
  assert.ok(Date.parse(first.loadedAt ?? '') >= before);
  assert.deepEqual(first.files, [join(dir, 'se.yaml')]);
  assert.equal(first.fileCount, 1);
  assert.equal(first.lastLoad?.result, 'accepted');
  assert.equal(first.watch?.events, true);
  assert.equal(first.watch?.rescanIntervalMs, 0);

  // Too large: refused unread.
  await renameOver(
    join(dir, 'se.yaml'),
    `${serviceEntry({ name: 'a', host: 'a.demo', address: '127.0.0.9' })}#${'x'.repeat(5000)}\n`,
  );
  let status = await statusWhen(s => s.lastLoad?.result === 'rejected');
  assert.deepEqual(
    status.lastLoad?.issues.map(i => [i.file, i.rule]),
    [[join(dir, 'se.yaml'), 'config-file-too-large']],
  );
  assert.equal(status.version, first.version);
  assert.equal(status.loadedAt, first.loadedAt);
  assert.deepEqual(status.files, first.files);

  // Not UTF-8.
  await renameOver(
    join(dir, 'se.yaml'),
    Buffer.from(serviceEntry({ name: 'café', host: 'a.demo' }), 'latin1'),
  );
  status = await statusWhen(s => s.lastLoad?.issues[0]?.rule === 'config-not-utf8');
  assert.equal(status.lastLoad?.result, 'rejected');
  assert.equal(status.version, first.version);

  // A good edit is served.
  await renameOver(join(dir, 'se.yaml'), serviceEntry({ name: 'a', host: 'a.demo', address: '127.0.0.10' }));
  status = await statusWhen(s => s.lastLoad?.result === 'accepted');
  assert.notEqual(status.version, first.version);
  assert.ok(Date.parse(status.loadedAt ?? '') > Date.parse(first.loadedAt ?? ''));
});
