import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../../src/control-plane/index.js';
import { unknownCodecIssues, withCodecIssues } from '../../../../src/control-plane/model/codec-issues.js';
import { configDir } from '../temp-config.js';

const protocols = (codec: string): string => `apiVersion: metaprotocol.aeraki.io/v1alpha1
kind: ApplicationProtocol
metadata:
  name: acme
spec:
  protocol: acme
  codec: ${codec}
`;

test('the known codec names are an input: a codec outside them is a warning at spec.codec', async () => {
  const loaded = await loadConfig(configDir({ 'p.yaml': protocols('aeraki.meta_protocol.codec.acme') }));
  assert.deepEqual(loaded.issues, [], 'loading alone does not check codecs');
  const builtIn = withCodecIssues(loaded, ['aeraki.meta_protocol.codec.thrift']);
  assert.deepEqual(
    builtIn.issues.map(i => [i.severity, i.rule, i.kind, i.name, i.field, i.line]),
    [['warning', 'codec-unknown', 'ApplicationProtocol', 'acme', 'spec.codec', 7]],
  );
  // With a plugin that registers it, the same config is clean.
  const withPlugin = ['aeraki.meta_protocol.codec.thrift', 'aeraki.meta_protocol.codec.acme'];
  assert.deepEqual(unknownCodecIssues(loaded.config, withPlugin), []);
  assert.equal(withCodecIssues(loaded, undefined), loaded, 'not checked without a list');
});
