import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost } from '../../../src/net/loopback.js';

test('loopback hosts: localhost, 127.0.0.0/8, ::1 and mapped 127.x', () => {
  for (const host of [
    'localhost',
    'LOCALHOST',
    'a.localhost',
    '127.0.0.1',
    '127.1.2.3',
    '::1',
    '[::1]',
    '::ffff:127.0.0.1',
  ])
    assert.equal(isLoopbackHost(host), true, host);
});

test('anything else, the wildcard addresses included, is not loopback', () => {
  for (const host of [
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '192.168.1.2',
    '::ffff:10.0.0.1',
    'example.com',
    '128.0.0.1',
    'fe80::1',
  ])
    assert.equal(isLoopbackHost(host), false, host);
});
