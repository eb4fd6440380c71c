import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import hessian from 'hessian.js';
import java from 'js-to-java';
import { HessianReader } from '../../../../src/codecs/dubbo/hessian-reader.js';
import { HessianSkipper, NEED_MORE } from '../../../../src/codecs/dubbo/hessian-skipper.js';
import { CodecError, ErrorCodes } from '../../../../src/errors.js';
import { hessianBytes } from '../../../e2e/dubbo/dubbo-wire.js';
import { allTypesArgs } from './fixtures.js';
import { valueArb } from './random-values.js';

/** Where each value of a Hessian stream ends, according to hessian.js's own decoder. */
function boundaries(bytes: Buffer): number[] {
  const decoder = new hessian.DecoderV2(bytes);
  const ends: number[] = [];
  while (decoder.byteBuffer.position() < bytes.length) {
    decoder.read();
    ends.push(decoder.byteBuffer.position());
  }
  return ends;
}

/** Where each value ends, according to the skipper. */
function skipAll(bytes: Buffer, maxDepth = 512): number[] {
  const reader = new HessianReader();
  reader.reset(bytes, bytes.length);
  const skipper = new HessianSkipper(reader, maxDepth);
  skipper.reset();
  const ends: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    at = skipper.skip(at);
    ends.push(at);
  }
  return ends;
}

function assertSameBoundaries(bytes: Buffer): void {
  assert.deepEqual(skipAll(bytes), boundaries(bytes));
}

function codecErrorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    assert.ok(CodecError.isCodecError(error), `threw a non-codec error: ${String(error)}`);
    return error.code;
  }
  return undefined;
}

/** Hessian forms hessian.js neither writes nor reads: variable-length lists, which Java writes. */
const hand = {
  /** x55 type value* 'Z': a variable-length typed list. */
  typedVariableList: Buffer.concat([
    Buffer.from([0x55]),
    hessianBytes('java.util.ArrayList', 1, 'a'),
    Buffer.from('Z'),
  ]),
  /** x57 value* 'Z': a variable-length untyped list holding a map. */
  untypedVariableList: Buffer.concat([
    Buffer.from([0x57]),
    hessianBytes({ $class: 'java.util.HashMap', $: { a: [1, 2] } }, 'b'),
    Buffer.from('Z'),
  ]),
};

describe('hessian skipper: values of every type written by hessian.js', () => {
  const samples: Array<[string, unknown]> = [
    ['empty string', ''],
    ['short string', 'abc'],
    ['31 units', 'x'.repeat(31)],
    ['32 units (two-byte length)', 'x'.repeat(32)],
    ['1023 units', 'x'.repeat(1023)],
    ['1024 units (S chunk)', 'x'.repeat(1024)],
    ['0x8000 units', 'q'.repeat(0x8000)],
    ['chunked string (R chunks)', 'é'.repeat(70000)],
    ['surrogate pair at a chunk edge', 'a'.repeat(0x7fff) + '😀' + 'b'.repeat(10)],
    ['mixed scripts', 'héllo 中文 😀 ∑'],
    ['one-byte int', 47],
    ['two-byte int', -2048],
    ['three-byte int', 262143],
    ['I int', -2147483648],
    ['one-byte long', java.long(15)],
    ['two-byte long', java.long(-2048)],
    ['three-byte long', java.long(-262144)],
    ['x59 long', java.long(2 ** 31 - 1)],
    ['L long', java.long('-9223372036854775808')],
    ['double 0', 0.0],
    ['double 1', 1.0],
    ['byte double', -128.0],
    ['short double', 32767.0],
    ['mill double', 12.25],
    ['D double', Math.E],
    ['true', true],
    ['false', false],
    ['null', null],
    ['minute date', new Date(Date.UTC(2024, 0, 1))],
    ['millisecond date', new Date(1_700_000_000_123)],
    ['empty binary', Buffer.alloc(0)],
    ['direct binary', Buffer.alloc(15, 7)],
    ['short binary', Buffer.alloc(1023, 8)],
    ['B binary', Buffer.alloc(4000, 9)],
    ['chunked binary (A chunks)', Buffer.alloc(100_000, 10)],
    ['untyped direct list', [1, 'two', null]],
    ['untyped fixed list (x58)', Array.from({ length: 20 }, (_, i) => i)],
    ['typed direct list', { $class: 'java.util.LinkedList', $: ['a', 'b'] }],
    [
      'typed fixed list (V)',
      java.array(
        'long',
        Array.from({ length: 12 }, (_, i) => i),
      ),
    ],
    ['untyped map', { $class: 'java.util.HashMap', $: { a: 1, b: { c: [true] } } }],
    ['typed map', { $class: 'com.alibaba.fastjson.JSONObject', $: { k: 'v' } }],
    [
      'map with int keys',
      {
        $class: 'java.util.HashMap',
        $: new Map<unknown, unknown>([
          [1, 'x'],
          [2, 'y'],
        ]),
      },
    ],
    ['object with class definition', { $class: 'com.example.Point', $: { x: java.int(1), y: java.int(2) } }],
    ['exception', { $class: 'java.lang.RuntimeException', $: { detailMessage: 'boom', cause: null } }],
  ];
  for (const [name, value] of samples) {
    test(name, () => {
      // A second value after each sample proves the skipper stops exactly at the sample's end.
      assertSameBoundaries(hessianBytes(value, 'after'));
    });
  }

  test('every argument type of the codec fixtures, in one stream (class references, back-references)', () => {
    assertSameBoundaries(hessianBytes(...allTypesArgs()));
  });

  test('objects by direct class reference and by O with an int index (more than 16 classes)', () => {
    const objects = Array.from({ length: 20 }, (_, i) => ({ $class: `com.example.C${i}`, $: { v: i } }));
    const bytes = hessianBytes(...objects, ...objects.map(o => ({ $class: o.$class, $: { v: 99 } })));
    assert.ok(bytes.includes(0x4f), 'the stream has an O instance');
    assertSameBoundaries(bytes);
  });

  test('type references (a second typed list of the same type)', () => {
    assertSameBoundaries(
      hessianBytes(java.array('int', [1, 2, 3, 4, 5, 6, 7, 8]), java.array('int', [9]), 'x'),
    );
  });

  test('back-references to shared objects and maps', () => {
    const shared = { $class: 'java.util.HashMap', $: { s: 1 } };
    const point = { $class: 'com.example.P', $: { self: null, m: shared } };
    const bytes = hessianBytes([shared, shared, point, point]);
    assert.ok(bytes.includes(0x51), 'the stream has a ref');
    assertSameBoundaries(bytes);
  });

  test('variable-length lists (typed and untyped), as Java writes them', () => {
    // hessian.js cannot read these forms, so the expected ends are the lengths of the hand-built parts.
    for (const bytes of [hand.typedVariableList, hand.untypedVariableList]) {
      const stream = Buffer.concat([bytes, hessianBytes('after')]);
      assert.deepEqual(skipAll(stream), [bytes.length, stream.length]);
    }
  });
});

/**
 * Where the skipper ends `count` values of `bytes` when they arrive at the cut points: the walk is
 * resumed after each arrival, over a reader that holds only what has arrived.
 */
function skipArriving(bytes: Buffer, count: number, cuts: readonly number[]): number {
  const reader = new HessianReader();
  const skipper = new HessianSkipper(reader, 512);
  skipper.reset();
  skipper.start(0, count);
  const points = [...new Set(cuts.map(c => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  for (const arrived of [...points, bytes.length]) {
    reader.reset(bytes.subarray(0, arrived), bytes.length, arrived);
    const end = skipper.run();
    if (end !== NEED_MORE) return end;
    assert.ok(arrived < bytes.length, 'only a walk short of bytes needs more');
  }
  throw new Error('unreachable');
}

describe('hessian skipper: resumed as the bytes arrive', () => {
  test('ends where a walk over the whole stream ends, however the bytes arrive', () => {
    fc.assert(
      fc.property(
        fc.array(valueArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        (values, cuts) => {
          const bytes = hessianBytes(...values);
          assert.equal(skipArriving(bytes, values.length, cuts), bytes.length);
        },
      ),
      { numRuns: 300, seed: 29 },
    );
  });

  test('through chunked strings and binaries, arriving in 400 pieces', () => {
    const values = ['é'.repeat(70000), Buffer.alloc(70000, 3), 'a'.repeat(0x8001)];
    const bytes = hessianBytes(...values);
    const cuts = Array.from({ length: 400 }, (_, i) => i / 400);
    assert.equal(skipArriving(bytes, values.length, cuts), bytes.length);
  });

  test('byte by byte, through class definitions, refs and every type', () => {
    const values = allTypesArgs();
    const bytes = hessianBytes(...values);
    const reader = new HessianReader();
    const skipper = new HessianSkipper(reader, 512);
    skipper.reset();
    skipper.start(0, values.length);
    for (let arrived = 0; arrived < bytes.length; arrived++) {
      reader.reset(bytes.subarray(0, arrived), bytes.length, arrived);
      assert.equal(skipper.run(), NEED_MORE);
    }
    reader.reset(bytes, bytes.length);
    assert.equal(skipper.run(), bytes.length);
  });
});

describe('hessian skipper: random values', () => {
  test('lands where hessian.js ends each value of a random stream', () => {
    fc.assert(
      fc.property(fc.array(valueArb, { minLength: 1, maxLength: 4 }), values => {
        assertSameBoundaries(hessianBytes(...values));
      }),
      { numRuns: 300 },
    );
  });

  test('random and corrupted bytes throw nothing but CodecError', () => {
    const valid = hessianBytes(...allTypesArgs());
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map(bytes => Buffer.from(bytes)),
          fc.tuple(fc.nat(valid.length - 1), fc.nat(255), fc.nat(valid.length)).map(([at, byte, cut]) => {
            const copy = Buffer.from(valid.subarray(0, Math.max(cut, at + 1)));
            copy[at] = byte;
            return copy;
          }),
        ),
        bytes => {
          codecErrorCode(() => skipAll(bytes, 16));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('hessian skipper: malformed input', () => {
  const malformedCases: Array<[string, Buffer]> = [
    ['a reserved tag', Buffer.from([0x40])],
    ['Z where a value should be', Buffer.from('Z')],
    ['a map ending after a key', Buffer.concat([Buffer.from('H'), hessianBytes('k'), Buffer.from('Z')])],
    ['an unterminated list', Buffer.from([0x57, 0x91])],
    ['an object of an undefined class', Buffer.from([0x60])],
    ['a string running past the end', Buffer.from([0x05, 0x61])],
    ['a 4-byte UTF-8 sequence', Buffer.from([0x02, 0xf0, 0x9f, 0x98, 0x80])],
    ['a fixed list longer than the bytes left', Buffer.from([0x58, 0xd7, 0xff, 0xff])],
    ['a binary chunk followed by no final chunk', Buffer.from([0x41, 0x00, 0x01, 0xff])],
    ['a class definition without a name', Buffer.from([0x43, 0x91])],
  ];
  for (const [name, bytes] of malformedCases) {
    test(name, () => {
      assert.equal(
        codecErrorCode(() => skipAll(bytes)),
        ErrorCodes.CODEC_MALFORMED,
      );
    });
  }

  test('nesting deeper than the limit is rejected; at the limit it is walked', () => {
    const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
    assert.deepEqual(skipAll(hessianBytes(nested(8)), 8), boundaries(hessianBytes(nested(8))));
    assert.equal(
      codecErrorCode(() => skipAll(hessianBytes(nested(9)), 8)),
      ErrorCodes.CODEC_TOO_LARGE,
    );
  });

  test('a deep stream does not grow the call stack', () => {
    const depth = 5000;
    const bytes = Buffer.concat([Buffer.alloc(depth, 0x79), Buffer.from([0x90])]);
    assert.deepEqual(skipAll(bytes, depth), [bytes.length]);
  });
});
