import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeSync } from 'node:fs';
import { BatchedLineWriter, openLogFile } from '../../../../src/proxy/telemetry/batched-line-writer.js';

/** Chunks of 64 KiB (not the usual 1 MiB): the tests' lines cross many chunk boundaries. */
const CHUNK_BYTES = 64 * 1024;

/** A writer on `path` (opened, its directory created), and how to close both. */
function open(path: string): { writer: BatchedLineWriter; close: () => void } {
  const fd = openLogFile(path);
  const writer = new BatchedLineWriter(fd, path, () => {}, CHUNK_BYTES);
  return {
    writer,
    close: () => {
      writer.close();
      closeSync(fd);
    },
  };
}

/** One whole line from a string (without its newline). */
function writeLine(writer: BatchedLineWriter, text: string): void {
  writer.text(text);
  writer.endLine();
}

test('every line reaches the file, in order, across chunks; multi-byte and over-long lines included', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aeraki-lines-'));
  try {
    const path = join(dir, 'nested', 'access.log');
    const { writer, close } = open(path);
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++)
      lines.push(`{"n":${i},"text":"${i % 7 === 0 ? 'ünïcödé 😀' : 'x'.repeat(i % 300)}"}\n`);
    lines.splice(2500, 0, `${'y'.repeat(100_000)}\n`);
    for (const line of lines) writeLine(writer, line.slice(0, -1));
    close();
    assert.equal(await readFile(path, 'utf8'), lines.join(''));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a few lines are written within the flush interval, without waiting for a full chunk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aeraki-lines-'));
  try {
    const path = join(dir, 'access.log');
    const { writer, close } = open(path);
    writeLine(writer, 'one');
    writeLine(writer, 'two');
    let text = '';
    for (let i = 0; i < 40 && text === ''; i++) {
      await sleep(25);
      text = await readFile(path, 'utf8');
    }
    assert.equal(text, 'one\ntwo\n');
    close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('lines built field by field reach the file whole, also when one moves to a new chunk mid-line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'aeraki-lines-'));
  try {
    const path = join(dir, 'access.log');
    const { writer, close } = open(path);
    const start = Buffer.from('{"n":', 'latin1');
    const middle = Buffer.from(',"s":', 'latin1');
    const expected: string[] = [];
    // Lines of varied length, so that the 64 KiB chunk boundary falls inside a field many times;
    // one string is longer than a chunk.
    for (let i = 0; i < 4000; i++) {
      const s = i === 1234 ? 'z'.repeat(70_000) : `${'é'.repeat(i % 50)}"${'x'.repeat(i % 97)}`;
      writer.raw(start);
      writer.number(i);
      writer.raw(middle);
      writer.raw(Buffer.from(JSON.stringify(s), 'utf8'));
      writer.raw(Buffer.from('}', 'latin1'));
      writer.endLine();
      expected.push(`${JSON.stringify({ n: i, s })}\n`);
    }
    writeLine(writer, 'a whole line');
    expected.push('a whole line\n');
    close();
    assert.equal(await readFile(path, 'utf8'), expected.join(''));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failed write is reported with the path, its lines are lost, and the writer goes on', () => {
  // Every write to /dev/full fails with ENOSPC.
  const fd = openLogFile('/dev/full');
  const errors: Error[] = [];
  const writer = new BatchedLineWriter(fd, '/dev/full', err => errors.push(err), CHUNK_BYTES);
  try {
    for (let i = 0; i < 1000; i++) writeLine(writer, 'x'.repeat(100));
    assert.equal(errors.length, 1, 'the lines that filled the first chunk');
    writer.flush();
    assert.equal(errors.length, 2, 'the rest, on the flush');
    writer.flush();
    assert.equal(errors.length, 2, 'lost lines are not written again');
    assert.match(errors[0]!.message, /^access log \/dev\/full: ENOSPC/);
  } finally {
    writer.close();
    closeSync(fd);
  }
});
