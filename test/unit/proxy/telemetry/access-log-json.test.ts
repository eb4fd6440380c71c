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
import { accessLogEntry, finishedRequests } from './finished-requests.js';

const redact = new Set(['emoji']);
const requests = Object.entries(finishedRequests);

/** Each request recorded twice (the second time its runs come from the cache), encoded, read back. */
async function encodedLines(): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'aeraki-json-line-'));
  try {
    const table = new StringTable(MAX_RECORD_SLOTS);
    const slots = new Float64Array(2 * requests.length * MAX_RECORD_SLOTS);
    let end = 0;
    for (let round = 0; round < 2; round++) {
      for (const [, req] of requests) end = writeRecord(slots, end, req, req.startTime + 12, table);
    }
    const encoder = new AccessLogJsonEncoder(table.takePending(), redact);
    const path = join(dir, 'access.log');
    const fd = openLogFile(path);
    const writer = new BatchedLineWriter(fd, path);
    for (let at = 0; at < end;) {
      assert.ok(writer.beginLine());
      at = encoder.write(slots, at, writer);
      writer.endLine();
    }
    await writer.close();
    closeSync(fd);
    return (await readFile(path, 'utf8')).split('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('each JSON line parses to the entry of its request, escapes, redaction and UTF-8 included', async () => {
  const lines = await encodedLines();
  assert.equal(lines.length, 2 * requests.length + 1);
  assert.equal(lines.at(-1), '', 'every line ends with a newline');
  for (let i = 0; i < 2 * requests.length; i++) {
    const [name, req] = requests[i % requests.length]!;
    const expected = JSON.parse(JSON.stringify(accessLogEntry(req, req.startTime + 12, redact)));
    assert.deepEqual(JSON.parse(lines[i]!), expected, name);
  }
});
