import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { HessianReader } from '../../../../src/codecs/dubbo/hessian-reader.js';
import { hessianBytes } from '../../../e2e/dubbo/dubbo-wire.js';

/** One reader over many frames, as a connection's codec reads them: it remembers short names. */
function readAll(reader: HessianReader, texts: readonly string[]): string[] {
  return texts.map(text => {
    const bytes = hessianBytes(text);
    reader.reset(bytes, bytes.length);
    const read = reader.string(0);
    assert.equal(reader.next, bytes.length);
    return read;
  });
}

test('one reader reads a run of hessian.js strings right: repeated, alike, long and non-ASCII', () => {
  const texts = [
    '2.0.2',
    'org.apache.dubbo.demo.DemoService',
    '1.0.0',
    'sayHello',
    '1.0.1',
    'sayHallo',
    'x'.repeat(64),
    'x'.repeat(65),
    'héllo',
    'org.apache.dubbo.demo.DemoService',
    'org.apache.dubbo.demo.DemoServicf',
    'y'.repeat(0x8001),
  ];
  const reader = new HessianReader();
  for (let round = 0; round < 3; round++) assert.deepEqual(readAll(reader, texts), texts);
});

test('one reader agrees with hessian.js on random runs of short strings (many repeats)', () => {
  const name = fc.string({ unit: fc.constantFrom('a', 'b', '.', 'é'), minLength: 1, maxLength: 70 });
  fc.assert(
    fc.property(fc.array(name, { minLength: 1, maxLength: 20 }), fc.nat(), (names, seed) => {
      const texts = Array.from({ length: 60 }, (_, i) => names[(i * 7 + seed) % names.length]!);
      assert.deepEqual(readAll(new HessianReader(), texts), texts);
    }),
    { numRuns: 200 },
  );
});

test('a string found among the recent ones is still checked when its bytes differ in any way', () => {
  const reader = new HessianReader();
  assert.deepEqual(readAll(reader, ['abc', 'sayHello']), ['abc', 'sayHello']);
  const bad: Buffer[] = [
    Buffer.from([0x03, 0x61, 0xff, 0x63]), // an invalid lead byte where 'b' was
    Buffer.from([0x03, 0x61, 0xc3, 0x63]), // a two-byte lead followed by no continuation byte
    Buffer.from([0x03, 0x61, 0x62]), // the last unit missing: runs past the body
  ];
  for (const bytes of bad) {
    reader.reset(bytes, bytes.length);
    assert.throws(() => reader.string(0), /hessian/, bytes.toString('hex'));
  }
  const again = hessianBytes('sayHello');
  reader.reset(again, again.length);
  assert.equal(reader.string(0), 'sayHello');
  assert.equal(reader.next, again.length);
});
