/** The content version: a hash of the canonical JSON, however it is fed, and computed when first read. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  canonicalJson,
  contentVersion,
  withContentVersion,
} from '../../../../src/control-plane/translate/snapshot-version.js';
import { sampleSnapshot } from '../../xds/sample-snapshot.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

describe('contentVersion', () => {
  test('is the SHA-256 of the canonical JSON, for big and nested content', () => {
    const { version: _, ...content } = sampleSnapshot(['a', 'b'], 'a');
    assert.equal(contentVersion(content), sha(canonicalJson(content)));
    const big = { z: [...Array(5000).keys()].map(i => ({ i, s: `x${i}`, u: undefined })), a: [undefined, 1] };
    assert.equal(contentVersion(big), sha(canonicalJson(big)));
    assert.equal(contentVersion([1, 'two', null]), sha(canonicalJson([1, 'two', null])));
  });
});

describe('withContentVersion', () => {
  test('adds a version equal to contentVersion, listed first, also in JSON and spreads', () => {
    const { version: _, ...content } = sampleSnapshot(['a'], 'a');
    const snapshot = withContentVersion(content);
    assert.deepEqual(Object.keys(snapshot), ['version', 'listeners', 'clusters', 'endpoints', 'routes']);
    assert.equal(snapshot.version, contentVersion(content));
    assert.equal((JSON.parse(JSON.stringify(snapshot)) as { version: string }).version, snapshot.version);
    assert.equal({ ...snapshot }.version, snapshot.version);
  });
});
