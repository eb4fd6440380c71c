import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fqdnProblem,
  hostProblem,
  isDns1123Label,
  parseCidr,
  singleAddress,
} from '../../../src/api/names.js';

test('FQDNs follow Istio: DNS-1123 labels, no all-digit TLD, trailing dot allowed', () => {
  for (const ok of ['reviews', 'org.apache.dubbo.samples.basic.api.demoservice', 'a-b.c', 'a.b.', 'x.io']) {
    assert.equal(fqdnProblem(ok), undefined, ok);
  }
  for (const bad of [
    '',
    'Upper.case',
    'a..b',
    '-a.b',
    'a.b-',
    'a_b.c',
    '10.0.0.1',
    'a.123',
    'x'.repeat(64) + '.com',
  ]) {
    assert.notEqual(fqdnProblem(bad), undefined, bad);
  }
  assert.notEqual(fqdnProblem('a.'.repeat(128) + 'com'), undefined, 'longer than 255');
});

test('ServiceEntry hosts may start with a wildcard label but not be "*"', () => {
  assert.equal(hostProblem('*.example.com'), undefined);
  assert.notEqual(hostProblem('*'), undefined);
  assert.notEqual(hostProblem('a.*.com'), undefined);
});

test('DNS-1123 labels', () => {
  assert.ok(isDns1123Label('v1'));
  assert.ok(isDns1123Label('zone-b'));
  assert.ok(!isDns1123Label('V1'));
  assert.ok(!isDns1123Label('a_b'));
  assert.ok(!isDns1123Label('x'.repeat(64)));
});

test('CIDR blocks and the single address a /32 stands for', () => {
  assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefixLength: 8 });
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0'), undefined);
  assert.equal(singleAddress('127.0.0.1'), '127.0.0.1');
  assert.equal(singleAddress('127.0.0.1/32'), '127.0.0.1');
  assert.equal(singleAddress('::1/128'), '::1');
  assert.equal(singleAddress('127.0.0.0/24'), undefined);
  assert.equal(singleAddress('not-an-ip'), undefined);
});
