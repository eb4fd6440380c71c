import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ByteQueue } from '../../../src/codec/byte-queue.js';
import type { Codec, CodecFactory, EncodeOptions, LocalReply } from '../../../src/codec/codec.js';
import { Metadata, createMessage } from '../../../src/codec/message.js';
import type { Message, MessageType } from '../../../src/codec/message.js';
import { checkCodec, runCodecTestKit } from '../../../src/codec/test-kit.js';
import type { CodecFixture, CodecTestKitFailure } from '../../../src/codec/test-kit.js';
import { CodecError, ErrorCodes, malformed } from '../../../src/errors.js';

/**
 * A toy protocol for testing the kit:
 *   frame := length:u16 (bytes after it, 5..1000) type:u8 (1 request, 2 response, 3 oneway) id:u32 payload
 */
type Bug =
  | 'none'
  | 'consumes-partial'
  | 'waits-for-extra-byte'
  | 'type-error-on-garbage'
  | 'encode-reserializes'
  | 'wrong-reply-id'
  | 'ignores-request-id'
  | 'bigint-small-ids';

const TYPES: Record<number, MessageType> = { 1: 'request', 2: 'response', 3: 'oneway' };

class ToyCodec implements Codec {
  constructor(private readonly bug: Bug) {}

  decode(input: ByteQueue): Message | undefined {
    if (input.length < 2) return undefined;
    const length = input.u16(0);
    if (length > 1000) throw new CodecError(ErrorCodes.CODEC_TOO_LARGE, 'toy frame too large');
    if (length < 5) throw malformed('toy frame too small');
    const total = 2 + length + (this.bug === 'waits-for-extra-byte' ? 1 : 0);
    if (input.length < total) {
      if (this.bug !== 'consumes-partial' || input.length < 7) return undefined;
    }
    const type = TYPES[input.u8(2)];
    if (type === undefined) {
      if (this.bug === 'type-error-on-garbage') throw new TypeError('toy bug');
      throw malformed('toy type unknown');
    }
    const requestId = input.u32(3);
    const bytes = input.take(Math.min(2 + length, input.length));
    const metadata = new Metadata();
    metadata.set('Payload', bytes.subarray(7).toString('latin1'));
    const id = this.bug === 'bigint-small-ids' ? BigInt(requestId) : requestId;
    return createMessage(type, id, bytes, metadata, undefined, 'ok', 'toy');
  }

  encode(message: Message, options?: EncodeOptions): Buffer {
    if (this.bug === 'encode-reserializes') return Buffer.concat([message.bytes, Buffer.from([0])]);
    if (options?.requestId === undefined || this.bug === 'ignores-request-id') return message.bytes;
    message.bytes.writeUInt32BE(Number(options.requestId) >>> 0, 3);
    return message.bytes;
  }

  encodeLocalReply(request: Message | undefined, reply: LocalReply): Buffer | undefined {
    if (request?.type === 'oneway') return undefined;
    const id = Number(request?.requestId ?? 0) + (this.bug === 'wrong-reply-id' ? 1 : 0);
    return frame(2, id, reply.message);
  }
}

function toyFactory(bug: Bug = 'none'): CodecFactory {
  return {
    name: 'aeraki.meta_protocol.codec.toy',
    capabilities: { requestIds: true, heartbeats: false, streaming: false, serverSpeaksFirst: false },
    create: () => new ToyCodec(bug),
  };
}

function frame(type: number, id: number, payload: string): Buffer {
  const body = Buffer.from(payload, 'latin1');
  const out = Buffer.alloc(7 + body.length);
  out.writeUInt16BE(5 + body.length, 0);
  out[2] = type;
  out.writeUInt32BE(id >>> 0, 3);
  body.copy(out, 7);
  return out;
}

const fixtures: CodecFixture[] = [
  {
    name: 'one request',
    bytes: frame(1, 7, 'hello'),
    expect: [{ type: 'request', requestId: 7, metadata: { payload: 'hello' }, length: 12 }],
  },
  {
    name: 'request, oneway and response back to back',
    bytes: Buffer.concat([frame(1, 1, 'a'), frame(3, 2, ''), frame(2, 3, 'xyz')]),
    expect: [
      { type: 'request', requestId: 1 },
      { type: 'oneway', requestId: 2 },
      { type: 'response', requestId: 3, bytes: frame(2, 3, 'xyz'), operation: 'toy' },
    ],
  },
];

const quick = { randomRuns: 100, mutationRuns: 40 };

function checksFailing(failures: readonly CodecTestKitFailure[]): Set<string> {
  return new Set(failures.map(f => f.check));
}

describe('codec test kit', () => {
  test('a conforming codec passes every check', () => {
    assert.deepEqual(checkCodec(toyFactory(), fixtures, quick), []);
  });

  test('a codec that consumes a partial frame fails byte-by-byte, split and truncated', () => {
    const failing = checksFailing(checkCodec(toyFactory('consumes-partial'), fixtures, quick));
    for (const check of ['byte-by-byte', 'split', 'truncated']) assert.ok(failing.has(check), check);
    assert.ok(!failing.has('whole'), 'whole passes');
  });

  test('a codec that waits for more than the frame fails, naming the bytes left undecoded', () => {
    const failures = checkCodec(toyFactory('waits-for-extra-byte'), fixtures, quick);
    const reference = failures.find(f => f.fixture === 'one request');
    assert.ok(reference !== undefined, 'a failure for the fixture');
    assert.match(reference.message, /decoding the whole fixture left 12 bytes undecoded/);
  });

  test('a codec that throws something other than CodecError fails random and mutated', () => {
    const failures = checkCodec(toyFactory('type-error-on-garbage'), fixtures, quick);
    const failing = checksFailing(failures);
    assert.ok(failing.has('random'), 'random fails');
    assert.ok(failing.has('mutated'), 'mutated fails');
    assert.ok(
      failures.every(f => f.message.includes('TypeError')),
      'every failure names the TypeError',
    );
  });

  test('a codec whose encode changes the bytes fails encode-identity', () => {
    const failing = checksFailing(checkCodec(toyFactory('encode-reserializes'), fixtures, quick));
    assert.ok(failing.has('encode-identity'), 'encode-identity fails');
  });

  test('a local reply with the wrong request id fails local-reply', () => {
    const failures = checkCodec(toyFactory('wrong-reply-id'), fixtures, quick);
    assert.deepEqual(checksFailing(failures), new Set(['local-reply']));
    assert.match(failures[0]!.message, /request id 8, expected 7/);
  });

  test('a codec that ignores request ids fails request-id', () => {
    const failing = checksFailing(checkCodec(toyFactory('ignores-request-id'), fixtures, quick));
    assert.deepEqual(failing, new Set(['request-id']));
  });

  test('a small id decoded as a bigint breaks the normal form, and whole says so', () => {
    const failures = checkCodec(toyFactory('bigint-small-ids'), fixtures, quick);
    assert.ok(
      failures.some(
        f => f.check === 'whole' && /requestId 7n is a bigint but a safe integer/.test(f.message),
      ),
    );
  });

  test('bigint ids: expectations compare by value; a codec that cannot hold a wide id fails request-id', () => {
    const wide = [{ ...fixtures[0]!, expect: [{ type: 'request' as const, requestId: 7n }] }];
    assert.deepEqual(checkCodec(toyFactory(), wide, quick), []);
    const failures = checkCodec(toyFactory(), fixtures.slice(0, 1), {
      ...quick,
      requestIds: [2n ** 53n + 1n],
    });
    assert.deepEqual(checksFailing(failures), new Set(['request-id']));
    assert.match(failures[0]!.message, /request id 9007199254740993/);
  });

  test('wrong expectations are reported by whole', () => {
    const failures = checkCodec(
      toyFactory(),
      [{ name: 'wrong', bytes: frame(1, 7, 'hi'), expect: [{ type: 'request', requestId: 8 }] }],
      quick,
    );
    assert.ok(
      failures.some(f => f.check === 'whole' && /requestId 7, expected 8/.test(f.message)),
      'whole reports the request id',
    );
  });

  test('a fixture with an incomplete last frame is reported', () => {
    const failures = checkCodec(
      toyFactory(),
      [{ name: 'cut', bytes: frame(1, 7, 'hello').subarray(0, 9), expect: [{ type: 'request' }] }],
      quick,
    );
    assert.notEqual(failures.length, 0);
    assert.match(failures[0]!.message, /left 9 bytes undecoded/);
  });

  test('the same seed gives the same failures', () => {
    const a = checkCodec(toyFactory('type-error-on-garbage'), fixtures, { ...quick, seed: 42 });
    const b = checkCodec(toyFactory('type-error-on-garbage'), fixtures, { ...quick, seed: 42 });
    assert.deepEqual(a, b);
  });

  test('a codec that fails to carry a mutation is caught for fixtures that carry mutations', () => {
    const failures = checkCodec(toyFactory(), [{ ...fixtures[0]!, carriesMutation: true }], quick);
    assert.deepEqual(checksFailing(failures), new Set(['mutation']));
  });

  test('runCodecTestKit registers one test per fixture and check, plus random input', () => {
    const registered: { name: string; fn: () => void }[] = [];
    runCodecTestKit(toyFactory('encode-reserializes'), fixtures, {
      ...quick,
      test: (name, fn) => registered.push({ name, fn }),
    });
    assert.equal(registered.length, fixtures.length * 9 + 1);
    assert.equal(registered.at(-1)!.name, 'random input');
    const encode = registered.find(r => r.name === 'one request: encode-identity')!;
    assert.throws(encode.fn, /encode\(message\) changed the bytes/);
    registered.find(r => r.name === 'one request: whole')!.fn();
  });
});

describe('codec test kit registered with node:test', () => {
  runCodecTestKit(toyFactory(), fixtures, { ...quick, test });
});
