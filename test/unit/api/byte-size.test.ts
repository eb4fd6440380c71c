import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatByteSize, parseByteSize } from '../../../src/api/byte-size.js';

test('sizes with binary, Kubernetes and decimal units', () => {
  assert.equal(parseByteSize('1048576'), 1048576);
  assert.equal(parseByteSize('16MiB'), 16 * 1024 * 1024);
  assert.equal(parseByteSize('16Mi'), 16 * 1024 * 1024);
  assert.equal(parseByteSize('512 KiB'), 512 * 1024);
  assert.equal(parseByteSize('1.5GiB'), 1.5 * 1024 ** 3);
  assert.equal(parseByteSize('20MB'), 20e6);
  assert.equal(parseByteSize('20M'), 20e6);
  assert.equal(parseByteSize('10b'), 10);
  assert.equal(parseByteSize('0'), 0);
  assert.equal(parseByteSize('1.5Mi'), 1572864);
});

test('anything else is not a size', () => {
  for (const text of ['', 'MiB', '-1', '16 parsecs', '1e3', '0x10', '16MiBs']) {
    assert.equal(parseByteSize(text), undefined, text);
  }
});

test('sizes for people', () => {
  assert.equal(formatByteSize(512), '512 B');
  assert.equal(formatByteSize(16 * 1024 * 1024), '16 MiB');
  assert.equal(formatByteSize(52428907), '50 MiB');
  assert.equal(formatByteSize(1536), '1.5 KiB');
});
