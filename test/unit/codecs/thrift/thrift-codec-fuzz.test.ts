import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteQueue } from '../../../../src/codec/byte-queue.js';
import { thriftCodecFactory } from '../../../../src/codecs/thrift/index.js';
import { CodecError } from '../../../../src/errors.js';
import { PROTOCOLS, TRANSPORTS, sampleMessage } from './fixtures.js';

const samples = TRANSPORTS.flatMap(transport =>
  PROTOCOLS.map(protocol => sampleMessage(transport, protocol, { seqid: 0x1234 })),
);

const configs = [undefined, { maxFrameSize: 64 }, { maxDepth: 2 }];

/**
 * Decodes `bytes` arriving in chunks of the given sizes and exercises encode and local replies on
 * whatever comes out. Returns the error thrown, if any; fails on a message that consumed nothing.
 */
function run(bytes: Uint8Array, sizes: readonly number[], config: unknown): unknown {
  const codec = thriftCodecFactory.create('downstream', config);
  const queue = new ByteQueue();
  let at = 0;
  let turn = 0;
  try {
    while (at < bytes.length) {
      const size = Math.max(1, sizes[turn++ % Math.max(1, sizes.length)] ?? bytes.length);
      queue.push(Buffer.from(bytes.subarray(at, at + size)));
      at += size;
      for (;;) {
        const before = queue.length;
        const message = codec.decode(queue);
        if (message === undefined) break;
        assert.ok(queue.length < before, 'a decoded message consumes bytes');
        codec.encode(message, { requestId: 0xfffffffe, mutation: new Map([['k', 'v']]) });
        codec.encode(message, { requestId: 3 });
        codec.encodeLocalReply(message, { kind: 'timeout', message: 'fuzz' });
      }
    }
    codec.encodeLocalReply(undefined, { kind: 'bad-request', message: 'fuzz' });
  } catch (error) {
    return error;
  }
  return undefined;
}

function onlyCodecErrors(error: unknown): void {
  if (error === undefined) return;
  if (error instanceof assert.AssertionError) throw error;
  assert.ok(CodecError.isCodecError(error), `threw a non-codec error: ${String(error)}`);
}

const sizesArb = fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 8 });
const configArb = fc.constantFrom(...configs);

describe('thrift codec: no input crashes it', () => {
  test('random bytes throw nothing but CodecError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), sizesArb, configArb, (bytes, sizes, config) =>
        onlyCodecErrors(run(bytes, sizes, config)),
      ),
      { numRuns: 1500, seed: 7 },
    );
  });

  test('real messages with bytes changed, dropped or added throw nothing but CodecError', () => {
    const edit = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('set', 'delete', 'insert'),
      value: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        sizesArb,
        configArb,
        (sample, edits, sizes, config) => {
          const bytes = [...sample];
          for (const { at, kind, value } of edits) {
            const where = at % Math.max(1, bytes.length);
            if (kind === 'set') bytes[where] = value;
            else if (kind === 'delete') bytes.splice(where, 1);
            else bytes.splice(where, 0, value);
          }
          onlyCodecErrors(run(Uint8Array.from(bytes), sizes, config));
        },
      ),
      { numRuns: 1500, seed: 11 },
    );
  });

  test('the start of a real message followed by random bytes throws nothing but CodecError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.nat(),
        fc.uint8Array({ maxLength: 200 }),
        sizesArb,
        (sample, cut, tail, sizes) => {
          const head = sample.subarray(0, cut % (sample.length + 1));
          onlyCodecErrors(run(Buffer.concat([head, tail]), sizes, undefined));
        },
      ),
      { numRuns: 1500, seed: 13 },
    );
  });
});
