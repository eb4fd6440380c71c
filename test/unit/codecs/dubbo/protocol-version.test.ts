import assert from 'node:assert/strict';
import { test } from 'node:test';
import { supportsResponseAttachments } from '../../../../src/codecs/dubbo/protocol-version.js';

test("follows Dubbo's rule: protocol versions 2.0.2 to 2.0.99 read response attachments", () => {
  const cases: Array<[string, boolean]> = [
    ['2.0.2', true],
    ['2.0.10', true],
    ['2.0.99', true],
    ['2.0.2.1', true],
    ['2.0.1', false],
    ['2.0.0', false],
    ['2.5.3', false],
    ['2.6.2', false],
    ['2.7.8', false],
    ['3.0.0', false],
    ['', false],
    ['2.0.2-SNAPSHOT', true],
  ];
  for (const [version, expected] of cases)
    assert.equal(supportsResponseAttachments(version), expected, version);
});
