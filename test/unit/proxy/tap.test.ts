import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metadata } from '../../../src/codec/index.js';
import type { RequestRecord } from '../../../src/proxy/request-record.js';
import { Tap } from '../../../src/proxy/tap.js';
import { AttributeRedaction } from '../../../src/proxy/telemetry/attribute-redaction.js';

function attributes(values: Record<string, string>): Metadata {
  const m = new Metadata();
  for (const [k, v] of Object.entries(values)) m.set(k, v);
  return m;
}

const record = { requestId: 1, request: {} } as unknown as RequestRecord;

test('a tap wants only requests whose attributes all equal its filter', () => {
  const tap = new Tap(
    new Map([
      ['method', 'sayHello'],
      ['version', 'v1'],
    ]),
    0,
    () => {},
    () => {},
  );
  assert.equal(tap.wants(attributes({ method: 'sayHello', version: 'v1', other: 'x' })), true);
  assert.equal(tap.wants(attributes({ method: 'sayHello', version: 'v2' })), false);
  assert.equal(tap.wants(attributes({ method: 'sayHello' })), false);
  assert.equal(
    new Tap(
      new Map(),
      0,
      () => {},
      () => {},
    ).wants(attributes({})),
    true,
  );
});

test('a tap closes itself after its limit and delivers nothing after closing', () => {
  const delivered: RequestRecord[] = [];
  let closes = 0;
  const tap = new Tap(
    new Map(),
    2,
    r => delivered.push(r),
    () => closes++,
  );
  tap.publish(record);
  assert.equal(tap.isClosed, false);
  tap.publish(record);
  assert.equal(tap.isClosed, true);
  tap.publish(record);
  tap.close();
  assert.equal(delivered.length, 2);
  assert.equal(closes, 1);
  assert.equal(tap.wants(attributes({})), false);
});

test('a tap without a limit runs until closed', () => {
  let delivered = 0;
  const tap = new Tap(
    new Map(),
    0,
    () => delivered++,
    () => {},
  );
  for (let i = 0; i < 1000; i++) tap.publish(record);
  assert.equal(delivered, 1000);
  assert.equal(tap.isClosed, false);
});

test('a tap shows request and response attributes with credentials redacted', () => {
  const delivered: RequestRecord[] = [];
  const tap = new Tap(
    new Map(),
    0,
    r => delivered.push(r),
    () => {},
    new AttributeRedaction({ nameParts: ['token'], names: ['tenant'] }),
  );
  const full = {
    requestId: 1,
    request: { method: 'login', 'x-token': 'SECRET', tenant: 'acme' },
    response: { 'set-token': 'SECRET2', status: 'ok' },
  } as unknown as RequestRecord;
  tap.publish(full);
  tap.publish({ requestId: 2, request: { token: 'SECRET3' } } as unknown as RequestRecord);
  assert.deepEqual(delivered[0]!.request, { method: 'login', 'x-token': '[REDACTED]', tenant: '[REDACTED]' });
  assert.deepEqual(delivered[0]!.response, { 'set-token': '[REDACTED]', status: 'ok' });
  assert.equal('response' in delivered[1]!, false, 'no response stays no response');
  assert.deepEqual(delivered[1]!.request, { token: '[REDACTED]' });
  assert.equal(
    (full.request as Record<string, string>)['x-token'],
    'SECRET',
    'the shared record is not changed',
  );
});

test('a tap made without a redaction hides the default credential names', () => {
  const delivered: RequestRecord[] = [];
  const tap = new Tap(
    new Map(),
    0,
    r => delivered.push(r),
    () => {},
  );
  tap.publish({
    requestId: 1,
    request: { authorization: 'Bearer x', method: 'm' },
  } as unknown as RequestRecord);
  assert.deepEqual(delivered[0]!.request, { authorization: '[REDACTED]', method: 'm' });
});
