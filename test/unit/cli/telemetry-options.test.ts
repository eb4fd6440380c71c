import assert from 'node:assert/strict';
import { test } from 'node:test';
import { telemetryOptions } from '../../../src/cli/telemetry-options.js';
import { DEFAULT_REDACTED_NAME_PARTS } from '../../../src/proxy/telemetry/attribute-redaction.js';

test('--access-log-sampling reaches the access log; 100 is the default and is left out', () => {
  assert.equal(
    telemetryOptions({ 'access-log': '/tmp/a.log', 'access-log-sampling': '2.5' }).accessLog
      ?.successSamplingPercent,
    2.5,
  );
  const all = telemetryOptions({ 'access-log': '/tmp/a.log' }).accessLog;
  assert.equal(all?.path, '/tmp/a.log');
  assert.equal(all?.successSamplingPercent, undefined);
});

test('percentages outside 0-100, or not numbers, are usage errors that name the option', () => {
  for (const bad of ['-1', '101', 'half', '', ' ']) {
    assert.throws(
      () => telemetryOptions({ 'access-log': '/tmp/a.log', 'access-log-sampling': bad }),
      new RegExp(`--access-log-sampling must be a percentage 0-100, got '${bad}'`),
    );
    assert.throws(() => telemetryOptions({ 'trace-sampling': bad }), /--trace-sampling must be a percentage/);
  }
});

test('--access-log-sampling without --access-log is a usage error', () => {
  assert.throws(() => telemetryOptions({ 'access-log-sampling': '10' }), /needs --access-log PATH/);
});

test('--redact replaces the default name parts, none turns them off; --access-log-redact adds names', () => {
  assert.deepEqual(telemetryOptions({}).redaction, { nameParts: DEFAULT_REDACTED_NAME_PARTS, names: [] });
  assert.deepEqual(telemetryOptions({ redact: ' PIN, otp ,' }).redaction, {
    nameParts: ['pin', 'otp'],
    names: [],
  });
  assert.deepEqual(telemetryOptions({ redact: 'none' }).redaction, { nameParts: [], names: [] });
  assert.deepEqual(telemetryOptions({ 'access-log': '-', 'access-log-redact': 'Group,tenant' }).redaction, {
    nameParts: DEFAULT_REDACTED_NAME_PARTS,
    names: ['group', 'tenant'],
  });
});
