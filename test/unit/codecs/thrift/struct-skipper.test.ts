import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import { NEED_MORE, StructSkipper } from '../../../../src/codecs/thrift/struct-skipper.js';
import { thriftCodecFactory } from '../../../../src/codecs/thrift/index.js';
import { CodecError, ErrorCodes } from '../../../../src/errors.js';
import { CALL, T, readWholeMessage, writeAllTypesArgs, writeMessage } from './apache-thrift.js';
import type { Protocol } from './apache-thrift.js';
import { argsArb, writeValue } from './random-structs.js';

/** Cuts `bytes` at the given fractions into chunks (copies, as a socket would deliver). */
function chunks(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map(c => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const point of [...points, bytes.length]) {
    if (point > at) out.push(Buffer.from(bytes.subarray(at, point)));
    at = Math.max(at, point);
  }
  return out;
}

for (const protocol of ['binary', 'compact'] as const satisfies readonly Protocol[]) {
  describe(`struct skipper (${protocol})`, () => {
    test('finds the exact end of any struct the Apache library writes, however the bytes arrive', () => {
      fc.assert(
        fc.property(
          argsArb,
          fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
          (args, cuts) => {
            const bytes = writeMessage({
              transport: 'unframed',
              protocol,
              name: 'm',
              type: CALL,
              seqid: 1,
              body: p => writeValue(p, args.type, args.value),
            });
            const trailer = Buffer.from([0xde, 0xad]);
            const codec = thriftCodecFactory.create('downstream');
            const queue = new ByteQueue();
            let message;
            for (const chunk of chunks(Buffer.concat([bytes, trailer]), cuts)) {
              queue.push(chunk);
              message ??= codec.decode(queue);
            }
            assert.ok(message !== undefined);
            assert.ok(message.bytes.equals(bytes));
            assert.equal(queue.length, trailer.length);
          },
        ),
        { numRuns: 300, seed: 1234 },
      );
    });

    test('is resumable: walking byte by byte ends where a walk over the whole struct ends', () => {
      const bytes = writeMessage({
        transport: 'unframed',
        protocol,
        name: 'm',
        type: CALL,
        seqid: 1,
        body: writeAllTypesArgs,
      });
      const bodyStart = protocol === 'binary' ? 4 + 4 + 1 + 4 : 2 + 1 + 1 + 1;
      const skipper = new StructSkipper(64);
      const queue = new ByteQueue();
      queue.push(bytes.subarray(0, bodyStart));
      skipper.start(protocol, bodyStart);
      let end = skipper.run(queue, 1 << 20);
      for (let at = bodyStart; at < bytes.length; at++) {
        assert.equal(end, NEED_MORE);
        queue.push(bytes.subarray(at, at + 1));
        end = skipper.run(queue, 1 << 20);
      }
      assert.equal(end, bytes.length);
    });

    test('refuses collections whose size cannot fit the limit, before their bytes arrive', () => {
      const queue = new ByteQueue();
      // A list field of 1,000,000 i32 elements, with none of them sent.
      queue.push(
        protocol === 'binary'
          ? Buffer.from([T.LIST, 0, 1, T.I32, 0x00, 0x0f, 0x42, 0x40])
          : Buffer.from([0x19, 0xf5, 0xc0, 0x84, 0x3d]),
      );
      const skipper = new StructSkipper(64);
      skipper.start(protocol, 0);
      assert.throws(
        () => skipper.run(queue, 65536),
        (error: unknown) => CodecError.isCodecError(error) && error.code === ErrorCodes.CODEC_TOO_LARGE,
      );
    });

    test('refuses unknown type ids', () => {
      const queue = new ByteQueue();
      queue.push(protocol === 'binary' ? Buffer.from([0x07, 0, 1, 0]) : Buffer.from([0x1e, 0]));
      const skipper = new StructSkipper(64);
      skipper.start(protocol, 0);
      assert.throws(
        () => skipper.run(queue, 1000),
        (error: unknown) => CodecError.isCodecError(error) && error.code === ErrorCodes.CODEC_MALFORMED,
      );
    });
  });
}

describe('struct skipper: compact details the Apache readers define', () => {
  test('a field header whose type nibble is 0 ends the struct, whatever its id delta', () => {
    const envelope = writeMessage({
      transport: 'unframed',
      protocol: 'compact',
      name: 'm',
      type: CALL,
      seqid: 1,
      body: () => {},
    });
    // {1: i32 1} then 0x10: STOP for the Apache reader.
    const bytes = Buffer.concat([envelope, Buffer.from([0x15, 0x02, 0x10])]);
    assert.equal(readWholeMessage(bytes, 'unframed', 'compact').consumed, bytes.length);
    const skipper = new StructSkipper(64);
    const queue = new ByteQueue();
    queue.push(bytes);
    skipper.start('compact', envelope.length);
    assert.equal(skipper.run(queue, 1000), bytes.length);
  });

  test('varints of up to 10 bytes are read; an 11th byte is refused', () => {
    const queue = new ByteQueue();
    const longI32 = [0x15, ...Buffer.alloc(9, 0x80), 0x01, 0];
    queue.push(Buffer.from(longI32));
    const skipper = new StructSkipper(64);
    skipper.start('compact', 0);
    assert.equal(skipper.run(queue, 1000), longI32.length);
    const tooLong = new ByteQueue();
    tooLong.push(Buffer.from([0x15, ...Buffer.alloc(10, 0x80), 0x01, 0]));
    skipper.start('compact', 0);
    assert.throws(() => skipper.run(tooLong, 1000), CodecError);
  });
});
