/**
 * ApplicationProtocol's declarativeCodec extension: only with the declarative codec, and required by it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateDocument } from '../../../../src/api/validation/document.js';

function document(spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'metaprotocol.aeraki.io/v1alpha1',
    kind: 'ApplicationProtocol',
    metadata: { name: 'mc' },
    spec: { protocol: 'mc', ...spec },
  };
}

describe('ApplicationProtocol declarativeCodec', () => {
  test('with codec aeraki.meta_protocol.codec.declarative: accepted, carried as given', () => {
    const description = { fields: { size: { offset: 0, size: 4 } }, length: { field: 'size' } };
    const result = validateDocument(
      document({ codec: 'aeraki.meta_protocol.codec.declarative', declarativeCodec: description }),
    );
    assert.deepEqual(result.issues, []);
    assert.deepEqual(
      (result.resource?.spec as { declarativeCodec?: unknown } | undefined)?.declarativeCodec,
      description,
    );
  });

  test('the declarative codec without a description, or a description for another codec: errors', () => {
    const missing = validateDocument(document({ codec: 'aeraki.meta_protocol.codec.declarative' }));
    assert.deepEqual(
      missing.issues.map(i => [i.rule, i.path.join('.')]),
      [['declarative-codec-missing', 'spec.declarativeCodec']],
    );
    const unused = validateDocument(
      document({ codec: 'aeraki.meta_protocol.codec.thrift', declarativeCodec: { fields: {} } }),
    );
    assert.deepEqual(
      unused.issues.map(i => [i.rule, i.message]),
      [
        [
          'declarative-codec-unused',
          "declarativeCodec is read only with codec 'aeraki.meta_protocol.codec.declarative', not 'aeraki.meta_protocol.codec.thrift'",
        ],
      ],
    );
  });

  test('the description in codecConfig serves too; in both fields, an error', () => {
    const description = { fields: {} };
    const viaConfig = validateDocument(
      document({ codec: 'aeraki.meta_protocol.codec.declarative', codecConfig: description }),
    );
    assert.deepEqual(viaConfig.issues, []);
    const both = validateDocument(
      document({
        codec: 'aeraki.meta_protocol.codec.declarative',
        codecConfig: description,
        declarativeCodec: description,
      }),
    );
    assert.deepEqual(
      both.issues.map(i => i.rule),
      ['declarative-codec-twice'],
    );
  });
});
