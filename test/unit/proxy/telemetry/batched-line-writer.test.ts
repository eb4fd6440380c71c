import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchedLineWriter } from '../../../../src/proxy/telemetry/batched-line-writer.js';

test('every line reaches the file, in order, across chunks; multi-byte and over-long lines included', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aeraki-lines-'));
  try {
    const path = join(dir, 'nested', 'access.log');
    const writer = new BatchedLineWriter(path);
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++)
      lines.push(`{"n":${i},"text":"${i % 7 === 0 ? 'ünïcödé 😀' : 'x'.repeat(i % 300)}"}\n`);
    lines.splice(2500, 0, `${'y'.repeat(100_000)}\n`);
    for (const line of lines) writer.write(line);
    await writer.close();
    assert.equal(await readFile(path, 'utf8'), lines.join(''));
    assert.equal(writer.dropped, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a few lines are written within the flush interval, without waiting for a full chunk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aeraki-lines-'));
  try {
    const path = join(dir, 'access.log');
    const writer = new BatchedLineWriter(path);
    writer.write('one\n');
    writer.write('two\n');
    let text = '';
    for (let i = 0; i < 40 && text === ''; i++) {
      await sleep(25);
      text = await readFile(path, 'utf8');
    }
    assert.equal(text, 'one\ntwo\n');
    await writer.close();
    writer.write('after close\n');
    assert.equal(await readFile(path, 'utf8'), 'one\ntwo\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
