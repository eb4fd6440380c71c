import assert from 'node:assert/strict';
import { closeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AccessLogJsonEncoder } from '../../../../src/proxy/telemetry/access-log-json.js';
import { MAX_RECORD_SLOTS, writeRecord } from '../../../../src/proxy/telemetry/access-log-record.js';
import { BatchedLineWriter, openLogFile } from '../../../../src/proxy/telemetry/batched-line-writer.js';
import { StringTable } from '../../../../src/proxy/telemetry/string-table.js';
import {
  HIDDEN_KEYS,
  accessLogEntry,
  finishedRequest,
  finishedRequests,
  fixtureRedaction,
  metadata,
} from './finished-requests.js';

const manyAttributes = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key-${i}`, `value-${i}`]));
const requests = Object.entries({
  ...finishedRequests,
  // A tail longer than the tail cache keeps: always written from its parts.
  'many attributes': finishedRequest({
    request: { ...finishedRequests['success']!.request, metadata: metadata(manyAttributes) },
  }),
});
const ROUNDS = 3;

/**
 * Each request recorded three times, encoded, read back: the first line is built from the runs of its
 * parts, the second too (its tail is kept), the third copies the kept tail.
 */
async function encodedLines(): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'aeraki-json-line-'));
  try {
    const table = new StringTable(MAX_RECORD_SLOTS);
    const slots = new Float64Array(ROUNDS * requests.length * MAX_RECORD_SLOTS);
    let end = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [, req] of requests) end = writeRecord(slots, end, req, req.startTime + 12, table);
    }
    const encoder = new AccessLogJsonEncoder(table.takePending(), fixtureRedaction());
    const path = join(dir, 'access.log');
    const fd = openLogFile(path);
    const writer = new BatchedLineWriter(fd, path);
    for (let at = 0; at < end;) {
      at = encoder.write(slots, at, writer);
      writer.endLine();
    }
    writer.close();
    closeSync(fd);
    return (await readFile(path, 'utf8')).split('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('each JSON line parses to the entry of its request, escapes, redaction and UTF-8 included', async () => {
  const lines = await encodedLines();
  assert.equal(lines.length, ROUNDS * requests.length + 1);
  assert.equal(lines.at(-1), '', 'every line ends with a newline');
  for (let i = 0; i < ROUNDS * requests.length; i++) {
    const [name, req] = requests[i % requests.length]!;
    const expected = JSON.parse(JSON.stringify(accessLogEntry(req, req.startTime + 12, HIDDEN_KEYS)));
    assert.deepEqual(JSON.parse(lines[i]!), expected, name);
  }
});
