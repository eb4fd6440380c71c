import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import hessian from 'hessian.js';
import { stringSize, writeString } from '../../../../src/codecs/dubbo/hessian-writer.js';
import { HessianReader } from '../../../../src/codecs/dubbo/hessian-reader.js';
import { hessianBytes } from '../../../e2e/dubbo/dubbo-wire.js';

function written(text: string): Buffer {
  const out = Buffer.alloc(stringSize(text));
  assert.equal(writeString(out, 0, text), out.length, 'writeString fills exactly stringSize bytes');
  return out;
}

function readBack(bytes: Buffer): string {
  const reader = new HessianReader();
  reader.reset(bytes, bytes.length);
  const text = reader.string(0);
  assert.equal(reader.next, bytes.length);
  return text;
}

test('strings are written byte for byte as hessian.js writes them, and read back', () => {
  const texts = [
    '',
    'a',
    'x'.repeat(31),
    'x'.repeat(32),
    'é'.repeat(1023),
    'x'.repeat(1024),
    '中'.repeat(0x8000),
    'x'.repeat(0x7fff) + '😀' + 'tail',
    'y'.repeat(100_000),
  ];
  for (const text of texts) {
    const bytes = written(text);
    assert.ok(bytes.equals(hessianBytes(text)), `length ${text.length}`);
    assert.equal(readBack(bytes), text);
    assert.equal(new hessian.DecoderV2(bytes).readString(), text);
  }
});

test('random strings round trip through hessian.js', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), text => {
      const bytes = written(text);
      assert.ok(bytes.equals(hessianBytes(text)));
      assert.equal(readBack(bytes), text);
    }),
    { numRuns: 300 },
  );
});
