import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAX_ATTRIBUTES,
  MAX_RECORD_SLOTS,
  RecordReader,
  writeRecord,
} from '../../../../src/proxy/telemetry/access-log-record.js';
import { StringTable } from '../../../../src/proxy/telemetry/string-table.js';
import { AttributeRedaction } from '../../../../src/proxy/telemetry/attribute-redaction.js';
import {
  HIDDEN_KEYS,
  accessLogEntry,
  finishedRequest,
  finishedRequests,
  fixtureRedaction,
  metadata,
} from './finished-requests.js';

test('records written one after another read back as the entries of their requests', () => {
  const table = new StringTable(MAX_RECORD_SLOTS);
  const strings: string[] = [];
  const reader = new RecordReader(strings, fixtureRedaction());
  const requests = Object.values(finishedRequests);
  const slots = new Float64Array(requests.length * MAX_RECORD_SLOTS);
  let at = 0;
  for (const req of requests) at = writeRecord(slots, at, req, req.startTime + 12, table);
  strings.push(...table.takePending());
  let read = 0;
  for (const req of requests) {
    const { entry, next } = reader.read(slots, read);
    assert.deepEqual(entry, accessLogEntry(req, req.startTime + 12, HIDDEN_KEYS));
    read = next;
  }
  assert.equal(read, at, 'the reader ends where the writer did');
});

test('a string gets one id in any field until the table is reset; new strings are pending once', () => {
  const table = new StringTable(2, 3);
  assert.equal(table.id('a', 0), 0);
  assert.equal(table.id('b', 0), 1);
  assert.equal(table.id('a', 1), 0);
  assert.equal(table.id('a', 1), 0, 'the field hint gives the same id');
  assert.equal(table.id(['a', 'b'].join(''), 0), table.id('ab', 1), 'equal strings, not the same object');
  assert.deepEqual(table.takePending(), ['a', 'b', 'ab']);
  assert.equal(table.full, true);
  table.reset();
  assert.equal(table.full, false);
  assert.equal(table.id('b', 0), 0, 'after a reset, the hint does not give the old id');
  assert.equal(table.id('a', 1), 1);
  assert.deepEqual(table.takePending(), ['b', 'a']);
});

test('a string table holds 1 to 2^16 strings', () => {
  assert.throws(() => new StringTable(1, 0), RangeError);
  assert.throws(() => new StringTable(1, 2 ** 16 + 1), RangeError);
});

test(`a message's attributes beyond ${MAX_ATTRIBUTES} are left out, and the record stays within its bound`, () => {
  const many: Record<string, string> = {};
  for (let i = 0; i < MAX_ATTRIBUTES + 20; i++) many[`k${i}`] = `v${i}`;
  const req = finishedRequest({
    request: {
      type: 'request',
      metadata: metadata(many),
      operation: 'x',
      requestId: 1,
      bytes: Buffer.alloc(1),
    },
    response: { status: 'ok', metadata: metadata(many), bytes: Buffer.alloc(1) },
  });
  const table = new StringTable(MAX_RECORD_SLOTS);
  const slots = new Float64Array(MAX_RECORD_SLOTS);
  const end = writeRecord(slots, 0, req, req.startTime, table);
  assert.equal(end, MAX_RECORD_SLOTS);
  const { entry } = new RecordReader(
    table.takePending(),
    new AttributeRedaction({ nameParts: [], names: [] }),
  ).read(slots, 0);
  assert.equal(Object.keys(entry.request).length, MAX_ATTRIBUTES);
  assert.equal(entry.request['k0'], 'v0');
  assert.equal(entry.response?.[`k${MAX_ATTRIBUTES - 1}`], `v${MAX_ATTRIBUTES - 1}`);
  assert.equal(entry.response?.[`k${MAX_ATTRIBUTES}`], undefined);
});
