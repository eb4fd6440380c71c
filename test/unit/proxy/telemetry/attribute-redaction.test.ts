import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AttributeRedaction,
  DEFAULT_REDACTED_NAME_PARTS,
} from '../../../../src/proxy/telemetry/attribute-redaction.js';

test('by default, names that carry credentials are redacted wherever the part appears in them', () => {
  const redaction = new AttributeRedaction();
  for (const name of ['token', 'x-auth-token', 'password', 'db_passwd', 'client-secret', 'authorization']) {
    assert.equal(redaction.redacts(name), true, name);
  }
  for (const name of ['cookie', 'set-cookie', 'credentials', 'x-api-key', 'api_key', 'apikey', 'sessionid']) {
    assert.equal(redaction.redacts(name), true, name);
  }
  for (const name of ['method', 'interface', 'version', 'group', 'tenant', 'x-request-id', '__proto__']) {
    assert.equal(redaction.redacts(name), false, name);
  }
  assert.ok(DEFAULT_REDACTED_NAME_PARTS.includes('token'));
});

test('name parts and exact names are case-insensitive; no parts and no names redact nothing', () => {
  const redaction = new AttributeRedaction({ nameParts: ['PIN'], names: ['Group'] });
  assert.equal(redaction.redacts('user-pin'), true);
  assert.equal(redaction.redacts('group'), true);
  assert.equal(redaction.redacts('groups'), false, 'an exact name is not a part');
  assert.equal(redaction.redacts('token'), false, 'given parts replace the defaults');
  const none = new AttributeRedaction({ nameParts: [], names: [] });
  assert.equal(none.redacts('token'), false);
  assert.equal(none.valueOf('password', 'hunter2'), 'hunter2');
});

test('applyTo copies the attributes with hidden values replaced, own keys only', () => {
  const redaction = new AttributeRedaction();
  const attributes = JSON.parse('{"method":"login","password":"hunter2","__proto__":"x"}') as Record<
    string,
    string
  >;
  const out = redaction.applyTo(attributes);
  assert.deepEqual(Object.entries(out), [
    ['method', 'login'],
    ['password', '[REDACTED]'],
    ['__proto__', 'x'],
  ]);
  assert.equal(attributes['password'], 'hunter2', 'the input is not changed');
});

test('answers stay right after more distinct names than the memo keeps', () => {
  const redaction = new AttributeRedaction();
  for (let i = 0; i < 3000; i++) {
    assert.equal(redaction.redacts(`h-${i}`), false);
    assert.equal(redaction.redacts(`token-${i}`), true);
  }
});
